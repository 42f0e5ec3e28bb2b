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

  describe('formula names', () => {
    // Names a spreadsheet would run as formulas if a cell began with them.
    const FORMULAS = ['=HYPERLINK("http://x","x")', '+SUM(1)', '-2+3', '@cmd', '\t=1', '\r=1'];

    const withVoices = (voices: string[]) => ({
      ...view,
      status: {
        ...view.status!,
        totals: voices.map((voice) => ({ voice, sum: 1, count: 2, mean: 0.5, squares: 1 })),
        battles: voices.map((battle) => ({ battle, sum: 1, count: 1, mean: 1 })),
        otherBattles: { sum: 0, count: 0 },
      },
    });

    it('neutralises text cells a spreadsheet would run: a single quote first, inside the quotes', () => {
      const csv = totalsCsv(totalsResponse(withVoices(FORMULAS)));
      for (const name of FORMULAS) {
        expect(csv).toContain(`"voice","'${name.replace(/"/g, '""')}",`);
        expect(csv).toContain(`"battle","'${name.replace(/"/g, '""')}",`);
      }
      const names = parseCsv(csv)
        .slice(1)
        .map((r) => r[1]!);
      expect(names.every((n) => n.startsWith("'"))).toBe(true);
      expect(names.map((n) => n.slice(1))).toEqual([...FORMULAS, ...FORMULAS]);
    });

    it('quotes a name that begins with a quote too, so that dropping one leading quote reads any name back', () => {
      const names = ["'=1", "'Twas", 'plain', 'a=b', 'mid-dle'];
      const rows = parseCsv(totalsCsv(totalsResponse(withVoices(names))));
      expect(rows.slice(1, 6).map((r) => r[1])).toEqual(["''=1", "''Twas", 'plain', 'a=b', 'mid-dle']);
      const readBack = rows.slice(1, 6).map((r) => r[1]!.replace(/^'/, ''));
      expect(readBack).toEqual(names);
    });

    it('keeps numbers as numbers: a negative interval bound is not a formula', () => {
      const data = totalsResponse(withVoices(['Joan of Arc']));
      const low = data.totals[0]!.interval!.low;
      expect(low).toBeLessThan(0);
      const row = parseCsv(totalsCsv(data))[1]!;
      expect(row[5]).toBe(String(low));
      expect(totalsCsv(data)).toContain(`,${String(low)},`);
    });
  });
});
