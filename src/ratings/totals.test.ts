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
      battles: [],
      otherBattles: { sum: 0, count: 0 },
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
      battles: [],
      otherBattles: { sum: 0, count: 0 },
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

  it('adds squares per voice, and has none for a voice some part counted without them (old checkpoints)', () => {
    const result = computeTotals(
      [
        { partition: 0, offset: 3, sums: { a: 4, b: 4 }, counts: { a: 2, b: 2 }, squares: { a: 8, b: 8 } },
        // Written before squares were kept: b's spread in it is unknown; c had counted nothing.
        { partition: 1, offset: 1, sums: { b: 1, c: 0 }, counts: { b: 1, c: 0 } },
        { partition: 2, offset: 1, sums: { c: 1 }, counts: { c: 1 }, squares: { c: 1 } },
      ],
      [{ topicId: 'OLD', retiredAt: 't', sums: { a: 1 }, counts: { a: 1 }, squares: { a: 1 } }],
    );
    const byVoice = new Map(result.totals.map((t) => [t.voice, t]));
    expect(byVoice.get('a')).toEqual({ voice: 'a', sum: 5, count: 3, mean: 5 / 3, squares: 9 });
    expect(byVoice.get('b')).toEqual({ voice: 'b', sum: 5, count: 3, mean: 5 / 3 });
    expect(byVoice.get('c')).toEqual({ voice: 'c', sum: 1, count: 1, mean: 1, squares: 1 });
  });

  it('sums battles over partitions and incarnations, most rated first, the rest in otherBattles', () => {
    const manyBattles = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`battle ${i}`, 1]));
    const result = computeTotals(
      [
        {
          partition: 0,
          offset: 9,
          battleSums: { 'Adam vs Eve': 4, ['__proto__']: 1 },
          battleCounts: { 'Adam vs Eve': 3, ['__proto__']: 1 },
          otherBattles: { sum: 2, count: 1 },
        },
        { partition: 1, offset: 80, battleSums: manyBattles, battleCounts: manyBattles },
      ],
      [
        {
          topicId: 'OLD',
          retiredAt: 't',
          battleSums: { 'Adam vs Eve': 2 },
          battleCounts: { 'Adam vs Eve': 2 },
        },
      ],
    );
    expect(result.battles).toHaveLength(64);
    expect(result.battles[0]).toEqual({ battle: 'Adam vs Eve', sum: 6, count: 5, mean: 1.2 });
    expect(result.battles[1]).toEqual({ battle: '__proto__', sum: 1, count: 1, mean: 1 });
    // 1 folded in partition 0, and the 71 battles of one rating each beyond the 64 named.
    const named = result.battles.reduce((n, b) => n + b.count, 0);
    expect(named + result.otherBattles.count).toBe(5 + 1 + 1 + 70);
    expect(result.otherBattles).toEqual({ sum: 2 + 8, count: 1 + 8 });
  });
});
