import { jest } from '@jest/globals';
import { pino } from 'pino';
import { catalogFromSpec } from '../ratings/catalog.ts';
import { parseRecord, encodeRating, createRating } from '../ratings/rating.ts';
import { RatingGenerator, randomSubmission, SIMULATED_RESEARCHERS } from './generator.ts';

const catalog = catalogFromSpec({
  voices: ['a', 'b', 'c'],
  battles: ['x', 'y'],
  scale: ['Hated', 'Meh', 'Liked'],
});

/** A deterministic sequence of random numbers in [0, 1). */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('randomSubmission', () => {
  it('maps the random draws onto battle, voices, rating and researcher', () => {
    // battle: 0.99 → y; first voice: 0 → a; second among the others: 0.99 → c; rating 0.5 → 1; researcher 0 → sim-1
    expect(randomSubmission(catalog, sequence(0, 0.99, 0.99, 0.5, 0))).toEqual({
      battle: 'y',
      voices: ['a', 'c'],
      rating: 1,
      researcher: 'sim-1',
    });
  });

  it('never pairs a voice with itself, even when both draws are equal', () => {
    for (const r of [0, 0.34, 0.5, 0.67, 0.999]) {
      const { voices } = randomSubmission(catalog, () => r);
      expect(voices[0]).not.toBe(voices[1]);
    }
  });

  it('produces only valid ratings, covering every voice, battle, value and researcher', () => {
    const seen = {
      voices: new Set<string>(),
      battles: new Set<string>(),
      ratings: new Set<number>(),
      researchers: new Set<string>(),
    };
    for (let i = 0; i < 5000; i++) {
      const submission = randomSubmission(catalog);
      expect(parseRecord(encodeRating(createRating(submission)), catalog).ok).toBe(true);
      submission.voices.forEach((v) => seen.voices.add(v));
      seen.battles.add(submission.battle);
      seen.ratings.add(submission.rating);
      seen.researchers.add(submission.researcher);
    }
    expect(seen.voices.size).toBe(3);
    expect(seen.battles.size).toBe(2);
    expect(seen.ratings.size).toBe(3);
    expect(seen.researchers.size).toBe(SIMULATED_RESEARCHERS);
  });
});

describe('RatingGenerator', () => {
  afterEach(() => jest.useRealTimers());

  it('generates at the rate and reports, not hides, what it skips when the pipeline falls behind', async () => {
    jest.useFakeTimers();
    let published = 0;
    let stalls = 1;
    let skipped = 0;
    const generator = new RatingGenerator({
      ratePerSecond: 1000,
      catalog: () => catalog,
      logger: pino({ level: 'silent' }),
      maxOutstanding: 1,
      // The first chunk waits 3 s for its acknowledgement (a broker that stalls), the others none.
      publish: async (ratings) => {
        if (stalls-- > 0) await new Promise((resolve) => setTimeout(resolve, 3000));
        published += ratings.length;
      },
      onSkipped: (n) => {
        skipped += n;
      },
    });
    generator.start();
    await jest.advanceTimersByTimeAsync(10_000);
    await generator.stop();
    // 10 s at 1,000/s: the stall held back 3 s, of which the pacer keeps 1 s; the other 2 s are
    // reported as skipped, and every rating due is either published or skipped.
    expect(skipped).toBeGreaterThanOrEqual(1900);
    expect(skipped).toBeLessThanOrEqual(2100);
    expect(published + skipped).toBeGreaterThanOrEqual(9900);
    expect(published + skipped).toBeLessThanOrEqual(10_000);
  });

  it('skips nothing while the pipeline keeps up', async () => {
    jest.useFakeTimers();
    let published = 0;
    const onSkipped = jest.fn();
    const generator = new RatingGenerator({
      ratePerSecond: 500,
      catalog: () => catalog,
      logger: pino({ level: 'silent' }),
      publish: async (ratings) => {
        published += ratings.length;
      },
      onSkipped,
    });
    generator.start();
    await jest.advanceTimersByTimeAsync(5_000);
    await generator.stop();
    expect(onSkipped).not.toHaveBeenCalled();
    expect(published).toBeGreaterThanOrEqual(2490);
  });
});
