import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.ts';

export interface HttpServerOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** Served on /metrics; undefined when metrics are served elsewhere (the controller's HTTPS port). */
  registry?: Registry;
  /** undefined when ready, otherwise why not (served as 503 on /readyz). */
  notReadyReason: () => string | undefined;
  /** Mode-specific routes, mounted before the error handler. */
  routes?: (app: Express) => void;
  /** Routes that read their own bodies, mounted before the JSON parser and its 64 KiB limit. */
  rawBodyRoutes?: (app: Express) => void;
  /**
   * Sees every request before the app (routing, body parsing, authentication); true when it has
   * answered it. For refusals that must cost next to nothing, such as load shedding.
   */
  gate?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The HTTP face every mode shares: /healthz (the process is alive), /readyz (it can do its
 * job), /metrics (Prometheus), JSON bodies up to 64 KiB with malformed ones answered 400.
 */
export function createApp(options: Omit<HttpServerOptions, 'port' | 'host'>): Express {
  const { logger, registry, notReadyReason, routes, rawBodyRoutes } = options;
  const app = express();
  app.disable('x-powered-by');
  rawBodyRoutes?.(app);
  app.use(express.json({ limit: '64kb' }));

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const reason = notReadyReason();
    if (reason === undefined) res.type('text/plain').send('ok\n');
    else res.status(503).type('text/plain').send(`not ready: ${reason}\n`);
  });
  if (registry !== undefined) {
    app.get('/metrics', async (_req, res, next) => {
      try {
        res.type(registry.contentType).send(await registry.metrics());
      } catch (err) {
        next(err);
      }
    });
  }

  routes?.(app);

  const onError: ErrorRequestHandler = (
    err: { status?: number; type?: string; message?: string },
    req,
    res,
    _next,
  ) => {
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status >= 500) logger.error({ err, path: req.path }, 'request failed');
    const reason =
      err.type === 'entity.parse.failed'
        ? 'request body is not valid JSON'
        : status < 500
          ? (err.message ?? 'bad request')
          : 'internal error';
    res.status(status).json({ error: reason });
  };
  app.use(onError);
  return app;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = createApp(options);
  const { gate } = options;
  const server = createServer(gate === undefined ? app : (req, res) => gate(req, res) || app(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const listening = asHttpServer(server, options.port);
  options.logger.info({ port: listening.port }, 'http server listening');
  return listening;
}

/** A listening server as an HttpServer: its port (the one asked for when that was not 0), and a close that does not wait for idle keep-alive connections. */
export function asHttpServer(server: Server, requestedPort: number): HttpServer {
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : requestedPort,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
