// The consumer's HTTP face: `/` a live leaderboard with pictures, `/api/totals` its data as JSON
// or CSV, `/charts/*.svg` the pictures on their own (the page's script fetches them to stay live).
//
// The totals are the experiment status as of this pod's last checkpoint (every pod shows the
// same merged totals, whichever partitions it owns); `pod` adds this pod's own view: the
// partitions it owns and how far it has counted each, possibly ahead of the status.
import type { Express, Request, Response } from 'express';
import type { BattleTotal, OtherBattles, OtherVoices, RatingExperimentStatus } from '../api/v1alpha1.ts';
import { escapeHtml } from '../common/html.ts';
import { INTERVAL_METHOD, meanInterval, type Interval } from '../ratings/statistics.ts';
import { battlesChart, ratesChart, voicesChart, type RateSample, type VoiceFigure } from './charts.ts';

export interface TotalsView {
  experiment: { namespace: string; name: string };
  /** The status as last read or written by this pod; undefined before the first read. */
  status: RatingExperimentStatus | undefined;
  /** The labels of the rating scale (value = index). */
  scale: readonly string[];
  /** counted and produced as the status said at recent checkpoints, oldest first. */
  rates: { windowMs: number; samples: readonly RateSample[] };
  pod: { name: string; partitions: { partition: number; offset: number }[] };
  /** ms since the epoch (for the rates chart's time axis). */
  now: number;
}

export const INTERVAL = {
  method: 'student-t',
  confidence: 0.95,
  description: INTERVAL_METHOD,
} as const;

export interface VoiceRow {
  voice: string;
  sum: number;
  count: number;
  mean: number;
  /** Sum of squared ratings; absent when part of the count was checkpointed without it. */
  squares?: number;
  removedFromCatalog?: boolean;
  interval: (Interval & { method: typeof INTERVAL.method }) | null;
  /** Why interval is null. */
  intervalMissing?: string;
}

export interface TotalsResponse {
  experiment: { namespace: string; name: string };
  source: 'status';
  checkpointedAt: string | null;
  interval: typeof INTERVAL;
  scale: readonly string[];
  totals: VoiceRow[];
  otherVoices: OtherVoices;
  battles: BattleTotal[];
  otherBattles: OtherBattles;
  leader: string | null;
  counted: number;
  rejected: number;
  lost: number;
  produced: number | null;
  lag: number | null;
  rates: { windowSeconds: number; samples: RateSample[] };
  pod: TotalsView['pod'];
}

export const NO_SQUARES =
  'spread unknown: part of the count was checkpointed before sums of squares were kept';
export const TOO_FEW = 'fewer than 2 ratings';

export function voiceRow(total: NonNullable<RatingExperimentStatus['totals']>[number]): VoiceRow {
  const row: VoiceRow = { ...total, interval: null };
  if (total.squares === undefined) {
    row.intervalMissing = total.count < 2 ? TOO_FEW : NO_SQUARES;
    return row;
  }
  const interval = meanInterval(total.count, total.sum, total.squares);
  if (interval === undefined) row.intervalMissing = TOO_FEW;
  else row.interval = { ...interval, method: INTERVAL.method };
  return row;
}

export function totalsResponse(view: TotalsView): TotalsResponse {
  const status = view.status ?? {};
  return {
    experiment: view.experiment,
    source: 'status',
    checkpointedAt: status.checkpointedAt ?? null,
    interval: INTERVAL,
    scale: view.scale,
    totals: (status.totals ?? []).map(voiceRow),
    otherVoices: status.otherVoices ?? { sum: 0, count: 0 },
    battles: status.battles ?? [],
    otherBattles: status.otherBattles ?? { sum: 0, count: 0 },
    leader: status.leader ?? null,
    counted: status.counted ?? 0,
    rejected: status.rejected ?? 0,
    lost: status.lost ?? 0,
    produced: status.produced ?? null,
    lag: status.lag ?? null,
    rates: { windowSeconds: view.rates.windowMs / 1000, samples: [...view.rates.samples] },
    pod: view.pod,
  };
}

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

/** The first render, complete without JavaScript; the script keeps it current. */
export function renderLeaderboard(view: TotalsView): string {
  const data = totalsResponse(view);
  const title = escapeHtml(`${data.experiment.namespace}/${data.experiment.name}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Leaderboard ${title}</title>
<link rel="stylesheet" href="leaderboard.css">
</head>
<body>
<h1>Leaderboard <small>${title}</small></h1>
<p id="summary">${escapeHtml(summary(data))}</p>
<p id="problems" class="${data.rejected + data.lost > 0 ? 'bad' : ''}">${escapeHtml(problems(data))}</p>
<h2>Mean rating per voice, with its 95% confidence interval</h2>
<p class="note">Ranked by mean. The bar is the ${escapeHtml(INTERVAL.description)}; the
ratings of a voice are taken as independent. Bars that overlap much mean the difference may be
noise. n is the number of ratings behind the mean; a hollow dot (○) has no interval: fewer than 2
ratings, or ratings checkpointed before sums of squares were kept.</p>
<div id="voices" class="chart">${voicesChart(data.totals.map(figure), data.scale)}</div>
<h2>Ratings per second, over up to the last ${Math.round(data.rates.windowSeconds / 60)} minutes</h2>
<p class="note">Counted: the status's counted at each checkpoint this pod saw. Produced: the topic's
end offsets (status.produced), so it includes records that are rejected.</p>
<div id="rates" class="chart">${ratesChart(data.rates.samples, view.now, data.rates.windowSeconds * 1000)}</div>
<h2>Battles</h2>
<p class="note">Ratings per battle, most rated first, with the mean rating.</p>
<div id="battles" class="chart">${battlesChart(data.battles, data.otherBattles)}</div>
<h2>Table</h2>
<table>
<thead><tr><th>#</th><th>Voice</th><th>Sum</th><th>Count</th><th>Mean</th><th>95% interval</th></tr></thead>
<tbody id="totals">${data.totals.map((t, i) => `<tr>${cells(tableRow(t, i)).join('')}</tr>`).join('')}</tbody>
</table>
<p class="note">Data: <a href="api/totals">JSON</a> · <a href="api/totals?format=csv">CSV</a></p>
<script src="leaderboard.js"></script>
</body>
</html>
`;
}

function cells(values: readonly string[]): string[] {
  return values.map((v) => `<td>${escapeHtml(v)}</td>`);
}

/** The cells of a voice in the table; leaderboard.js builds the same cells when it refreshes. */
function tableRow(t: VoiceRow, i: number): string[] {
  const interval =
    t.interval === null ? 'unknown' : `${t.interval.low.toFixed(3)} – ${t.interval.high.toFixed(3)}`;
  return [String(i + 1), t.voice, String(t.sum), String(t.count), t.mean.toFixed(3), interval];
}

function figure(t: VoiceRow): VoiceFigure {
  const f: VoiceFigure = { voice: t.voice, count: t.count, mean: t.mean, interval: t.interval };
  if (t.intervalMissing !== undefined) f.intervalMissing = t.intervalMissing;
  return f;
}

function summary(data: TotalsResponse): string {
  const parts = [`${data.counted} counted`];
  if (data.produced !== null) parts.push(`${data.produced} produced`);
  if (data.lag !== null) parts.push(`lag ${data.lag}`);
  parts.push(data.checkpointedAt === null ? 'no checkpoint yet' : `checkpoint ${data.checkpointedAt}`);
  return parts.join(' · ');
}

function problems(data: TotalsResponse): string {
  return `${data.rejected} rejected · ${data.lost} lost`;
}

const STYLE = `body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
table { border-collapse: collapse; min-width: 32rem; }
th, td { padding: .3rem .8rem; text-align: right; border-bottom: 1px solid #ddd; }
th:nth-child(2), td:nth-child(2) { text-align: left; }
#summary, .note { color: #555; }
.note { font-size: .9rem; max-width: 48rem; }
#problems { font-weight: 600; }
#problems.bad { color: #b00020; }
.chart svg { max-width: 100%; height: auto; }
`;

// Polls /api/totals and the charts. Text goes in with textContent, and the SVG is parsed as XML
// (never as HTML, never run), so a voice name is never markup. Served as a file: the page forbids
// inline scripts.
const SCRIPT = `'use strict';
const fmt = (n) => n.toFixed(3);
function summary(d) {
  const parts = [d.counted + ' counted'];
  if (d.produced !== null) parts.push(d.produced + ' produced');
  if (d.lag !== null) parts.push('lag ' + d.lag);
  parts.push(d.checkpointedAt === null ? 'no checkpoint yet' : 'checkpoint ' + d.checkpointedAt);
  return parts.join(' \\u00b7 ');
}
async function chart(id) {
  const res = await fetch('charts/' + id + '.svg', { cache: 'no-store' });
  if (!res.ok) return;
  const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
  if (doc.getElementsByTagName('parsererror').length > 0) return;
  document.getElementById(id).replaceChildren(document.importNode(doc.documentElement, true));
}
async function refresh() {
  try {
    const res = await fetch('api/totals', { cache: 'no-store' });
    if (!res.ok) return;
    const d = await res.json();
    document.getElementById('totals').replaceChildren(...d.totals.map((t, i) => {
      const tr = document.createElement('tr');
      const interval = t.interval === null ? 'unknown' : fmt(t.interval.low) + ' \\u2013 ' + fmt(t.interval.high);
      for (const v of [i + 1, t.voice, t.sum, t.count, fmt(t.mean), interval]) {
        const td = document.createElement('td');
        td.textContent = String(v);
        tr.appendChild(td);
      }
      return tr;
    }));
    document.getElementById('summary').textContent = summary(d);
    const problems = document.getElementById('problems');
    problems.textContent = d.rejected + ' rejected \\u00b7 ' + d.lost + ' lost';
    problems.className = d.rejected + d.lost > 0 ? 'bad' : '';
    await Promise.all(['voices', 'rates', 'battles'].map(chart));
    document.body.dataset.refreshed = d.checkpointedAt === null ? '' : d.checkpointedAt;
  } catch (e) { /* the next poll tries again */ }
}
setInterval(refresh, 2000);
`;

/** Strict: scripts, styles, images and fetches from this origin only, nothing inline. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TOTALS_QUERY = new Set(['format']);

/** The format /api/totals was asked for, or why the query is refused. */
export function totalsFormat(query: Request['query']): { format: 'json' | 'csv' } | { error: string } {
  for (const key of Object.keys(query)) {
    if (!TOTALS_QUERY.has(key)) return { error: `unknown query parameter ${JSON.stringify(key)}` };
  }
  const format = query.format ?? 'json';
  if (format !== 'json' && format !== 'csv') {
    return { error: 'format must be json or csv (once)' };
  }
  return { format };
}

export function leaderboardRoutes(view: () => TotalsView): (app: Express) => void {
  const svg = (res: Response, body: string) =>
    res
      .set('Cache-Control', 'no-store')
      .set('Content-Security-Policy', "default-src 'none'")
      .type('image/svg+xml')
      .send(body);
  return (app) => {
    app.get('/', (_req, res) => {
      res
        .set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
        .type('html')
        .send(renderLeaderboard(view()));
    });
    app.get('/leaderboard.js', (_req, res) => {
      res.type('text/javascript').send(SCRIPT);
    });
    // Browsers ask for it; a 404 would be an error in the page's console.
    app.get('/favicon.ico', (_req, res) => {
      res.status(204).end();
    });
    app.get('/leaderboard.css', (_req, res) => {
      res.type('text/css').send(STYLE);
    });
    app.get('/charts/voices.svg', (_req, res) => {
      const data = totalsResponse(view());
      svg(res, voicesChart(data.totals.map(figure), data.scale));
    });
    app.get('/charts/rates.svg', (_req, res) => {
      const v = view();
      svg(res, ratesChart(v.rates.samples, v.now, v.rates.windowMs));
    });
    app.get('/charts/battles.svg', (_req, res) => {
      const data = totalsResponse(view());
      svg(res, battlesChart(data.battles, data.otherBattles));
    });
    app.get('/api/totals', (req, res) => {
      const asked = totalsFormat(req.query);
      if ('error' in asked) {
        res.status(400).json({ error: asked.error });
        return;
      }
      const data = totalsResponse(view());
      res.set('Cache-Control', 'no-store');
      if (asked.format === 'json') {
        res.json(data);
        return;
      }
      const file = `${data.experiment.namespace}-${data.experiment.name}-totals.csv`;
      res
        .type('text/csv; charset=utf-8; header=present')
        .set('Content-Disposition', `attachment; filename="${file}"`)
        .send(totalsCsv(data));
    });
  };
}
