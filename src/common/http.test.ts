import { Registry } from 'prom-client';
import { pino } from 'pino';
import { startHttpServer, type HttpServer } from './http.ts';

describe('startHttpServer', () => {
  let server: HttpServer;
  let notReady: string | undefined = 'not connected';
  const base = (): string => `http://127.0.0.1:${server.port}`;

  beforeAll(async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ test: 'yes' });
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
      registry,
      notReadyReason: () => notReady,
      routes: (app) => {
        app.post('/echo', (req, res) => {
          res.json(req.body);
        });
      },
    });
  });
  afterAll(() => server.close());

  it('answers /healthz regardless of readiness', async () => {
    const res = await fetch(`${base()}/healthz`);
    expect(res.status).toBe(200);
  });

  it('reports why it is not ready, then ready', async () => {
    notReady = 'not connected';
    let res = await fetch(`${base()}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('not connected');
    notReady = undefined;
    res = await fetch(`${base()}/readyz`);
    expect(res.status).toBe(200);
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${base()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
  });

  it('answers malformed JSON with 400 and a reason', async () => {
    const res = await fetch(`${base()}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"battle":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'request body is not valid JSON' });
  });

  it('answers oversized bodies with 413', async () => {
    const res = await fetch(`${base()}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it('passes well-formed JSON to routes', async () => {
    const res = await fetch(`${base()}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(await res.json()).toEqual({ a: 1 });
  });
});
