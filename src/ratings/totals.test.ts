import { computeTotals } from './totals.ts';

describe('computeTotals', () => {
  it('sums every partition per voice, sorted by sum then name, with the mean', () => {
    const result = computeTotals([
      {
        partition: 0,
        offset: 4,
        sums: { 'Big Bird': 2, 'Macho Man': 2, 'Joan of Arc': 1 },
        counts: { 'Big Bird': 1, 'Macho Man': 2, 'Joan of Arc': 1 },
        rejected: 1,
      },
      {
        partition: 1,
        offset: 3,
        sums: { 'Joan of Arc': 3, 'Santa Claus': 3 },
        counts: { 'Joan of Arc': 2, 'Santa Claus': 2 },
        rejected: 1,
      },
    ]);
    expect(result).toEqual({
      totals: [
        { voice: 'Joan of Arc', sum: 4, count: 3, mean: 4 / 3 },
        { voice: 'Santa Claus', sum: 3, count: 2, mean: 1.5 },
        { voice: 'Big Bird', sum: 2, count: 1, mean: 2 },
        { voice: 'Macho Man', sum: 2, count: 2, mean: 1 },
      ],
      leader: 'Joan of Arc',
      counted: 4,
      rejected: 2,
    });
  });

  it('reports a mean of 0, not NaN, for a voice only ever rated 0, and accepts stored gaps', () => {
    const result = computeTotals([
      { partition: 0, offset: 1, sums: { a: 0, b: 0 }, counts: { a: 1, b: 1 } },
      { partition: 1, offset: 2, rejected: 2 },
    ]);
    expect(result.totals).toEqual([
      { voice: 'a', sum: 0, count: 1, mean: 0 },
      { voice: 'b', sum: 0, count: 1, mean: 0 },
    ]);
    expect(result.counted).toBe(1);
    expect(result.rejected).toBe(2);
  });

  it('has no leader before anything was counted', () => {
    expect(computeTotals([])).toEqual({ totals: [], leader: undefined, counted: 0, rejected: 0 });
  });
});
