import { pino } from 'pino';
import { startHttpServer, type HttpServer } from '../common/http.ts';
import { LoadShedder, shedEarly } from './shedding.ts';

describe('LoadShedder', () => {
  it('admits up to the bound, sheds past it, and admits again once ratings settle', () => {
    let shed = 0;
    const shedder = new LoadShedder({ maxPending: 3, retryAfterSeconds: 1, onShed: () => shed++ });
    expect([shedder.tryAdmit(1), shedder.tryAdmit(1), shedder.tryAdmit(1)]).toEqual([true, true, true]);
    expect(shedder.tryAdmit(1)).toBe(false);
    expect(shed).toBe(1);
    expect(shedder.pending).toBe(3);
    shedder.release(1);
    expect(shedder.tryAdmit(1)).toBe(true);
    expect(shedder.tryAdmit(1)).toBe(false);
    expect(shed).toBe(2);
  });

  it('counts ratings, not requests: a submission that does not fit whole is shed whole', () => {
    const shedder = new LoadShedder({ maxPending: 10, retryAfterSeconds: 1 });
    expect(shedder.tryAdmit(8)).toBe(true);
    expect(shedder.tryAdmit(3)).toBe(false);
    expect(shedder.tryAdmit(2)).toBe(true);
    expect(shedder.pending).toBe(10);
  });

  it('takes a submission larger than the bound only when nothing else is pending', () => {
    const shedder = new LoadShedder({ maxPending: 10, retryAfterSeconds: 1 });
    expect(shedder.tryAdmit(1)).toBe(true);
    expect(shedder.tryAdmit(50)).toBe(false);
    shedder.release(1);
    expect(shedder.tryAdmit(50)).toBe(true);
    expect(shedder.tryAdmit(1)).toBe(false);
  });

  it('releases when the publication settles, acknowledged or failed', async () => {
    const shedder = new LoadShedder({ maxPending: 2, retryAfterSeconds: 1 });
    let ack!: () => void;
    let fail!: (err: Error) => void;
    shedder.tryAdmit(1);
    shedder.holdUntil(1, new Promise<void>((resolve) => (ack = resolve)));
    shedder.tryAdmit(1);
    shedder.holdUntil(1, new Promise<void>((_, reject) => (fail = reject)));
    expect(shedder.tryAdmit(1)).toBe(false);
    ack();
    fail(new Error('refused'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(shedder.pending).toBe(0);
  });

  it('never goes below zero', () => {
    const shedder = new LoadShedder({ maxPending: 1, retryAfterSeconds: 1 });
    shedder.release(5);
    expect(shedder.pending).toBe(0);
    expect(shedder.tryAdmit(1)).toBe(true);
  });
});

describe('shedEarly', () => {
  let server: HttpServer;
  let shed = 0;
  const single = new LoadShedder({ maxPending: 1, retryAfterSeconds: 2, onShed: () => shed++ });
  const bulk = new LoadShedder({ maxPending: 10, retryAfterSeconds: 2, onShed: () => shed++ });
  /** What reached the routes: the gate let these through. */
  const routed: string[] = [];
  const post = (path: string, body = '{not json') =>
    fetch(`http://127.0.0.1:${server.port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  beforeAll(async () => {
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      notReadyReason: () => undefined,
      gate: shedEarly({ '/api/ratings': single, '/api/ratings/bulk': bulk }),
      rawBodyRoutes: (app) => {
        app.use((req, _res, next) => {
          routed.push(`${req.method} ${req.url}`);
          next();
        });
      },
      routes: (app) => {
        app.all(['/api/ratings', '/api/ratings/bulk'], (_req, res) => {
          res.status(202).json({});
        });
      },
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    routed.length = 0;
    shed = 0;
    single.release(1_000);
    bulk.release(1_000);
  });

  it('lets requests through while their endpoint has room', async () => {
    expect((await post('/api/ratings', '{}')).status).toBe(202);
    bulk.tryAdmit(9);
    expect((await post('/api/ratings/bulk', '{}')).status).toBe(202);
    expect(routed).toEqual(['POST /api/ratings', 'POST /api/ratings/bulk']);
    expect(shed).toBe(0);
  });

  it('refuses a full endpoint before routing or reading the body: 503, Retry-After, counted', async () => {
    single.tryAdmit(1);
    for (const path of ['/api/ratings', '/API/Ratings/', '/api/ratings?x=1']) {
      const res = await post(path);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toEqual({
        error: 'overloaded: 1 ratings are waiting for Kafka; retry after 2s',
      });
    }
    expect(shed).toBe(3);
    expect(routed).toEqual([]);
    // The other endpoint, and other methods, are not this shedder's.
    expect((await post('/api/ratings/bulk', '{}')).status).toBe(202);
    expect((await fetch(`http://127.0.0.1:${server.port}/api/ratings`)).status).toBe(202);
    expect(routed).toEqual(['POST /api/ratings/bulk', 'GET /api/ratings']);
  });

  it('keeps the connection usable after refusing a request whose body it never read', async () => {
    single.tryAdmit(1);
    const big = JSON.stringify({ pad: 'x'.repeat(200_000) });
    expect((await post('/api/ratings', big)).status).toBe(503);
    single.release(1);
    expect((await post('/api/ratings', '{}')).status).toBe(202);
  });
});
