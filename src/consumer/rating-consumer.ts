// The Kafka side of the consumer: a consumer group member that counts the experiment topic into
// OwnedPartitions; each counting worker thread runs one (counting-worker.ts). kafkajs has no
// "partitions assigned" callback, so:
// - GROUP_JOIN (emitted synchronously after every sync, before fetching resumes) tells the new
//   assignment; every partition must then be restored again;
// - the first batch of a partition in a generation is not counted: it triggers the restore from
//   the status and a seek to the restored offset. kafkajs applies the seek before its next fetch
//   and drops batches fetched before it (isStale), so counting resumes exactly there.
// Auto-commit and auto-resolve are off: the checkpoint in the status decides where counting
// resumes; group offsets are committed after a checkpoint, for lag tooling only.
// Before a batch is counted, the topic's incarnation is checked against Kafka (at most
// IDS_FRESH_MS old): a partition restored for another incarnation is restored again (A2 of
// src/ratings/checkpoint.ts).
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import type { Logger } from '../common/logger.ts';
import type { InMemoryCheckpoint } from '../ratings/checkpoint.ts';
import {
  OwnedPartitions,
  type BatchResult,
  type Judge,
  type Position,
  type WrittenCheckpoint,
} from './partitions.ts';

export interface RatingConsumerOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  logger: Logger;
  /** Judges a record against the experiment's catalog (src/ratings/judge.ts). */
  judge: Judge;
  /** Reads the experiment again, for a record whose verdict needs a newer catalog; false if it failed. */
  refreshCatalog: () => Promise<boolean>;
  /** Kafka's topic ID of the topic now, undefined when there is no such topic (a fresh answer). */
  fetchTopicId: () => Promise<string | undefined>;
  /** The checkpoints stored in the status now (a fresh read). */
  loadCheckpoints: () => Promise<readonly PartitionCheckpoint[]>;
  /** The group is rebalancing: a good moment to checkpoint what this member counted. */
  onRebalancing?: () => void;
  onBatch?: (partition: number, result: BatchResult) => void;
  /** This member joined the group with these partitions, or left it (a crash, a disconnect). */
  onMembership?: (membership: { joined: boolean; assigned: number[] }) => void;
  /** kafkajs gave up and will not restart the consumer: the process should exit. */
  onFatal: (err: Error) => void;
  /** Fetch sizes (FETCH_SIZES unless a benchmark compares others). */
  fetch?: FetchSizes;
}

/** kafkajs' fetch request limits (its names). */
export interface FetchSizes {
  maxBytes: number;
  maxBytesPerPartition: number;
  minBytes: number;
  maxWaitTimeInMs: number;
}

/**
 * How much one fetch may bring back. kafkajs' defaults are kept: larger fetches gained nothing
 * (bench/README.md, "bench:dataplane"), since decoding and counting, not round trips, take the
 * time. minBytes 1 answers a fetch as soon as anything is there: the latency of a rating to the
 * status does not wait for a batch to fill.
 */
export const FETCH_SIZES: FetchSizes = {
  maxBytes: 10 * 1024 * 1024,
  maxBytesPerPartition: 1024 * 1024,
  minBytes: 1,
  maxWaitTimeInMs: 500,
};

/**
 * A member that fails to heartbeat for this long loses its partitions: short enough that a
 * killed pod's partitions move on quickly, long enough for a slow status read during a restore.
 */
const SESSION_TIMEOUT_MS = 10_000;
/** After a failed restore (or a record that cannot be judged yet), wait before trying again. */
const RETRY_MS = 1_000;
/** The topic's incarnation is asked of Kafka again when the last answer is older than this. */
export const IDS_FRESH_MS = 1_000;

export class RatingConsumer {
  private readonly options: RatingConsumerOptions;
  private readonly consumer: Consumer;
  private readonly owned = new OwnedPartitions();
  private readonly logger: Logger;
  private draining = false;
  private inFlight: Promise<void> | undefined;
  private knownTopicId: { id: string | undefined; at: number } | undefined;

  constructor(options: RatingConsumerOptions) {
    this.options = options;
    this.logger = options.logger;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: SESSION_TIMEOUT_MS / 5,
      ...(options.fetch ?? FETCH_SIZES),
      // A consumer never creates its topic (A1): only the topic operator does, with its config.
      allowAutoTopicCreation: false,
    });
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[options.topic] ?? [];
      const { revoked } = this.owned.assign(partitions);
      this.logger.info({ partitions, revoked, groupId: payload.groupId }, 'partitions assigned');
      options.onMembership?.({ joined: true, assigned: this.owned.assigned });
    });
    this.consumer.on(events.REBALANCING, () => {
      this.logger.info('group rebalancing');
      options.onRebalancing?.();
    });
    this.consumer.on(events.CRASH, ({ payload }) => {
      this.logger.error({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
      options.onMembership?.({ joined: false, assigned: this.owned.assigned });
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

  /** This member's exact checkpoints: the partitions it owns now, and retired ones not yet written. */
  checkpoints(catalog?: ReadonlySet<string>): InMemoryCheckpoint[] {
    return this.owned.checkpoints(catalog);
  }

  /** How far this member has counted each partition it owns (cheap: no snapshot). */
  positions(): Position[] {
    return this.owned.positions();
  }

  /** A checkpoint wrote these: retired states among them need not be written again. */
  written(checkpoints: readonly WrittenCheckpoint[]): void {
    this.owned.written(checkpoints);
  }

  /**
   * What Kafka said before a checkpoint: the incarnation (partitions of another one are retired
   * and restored again) and the log start offsets (records below them that were not counted are
   * lost). Partitions still waiting for their first batch are restored here: a partition whose
   * records are all gone sends no batch, yet its loss must be counted. Returns the records lost.
   */
  async observe(topicId: string | undefined, logStarts: ReadonlyMap<number, number>): Promise<number> {
    if (topicId === undefined) return 0;
    this.knownTopicId = { id: topicId, at: Date.now() };
    const changed = this.owned.observeIncarnation(topicId);
    if (changed.length > 0)
      this.logger.warn({ topicId, partitions: changed }, 'the topic has a new incarnation');
    let lost = 0;
    for (const partition of this.owned.assigned) {
      if (this.draining) break;
      if (this.owned.needsRestore(partition)) await this.restore(partition, topicId);
      if (this.owned.topicIdOf(partition) !== topicId) continue;
      const gone = this.owned.skipGone(partition, logStarts.get(partition) ?? 0);
      if (gone > 0) {
        this.logger.warn({ partition, lost: gone }, 'records gone before they were counted');
        this.consumer.seek({
          topic: this.options.topic,
          partition,
          offset: String(logStarts.get(partition)),
        });
      }
      lost += gone;
    }
    return lost;
  }

  /** Commits group offsets (for lag tooling); failures only cost tooling accuracy. */
  async commit(checkpoints: readonly WrittenCheckpoint[]): Promise<void> {
    const offsets = checkpoints
      .filter((cp) => cp.topicId !== undefined && this.owned.topicIdOf(cp.partition) === cp.topicId)
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
    this.options.onMembership?.({ joined: false, assigned: [] });
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
    let topicId: string | undefined;
    try {
      topicId = await this.topicId();
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, partition },
        'cannot ask Kafka for the topic ID, retrying',
      );
      return this.retryLater();
    }
    if (topicId === undefined) {
      this.logger.warn({ partition }, 'Kafka has no such topic right now, retrying');
      return this.retryLater();
    }
    if (!this.owned.needsRestore(partition) && this.owned.topicIdOf(partition) !== topicId) {
      this.logger.warn({ topicId, partition }, 'the topic has a new incarnation');
      this.owned.observeIncarnation(topicId);
    }
    if (this.owned.needsRestore(partition)) {
      await this.restore(partition, topicId);
      return;
    }
    let records = batch.messages;
    let result = this.owned.count(partition, records, this.options.judge);
    if (result.pending !== undefined) {
      // Read the experiment again once, then judge the rest of the batch with it.
      const { offset, reason } = result.pending;
      this.logger.info({ partition, offset, reason }, 'reading the experiment again to judge a record');
      const refreshed = await this.options.refreshCatalog();
      if (refreshed) {
        records = records.filter((m) => Number(m.offset) >= offset);
        result = mergeResults(result, this.owned.count(partition, records, this.options.judge));
      }
    }
    for (const { offset, reason } of result.rejected) {
      this.logger.warn({ topic: this.options.topic, partition, offset, reason }, 'rejected record');
    }
    this.options.onBatch?.(partition, result);
    if (result.pending !== undefined) {
      this.logger.warn(
        { partition, offset: result.pending.offset, reason: result.pending.reason },
        'cannot judge a record yet (the experiment could not be read again): counting waits',
      );
      this.consumer.seek({ topic: this.options.topic, partition, offset: String(result.pending.offset) });
      await sleep(RETRY_MS);
      return;
    }
    // Keeps kafkajs' fetch position on our count; correctness does not depend on it (the seek
    // at restore does).
    resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
    await heartbeat();
  }

  /** The topic's incarnation, asked of Kafka when the last answer is older than IDS_FRESH_MS. */
  private async topicId(): Promise<string | undefined> {
    const known = this.knownTopicId;
    if (known !== undefined && Date.now() - known.at < IDS_FRESH_MS) return known.id;
    const id = await this.options.fetchTopicId();
    this.knownTopicId = { id, at: Date.now() };
    return id;
  }

  /** Leaves a batch uncounted and unresolved: kafkajs fetches it again after the pause. */
  private async retryLater(): Promise<void> {
    await sleep(RETRY_MS);
  }

  private async restore(partition: number, topicId: string): Promise<void> {
    let stored: readonly PartitionCheckpoint[];
    try {
      stored = await this.options.loadCheckpoints();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, partition }, 'cannot read the checkpoints, retrying');
      await sleep(RETRY_MS);
      return;
    }
    const checkpoint = stored.find((cp) => cp.partition === partition);
    const offset = this.owned.restore(partition, topicId, checkpoint);
    this.consumer.seek({ topic: this.options.topic, partition, offset: String(offset) });
    this.logger.info(
      {
        partition,
        offset,
        topicId,
        ...(checkpoint?.topicId !== undefined && checkpoint.topicId !== topicId
          ? { previousTopicId: checkpoint.topicId }
          : {}),
      },
      'partition restored from checkpoint',
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A batch counted in two steps (before and after reading the experiment again) as one result. */
function mergeResults(a: BatchResult, b: BatchResult): BatchResult {
  return {
    counted: a.counted + b.counted,
    rejected: [...a.rejected, ...b.rejected],
    skipped: a.skipped + b.skipped,
    lost: a.lost + b.lost,
    byStamp: a.byStamp + b.byStamp,
    ...(b.pending === undefined ? {} : { pending: b.pending }),
  };
}
