// Ratings per second for the leaderboard: what the status said (counted, produced) each time this
// consumer wrote or read it at a checkpoint, kept for a few minutes. The status's figures are the
// whole experiment's (every consumer's checkpoints merged; produced is the topic's end offsets),
// so every consumer pod draws the same rates, whichever partitions it owns.
import type { RatingExperimentStatus } from '../api/v1alpha1.ts';
import type { RateSample } from './charts.ts';

export const RATE_WINDOW_MS = 10 * 60_000;

export class RateHistory {
  readonly windowMs: number;
  private list: RateSample[] = [];

  constructor(windowMs = RATE_WINDOW_MS) {
    this.windowMs = windowMs;
  }

  record(status: RatingExperimentStatus, at: number): void {
    this.list.push({ at, counted: status.counted ?? 0, produced: status.produced ?? null });
    // Keep one sample older than the window, so that the first rate inside it can be drawn.
    const firstInside = this.list.findIndex((s) => s.at >= at - this.windowMs);
    if (firstInside > 1) this.list = this.list.slice(firstInside - 1);
  }

  samples(): RateSample[] {
    return [...this.list];
  }
}
