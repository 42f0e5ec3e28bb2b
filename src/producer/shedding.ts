// Load shedding for the HTTP intake: a bound on the ratings taken in but not yet acknowledged by
// Kafka. Past the bound a request is answered at once with 503 and Retry-After instead of
// queueing behind the others: the queue, and with it the latency of the ratings accepted and the
// memory they hold, stays bounded whatever the number of clients.
import type { Response } from 'express';

export interface ShedderOptions {
  /** Ratings admitted and not yet settled (acknowledged or failed), at most. */
  maxPending: number;
  /** What a shed request is told to wait before retrying. */
  retryAfterSeconds: number;
  /** Called for every shed request (a metric). */
  onShed?: () => void;
}

export class LoadShedder {
  private pendingRatings = 0;
  private readonly options: ShedderOptions;

  constructor(options: ShedderOptions) {
    this.options = options;
  }

  get pending(): number {
    return this.pendingRatings;
  }

  get maxPending(): number {
    return this.options.maxPending;
  }

  /**
   * Takes in `ratings` if they fit under the bound; false (and counted as shed) otherwise. A
   * submission larger than the bound on its own is taken in only when nothing else is pending,
   * so that it waits for an idle moment instead of being refused for ever.
   */
  tryAdmit(ratings: number): boolean {
    const fits = this.pendingRatings + ratings <= this.options.maxPending || this.pendingRatings === 0;
    if (!fits) {
      this.options.onShed?.();
      return false;
    }
    this.pendingRatings += ratings;
    return true;
  }

  /** Gives back what `tryAdmit` took, once those ratings are acknowledged or failed. */
  release(ratings: number): void {
    this.pendingRatings = Math.max(0, this.pendingRatings - ratings);
  }

  /** Releases `ratings` when `settled` settles, whichever way. */
  holdUntil(ratings: number, settled: Promise<unknown>): void {
    settled.then(
      () => this.release(ratings),
      () => this.release(ratings),
    );
  }

  /** The answer to a shed request. */
  refuse(res: Response): void {
    res
      .status(503)
      .set('Retry-After', String(this.options.retryAfterSeconds))
      .json({
        error: `overloaded: ${this.options.maxPending} ratings are waiting for Kafka; retry after ${this.options.retryAfterSeconds}s`,
      });
  }
}
