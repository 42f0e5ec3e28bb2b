// Counting a batch at once: the valid ratings of one batch, added up per voice and per battle
// before they reach a checkpoint.
import type { Counted } from './counted-parts.ts';
import type { Tally } from './named-maps.ts';
import { MAX_BATTLES } from './status-limits.ts';

/** What a valid rating contributes: its value, added to both voices of the battle and to the battle. */
export interface Scored {
  readonly battle: string;
  readonly voices: readonly string[];
  readonly rating: number;
}

/**
 * The valid ratings of one batch, added up per voice and per battle before they reach a
 * checkpoint: one map lookup per voice instead of six (the per-record cost of counting).
 * `addTo` gives the checkpoint exactly what adding the ratings one at a time would have: the
 * rules that depend on what a checkpoint already holds (a voice without a square stays without
 * one, A7; the first MAX_BATTLES battles are named, A5) are decided per voice and per battle on
 * the checkpoint, and battles are added in the order they were first seen. Sums are of integers
 * (scale indices), so adding them in another grouping gives the same totals.
 */
export class RatingTally {
  private readonly voices = new Map<string, { sum: number; count: number; squares: number }>();
  private readonly battles = new Map<string, Tally>();

  add(rating: Scored): void {
    const value = rating.rating;
    for (const voice of rating.voices) {
      const tally = this.voices.get(voice);
      if (tally === undefined) this.voices.set(voice, { sum: value, count: 1, squares: value * value });
      else {
        tally.sum += value;
        tally.count += 1;
        tally.squares += value * value;
      }
    }
    const battle = this.battles.get(rating.battle);
    if (battle === undefined) this.battles.set(rating.battle, { sum: value, count: 1 });
    else {
      battle.sum += value;
      battle.count += 1;
    }
  }

  /** Adds what was tallied to `cp` and empties the tally. Offsets are the caller's. */
  addTo(cp: Counted): void {
    for (const [voice, tally] of this.voices) {
      const count = cp.counts.get(voice) ?? 0;
      const square = cp.squares.get(voice);
      // A voice counted before squares were kept stays without one (A7).
      if (square !== undefined || count === 0) cp.squares.set(voice, (square ?? 0) + tally.squares);
      cp.sums.set(voice, (cp.sums.get(voice) ?? 0) + tally.sum);
      cp.counts.set(voice, count + tally.count);
    }
    for (const [battle, tally] of this.battles) {
      const count = cp.battleCounts.get(battle);
      if (count !== undefined || cp.battleCounts.size < MAX_BATTLES) {
        cp.battleSums.set(battle, (cp.battleSums.get(battle) ?? 0) + tally.sum);
        cp.battleCounts.set(battle, (count ?? 0) + tally.count);
      } else {
        cp.otherBattles.sum += tally.sum;
        cp.otherBattles.count += tally.count;
      }
    }
    this.voices.clear();
    this.battles.clear();
  }
}
