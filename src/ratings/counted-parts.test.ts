import { addUpParts } from './counted-parts.ts';

// The per-part accumulation that retirement (previous-topics.ts) and computeTotals (totals.ts) share.
describe('addUpParts', () => {
  it('adds every field of every part, and drops the square of a voice some part counted without one', () => {
    const total = addUpParts([
      {
        sums: { a: 4, b: 4, ['__proto__']: 1 },
        counts: { a: 2, b: 2, ['__proto__']: 1 },
        squares: { a: 8, b: 8, ['__proto__']: 1 },
        otherVoices: { sum: 3, count: 2 },
        battleSums: { 'Adam vs Eve': 4 },
        battleCounts: { 'Adam vs Eve': 3 },
        otherBattles: { sum: 2, count: 1 },
        rejected: 1,
      },
      { sums: { b: 1 }, counts: { b: 1 }, lost: 2 },
      {
        sums: { a: 1, b: 2 },
        counts: { a: 1, b: 1 },
        squares: { a: 1, b: 4 },
        battleSums: { 'Adam vs Eve': 2, 'Cleopatra vs Marilyn': 5 },
        battleCounts: { 'Adam vs Eve': 2, 'Cleopatra vs Marilyn': 2 },
        otherBattles: { sum: 1, count: 1 },
        rejected: 2,
        lost: 3,
      },
    ]);
    expect(total).toEqual({
      sums: new Map([
        ['a', 5],
        ['b', 7],
        ['__proto__', 1],
      ]),
      counts: new Map([
        ['a', 3],
        ['b', 4],
        ['__proto__', 1],
      ]),
      squares: new Map([
        ['a', 9],
        ['__proto__', 1],
      ]),
      other: { sum: 3, count: 2 },
      battleSums: new Map([
        ['Adam vs Eve', 6],
        ['Cleopatra vs Marilyn', 5],
      ]),
      battleCounts: new Map([
        ['Adam vs Eve', 5],
        ['Cleopatra vs Marilyn', 2],
      ]),
      otherBattles: { sum: 3, count: 2 },
      rejected: 3,
      lost: 5,
    });
  });
});
