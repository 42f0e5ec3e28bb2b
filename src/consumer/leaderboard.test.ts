import { Registry } from 'prom-client';
import { pino } from 'pino';
import { startHttpServer, type HttpServer } from '../common/http.ts';
import { CONTENT_SECURITY_POLICY } from './leaderboard-page.ts';
import { leaderboardRoutes } from './leaderboard.ts';
import { NAMES, parseCsv, view } from './leaderboard.fixtures.ts';
import { totalsResponse } from './totals-response.ts';

describe('leaderboard', () => {
  describe('over HTTP', () => {
    let server: HttpServer;
    const base = (): string => `http://127.0.0.1:${server.port}`;
    beforeAll(async () => {
      server = await startHttpServer({
        port: 0,
        host: '127.0.0.1',
        logger: pino({ level: 'silent' }),
        registry: new Registry(),
        notReadyReason: () => undefined,
        routes: leaderboardRoutes(() => view),
      });
    });
    afterAll(() => server.close());

    it('serves the page under a strict CSP, and its script, style and charts from this origin', async () => {
      const res = await fetch(`${base()}/`);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toBe(CONTENT_SECURITY_POLICY);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe');
      const script = await fetch(`${base()}/leaderboard.js`);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      expect(await script.text()).toContain('textContent');
      expect((await fetch(`${base()}/leaderboard.css`)).headers.get('content-type')).toMatch(/text\/css/);
      for (const chart of ['voices', 'rates', 'battles']) {
        const svg = await fetch(`${base()}/charts/${chart}.svg`);
        expect(svg.headers.get('content-type')).toMatch(/image\/svg\+xml/);
        expect(await svg.text()).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      }
    });

    it('serves /api/totals as JSON, uncached', async () => {
      const res = await fetch(`${base()}/api/totals`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(totalsResponse(view))));
      expect((await fetch(`${base()}/api/totals?format=json`)).status).toBe(200);
    });

    it('serves ?format=csv as text/csv with a header row', async () => {
      const res = await fetch(`${base()}/api/totals?format=csv`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="appdev-erb-totals.csv"');
      const rows = parseCsv(await res.text());
      expect(rows[0]![0]).toBe('kind');
      expect(rows.map((r) => r[1])).toContain(NAMES.unicode);
    });

    it.each(['format=xml', 'format=csv&format=json', 'format=', 'formt=csv', 'format[a]=csv'])(
      'refuses ?%s with 400 and a reason',
      async (query) => {
        const res = await fetch(`${base()}/api/totals?${query}`);
        expect(res.status).toBe(400);
        expect((await res.json()) as { error: string }).toEqual({
          error: expect.stringMatching(/format|query/),
        });
      },
    );
  });
});
