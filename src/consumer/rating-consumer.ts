// The Kafka side of the consumer: a consumer group member that counts the experiment topic into
// OwnedPartitions. kafkajs has no "partitions assigned" callback, so:
// - GROUP_JOIN (emitted synchronously after every sync, before fetching resumes) tells the new
//   assignment; every partition must then be restored again;
// - the first batch of a partition in a generation is not counted: it triggers the restore from
//   the status and a seek to the restored offset. kafkajs applies the seek before its next fetch
//   and drops batches fetched before it (isStale), so counting resumes exactly there.
// Auto-commit and auto-resolve are off: the checkpoint in the status decides where counting
// resumes; group offsets are committed after a checkpoint, for lag tooling only.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { PartitionCheckpoint as StoredCheckpoint } from '../api/v1alpha1.ts';
import type { Logger } from '../common/logger.ts';
import type { ParseResult } from '../ratings/rating.ts';
import type { PartitionCheckpoint } from '../ratings/checkpoint.ts';
import { OwnedPartitions, type BatchResult } from './partitions.ts';

export interface RatingConsumerOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  logger: Logger;
  /** Parses a record against the experiment's current catalog. */
  parse: (value: Buffer | null) => ParseResult;
  /** The checkpoints stored in the status now (a fresh read). */
  loadCheckpoints: () => Promise<readonly StoredCheckpoint[]>;
  /** The group is rebalancing: a good moment to checkpoint what this member counted. */
  onRebalancing?: () => void;
  onBatch?: (partition: number, result: BatchResult) => void;
  /** kafkajs gave up and will not restart the consumer: the process should exit. */
  onFatal: (err: Error) => void;
}

/**
 * A member that fails to heartbeat for this long loses its partitions: short enough that a
 * killed pod's partitions move on quickly, long enough for a slow status read during a restore.
 */
const SESSION_TIMEOUT_MS = 10_000;
/** After a failed restore, wait before the refetched batch tries again. */
const RESTORE_RETRY_MS = 1_000;

export class RatingConsumer {
  private readonly options: RatingConsumerOptions;
  private readonly consumer: Consumer;
  private readonly owned = new OwnedPartitions();
  private readonly logger: Logger;
  private joined = false;
  private draining = false;
  private inFlight: Promise<void> | undefined;

  constructor(options: RatingConsumerOptions) {
    this.options = options;
    this.logger = options.logger;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: SESSION_TIMEOUT_MS / 5,
      maxWaitTimeInMs: 500,
    });
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[options.topic] ?? [];
      const { revoked } = this.owned.assign(partitions);
      this.joined = true;
      this.logger.info({ partitions, revoked, groupId: payload.groupId }, 'partitions assigned');
    });
    this.consumer.on(events.REBALANCING, () => {
      this.logger.info('group rebalancing');
      options.onRebalancing?.();
    });
    this.consumer.on(events.CRASH, ({ payload }) => {
      this.joined = false;
      this.logger.error({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
      if (!payload.restart) options.onFatal(payload.error);
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.track(this.onBatch(payload)),
    });
  }

  /** undefined when this member has joined the group (possibly standing by without partitions). */
  notReadyReason(): string | undefined {
    if (this.draining) return 'shutting down';
    return this.joined ? undefined : 'not a member of the consumer group yet';
  }

  get assigned(): number[] {
    return this.owned.assigned;
  }

  /** This member's exact checkpoints of the partitions it owns now. */
  checkpoints(): PartitionCheckpoint[] {
    return this.owned.checkpoints();
  }

  /** Commits group offsets (for lag tooling); failures only cost tooling accuracy. */
  async commit(checkpoints: readonly StoredCheckpoint[]): Promise<void> {
    const mine = new Set(this.owned.assigned);
    const offsets = checkpoints
      .filter((cp) => mine.has(cp.partition))
      .map((cp) => ({ topic: this.options.topic, partition: cp.partition, offset: String(cp.offset) }));
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'committing group offsets failed (lag tooling only)');
    }
  }

  /** Stops counting and waits for the batch being counted; the member stays in the group. */
  async drain(): Promise<void> {
    this.draining = true;
    this.consumer.pause([{ topic: this.options.topic }]);
    await this.inFlight;
  }

  /** Leaves the group and closes the connections. */
  async disconnect(): Promise<void> {
    this.joined = false;
    await this.consumer.disconnect();
  }

  private track(work: Promise<void>): Promise<void> {
    const done = work.finally(() => {
      if (this.inFlight === done) this.inFlight = undefined;
    });
    this.inFlight = done;
    return done;
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { partition } = batch;
    if (this.draining || !isRunning() || isStale() || batch.messages.length === 0) return;
    if (this.owned.needsRestore(partition)) {
      await this.restore(partition);
      return;
    }
    const result = this.owned.count(partition, batch.messages, this.options.parse);
    for (const { offset, reason } of result.rejected) {
      this.logger.warn({ topic: this.options.topic, partition, offset, reason }, 'rejected record');
    }
    this.options.onBatch?.(partition, result);
    // Keeps kafkajs' fetch position on our count; correctness does not depend on it (the seek
    // at restore does).
    resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
    await heartbeat();
  }

  private async restore(partition: number): Promise<void> {
    let stored: readonly StoredCheckpoint[];
    try {
      stored = await this.options.loadCheckpoints();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, partition }, 'cannot read the checkpoints, retrying');
      await new Promise((resolve) => setTimeout(resolve, RESTORE_RETRY_MS));
      return;
    }
    const offset = this.owned.restore(
      partition,
      stored.find((cp) => cp.partition === partition),
    );
    this.consumer.seek({ topic: this.options.topic, partition, offset: String(offset) });
    this.logger.info({ partition, offset }, 'partition restored from checkpoint');
  }
}
