// What the leaderboard tests share: a view whose names would break HTML or CSV if anything were
// left unescaped, and a CSV reader to read back what is served.
import type { TotalsView } from './totals-response.ts';

export const NAMES = {
  html: '<img src=x onerror=alert(1)>',
  csv: 'Comma, "Quote"\nand a line break',
  unicode: 'Ærø 🎤 声',
};

export const view: TotalsView = {
  experiment: { namespace: 'appdev', name: 'erb' },
  status: {
    conditions: [],
    totals: [
      // Ratings 2, 2, 3, 2: squares 4+4+9+4.
      { voice: NAMES.html, sum: 9, count: 4, mean: 2.25, squares: 21 },
      { voice: NAMES.csv, sum: 3, count: 3, mean: 1, squares: 3 },
      { voice: NAMES.unicode, sum: 1, count: 1, mean: 1, squares: 1 },
      { voice: 'Joan of Arc', sum: 3, count: 2, mean: 1.5 },
    ],
    battles: [{ battle: 'Adam vs Eve, "the" rematch', sum: 5, count: 5, mean: 1 }],
    otherBattles: { sum: 1, count: 1 },
    leader: NAMES.html,
    counted: 5,
    rejected: 1,
    lost: 2,
    produced: 8,
    lag: 1,
    checkpointedAt: '2026-01-01T00:00:00.000Z',
  },
  scale: ['Hated', 'Meh', 'Liked', 'Loved'],
  rates: {
    windowMs: 600_000,
    samples: [
      { at: 1_000_000, counted: 0, produced: 0 },
      { at: 1_010_000, counted: 50, produced: 60 },
    ],
  },
  now: 1_020_000,
  pod: { name: 'erb-consumer-0', partitions: [{ partition: 0, offset: 6 }] },
};

/** RFC 4180, enough to read back what totalsCsv writes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}
