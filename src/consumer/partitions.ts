// What this consumer counts, partition by partition: no I/O, so that the rules that make the
// totals exact are tested directly (see src/ratings/checkpoint.ts for the argument and its
// assumptions A1-A7).
//
// - A partition is counted only after it was restored in the current group generation, for the
//   topic incarnation Kafka reported then: its state becomes the further of what this process
//   already holds of that incarnation and the stored checkpoint of that incarnation (a stored
//   checkpoint of another incarnation is not resumed from: counting starts at the new one's
//   start), and the caller seeks the consumer to that offset. Whatever position Kafka would
//   resume from (the group's committed offset, the earliest offset, a batch fetched before the
//   seek) is never trusted.
// - A record below the state's offset was counted already and is skipped; a record above it
//   means the records in between are gone (compaction, retention): they count as lost (A3), as
//   do records below the partition's log start offset (skipGone).
// - Each record is judged once (A4); a record whose verdict needs a newer catalog stops the batch
//   there, uncounted, for the caller to read the experiment again.
// - When Kafka reports a new incarnation, states of the old one are kept aside (retired) until a
//   checkpoint has written them, and the partitions are restored again.
// - A batch is counted synchronously (offsets record by record, voice and battle sums once per
//   batch), so a snapshot taken between batches (the checkpoint writer runs between batches or
//   awaits) is always exact.
import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import {
  applyLost,
  applyRejected,
  emptyCheckpoint,
  furthest,
  snapshot,
  type InMemoryCheckpoint,
} from '../ratings/checkpoint.ts';
import { RatingTally } from '../ratings/rating-tally.ts';
import { foldLeastRated } from '../ratings/status-limits.ts';
import { fromStored } from '../ratings/stored-checkpoint.ts';
import type { Verdict } from '../ratings/judge.ts';

export interface KafkaRecord {
  /** Kafka offsets are int64 strings; they fit a double far beyond any realistic topic. */
  readonly offset: string;
  readonly value: Buffer | null;
  readonly timestamp?: string;
  readonly headers?: Readonly<Record<string, unknown>>;
}

export interface Rejection {
  readonly offset: number;
  readonly reason: string;
}

export interface BatchResult {
  counted: number;
  rejected: Rejection[];
  /** Records skipped because an earlier read of this partition had counted them already. */
  skipped: number;
  /** Records found missing (offset gaps) in this batch. */
  lost: number;
  /** Ratings counted by their producer's stamp though this consumer's catalog refuses them. */
  byStamp: number;
  /** The first record left uncounted because its verdict needs a newer catalog. */
  pending?: { offset: number; reason: string };
}

export type Judge = (record: KafkaRecord) => Verdict;

/** How far a partition has been counted. */
export interface Position {
  partition: number;
  offset: number;
}

/** What a written checkpoint covered: the records of one incarnation of a partition below an offset. */
export type WrittenCheckpoint = Pick<InMemoryCheckpoint, 'partition' | 'topicId' | 'offset'>;

export class OwnedPartitions {
  private assignment = new Set<number>();
  private readonly states = new Map<number, InMemoryCheckpoint>();
  private readonly restored = new Set<number>();
  /** States of an incarnation Kafka no longer serves, kept until a checkpoint wrote them. */
  private retired: InMemoryCheckpoint[] = [];

  /**
   * A new group generation with these partitions. Every one must be restored again (Kafka
   * resumes from the group offset, not from our state); states of revoked partitions are
   * dropped, those of partitions kept are remembered for the restore.
   */
  assign(partitions: readonly number[]): { revoked: number[] } {
    const next = new Set(partitions);
    const revoked = [...this.assignment].filter((p) => !next.has(p));
    for (const p of revoked) this.states.delete(p);
    this.assignment = next;
    this.restored.clear();
    return { revoked };
  }

  get assigned(): number[] {
    return [...this.assignment].sort((a, b) => a - b);
  }

  needsRestore(partition: number): boolean {
    return !this.restored.has(partition);
  }

  /** The incarnation a restored partition is counted in. */
  topicIdOf(partition: number): string | undefined {
    return this.restored.has(partition) ? this.states.get(partition)?.topicId : undefined;
  }

  /**
   * Restores a partition of incarnation `topicId` from its stored checkpoint (undefined: none
   * yet) and returns the offset to seek to. A stored checkpoint of another incarnation is not
   * resumed from. Throws for a partition not assigned in this generation.
   */
  restore(partition: number, topicId: string, stored: PartitionCheckpoint | undefined): number {
    if (!this.assignment.has(partition)) {
      throw new Error(`partition ${partition} is not assigned to this consumer`);
    }
    // Checkpoints from before topic IDs were recorded are taken as the current incarnation's (A2).
    const sameIncarnation = stored !== undefined && (stored.topicId ?? topicId) === topicId;
    const fromStatus = sameIncarnation ? fromStored(stored) : emptyCheckpoint(partition, topicId);
    fromStatus.topicId = topicId;
    let held = this.states.get(partition);
    if (held !== undefined && held.topicId !== topicId) {
      this.retire(held);
      held = undefined;
    }
    const state = held === undefined ? fromStatus : furthest(held, fromStatus);
    this.states.set(partition, state);
    this.restored.add(partition);
    return state.offset;
  }

  /**
   * Kafka now serves incarnation `topicId`: partitions counted in another one are retired and
   * must be restored again. Returns the partitions affected.
   */
  observeIncarnation(topicId: string): number[] {
    const changed: number[] = [];
    for (const partition of this.assigned) {
      const state = this.states.get(partition);
      if (state === undefined || state.topicId === topicId) continue;
      this.retire(state);
      this.states.delete(partition);
      this.restored.delete(partition);
      changed.push(partition);
    }
    return changed;
  }

  /**
   * Records of a restored partition below `logStart` are gone (retention, a truncated log):
   * counts those not yet counted as lost. Returns how many.
   */
  skipGone(partition: number, logStart: number): number {
    const state = this.restored.has(partition) ? this.states.get(partition) : undefined;
    return state === undefined ? 0 : applyLost(state, logStart);
  }

  /** Counts the records of a batch of a restored partition, in offset order. */
  count(partition: number, records: readonly KafkaRecord[], judge: Judge): BatchResult {
    const state = this.restored.has(partition) ? this.states.get(partition) : undefined;
    if (state === undefined) throw new Error(`partition ${partition} was not restored before counting`);
    const result: BatchResult = { counted: 0, rejected: [], skipped: 0, lost: 0, byStamp: 0 };
    const tally = new RatingTally();
    // The offset moves record by record; the tally reaches the checkpoint before anyone can read
    // it (this loop does not yield), even when judging a record throws.
    try {
      for (const record of records) {
        const offset = Number(record.offset);
        if (offset < state.offset) {
          result.skipped++;
          continue;
        }
        const verdict = judge(record);
        if (verdict.kind === 'refresh') {
          result.pending = { offset, reason: verdict.reason };
          break;
        }
        result.lost += applyLost(state, offset);
        if (verdict.kind === 'count') {
          tally.add(verdict.rating);
          state.offset = offset + 1;
          result.counted++;
          if (verdict.byStamp) result.byStamp++;
        } else {
          applyRejected(state, offset + 1);
          result.rejected.push({ offset, reason: verdict.reason });
        }
      }
    } finally {
      tally.addTo(state);
    }
    return result;
  }

  /**
   * Copies of the checkpoints to write: the partitions assigned now, and retired states not yet
   * written. Voices beyond the status's limits are folded first, keeping `catalog`'s (A5).
   */
  checkpoints(catalog: ReadonlySet<string> = new Set()): InMemoryCheckpoint[] {
    const current = this.assigned.flatMap((p) => {
      const state = this.states.get(p);
      return state === undefined ? [] : [state];
    });
    return [...this.retired, ...current].map((state) => {
      foldLeastRated(state, catalog);
      return snapshot(state);
    });
  }

  /** How far each restored partition assigned now has been counted (no copies: cheap per batch). */
  positions(): Position[] {
    return this.assigned.flatMap((partition) => {
      const state = this.restored.has(partition) ? this.states.get(partition) : undefined;
      return state === undefined ? [] : [{ partition, offset: state.offset }];
    });
  }

  /** A checkpoint wrote these retired states: they need not be written again. */
  written(checkpoints: readonly WrittenCheckpoint[]): void {
    this.retired = this.retired.filter((state) => !checkpoints.some((cp) => covers(cp, state)));
  }

  private retire(state: InMemoryCheckpoint): void {
    if (state.topicId !== undefined) this.retired.push(state);
  }
}

/** Whether written checkpoint `a` holds everything of state `b`. */
function covers(a: WrittenCheckpoint, b: InMemoryCheckpoint): boolean {
  return a.partition === b.partition && a.topicId === b.topicId && a.offset >= b.offset;
}
