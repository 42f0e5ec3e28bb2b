import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { listen, serveProbe, type HttpServer, type ProbeOptions } from './probe-server.ts';

export type { HttpServer } from './probe-server.ts';

export interface HttpServerOptions extends ProbeOptions {
  port: number;
  host?: string;
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

/**
 * The HTTP face of the data-plane modes: the probes and /metrics (probe-server.ts), then their own
 * routes with JSON bodies up to 64 KiB, malformed ones answered 400.
 */
export function createApp(options: Omit<HttpServerOptions, 'port' | 'host'>): Express {
  const { logger, routes, rawBodyRoutes } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (!serveProbe(options, req, res)) next();
  });
  rawBodyRoutes?.(app);
  app.use(express.json({ limit: '64kb' }));
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
  const listening = await listen(server, options.port, options.host);
  options.logger.info({ port: listening.port }, 'http server listening');
  return listening;
}
