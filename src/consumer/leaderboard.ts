// The consumer's HTTP face: `/` a live leaderboard, `/api/totals` its data as JSON.
//
// The totals are the experiment status as of this pod's last checkpoint (every pod shows the
// same merged totals, whichever partitions it owns); `pod` adds this pod's own view: the
// partitions it owns and how far it has counted each, possibly ahead of the status.
import type { Express } from 'express';
import type { RatingExperimentStatus, VoiceTotal } from '../api/v1alpha1.ts';
import { escapeHtml } from '../common/html.ts';

export interface TotalsView {
  experiment: { namespace: string; name: string };
  /** The status as last read or written by this pod; undefined before the first read. */
  status: RatingExperimentStatus | undefined;
  pod: { name: string; partitions: { partition: number; offset: number }[] };
}

export interface TotalsResponse {
  experiment: { namespace: string; name: string };
  source: 'status';
  checkpointedAt: string | null;
  totals: VoiceTotal[];
  leader: string | null;
  counted: number;
  rejected: number;
  produced: number | null;
  lag: number | null;
  pod: TotalsView['pod'];
}

export function totalsResponse(view: TotalsView): TotalsResponse {
  const status = view.status ?? {};
  return {
    experiment: view.experiment,
    source: 'status',
    checkpointedAt: status.checkpointedAt ?? null,
    totals: status.totals ?? [],
    leader: status.leader ?? null,
    counted: status.counted ?? 0,
    rejected: status.rejected ?? 0,
    produced: status.produced ?? null,
    lag: status.lag ?? null,
    pod: view.pod,
  };
}

/** The first render, complete without JavaScript; the script keeps it current. */
export function renderLeaderboard(view: TotalsView): string {
  const data = totalsResponse(view);
  const title = escapeHtml(`${data.experiment.namespace}/${data.experiment.name}`);
  const rows = data.totals
    .map(
      (t, i) =>
        `<tr><td>${i + 1}</td><td>${escapeHtml(t.voice)}</td><td>${t.sum}</td><td>${t.count}</td><td>${t.mean.toFixed(3)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Leaderboard ${title}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; }
table { border-collapse: collapse; min-width: 32rem; }
th, td { padding: .3rem .8rem; text-align: right; border-bottom: 1px solid #ddd; }
th:nth-child(2), td:nth-child(2) { text-align: left; }
#summary { color: #555; }
</style>
</head>
<body>
<h1>Leaderboard <small>${title}</small></h1>
<p id="summary">${escapeHtml(summary(data))}</p>
<table>
<thead><tr><th>#</th><th>Voice</th><th>Sum</th><th>Count</th><th>Mean</th></tr></thead>
<tbody id="totals">${rows}</tbody>
</table>
<script src="leaderboard.js"></script>
</body>
</html>
`;
}

function summary(data: TotalsResponse): string {
  const parts = [`${data.counted} counted`, `${data.rejected} rejected`];
  if (data.produced !== null) parts.push(`${data.produced} produced`);
  if (data.lag !== null) parts.push(`lag ${data.lag}`);
  parts.push(data.checkpointedAt === null ? 'no checkpoint yet' : `checkpoint ${data.checkpointedAt}`);
  return parts.join(' · ');
}

// Polls /api/totals and rebuilds the rows with textContent, so a voice name is never parsed as
// HTML. Served as a file rather than inline so that the page can forbid inline scripts.
const SCRIPT = `'use strict';
const summary = (d) => [d.counted + ' counted', d.rejected + ' rejected']
  .concat(d.produced === null ? [] : [d.produced + ' produced'], d.lag === null ? [] : ['lag ' + d.lag])
  .concat([d.checkpointedAt === null ? 'no checkpoint yet' : 'checkpoint ' + d.checkpointedAt]).join(' \\u00b7 ');
async function refresh() {
  try {
    const res = await fetch('api/totals', { cache: 'no-store' });
    if (!res.ok) return;
    const d = await res.json();
    const body = document.getElementById('totals');
    body.replaceChildren(...d.totals.map((t, i) => {
      const tr = document.createElement('tr');
      for (const v of [i + 1, t.voice, t.sum, t.count, t.mean.toFixed(3)]) {
        const td = document.createElement('td');
        td.textContent = String(v);
        tr.appendChild(td);
      }
      return tr;
    }));
    document.getElementById('summary').textContent = summary(d);
  } catch (e) { /* the next poll tries again */ }
}
setInterval(refresh, 2000);
`;

export function leaderboardRoutes(view: () => TotalsView): (app: Express) => void {
  return (app) => {
    app.get('/', (_req, res) => {
      res
        .set('Content-Security-Policy', "default-src 'self'; style-src 'unsafe-inline'")
        .type('html')
        .send(renderLeaderboard(view()));
    });
    app.get('/leaderboard.js', (_req, res) => {
      res.type('text/javascript').send(SCRIPT);
    });
    app.get('/api/totals', (_req, res) => {
      res.set('Cache-Control', 'no-store').json(totalsResponse(view()));
    });
  };
}
