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
      lost: 0,
      otherVoices: { sum: 0, count: 0 },
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
    expect(computeTotals([])).toEqual({
      totals: [],
      leader: undefined,
      counted: 0,
      rejected: 0,
      lost: 0,
      otherVoices: { sum: 0, count: 0 },
    });
  });

  it('adds earlier incarnations, marks voices that left the catalog, and folds the least beyond 64', () => {
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`old-${i}`, i + 1]));
    const result = computeTotals(
      [{ partition: 0, offset: 3, sums: { a: 2, b: 2 }, counts: { a: 1, b: 1 }, lost: 2 }],
      [
        {
          topicId: 'T0',
          retiredAt: '2026-11-29T06:00:00Z',
          sums: { ...many, a: 1 },
          counts: { ...many, a: 1 },
          otherVoices: { sum: 4, count: 3 },
          rejected: 1,
          lost: 5,
        },
      ],
      new Set(['a', 'b']),
    );
    expect(result.totals).toHaveLength(64);
    expect(result.totals.filter((t) => !t.removedFromCatalog).map((t) => t.voice)).toEqual(['a', 'b']);
    expect(result.totals[0]).toEqual({
      voice: 'old-69',
      sum: 70,
      count: 70,
      mean: 1,
      removedFromCatalog: true,
    });
    // The 8 least-rated old voices (1..8) are folded with the 3 already folded.
    expect(result.otherVoices).toEqual({ sum: 4 + 36, count: 3 + 36 });
    const named = result.totals.reduce((n, t) => n + t.count, 0);
    expect(named + result.otherVoices.count).toBe(2 + 1 + 3 + (70 * 71) / 2);
    expect(result.lost).toBe(7);
    expect(result.rejected).toBe(1);
  });
});
