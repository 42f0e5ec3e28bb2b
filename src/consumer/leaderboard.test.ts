import { Registry } from 'prom-client';
import { pino } from 'pino';
import { startHttpServer, type HttpServer } from '../common/http.ts';
import { leaderboardRoutes, renderLeaderboard, totalsResponse, type TotalsView } from './leaderboard.ts';

const view: TotalsView = {
  experiment: { namespace: 'appdev', name: 'erb' },
  status: {
    conditions: [],
    totals: [
      { voice: '<img src=x onerror=alert(1)>', sum: 9, count: 4, mean: 2.25 },
      { voice: 'Joan of Arc', sum: 3, count: 3, mean: 1 },
    ],
    leader: '<img src=x onerror=alert(1)>',
    counted: 4,
    rejected: 1,
    produced: 6,
    lag: 1,
    checkpointedAt: '2026-01-01T00:00:00.000Z',
  },
  pod: { name: 'erb-consumer-0', partitions: [{ partition: 0, offset: 6 }] },
};

describe('leaderboard', () => {
  it('renders the totals with voices escaped', () => {
    const html = renderLeaderboard(view);
    expect(html).not.toContain('<img');
    expect(html).toContain('<td>&lt;img src=x onerror=alert(1)&gt;</td><td>9</td><td>4</td><td>2.250</td>');
    expect(html).toContain('4 counted · 1 rejected · 6 produced · lag 1');
  });

  it('answers with nulls and zeros before the first checkpoint', () => {
    expect(totalsResponse({ ...view, status: undefined })).toEqual({
      experiment: view.experiment,
      source: 'status',
      checkpointedAt: null,
      totals: [],
      leader: null,
      counted: 0,
      rejected: 0,
      produced: null,
      lag: null,
      pod: view.pod,
    });
  });

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

    it('serves the page, with inline scripts forbidden', async () => {
      const res = await fetch(`${base()}/`);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await res.text()).toContain('<script src="leaderboard.js"></script>');
      const script = await fetch(`${base()}/leaderboard.js`);
      expect(await script.text()).toContain('textContent');
    });

    it('serves /api/totals as JSON, uncached', async () => {
      const res = await fetch(`${base()}/api/totals`);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual(totalsResponse(view));
    });
  });
});
