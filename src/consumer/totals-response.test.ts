import { view } from './leaderboard.fixtures.ts';
import { NO_SQUARES, TOO_FEW, totalsResponse } from './totals-response.ts';

describe('totals response', () => {
  it('gives each voice its 95% interval, or says why it has none', () => {
    const rows = totalsResponse(view).totals;
    // mean 2.25, s² = (21 − 81/4)/3 = 0.25, half width t(0.975, 3)·0.5/2 = 3.1824·0.25
    expect(rows[0]!.interval!.low).toBeCloseTo(2.25 - 0.7956, 3);
    expect(rows[0]!.interval!.high).toBeCloseTo(2.25 + 0.7956, 3);
    expect(rows[0]!.interval!.method).toBe('student-t');
    // All equal: a zero-width interval.
    expect(rows[1]!.interval).toEqual({ low: 1, high: 1, method: 'student-t' });
    expect(rows[2]).toMatchObject({ interval: null, intervalMissing: TOO_FEW });
    expect(rows[3]).toMatchObject({ interval: null, intervalMissing: NO_SQUARES });
  });

  it('answers with nulls and zeros before the first checkpoint', () => {
    expect(totalsResponse({ ...view, status: undefined })).toMatchObject({
      checkpointedAt: null,
      totals: [],
      battles: [],
      otherVoices: { sum: 0, count: 0 },
      leader: null,
      counted: 0,
      rejected: 0,
      lost: 0,
      produced: null,
      lag: null,
    });
  });
});
