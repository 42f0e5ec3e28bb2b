// What several parts counted, added up: stored checkpoints and retired incarnations, field by
// field, nothing folded. The one place where counts of several parts are summed (retirement in
// previous-topics.ts, status totals in totals.ts).
import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import { addSquares, addTally, mapFromRecord, type Tally } from './named-maps.ts';

/** What checkpoints have counted, in memory: the part that adds up across partitions. */
export interface Counted {
  sums: Map<string, number>;
  counts: Map<string, number>;
  /** Per-voice sums of squared ratings; a voice counted but absent has no known spread (A7). */
  squares: Map<string, number>;
  /** Ratings of voices folded out of the maps (A5). */
  other: Tally;
  battleSums: Map<string, number>;
  battleCounts: Map<string, number>;
  /** Ratings of battles beyond the MAX_BATTLES named (A5). */
  otherBattles: Tally;
  rejected: number;
  lost: number;
}

export function nothingCounted(): Counted {
  return {
    sums: new Map(),
    counts: new Map(),
    squares: new Map(),
    other: { sum: 0, count: 0 },
    battleSums: new Map(),
    battleCounts: new Map(),
    otherBattles: { sum: 0, count: 0 },
    rejected: 0,
    lost: 0,
  };
}

/** The stored fields of a part that hold voices and battles (status.partitions[], previousTopics[]). */
export const PART_KEYS = [
  'sums',
  'counts',
  'squares',
  'otherVoices',
  'battleSums',
  'battleCounts',
  'otherBattles',
] as const;
export type StoredParts = Pick<PartitionCheckpoint, (typeof PART_KEYS)[number]>;

/**
 * Stored checkpoints and retired incarnations added up field by field, nothing folded. A voice
 * some part counted without a square has none in the sum (A7).
 */
export function addUpParts(
  parts: Iterable<StoredParts & Pick<PartitionCheckpoint, 'rejected' | 'lost'>>,
): Counted {
  const total = nothingCounted();
  const unknownSquares = new Set<string>();
  for (const part of parts) {
    const partCounts = mapFromRecord(part.counts);
    addTo(total.sums, mapFromRecord(part.sums));
    addTo(total.counts, partCounts);
    addSquares(total.squares, unknownSquares, partCounts, mapFromRecord(part.squares));
    addTally(total.other, part.otherVoices);
    addTo(total.battleSums, mapFromRecord(part.battleSums));
    addTo(total.battleCounts, mapFromRecord(part.battleCounts));
    addTally(total.otherBattles, part.otherBattles);
    total.rejected += part.rejected ?? 0;
    total.lost += part.lost ?? 0;
  }
  return total;
}

function addTo(into: Map<string, number>, add: ReadonlyMap<string, number>): void {
  for (const [key, value] of add) into.set(key, (into.get(key) ?? 0) + value);
}
