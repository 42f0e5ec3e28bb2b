// /api/totals?format=csv: the figures as a spreadsheet reads them.
import type { TotalsResponse } from './totals-response.ts';

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
 */
export function totalsCsv(data: TotalsResponse): string {
  const rows: (string | number | null)[][] = [[...CSV_COLUMNS]];
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
  if (data.otherVoices.count > 0) {
    rows.push([
      'other-voices',
      null,
      data.otherVoices.count,
      data.otherVoices.sum,
      null,
      null,
      null,
      null,
      null,
    ]);
  }
  for (const b of data.battles)
    rows.push(['battle', b.battle, b.count, b.sum, b.mean, null, null, null, null]);
  if (data.otherBattles.count > 0) {
    rows.push([
      'other-battles',
      null,
      data.otherBattles.count,
      data.otherBattles.sum,
      null,
      null,
      null,
      null,
      null,
    ]);
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return `"${value.replace(/"/g, '""')}"`;
}
