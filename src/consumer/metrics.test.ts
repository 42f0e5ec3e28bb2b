import { ConsumerMetrics } from './metrics.ts';

describe('ConsumerMetrics', () => {
  const sample = (text: string, name: string): string[] =>
    text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

  it('shows the totals of the status, labelled by experiment, and drops voices no longer in it', async () => {
    let assigned = 2;
    const metrics = new ConsumerMetrics({ namespace: 'appdev', name: 'erb' }, () => assigned);
    metrics.status({
      totals: [
        { voice: 'Big Bird', sum: 9, count: 4, mean: 2.25 },
        { voice: 'Joan of Arc', sum: 3, count: 3, mean: 1 },
      ],
      counted: 5,
      rejected: 1,
      produced: 7,
      lag: 1,
    });
    let text = await metrics.registry.metrics();
    expect(sample(text, 'ratings_voice_sum')).toEqual([
      'ratings_voice_sum{voice="Big Bird",experiment="erb",experiment_namespace="appdev"} 9',
      'ratings_voice_sum{voice="Joan of Arc",experiment="erb",experiment_namespace="appdev"} 3',
    ]);
    expect(sample(text, 'ratings_voice_count')).toHaveLength(2);
    expect(sample(text, 'ratings_lag')).toEqual([
      'ratings_lag{experiment="erb",experiment_namespace="appdev"} 1',
    ]);
    expect(sample(text, 'ratings_consumer_assigned_partitions')).toEqual([
      'ratings_consumer_assigned_partitions{experiment="erb",experiment_namespace="appdev"} 2',
    ]);

    assigned = 0;
    metrics.status({ totals: [{ voice: 'Big Bird', sum: 10, count: 5, mean: 2 }], counted: 5, rejected: 1 });
    text = await metrics.registry.metrics();
    expect(sample(text, 'ratings_voice_sum')).toEqual([
      'ratings_voice_sum{voice="Big Bird",experiment="erb",experiment_namespace="appdev"} 10',
    ]);
    expect(sample(text, 'ratings_consumer_assigned_partitions')[0]).toMatch(/ 0$/);
  });

  it('counts records by result and checkpoints by outcome', async () => {
    const metrics = new ConsumerMetrics({ namespace: 'appdev', name: 'erb' }, () => 0);
    metrics.batchCounted({
      counted: 10,
      rejected: [{ offset: 3, reason: 'bad' }],
      skipped: 2,
      lost: 4,
      byStamp: 1,
    });
    metrics.checkpoint('written', 0.02, 2);
    metrics.checkpoint('unchanged', 0.01, 0);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'ratings_consumer_records_total{result="counted",experiment="erb",experiment_namespace="appdev"} 10',
    );
    expect(text).toContain(
      'ratings_consumer_records_total{result="rejected",experiment="erb",experiment_namespace="appdev"} 1',
    );
    expect(text).toContain(
      'ratings_consumer_records_total{result="skipped",experiment="erb",experiment_namespace="appdev"} 2',
    );
    expect(text).toContain(
      'ratings_consumer_records_total{result="lost",experiment="erb",experiment_namespace="appdev"} 4',
    );
    expect(text).toContain(
      'ratings_consumer_records_total{result="counted_by_stamp",experiment="erb",experiment_namespace="appdev"} 1',
    );
    expect(text).toContain(
      'ratings_checkpoints_total{outcome="written",experiment="erb",experiment_namespace="appdev"} 1',
    );
    expect(text).toContain(
      'ratings_checkpoint_conflicts_total{experiment="erb",experiment_namespace="appdev"} 2',
    );
    expect(text).toContain(
      'ratings_checkpoint_duration_seconds_count{experiment="erb",experiment_namespace="appdev"} 2',
    );
  });

  it('has every record result and checkpoint outcome at 0 before the first one, so that rates and alerts see a series', async () => {
    const text = await new ConsumerMetrics({ namespace: 'appdev', name: 'erb' }, () => 0).registry.metrics();
    for (const result of ['counted', 'counted_by_stamp', 'rejected', 'skipped', 'lost'])
      expect(sample(text, 'ratings_consumer_records_total')).toContain(
        `ratings_consumer_records_total{result="${result}",experiment="erb",experiment_namespace="appdev"} 0`,
      );
    for (const outcome of ['written', 'unchanged', 'failed'])
      expect(sample(text, 'ratings_checkpoints_total')).toContain(
        `ratings_checkpoints_total{outcome="${outcome}",experiment="erb",experiment_namespace="appdev"} 0`,
      );
  });
});
