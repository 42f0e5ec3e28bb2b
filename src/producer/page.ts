// The producer's home page: the latest ratings, as the original demo showed them.
import type { Catalog } from '../ratings/catalog.ts';
import type { Rating } from '../ratings/rating.ts';
import { escapeHtml } from '../common/html.ts';

/** The last `capacity` ratings, newest first. */
export class RecentRatings {
  private readonly items: Rating[] = [];
  private readonly capacity: number;

  constructor(capacity = 50) {
    this.capacity = capacity;
  }

  add(ratings: readonly Rating[]): void {
    const start = Math.max(0, ratings.length - this.capacity);
    for (let i = start; i < ratings.length; i++) this.items.unshift(ratings[i]!);
    if (this.items.length > this.capacity) this.items.length = this.capacity;
  }

  list(): readonly Rating[] {
    return this.items;
  }
}

export interface PageModel {
  experiment: string;
  ratePerSecond: number;
  catalog: Catalog;
  ratings: readonly Rating[];
}

/** Every value is escaped: battle and voice names come from users (the spec and HTTP). */
export function renderRecentRatingsPage({ experiment, ratePerSecond, catalog, ratings }: PageModel): string {
  const rows = ratings
    .map((r) => {
      const label = catalog.scale[r.rating] ?? String(r.rating);
      const cells = [r.battle, r.voices[0], r.voices[1], label]
        .map((v) => `<td>${escapeHtml(v)}</td>`)
        .join('');
      return `<tr>${cells}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>Ratings: ${escapeHtml(experiment)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style>
</head>
<body>
<h1>Recent ratings: ${escapeHtml(experiment)}</h1>
<p>Simulated researchers: ${ratePerSecond} ratings/s. Post real ones to <code>/api/ratings</code>.</p>
<table>
<thead><tr><th>Battle</th><th>Voice 1</th><th>Voice 2</th><th>Rating</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
