// GET /healthz for the stack's readiness check: 200 once the stand-in is ready, 503 before.
import { createServer, type Server } from 'node:http';

export interface HealthServer {
  close(): Promise<void>;
}

export async function startHealthServer(
  port: number,
  notReadyReason: () => string | undefined,
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const reason = notReadyReason();
    if (reason === undefined) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    else res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${reason}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
