// What the status can hold (A5 of checkpoint.ts): the CRD's caps on the per-voice and per-battle
// maps and on the list of earlier incarnations, and how a map beyond its cap is folded.
import { compareNames, type Tally } from './named-maps.ts';

/** Per-voice maps hold at most this many voices (the CRD's maxProperties). */
export const MAX_VOICES = 64;
/** Per-battle maps of a checkpoint hold at most this many battles (the CRD's maxProperties). */
export const MAX_BATTLES = 32;
/** status.battles names at most this many battles (the CRD's maxItems); the rest are otherBattles. */
export const MAX_BATTLE_TOTALS = 64;
/** status.previousTopics holds at most this many incarnations (the CRD's maxItems). */
export const MAX_PREVIOUS_TOPICS = 32;

/** Sums and counts by name, the tally of the names folded out of them, and squares for voices. */
export interface FoldableMaps {
  sums: Map<string, number>;
  counts: Map<string, number>;
  other: Tally;
  squares?: Map<string, number>;
}

/**
 * Folds the names outside `keep` with the fewest ratings into `other` until at most `max` are
 * named (A5); their squares are dropped (A7). Voices by default; battle maps fold the same way
 * with MAX_BATTLES. Mutates `maps`; returns the names folded.
 */
export function foldLeastRated(maps: FoldableMaps, keep: ReadonlySet<string>, max = MAX_VOICES): string[] {
  const names = new Set([...maps.sums.keys(), ...maps.counts.keys()]);
  if (names.size <= max) return [];
  const candidates = [...names]
    .filter((name) => !keep.has(name))
    .sort((a, b) => (maps.counts.get(a) ?? 0) - (maps.counts.get(b) ?? 0) || compareNames(a, b));
  const folded = candidates.slice(0, names.size - max);
  for (const name of folded) {
    maps.other.sum += maps.sums.get(name) ?? 0;
    maps.other.count += maps.counts.get(name) ?? 0;
    maps.sums.delete(name);
    maps.counts.delete(name);
    maps.squares?.delete(name);
  }
  return folded;
}
