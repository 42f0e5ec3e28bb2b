import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import { emptyCheckpoint } from './checkpoint.ts';
import { applyRating, random, randomRecord, type Record_ } from './checkpoint.fixtures.ts';
import type { Counted } from './counted-parts.ts';
import { RatingTally, type Scored } from './rating-tally.ts';
import { MAX_BATTLES } from './status-limits.ts';
import { fromStored, toStored } from './stored-checkpoint.ts';

describe('RatingTally', () => {
  /** One rating at a time, written out independently of RatingTally: what a batch must equal. */
  function oneByOne(cp: Counted, { battle, voices, rating }: Scored): void {
    for (const voice of voices) {
      const count = cp.counts.get(voice) ?? 0;
      const square = cp.squares.get(voice);
      if (square !== undefined || count === 0) cp.squares.set(voice, (square ?? 0) + rating * rating);
      cp.sums.set(voice, (cp.sums.get(voice) ?? 0) + rating);
      cp.counts.set(voice, count + 1);
    }
    const battleCount = cp.battleCounts.get(battle);
    if (battleCount !== undefined || cp.battleCounts.size < MAX_BATTLES) {
      cp.battleSums.set(battle, (cp.battleSums.get(battle) ?? 0) + rating);
      cp.battleCounts.set(battle, (battleCount ?? 0) + 1);
    } else {
      cp.otherBattles.sum += rating;
      cp.otherBattles.count += 1;
    }
  }

  // From a checkpoint that already names voices without squares (A7) and most of its battles
  // (A5), over 40 battles: batches of any size end where one rating at a time ends.
  it.each(Array.from({ length: 100 }, (_, i) => i + 1))(
    'adds a batch as one rating at a time would, seed %i',
    (seed) => {
      const rand = random(seed);
      const stored: PartitionCheckpoint = {
        partition: 0,
        offset: 40,
        sums: { 'Big Bird': 7, toString: 2 },
        counts: { 'Big Bird': 5, toString: 2 },
        battleSums: Object.fromEntries(
          Array.from({ length: MAX_BATTLES - 3 }, (_, i) => [`battle ${i * 2}`, 1]),
        ),
        battleCounts: Object.fromEntries(
          Array.from({ length: MAX_BATTLES - 3 }, (_, i) => [`battle ${i * 2}`, 1]),
        ),
      };
      const ratings = Array.from({ length: 300 }, () => randomRecord(rand)).filter(
        (r): r is Exclude<Record_, 'invalid'> => r !== 'invalid',
      );
      const expected = fromStored(stored);
      ratings.forEach((r) => oneByOne(expected, r));

      const batched = fromStored(stored);
      const tally = new RatingTally();
      for (const r of ratings) {
        tally.add(r);
        if (rand() < 0.05) tally.addTo(batched);
      }
      tally.addTo(batched);
      for (const key of ['sums', 'counts', 'squares', 'battleSums', 'battleCounts'] as const) {
        expect([...batched[key]].sort()).toEqual([...expected[key]].sort());
      }
      expect(batched.squares.has('Big Bird')).toBe(false);
      expect(batched.otherBattles).toEqual(expected.otherBattles);
      expect(batched.otherBattles.count).toBeGreaterThan(0);
    },
  );

  it('is empty after adding, so that a batch is added once', () => {
    const cp = emptyCheckpoint(0, 'T1');
    const tally = new RatingTally();
    tally.add({ battle: 'b', voices: ['a', 'b'], rating: 2 });
    tally.addTo(cp);
    tally.addTo(cp);
    expect(cp.counts).toEqual(
      new Map([
        ['a', 1],
        ['b', 1],
      ]),
    );
    expect(cp.battleCounts).toEqual(new Map([['b', 1]]));
  });
});

describe('squares and battles', () => {
  it('keeps the sum of squares per voice, none for voices a checkpoint from before squares had counted', () => {
    const cp = fromStored({ partition: 0, offset: 2, sums: { old: 3 }, counts: { old: 2 } });
    applyRating(cp, { battle: 'b', voices: ['old', 'new'], rating: 2 }, 3);
    applyRating(cp, { battle: 'b', voices: ['old', 'new'], rating: 1 }, 4);
    expect(cp.squares).toEqual(new Map([['new', 5]]));
    const back = fromStored(JSON.parse(JSON.stringify(toStored(cp))) as PartitionCheckpoint);
    applyRating(back, { battle: 'b', voices: ['old', 'new'], rating: 2 }, 5);
    expect(back.squares).toEqual(new Map([['new', 9]]));
    expect(back.counts.get('old')).toBe(5);
  });

  it('names the first MAX_BATTLES battles of a checkpoint and counts the others in otherBattles', () => {
    const cp = emptyCheckpoint(0, 'T1');
    let offset = 0;
    for (let i = 0; i < MAX_BATTLES + 5; i++) {
      applyRating(cp, { battle: `battle ${i}`, voices: ['a', 'b'], rating: 2 }, ++offset);
    }
    applyRating(cp, { battle: 'battle 0', voices: ['a', 'b'], rating: 1 }, ++offset);
    applyRating(cp, { battle: `battle ${MAX_BATTLES}`, voices: ['a', 'b'], rating: 1 }, ++offset);
    expect(cp.battleCounts.size).toBe(MAX_BATTLES);
    expect(cp.battleCounts.get('battle 0')).toBe(2);
    expect(cp.battleSums.get('battle 0')).toBe(3);
    expect(cp.otherBattles).toEqual({ sum: 5 * 2 + 1, count: 6 });
  });
});
