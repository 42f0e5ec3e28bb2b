// Per-voice totals over all partitions' checkpoints and all earlier incarnations of the topic:
// what status.totals, the leaderboard and the metrics show. Exact whenever every checkpoint is
// (see checkpoint.ts).
import type {
  BattleTotal,
  OtherBattles,
  OtherVoices,
  PartitionCheckpoint,
  PreviousTopic,
  VoiceTotal,
} from '../api/v1alpha1.ts';
import { addUpParts } from './counted-parts.ts';
import { addTally, compareNames } from './named-maps.ts';
import { MAX_BATTLE_TOTALS, MAX_VOICES } from './status-limits.ts';

export interface Totals {
  /**
   * Highest sum first, ties broken by voice name so that the order is stable. Every catalog voice
   * with ratings, then the others by sum while there is room (MAX_VOICES).
   */
  totals: VoiceTotal[];
  /** The voice with the highest sum; undefined before anything was counted. */
  leader: string | undefined;
  /** Valid ratings counted (each rating counts once, though it scores two voices). */
  counted: number;
  /** Records skipped as invalid. */
  rejected: number;
  /** Records gone before they were counted. */
  lost: number;
  /** Ratings of voices that are not named in `totals` (folded, A5 of checkpoint.ts). */
  otherVoices: OtherVoices;
  /** Per-battle totals, most rated first (ties by name), at most MAX_BATTLE_TOTALS. */
  battles: BattleTotal[];
  /** Ratings of battles not named in `battles`. */
  otherBattles: OtherBattles;
}

/**
 * Totals of the current incarnation's checkpoints plus the earlier incarnations. `catalog`, the
 * voices of the current spec, marks the voices that left it and decides which keep their names
 * when there are too many; without it every voice counts as in the catalog.
 */
export function computeTotals(
  partitions: readonly PartitionCheckpoint[],
  previousTopics: readonly PreviousTopic[] = [],
  catalog?: ReadonlySet<string>,
): Totals {
  const { sums, counts, squares, other, battleSums, battleCounts, otherBattles, rejected, lost } = addUpParts(
    [...partitions, ...previousTopics],
  );
  let voiceCounts = other.count;
  for (const count of counts.values()) voiceCounts += count;

  const inCatalog = (voice: string) => catalog === undefined || catalog.has(voice);
  const all = [...new Set([...sums.keys(), ...counts.keys()])]
    .map((voice): VoiceTotal => {
      const sum = sums.get(voice) ?? 0;
      const count = counts.get(voice) ?? 0;
      const total: VoiceTotal = { voice, sum, count, mean: count === 0 ? 0 : sum / count };
      const square = squares.get(voice);
      // Absent when some part counted the voice before squares were kept (A7 of checkpoint.ts).
      if (square !== undefined) total.squares = square;
      if (!inCatalog(voice)) total.removedFromCatalog = true;
      return total;
    })
    .sort(bySum);
  const named = all.filter((t) => inCatalog(t.voice));
  for (const t of all) {
    if (inCatalog(t.voice)) continue;
    if (named.length < MAX_VOICES) named.push(t);
    else addTally(other, t);
  }
  named.sort(bySum);
  const battles = [...battleCounts]
    .map(([battle, count]): BattleTotal => {
      const sum = battleSums.get(battle) ?? 0;
      return { battle, sum, count, mean: count === 0 ? 0 : sum / count };
    })
    .sort((a, b) => b.count - a.count || compareNames(a.battle, b.battle));
  for (const t of battles.splice(MAX_BATTLE_TOTALS)) addTally(otherBattles, t);
  // Every valid rating scores exactly two distinct voices.
  return {
    totals: named,
    leader: named[0]?.voice,
    counted: voiceCounts / 2,
    rejected,
    lost,
    otherVoices: other,
    battles,
    otherBattles,
  };
}

function bySum(a: VoiceTotal, b: VoiceTotal): number {
  return b.sum - a.sum || compareNames(a.voice, b.voice);
}
