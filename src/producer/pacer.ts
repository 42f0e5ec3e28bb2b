// A token bucket: how many ratings are due at a given rate. Pure, the clock is passed in.

export class Pacer {
  private rate: number;
  private tokens = 0;
  /** Ratings due that the burst cap dropped: the taker fell more than a burst behind. */
  private dropped = 0;
  private last: number;
  private readonly burstSeconds: number;

  /** `burstSeconds` caps the catch-up after a stall, so a slow broker is not then flooded. */
  constructor(ratePerSecond: number, now: number, burstSeconds = 1) {
    this.rate = Math.max(0, ratePerSecond);
    this.last = now;
    this.burstSeconds = burstSeconds;
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  setRate(ratePerSecond: number, now: number): void {
    this.refill(now);
    this.rate = Math.max(0, ratePerSecond);
    this.tokens = this.rate === 0 ? 0 : Math.min(this.tokens, this.capacity());
  }

  /** Whole ratings that fell due but were dropped because the taker was more than a burst behind. */
  get skipped(): number {
    return Math.floor(this.dropped + 1e-9);
  }

  /** Starts counting from `now`, as if the ratings due before had been taken (after a pause of the taker). */
  resume(now: number): void {
    this.last = now;
    this.tokens = 0;
  }

  /** Takes the whole ratings due now, at most `max`. */
  take(now: number, max: number): number {
    this.refill(now);
    // The epsilon absorbs float drift: 100 steps of 0.03 tokens must make 3 whole ratings.
    const n = Math.min(Math.floor(this.tokens + 1e-9), max);
    this.tokens -= n;
    return n;
  }

  /** Milliseconds until at least one rating is due; Infinity at rate 0. */
  msUntilNext(now: number): number {
    this.refill(now);
    if (this.rate === 0) return Infinity;
    if (this.tokens + 1e-9 >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  private capacity(): number {
    return Math.max(1, this.rate * this.burstSeconds);
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    const due = this.tokens + (this.rate * elapsed) / 1000;
    this.tokens = Math.min(this.capacity(), due);
    this.dropped += due - this.tokens;
  }
}
