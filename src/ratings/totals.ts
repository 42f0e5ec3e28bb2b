// Per-voice totals over all partitions' checkpoints: what status.totals, the leaderboard and
// the metrics show. Exact whenever every checkpoint is (see checkpoint.ts).
import type { PartitionCheckpoint, VoiceTotal } from '../api/v1alpha1.ts';

export interface Totals {
  /** Highest sum first, ties broken by voice name so that the order is stable. */
  totals: VoiceTotal[];
  /** The voice with the highest sum; undefined before anything was counted. */
  leader: string | undefined;
  /** Valid ratings counted (each rating counts once, though it scores two voices). */
  counted: number;
  /** Records skipped as invalid. */
  rejected: number;
}

export function computeTotals(partitions: readonly PartitionCheckpoint[]): Totals {
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  let voiceCounts = 0;
  let rejected = 0;
  for (const cp of partitions) {
    for (const [voice, sum] of Object.entries(cp.sums ?? {})) sums.set(voice, (sums.get(voice) ?? 0) + sum);
    for (const [voice, count] of Object.entries(cp.counts ?? {})) {
      counts.set(voice, (counts.get(voice) ?? 0) + count);
      voiceCounts += count;
    }
    rejected += cp.rejected ?? 0;
  }
  const voices = new Set([...sums.keys(), ...counts.keys()]);
  const totals = [...voices]
    .map((voice) => {
      const sum = sums.get(voice) ?? 0;
      const count = counts.get(voice) ?? 0;
      return { voice, sum, count, mean: count === 0 ? 0 : sum / count };
    })
    .sort((a, b) => b.sum - a.sum || compareNames(a.voice, b.voice));
  // Every valid rating scores exactly two distinct voices.
  return { totals, leader: totals[0]?.voice, counted: voiceCounts / 2, rejected };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
