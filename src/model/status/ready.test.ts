import type { BootstrapResult } from '../bootstrap.ts';
import { acknowledgedLostOf } from './loss.ts';
import { computeConditions, deletingConditions, stagedConditions } from './ready.ts';
import { msUntilStale, staleAfterMs } from './checkpoints.ts';
import { desiredStatus, statusNeedsUpdate } from './conditions.ts';
import { ANNOTATION_ACKNOWLEDGED_LOST } from '../../api/v1alpha1.ts';
import { allReady, byType, deployment, kafkaTopic } from './status.fixtures.ts';

describe('computeConditions', () => {
  it('is Ready when everything is, for the observed generation', () => {
    const conditions = computeConditions(allReady);
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Reconciled'],
      ['TopicReady', 'True', 'TopicReady'],
      ['ProducerAvailable', 'True', 'DeploymentAvailable'],
      ['ConsumerAvailable', 'True', 'DeploymentAvailable'],
      ['TotalsExact', 'True', 'Exact'],
      ['TotalsCurrent', 'True', 'CheckpointRecent'],
      ['Reconciling', 'False', 'Reconciled'],
      ['Stalled', 'False', 'Reconciled'],
    ]);
    for (const c of conditions) expect(c.observedGeneration).toBe(7);
    expect(conditions[0]?.message).toMatch(/topic is ready.*erb-producer: 1 of 1.*erb-consumer: 2 of 2/);
  });

  it('reports an invalid spec as stalled, naming the problems', () => {
    const c = byType(
      computeConditions({
        ...allReady,
        specProblems: ['spec.voices: must have 2 to 32 entries, got 1'],
        bootstrap: undefined,
      }),
    );
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: expect.stringContaining('spec.voices: must have 2'),
    });
    expect(c.Stalled).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(c.Reconciling?.status).toBe('False');
  });

  it('waits for a missing Kafka, and says what to do', () => {
    const bootstrap: BootstrapResult = {
      ok: false,
      reason: 'KafkaNotFound',
      message: 'Kafka queuing/kafka not found: create it',
    };
    const c = byType(computeConditions({ generation: 1, bootstrap }));
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'KafkaNotFound',
      message: 'Kafka queuing/kafka not found: create it',
    });
    expect(c.TopicReady).toMatchObject({ status: 'False', reason: 'KafkaNotFound' });
    expect(c.ProducerAvailable).toMatchObject({
      status: 'False',
      reason: 'Waiting',
      message: expect.stringMatching(/^the producer Deployment waits for the Kafka bootstrap address/),
    });
    expect(c.Reconciling).toMatchObject({ status: 'True', reason: 'KafkaNotFound' });
    expect(c.Stalled?.status).toBe('False');
  });

  it('follows the first child that is not ready', () => {
    const c = byType(
      computeConditions({ ...allReady, topic: kafkaTopic('False'), consumerDeployment: undefined }),
    );
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'TopicNotReady',
      message: expect.stringMatching(/^TopicReady is False: KafkaTopic queuing\/erb-ratings/),
    });
    expect(c.ConsumerAvailable).toMatchObject({
      status: 'False',
      reason: 'Waiting',
      message: expect.stringMatching(/^the consumer Deployment waits for the topic: KafkaTopic/),
    });
    expect(c.Reconciling?.status).toBe('True');
    const noConsumer = byType(computeConditions({ ...allReady, consumerDeployment: undefined }));
    expect(noConsumer.ConsumerAvailable).toMatchObject({
      status: 'False',
      reason: 'DeploymentNotFound',
      message: 'the consumer Deployment has not been created yet',
    });
  });

  it('puts a refused write before the children: Ready False with the API server message, stalled', () => {
    const c = byType(
      computeConditions({
        ...allReady,
        applyFailures: [
          {
            what: 'Deployment appdev/erb-consumer',
            message: 'denied by policy max-replicas',
            terminal: true,
          },
        ],
      }),
    );
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'ApplyRefused',
      message: 'the API server refused Deployment appdev/erb-consumer: denied by policy max-replicas',
    });
    expect(c.Stalled).toMatchObject({ status: 'True', reason: 'ApplyRefused' });
    expect(c.Stalled?.message).toContain('admission policy');
    expect(c.Reconciling?.status).toBe('False');
  });

  it('a failure that may pass is Reconciling, not Stalled', () => {
    const c = byType(
      computeConditions({
        ...allReady,
        applyFailures: [
          { what: 'Role appdev/erb-ratings', message: 'no answer within 15000 ms', terminal: false },
        ],
      }),
    );
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
    expect(c.Reconciling?.status).toBe('True');
    expect(c.Stalled?.status).toBe('False');
  });

  it('keeps TotalsExact False once ratings were lost; Ready follows until the loss is acknowledged', () => {
    const lost = byType(computeConditions({ ...allReady, lost: 3 }));
    expect(lost.TotalsExact).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(lost.TotalsExact?.message).toMatch(/^3 ratings were gone/);
    expect(lost.TotalsExact?.message).toContain(`${ANNOTATION_ACKNOWLEDGED_LOST}=3`);
    expect(lost.Ready).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(lost.Stalled).toMatchObject({ status: 'True', reason: 'RatingsLost' });

    const short = byType(computeConditions({ ...allReady, lost: 3, acknowledgedLost: 2 }));
    expect(short.Ready).toMatchObject({ status: 'False', reason: 'RatingsLost' });

    const acked = byType(computeConditions({ ...allReady, lost: 3, acknowledgedLost: 3 }));
    expect(acked.Ready).toMatchObject({ status: 'True', reason: 'LossAcknowledged' });
    expect(acked.Ready?.message).toContain('3 ratings were gone');
    expect(acked.TotalsExact).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(acked.Stalled?.status).toBe('False');
  });

  it.each([
    [undefined, undefined],
    [{ a: '1' }, undefined],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: ' 12 ' }, 12],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: '0' }, 0],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: '-1' }, undefined],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: 'all' }, undefined],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: '1e3' }, undefined],
  ])('reads the acknowledgement %j as %j', (annotations, expected) => {
    expect(acknowledgedLostOf(annotations)).toBe(expected);
  });

  it('judges checkpoints stale only when records wait and the last one is much older than the interval', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
    const stale = (lag: number | undefined, at: string | undefined, interval = 5) =>
      byType(
        computeConditions({
          ...allReady,
          checkpoints: { lag, checkpointedAt: at, intervalSeconds: interval },
          now,
        }),
      );
    expect(stale(0, ago(3600)).TotalsCurrent?.status).toBe('True');
    expect(stale(undefined, ago(3600)).TotalsCurrent?.status).toBe('True');
    expect(stale(5, undefined).TotalsCurrent?.status).toBe('True');
    expect(stale(5, ago(60)).TotalsCurrent?.status).toBe('True');
    const c = stale(5, ago(61));
    expect(c.TotalsCurrent).toMatchObject({ status: 'False', reason: 'CheckpointStale' });
    expect(c.TotalsCurrent?.message).toMatch(
      /^5 records wait and the consumers have written no checkpoint for 61 s/,
    );
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'CheckpointStale' });
    // the limit grows with a long interval: 6 intervals
    expect(stale(5, ago(500), 100).TotalsCurrent?.status).toBe('True');
    expect(stale(5, ago(601), 100).TotalsCurrent?.status).toBe('False');
    expect(staleAfterMs(5)).toBe(60_000);
    expect(msUntilStale({ lag: 5, checkpointedAt: ago(10), intervalSeconds: 5 }, now)).toBe(51_000);
    expect(msUntilStale({ lag: 0, checkpointedAt: ago(10), intervalSeconds: 5 }, now)).toBeUndefined();
  });

  it('is stalled by a Deployment past its deadline and by a topic conflict', () => {
    const stuck = deployment('erb-producer', 1, {
      availableReplicas: 0,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' },
      ],
    });
    expect(byType(computeConditions({ ...allReady, producerDeployment: stuck })).Stalled).toMatchObject({
      status: 'True',
      reason: 'ProgressDeadlineExceeded',
    });
    const conflict = byType(
      computeConditions({
        ...allReady,
        topicConflict: 'KafkaTopic queuing/t belongs to RatingExperiment prod/erb',
      }),
    );
    expect(conflict.TopicReady).toMatchObject({ status: 'False', reason: 'TopicConflict' });
    expect(conflict.Stalled).toMatchObject({ status: 'True', reason: 'TopicConflict' });
  });

  it('is stalled by a child another holds (ChildConflict), and waits, not stalled, for a child of an earlier experiment', () => {
    const conflict = byType(
      computeConditions({
        ...allReady,
        childConflicts: ['Role appdev/erb-ratings already exists and has no controller owner'],
        childWaits: ['Service appdev/erb-producer still belongs to an earlier RatingExperiment'],
      }),
    );
    expect(conflict.Ready).toMatchObject({
      status: 'False',
      reason: 'ChildConflict',
      message: 'Role appdev/erb-ratings already exists and has no controller owner',
    });
    expect(conflict.Stalled).toMatchObject({ status: 'True', reason: 'ChildConflict' });
    expect(conflict.Stalled?.message).toContain('remove or rename the objects named');
    const waiting = byType(
      computeConditions({ ...allReady, childWaits: ['Service appdev/erb-producer still belongs to x'] }),
    );
    expect(waiting.Ready).toMatchObject({ status: 'False', reason: 'Waiting' });
    expect(waiting.Reconciling).toMatchObject({ status: 'True', reason: 'Waiting' });
    expect(waiting.Stalled).toMatchObject({ status: 'False' });
  });

  it('is deterministic', () => {
    expect(JSON.stringify(computeConditions(allReady))).toBe(
      JSON.stringify(computeConditions({ ...allReady })),
    );
  });
});

describe('stagedConditions', () => {
  it('says the operator stopped managing the experiment, and keeps the last observed child conditions', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const before = desiredStatus(
      undefined,
      { generation: 3, conditions: computeConditions({ ...allReady, generation: 3 }) },
      now,
    );
    const staged = stagedConditions(3, 'KafkaTopic queuing/appdev.erb-ratings');
    const next = desiredStatus(before, { generation: 3, conditions: staged }, now);
    const c = Object.fromEntries(next.conditions.map((x) => [x.type, x]));
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'Staged', observedGeneration: 3 });
    expect(c.Ready?.message).toContain('ratings.conglombo.io/staged');
    expect(c.Ready?.message).toContain('KafkaTopic queuing/appdev.erb-ratings');
    expect(c.Reconciling).toMatchObject({ status: 'False', reason: 'Staged' });
    expect(c.Stalled).toMatchObject({ status: 'False', reason: 'Staged' });
    // The children's conditions stay as last observed (nothing observes them any more).
    expect(c.TopicReady).toEqual(before.conditions.find((x) => x.type === 'TopicReady'));
    expect(statusNeedsUpdate(next, desiredStatus(next, { generation: 3, conditions: staged }, now))).toBe(
      false,
    );
  });
});

describe('deletingConditions', () => {
  it('is Deleting and Reconciling, not Stalled, while the finalizer runs', () => {
    const c = byType(deletingConditions(7));
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'Deleting', observedGeneration: 7 });
    expect(c.Reconciling).toMatchObject({ status: 'True', reason: 'Deleting' });
    expect(c.Stalled).toMatchObject({ status: 'False', reason: 'Deleting' });
  });

  it('leaves the children and the totals as last observed: a loss stays reported while deleting', () => {
    const before = computeConditions({ ...allReady, lost: 3 });
    const t0 = new Date('2026-01-01T00:00:00Z');
    const existing = desiredStatus(undefined, { generation: 7, conditions: before }, t0);
    const deleting = desiredStatus(existing, { generation: 7, conditions: deletingConditions(7) }, t0);
    const c = Object.fromEntries(deleting.conditions.map((x) => [x.type, x]));
    expect(c.TotalsExact).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(c.TopicReady).toMatchObject({ status: 'True' });
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'Deleting' });
  });
});
