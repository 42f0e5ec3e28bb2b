// Per-partition checkpoints: the totals of every record of a partition below an offset.
//
// Why merging by "higher offset wins" keeps the totals exact (DESIGN.md section 5):
// a checkpoint (p, offset N, sums, counts, rejected) is *exact* when it covers precisely the
// records of partition p at offsets below N, each once. An empty checkpoint at offset 0 is exact.
// A consumer only ever starts counting p from an exact checkpoint (restored from the status, or
// empty) and then applies records in offset order, each once, moving N past each one; so every
// checkpoint it holds is exact, whoever else counts p at the same time. Two exact checkpoints of
// the same partition differ only in how far they got, so keeping the one with the higher offset
// keeps an exact one that has counted strictly more. Offsets never move backwards, duplicated or
// reordered merges change nothing, and a stale consumer that lost p can only offer an exact
// checkpoint that is behind (ignored) or ahead (still exact). Summing exact checkpoints over all
// partitions gives exact totals: that is computeTotals in totals.ts.
import type { PartitionCheckpoint as StoredCheckpoint } from '../api/v1alpha1.ts';

/** A checkpoint with every field present (the stored form leaves empty maps out). */
export type PartitionCheckpoint = Required<StoredCheckpoint>;

/** What a valid rating contributes: its value, added to both voices of the battle. */
export interface Scored {
  readonly voices: readonly string[];
  readonly rating: number;
}

export function emptyCheckpoint(partition: number, offset = 0): PartitionCheckpoint {
  return { partition, offset, sums: {}, counts: {}, rejected: 0 };
}

/** A stored checkpoint with its optional fields filled in, as a copy the caller may mutate. */
export function fromStored(stored: StoredCheckpoint): PartitionCheckpoint {
  return {
    partition: stored.partition,
    offset: stored.offset,
    sums: { ...stored.sums },
    counts: { ...stored.counts },
    rejected: stored.rejected ?? 0,
  };
}

/**
 * Counts a valid rating read at `nextOffset - 1`. Mutates `cp` in place: this runs for every
 * record, and copying the maps each time would cost more than the counting.
 */
export function applyRating(cp: PartitionCheckpoint, rating: Scored, nextOffset: number): void {
  for (const voice of rating.voices) {
    cp.sums[voice] = (cp.sums[voice] ?? 0) + rating.rating;
    cp.counts[voice] = (cp.counts[voice] ?? 0) + 1;
  }
  cp.offset = nextOffset;
}

/** Counts an invalid record read at `nextOffset - 1`. Mutates `cp` in place. */
export function applyRejected(cp: PartitionCheckpoint, nextOffset: number): void {
  cp.rejected += 1;
  cp.offset = nextOffset;
}

/** Of two checkpoints of one partition, the one that has counted further. */
export function furthest<T extends StoredCheckpoint>(a: T, b: T): T {
  return b.offset > a.offset ? b : a;
}

/**
 * Merges this consumer's checkpoints into the stored ones, per partition keeping the higher
 * offset, so that a checkpoint never moves backwards. The result is sorted by partition; stored
 * entries that are kept are returned as they were.
 */
export function mergeCheckpoints(
  current: readonly StoredCheckpoint[],
  mine: readonly StoredCheckpoint[],
): StoredCheckpoint[] {
  const byPartition = new Map<number, StoredCheckpoint>();
  for (const cp of [...current, ...mine]) {
    const seen = byPartition.get(cp.partition);
    byPartition.set(cp.partition, seen === undefined ? cp : furthest(seen, cp));
  }
  return [...byPartition.values()].sort((a, b) => a.partition - b.partition);
}

/** A snapshot of `cp` that later counting cannot change, for writing while counting goes on. */
export function snapshot(cp: PartitionCheckpoint): PartitionCheckpoint {
  return { ...cp, sums: { ...cp.sums }, counts: { ...cp.counts } };
}
