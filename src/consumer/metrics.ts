// The consumer's Prometheus metrics. The per-voice gauges show the merged status as of this
// pod's last checkpoint, not this pod's own partitions: every consumer exports the whole
// totals, so `max by (voice) (ratings_voice_sum{experiment="…"})` equals status.totals
// whichever pods are scraped (max picks the freshest, as totals only grow).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RatingExperimentStatus } from '../api/v1alpha1.ts';
import type { BatchResult } from './partitions.ts';

export type CheckpointOutcome = 'written' | 'unchanged' | 'failed';
const CHECKPOINT_OUTCOMES: readonly CheckpointOutcome[] = ['written', 'unchanged', 'failed'];
const RECORD_RESULTS = ['counted', 'counted_by_stamp', 'rejected', 'skipped', 'lost'] as const;

export class ConsumerMetrics {
  readonly registry = new Registry();
  private readonly voiceSum: Gauge;
  private readonly voiceCount: Gauge;
  private readonly counted: Gauge;
  private readonly rejected: Gauge;
  private readonly lost: Gauge;
  private readonly otherVoices: Gauge;
  private readonly previousTopics: Gauge;
  private readonly produced: Gauge;
  private readonly lag: Gauge;
  private readonly records: Counter<'result'>;
  private readonly checkpoints: Counter<'outcome'>;
  private readonly conflicts: Counter;
  private readonly checkpointSeconds: Histogram;

  /** `assignedPartitions` is read at each scrape. */
  constructor(experiment: { namespace: string; name: string }, assignedPartitions: () => number) {
    this.registry.setDefaultLabels({
      experiment: experiment.name,
      experiment_namespace: experiment.namespace,
    });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const fromStatus = '(the experiment status as of this pod\u2019s last checkpoint)';
    this.voiceSum = new Gauge({
      name: 'ratings_voice_sum',
      help: `Sum of the ratings of each voice ${fromStatus}`,
      labelNames: ['voice'],
      registers,
    });
    this.voiceCount = new Gauge({
      name: 'ratings_voice_count',
      help: `Ratings counted for each voice ${fromStatus}`,
      labelNames: ['voice'],
      registers,
    });
    this.counted = new Gauge({
      name: 'ratings_counted',
      help: `Valid ratings counted ${fromStatus}`,
      registers,
    });
    this.rejected = new Gauge({
      name: 'ratings_rejected',
      help: `Invalid records skipped ${fromStatus}`,
      registers,
    });
    this.lost = new Gauge({
      name: 'ratings_lost',
      help: `Records gone before they were counted (retention, compaction, a deleted topic): above 0 the totals are not exact ${fromStatus}`,
      registers,
    });
    this.otherVoices = new Gauge({
      name: 'ratings_other_voices_count',
      help: `Ratings of voices that left the catalog and were folded out of the per-voice totals ${fromStatus}`,
      registers,
    });
    this.previousTopics = new Gauge({
      name: 'ratings_previous_topic_incarnations',
      help: `Earlier incarnations of the topic (deleted and created again) whose totals are kept ${fromStatus}`,
      registers,
    });
    this.produced = new Gauge({
      name: 'ratings_produced',
      help: `Records in the topic ${fromStatus}`,
      registers,
    });
    this.lag = new Gauge({
      name: 'ratings_lag',
      help: `Records in the topic not yet covered by a checkpoint ${fromStatus}`,
      registers,
    });
    this.records = new Counter({
      name: 'ratings_consumer_records_total',
      help: 'Records this pod read: counted (of which counted_by_stamp: refused by this pod\u2019s catalog, admitted by the producer\u2019s), rejected, skipped as counted already (re-delivered), or lost (gone before they were read)',
      labelNames: ['result'],
      registers,
    });
    new Gauge({
      name: 'ratings_consumer_assigned_partitions',
      help: 'Partitions assigned to this pod',
      registers,
      collect() {
        this.set(assignedPartitions());
      },
    });
    this.checkpoints = new Counter({
      name: 'ratings_checkpoints_total',
      help: 'Checkpoint attempts of this pod: written to the status, unchanged (no write needed), failed',
      labelNames: ['outcome'],
      registers,
    });
    this.conflicts = new Counter({
      name: 'ratings_checkpoint_conflicts_total',
      help: 'Status writes refused with 409 Conflict (another writer in between) and retried',
      registers,
    });
    this.checkpointSeconds = new Histogram({
      name: 'ratings_checkpoint_duration_seconds',
      help: 'Time to write a checkpoint, conflicts and retries included',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    // Every label value at 0 from the start: rates and the alerts on rejected records and failed
    // checkpoints then see a series before the first one happens.
    for (const result of RECORD_RESULTS) this.records.inc({ result }, 0);
    for (const outcome of CHECKPOINT_OUTCOMES) this.checkpoints.inc({ outcome }, 0);
  }

  batchCounted(result: BatchResult): void {
    this.records.inc({ result: 'counted' }, result.counted);
    if (result.rejected.length > 0) this.records.inc({ result: 'rejected' }, result.rejected.length);
    if (result.skipped > 0) this.records.inc({ result: 'skipped' }, result.skipped);
    if (result.byStamp > 0) this.records.inc({ result: 'counted_by_stamp' }, result.byStamp);
    this.lostFound(result.lost);
  }

  /** Records this pod found gone before they were counted. */
  lostFound(records: number): void {
    if (records > 0) this.records.inc({ result: 'lost' }, records);
  }

  checkpoint(outcome: CheckpointOutcome, seconds: number, conflicts: number): void {
    this.checkpoints.inc({ outcome });
    this.checkpointSeconds.observe(seconds);
    if (conflicts > 0) this.conflicts.inc(conflicts);
  }

  /** Shows the status as stored; voices no longer in it disappear. */
  status(status: RatingExperimentStatus): void {
    this.voiceSum.reset();
    this.voiceCount.reset();
    for (const { voice, sum, count } of status.totals ?? []) {
      this.voiceSum.set({ voice }, sum);
      this.voiceCount.set({ voice }, count);
    }
    this.counted.set(status.counted ?? 0);
    this.rejected.set(status.rejected ?? 0);
    this.lost.set(status.lost ?? 0);
    this.otherVoices.set(status.otherVoices?.count ?? 0);
    this.previousTopics.set(
      (status.previousTopics ?? []).reduce((n, entry) => n + (entry.incarnations ?? 1), 0),
    );
    if (status.produced !== undefined) this.produced.set(status.produced);
    if (status.lag !== undefined) this.lag.set(status.lag);
  }
}
