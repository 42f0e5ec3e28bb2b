// The consumer's HTTP face: `/` a live leaderboard with pictures (leaderboard-page.ts),
// `/api/totals` its data as JSON or CSV (totals-response.ts, totals-csv.ts), `/charts/*.svg` the
// pictures on their own (the page's script fetches them to stay live).
import type { Express, Request, Response } from 'express';
import { battlesChart, ratesChart, voicesChart } from './charts.ts';
import {
  CONTENT_SECURITY_POLICY,
  LEADERBOARD_CSS,
  LEADERBOARD_SCRIPT,
  renderLeaderboard,
  voiceFigure,
} from './leaderboard-page.ts';
import { totalsCsv } from './totals-csv.ts';
import { totalsResponse, type TotalsView } from './totals-response.ts';

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
      res.type('text/javascript').send(LEADERBOARD_SCRIPT);
    });
    // Browsers ask for it; a 404 would be an error in the page's console.
    app.get('/favicon.ico', (_req, res) => {
      res.status(204).end();
    });
    app.get('/leaderboard.css', (_req, res) => {
      res.type('text/css').send(LEADERBOARD_CSS);
    });
    app.get('/charts/voices.svg', (_req, res) => {
      const data = totalsResponse(view());
      svg(res, voicesChart(data.totals.map(voiceFigure), data.scale));
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
