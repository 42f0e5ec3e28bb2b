import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { startProbeServer, type HttpServer } from './probe-server.ts';

describe('startProbeServer', () => {
  let server: HttpServer;
  let plain: HttpServer;
  let notReady: string | undefined;
  const registry = new Registry();
  new Counter({ name: 'probe_test_total', help: 'a counter', registers: [registry] }).inc(3);

  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    server = await startProbeServer({ port: 0, host: '127.0.0.1', logger, notReadyReason: () => notReady });
    plain = await startProbeServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      registry,
      notReadyReason: () => undefined,
    });
  });
  afterAll(async () => {
    await server.close();
    await plain.close();
  });

  const url = (s: HttpServer, path: string): string => `http://127.0.0.1:${s.port}${path}`;

  it('answers /healthz whether ready or not', async () => {
    notReady = 'informers not synced';
    const res = await fetch(url(server, '/healthz'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  it('answers /readyz with 503 and the reason, then 200 once ready', async () => {
    notReady = 'informers not synced';
    let res = await fetch(url(server, '/readyz?verbose'));
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('not ready: informers not synced\n');
    notReady = undefined;
    res = await fetch(url(server, '/readyz'));
    expect(res.status).toBe(200);
  });

  it('serves /metrics only when given a registry', async () => {
    const res = await fetch(url(plain, '/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    expect(await res.text()).toContain('probe_test_total 3');
    expect((await fetch(url(server, '/metrics'))).status).toBe(404);
  });

  it('answers HEAD without a body', async () => {
    const res = await fetch(url(server, '/healthz'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('answers 404, naming what it serves, for other paths and methods', async () => {
    const other = await fetch(url(plain, '/api/ratings'));
    expect(other.status).toBe(404);
    expect(await other.text()).toBe('not found: only /healthz, /readyz and /metrics are served here\n');
    expect((await fetch(url(server, '/healthz'), { method: 'POST' })).status).toBe(404);
  });
});

// The controller runs on node:http alone: express costs it ~6 MiB resident (bench/README.md).
it('keeps express out of the controller', () => {
  const main = fileURLToPath(new URL('../controller/main.ts', import.meta.url));
  const loaded = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module';
       await import(${JSON.stringify(main)});
       const cache = Object.keys(createRequire(import.meta.url).cache);
       process.stdout.write(JSON.stringify(cache.filter((f) => f.includes('/node_modules/express/'))));`,
    ],
    { encoding: 'utf8' },
  );
  expect(JSON.parse(loaded)).toEqual([]);
});
