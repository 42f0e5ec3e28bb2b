import { catalogFromSpec } from '../ratings/catalog.ts';
import { parseRecord, encodeRating, createRating } from '../ratings/rating.ts';
import { randomSubmission, SIMULATED_RESEARCHERS } from './generator.ts';

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
