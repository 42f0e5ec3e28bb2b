// /api/totals?format=csv: the figures as a spreadsheet reads them.
import type { TotalsResponse } from './totals-response.ts';

type CsvRow = (string | number | null)[];

const CSV_COLUMNS = [
  'kind',
  'name',
  'count',
  'sum',
  'mean',
  'ci95_low',
  'ci95_high',
  'ci_method',
  'note',
] as const;

/**
 * The figures of /api/totals as CSV (RFC 4180): a header row, then one row per voice, per battle,
 * and for the ratings not attributed to a named voice or battle. Text fields are always quoted,
 * quotes doubled, so any name (commas, quotes, line breaks, any Unicode) survives a round trip.
 * Text that a spreadsheet would run as a formula is neutralised (see FORMULA_START).
 */
export function totalsCsv(data: TotalsResponse): string {
  const rows: CsvRow[] = [[...CSV_COLUMNS]];
  for (const t of data.totals) {
    rows.push([
      'voice',
      t.voice,
      t.count,
      t.sum,
      t.mean,
      t.interval?.low ?? null,
      t.interval?.high ?? null,
      t.interval === null ? null : t.interval.method,
      t.intervalMissing ?? (t.removedFromCatalog === true ? 'removed from catalog' : null),
    ]);
  }
  rows.push(...unattributed('other-voices', data.otherVoices));
  for (const b of data.battles)
    rows.push(['battle', b.battle, b.count, b.sum, b.mean, null, null, null, null]);
  rows.push(...unattributed('other-battles', data.otherBattles));
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** The row of the ratings not attributed to a named voice or battle; none when there are none. */
function unattributed(kind: string, tally: { sum: number; count: number }): CsvRow[] {
  return tally.count > 0 ? [[kind, null, tally.count, tally.sum, null, null, null, null, null]] : [];
}

/**
 * OWASP's rule against CSV injection: a text cell beginning with `=`, `+`, `-`, `@`, a tab or a
 * carriage return gets a leading `'`, so that spreadsheets read it as text. A cell beginning with
 * `'` gets one too, so that dropping one leading `'` gives back every name, whatever it began with.
 * Numbers are written as numbers: a negative interval bound is not a formula.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

function csvField(value: CsvRow[number]): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${text.replace(/"/g, '""')}"`;
}
