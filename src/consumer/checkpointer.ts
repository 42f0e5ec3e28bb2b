// When checkpoints are written: every interval, on rebalance and on shutdown; one at a time,
// and requests that arrive while one runs share the next run. So status writes are bounded by
// the interval (plus rebalances), never by the rating rate.
import type { RatingExperimentStatus } from '../api/v1alpha1.ts';
import type { Logger } from '../common/logger.ts';
import type { CheckpointOutcome } from './metrics.ts';
import type { EndOffsets } from './status-update.ts';
import type { WriteResult } from './status-writer.ts';

/** What Kafka says before a checkpoint: the topic's incarnation and end offsets. */
export interface Observation {
  /** undefined: Kafka has no such topic right now. */
  topicId: string | undefined;
  endOffsets: EndOffsets | undefined;
}

export interface CheckpointerOptions<C> {
  logger: Logger;
  /**
   * Asks Kafka what the topic is now, before the snapshot (so that the snapshot already reflects a
   * new incarnation or records gone); a failure keeps produced and lag as they are.
   */
  observe: () => Promise<Observation>;
  /** This process's checkpoints now: a snapshot of every member's (counting-pool.ts). */
  checkpoints: () => Promise<C[]>;
  write: (mine: C[], observed: Observation | undefined) => Promise<WriteResult>;
  /** Called after a write with what it covered: commit the group offsets. */
  committed: (mine: C[]) => Promise<void>;
  /** The status as stored after each checkpoint. */
  onStatus: (status: RatingExperimentStatus) => void;
  onOutcome: (outcome: CheckpointOutcome, seconds: number, conflicts: number) => void;
  intervalMs: () => number;
}

export class Checkpointer<C> {
  private readonly options: CheckpointerOptions<C>;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private tail: Promise<unknown> = Promise.resolve();
  private queued: Promise<CheckpointOutcome> | undefined;

  constructor(options: CheckpointerOptions<C>) {
    this.options = options;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops the timer and waits for a checkpoint in progress; call checkpoint() for a last one. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tail;
  }

  /** Runs a checkpoint after the one in progress, if any; concurrent callers share it. */
  checkpoint(): Promise<CheckpointOutcome> {
    if (this.queued !== undefined) return this.queued;
    const run = this.tail.then(() => {
      this.queued = undefined;
      return this.runOnce();
    });
    this.queued = run;
    this.tail = run;
    return run;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.checkpoint().finally(() => this.schedule());
    }, this.options.intervalMs());
  }

  private async runOnce(): Promise<CheckpointOutcome> {
    const { logger } = this.options;
    const started = performance.now();
    let observed: Observation | undefined;
    try {
      observed = await this.options.observe();
    } catch (err) {
      logger.warn(
        { err: (err as Error).message },
        'cannot ask Kafka about the topic; incarnation, produced and lag kept',
      );
    }
    let mine: C[];
    let result: WriteResult;
    try {
      mine = await this.options.checkpoints();
      result = await this.options.write(mine, observed);
    } catch (err) {
      this.options.onOutcome('failed', (performance.now() - started) / 1000, 0);
      logger.error({ err: (err as Error).message }, 'checkpoint failed; the next one retries');
      return 'failed';
    }
    const outcome = result.written ? 'written' : 'unchanged';
    this.options.onOutcome(outcome, (performance.now() - started) / 1000, result.conflicts);
    this.options.onStatus(result.status);
    if (result.written) {
      logger.debug({ checkpoints: mine.length, conflicts: result.conflicts }, 'checkpoint');
      await this.options.committed(mine);
    }
    return outcome;
  }
}
