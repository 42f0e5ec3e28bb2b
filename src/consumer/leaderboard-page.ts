// The leaderboard page: its first render, complete without JavaScript, and the style and script
// it loads from this origin (nothing inline, CONTENT_SECURITY_POLICY).
import { escapeHtml } from '../common/html.ts';
import { battlesChart, ratesChart, voicesChart, type VoiceFigure } from './charts.ts';
import {
  INTERVAL,
  totalsResponse,
  type TotalsResponse,
  type TotalsView,
  type VoiceRow,
} from './totals-response.ts';

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
<div id="voices" class="chart">${voicesChart(data.totals.map(voiceFigure), data.scale)}</div>
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

/** What the voices chart draws of a voice. */
export function voiceFigure(t: VoiceRow): VoiceFigure {
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

export const LEADERBOARD_CSS = `body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
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
export const LEADERBOARD_SCRIPT = `'use strict';
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
