import { NAMES, parseCsv, view } from './leaderboard.fixtures.ts';
import { totalsCsv } from './totals-csv.ts';
import { TOO_FEW, totalsResponse } from './totals-response.ts';

describe('totals as CSV', () => {
  it('exports CSV that reads back to the same names and figures', () => {
    const data = totalsResponse(view);
    const rows = parseCsv(totalsCsv(data));
    expect(rows[0]).toEqual([
      'kind',
      'name',
      'count',
      'sum',
      'mean',
      'ci95_low',
      'ci95_high',
      'ci_method',
      'note',
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([
      ['voice', NAMES.html, '4'],
      ['voice', NAMES.csv, '3'],
      ['voice', NAMES.unicode, '1'],
      ['voice', 'Joan of Arc', '2'],
      ['battle', 'Adam vs Eve, "the" rematch', '5'],
      ['other-battles', '', '1'],
    ]);
    expect(Number(rows[1]![5])).toBe(data.totals[0]!.interval!.low);
    expect(rows[1]![7]).toBe('student-t');
    expect(rows[3]!.slice(5)).toEqual(['', '', '', TOO_FEW]);
    expect(rows.every((r) => r.length === 9)).toBe(true);
  });

  it('gives the ratings of unnamed voices and battles a row each, after the named ones', () => {
    const status = { ...view.status!, otherVoices: { sum: 3, count: 2 } };
    const rows = parseCsv(totalsCsv(totalsResponse({ ...view, status })));
    expect(rows.map((r) => r[0])).toEqual([
      'kind',
      'voice',
      'voice',
      'voice',
      'voice',
      'other-voices',
      'battle',
      'other-battles',
    ]);
    expect(rows[5]).toEqual(['other-voices', '', '2', '3', '', '', '', '', '']);
    expect(rows[7]).toEqual(['other-battles', '', '1', '1', '', '', '', '', '']);
  });
});
