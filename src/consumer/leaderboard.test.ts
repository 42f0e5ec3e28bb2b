import { Registry } from 'prom-client';
import { pino } from 'pino';
import { startHttpServer, type HttpServer } from '../common/http.ts';
import {
  CONTENT_SECURITY_POLICY,
  leaderboardRoutes,
  NO_SQUARES,
  renderLeaderboard,
  TOO_FEW,
  totalsCsv,
  totalsResponse,
  type TotalsView,
} from './leaderboard.ts';

const NAMES = {
  html: '<img src=x onerror=alert(1)>',
  csv: 'Comma, "Quote"\nand a line break',
  unicode: 'Ærø 🎤 声',
};

const view: TotalsView = {
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
function parseCsv(text: string): string[][] {
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

describe('leaderboard', () => {
  it('gives each voice its 95% interval, or says why it has none', () => {
    const rows = totalsResponse(view).totals;
    // mean 2.25, s² = (21 − 81/4)/3 = 0.25, half width t(0.975, 3)·0.5/2 = 3.1824·0.25
    expect(rows[0]!.interval!.low).toBeCloseTo(2.25 - 0.7956, 3);
    expect(rows[0]!.interval!.high).toBeCloseTo(2.25 + 0.7956, 3);
    expect(rows[0]!.interval!.method).toBe('student-t');
    // All equal: a zero-width interval.
    expect(rows[1]!.interval).toEqual({ low: 1, high: 1, method: 'student-t' });
    expect(rows[2]).toMatchObject({ interval: null, intervalMissing: TOO_FEW });
    expect(rows[3]).toMatchObject({ interval: null, intervalMissing: NO_SQUARES });
  });

  it('renders a page with the charts, the method and every name escaped, nothing inline to run', () => {
    const html = renderLeaderboard(view);
    expect(html).not.toContain('<img');
    expect(html).toContain('<td>&lt;img src=x onerror=alert(1)&gt;</td><td>9</td><td>4</td><td>2.250</td>');
    expect(html).toContain('5 counted · 8 produced · lag 1');
    expect(html).toContain('1 rejected · 2 lost');
    expect(html).toContain('Student t 95% interval of the mean');
    expect(html.match(/<g class="voice"/g)).toHaveLength(4);
    expect(html.match(/<g class="battle"/g)).toHaveLength(1);
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).toContain('<script src="leaderboard.js"></script>');
    expect(html).not.toMatch(/<style| style=| on[a-z]+="/i);
  });

  it('exports CSV that reads back to the same names and figures', () => {
    const data = totalsResponse(view);
    const rows = parseCsv(totalsCsv(data));
    expect(rows[0]).toEqual([
      'kind',
      'name',
      'count',
      'sum',
      'mean',
      'ci95_low',
      'ci95_high',
      'ci_method',
      'note',
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual([
      ['voice', NAMES.html, '4'],
      ['voice', NAMES.csv, '3'],
      ['voice', NAMES.unicode, '1'],
      ['voice', 'Joan of Arc', '2'],
      ['battle', 'Adam vs Eve, "the" rematch', '5'],
      ['other-battles', '', '1'],
    ]);
    expect(Number(rows[1]![5])).toBe(data.totals[0]!.interval!.low);
    expect(rows[1]![7]).toBe('student-t');
    expect(rows[3]!.slice(5)).toEqual(['', '', '', TOO_FEW]);
    expect(rows.every((r) => r.length === 9)).toBe(true);
  });

  it('answers with nulls and zeros before the first checkpoint', () => {
    expect(totalsResponse({ ...view, status: undefined })).toMatchObject({
      checkpointedAt: null,
      totals: [],
      battles: [],
      otherVoices: { sum: 0, count: 0 },
      leader: null,
      counted: 0,
      rejected: 0,
      lost: 0,
      produced: null,
      lag: null,
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
