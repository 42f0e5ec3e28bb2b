// What this consumer counts, partition by partition: no I/O, so that the rules that make the
// totals exact are tested directly (see src/ratings/checkpoint.ts for the argument).
//
// - A partition is counted only after it was restored in the current group generation: its
//   state becomes the further of what this process already holds and the stored checkpoint,
//   and the caller seeks the consumer to that offset. Whatever position Kafka would resume from
//   (the group's committed offset, the earliest offset, a batch fetched before the seek) is
//   never trusted.
// - A record below the state's offset was counted already and is skipped; every other record
//   is counted once and moves the offset past it. Offsets may skip ahead (control records,
//   compaction, retention): there is nothing to count in a gap.
// - State is updated record by record, synchronously, so a snapshot taken between two records
//   (the checkpoint writer runs between batches or awaits) is always exact.
import type { PartitionCheckpoint as StoredCheckpoint } from '../api/v1alpha1.ts';
import type { ParseResult } from '../ratings/rating.ts';
import {
  applyRating,
  applyRejected,
  emptyCheckpoint,
  fromStored,
  furthest,
  snapshot,
  type PartitionCheckpoint,
} from '../ratings/checkpoint.ts';

export interface KafkaRecord {
  /** Kafka offsets are int64 strings; they fit a double far beyond any realistic topic. */
  readonly offset: string;
  readonly value: Buffer | null;
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
}

export class OwnedPartitions {
  private assignment = new Set<number>();
  private readonly states = new Map<number, PartitionCheckpoint>();
  private readonly restored = new Set<number>();

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

  /**
   * Restores a partition from its stored checkpoint (undefined: none yet, start from 0) and
   * returns the offset to seek to. Throws for a partition not assigned in this generation.
   */
  restore(partition: number, stored: StoredCheckpoint | undefined): number {
    if (!this.assignment.has(partition)) {
      throw new Error(`partition ${partition} is not assigned to this consumer`);
    }
    const fromStatus = stored === undefined ? emptyCheckpoint(partition) : fromStored(stored);
    const held = this.states.get(partition);
    const state = held === undefined ? fromStatus : furthest(held, fromStatus);
    this.states.set(partition, state);
    this.restored.add(partition);
    return state.offset;
  }

  /** Counts the records of a batch of a restored partition, in offset order. */
  count(
    partition: number,
    records: readonly KafkaRecord[],
    parse: (value: Buffer | null) => ParseResult,
  ): BatchResult {
    const state = this.restored.has(partition) ? this.states.get(partition) : undefined;
    if (state === undefined) throw new Error(`partition ${partition} was not restored before counting`);
    const result: BatchResult = { counted: 0, rejected: [], skipped: 0 };
    for (const record of records) {
      const offset = Number(record.offset);
      if (offset < state.offset) {
        result.skipped++;
        continue;
      }
      const parsed = parse(record.value);
      if (parsed.ok) {
        applyRating(state, parsed.rating, offset + 1);
        result.counted++;
      } else {
        applyRejected(state, offset + 1);
        result.rejected.push({ offset, reason: parsed.reason });
      }
    }
    return result;
  }

  /** Copies of the checkpoints of the partitions assigned now, safe to write while counting goes on. */
  checkpoints(): PartitionCheckpoint[] {
    return this.assigned.flatMap((p) => {
      const state = this.states.get(p);
      return state === undefined ? [] : [snapshot(state)];
    });
  }
}
