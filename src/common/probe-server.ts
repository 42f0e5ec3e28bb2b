// The part of the HTTP face every mode shares that needs no framework: the probes (/healthz,
// /readyz), /metrics, and a listening server that closes without waiting for idle keep-alive
// connections. The controller serves nothing else, so it runs on node:http alone: loading express
// would cost it resident memory, which its budget cannot spare, for three fixed routes (how much:
// bench/README.md, “bench:controller”, what the controller's memory is made of).
// The data-plane modes mount the same probes in their express app (http.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.ts';

export interface ProbeOptions {
  logger: Logger;
  /** Served on /metrics; undefined when metrics are served elsewhere (the controller's HTTPS port). */
  registry?: Registry;
  /** undefined when ready, otherwise why not (served as 503 on /readyz). */
  notReadyReason: () => string | undefined;
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Answers GET or HEAD /healthz (the process is alive), /readyz (it can do its job) and /metrics;
 * false, without touching `res`, for any other request.
 */
export function serveProbe(options: ProbeOptions, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path === '/healthz') {
    sendText(req, res, 200, 'ok\n');
  } else if (path === '/readyz') {
    const reason = options.notReadyReason();
    if (reason === undefined) sendText(req, res, 200, 'ok\n');
    else sendText(req, res, 503, `not ready: ${reason}\n`);
  } else if (path === '/metrics' && options.registry !== undefined) {
    const { registry } = options;
    registry.metrics().then(
      (text) => sendText(req, res, 200, text, registry.contentType),
      (err: unknown) => {
        options.logger.error({ err, path }, 'request failed');
        sendText(req, res, 500, 'internal error\n');
      },
    );
  } else {
    return false;
  }
  return true;
}

function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res
    .writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) })
    .end(req.method === 'HEAD' ? undefined : text);
}

/** A server of the probes alone (the controller's): 404 for anything else. */
export async function startProbeServer(
  options: ProbeOptions & { port: number; host?: string },
): Promise<HttpServer> {
  const served = options.registry === undefined ? '/healthz and /readyz' : '/healthz, /readyz and /metrics';
  const server = createServer((req, res) => {
    if (serveProbe(options, req, res)) return;
    sendText(req, res, 404, `not found: only ${served} are served here\n`);
  });
  const listening = await listen(server, options.port, options.host);
  options.logger.info({ port: listening.port }, 'http server listening');
  return listening;
}

/** Listens on `port` (0: any free port) and `host` (default all addresses). */
export async function listen(server: Server, port: number, host: string | undefined): Promise<HttpServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return asHttpServer(server, port);
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
