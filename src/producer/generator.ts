// Simulated researchers: random ratings from the catalog at the experiment's rate.
import type { Catalog } from '../ratings/catalog.ts';
import { createRating, type Rating, type Submission } from '../ratings/rating.ts';
import type { Logger } from '../common/logger.ts';
import { Pacer } from './pacer.ts';

const SKIP_WARNING_INTERVAL_MS = 60_000;

/** Number of simulated researchers, named sim-1 … sim-N. */
export const SIMULATED_RESEARCHERS = 10;

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;

/** A random battle, two distinct random voices, a random rating, a simulated researcher. */
export function randomSubmission(catalog: Catalog, random: () => number = Math.random): Submission {
  const voices = catalog.voices;
  const first = Math.floor(random() * voices.length);
  // Draw the second among the others, so the pair is distinct without retrying.
  const second = (first + 1 + Math.floor(random() * (voices.length - 1))) % voices.length;
  return {
    battle: pick(catalog.battles, random),
    voices: [voices[first]!, voices[second]!],
    rating: Math.floor(random() * catalog.scale.length),
    researcher: `sim-${1 + Math.floor(random() * SIMULATED_RESEARCHERS)}`,
  };
}

/** `n` random ratings, all taken in at the same moment (one clock reading per chunk). */
export function generateRatings(catalog: Catalog, n: number, random: () => number = Math.random): Rating[] {
  const ratedAt = new Date().toISOString();
  const ratings = new Array<Rating>(n);
  for (let i = 0; i < n; i++)
    ratings[i] = createRating(randomSubmission(catalog, random), undefined, ratedAt);
  return ratings;
}

export interface GeneratorOptions {
  ratePerSecond: number;
  catalog: () => Catalog;
  /** Resolves when the ratings were acknowledged; failures are the publisher's to report. */
  publish: (ratings: Rating[], catalog: Catalog) => Promise<void>;
  logger: Logger;
  /** Ratings are generated in chunks at most this often, so that high rates batch well. */
  tickMs?: number;
  /** Largest chunk, bounding the work of one turn of the event loop. */
  maxChunk?: number;
  /** Chunks with the broker at once; the pacer holds back the rest (at most a second's worth). */
  maxOutstanding?: number;
  /** Ratings due at the rate but skipped: the pipeline fell more than a second behind. */
  onSkipped?: (ratings: number) => void;
}

/** Runs until stopped; `setRate` takes effect at once, 0 pauses it. */
export class RatingGenerator {
  private readonly options: Required<Omit<GeneratorOptions, 'ratePerSecond' | 'onSkipped'>> &
    Pick<GeneratorOptions, 'onSkipped'>;
  private readonly pacer: Pacer;
  private readonly outstanding = new Set<Promise<void>>();
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private warnedAt = -Infinity;

  constructor(options: GeneratorOptions) {
    this.options = { tickMs: 20, maxChunk: 10_000, maxOutstanding: 2, ...options };
    this.pacer = new Pacer(options.ratePerSecond, Date.now());
  }

  get ratePerSecond(): number {
    return this.pacer.ratePerSecond;
  }

  start(): void {
    this.loop ??= this.run();
  }

  setRate(ratePerSecond: number): void {
    if (ratePerSecond === this.pacer.ratePerSecond) return;
    this.options.logger.info({ from: this.pacer.ratePerSecond, to: ratePerSecond }, 'generator rate changed');
    this.pacer.setRate(ratePerSecond, Date.now());
    this.wake?.();
  }

  /** Stops generating and waits for the chunks already handed to the publisher. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { tickMs, maxChunk, maxOutstanding, onSkipped } = this.options;
    this.pacer.resume(Date.now());
    let skipped = 0;
    while (!this.stopped) {
      const wait = Math.max(tickMs, this.pacer.msUntilNext(Date.now()));
      await this.sleep(wait);
      if (this.stopped) break;
      const n = this.pacer.take(Date.now(), maxChunk);
      if (this.pacer.skipped > skipped) {
        onSkipped?.(this.pacer.skipped - skipped);
        skipped = this.pacer.skipped;
        this.warnSkipped(skipped);
      }
      if (n === 0) continue;
      const catalog = this.options.catalog();
      const ratings = generateRatings(catalog, n);
      const sent = this.options.publish(ratings, catalog).catch(() => undefined);
      this.outstanding.add(sent);
      void sent.finally(() => this.outstanding.delete(sent));
      if (this.outstanding.size >= maxOutstanding) await Promise.race(this.outstanding);
    }
    await Promise.all(this.outstanding);
  }

  /** At most once a minute: ratings due that the pipeline could not take are not silently lost. */
  private warnSkipped(total: number): void {
    const now = Date.now();
    if (now - this.warnedAt < SKIP_WARNING_INTERVAL_MS) return;
    this.warnedAt = now;
    this.options.logger.warn(
      { ratePerSecond: this.pacer.ratePerSecond, skippedSoFar: total },
      'the pipeline cannot keep up with the rate: ratings due were skipped',
    );
  }

  /** Sleeps `ms` (forever for Infinity) unless woken by a rate change or stop. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      if (Number.isFinite(ms)) timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
