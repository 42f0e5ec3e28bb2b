// Unit-test fixture of the Kubernetes client's tests: a plain local HTTP server that misbehaves on
// purpose (hangs, stalls a body, refuses), for the parts of talking to an API server that a real
// one does only when it is in trouble (tsconfig.build.json leaves *.fixtures.ts out of dist).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient, type KubeClientOptions } from './kube-client.ts';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Answers left open by hang and stallAfter, closed when the file's tests are done. */
const hung: http.ServerResponse[] = [];

/**
 * Starts the server before the file's tests and stops it after; each test sets `server.handler`.
 * Call at the top of a test file.
 */
export function useApiServer(): { handler: Handler; client(options?: KubeClientOptions): KubeClient } {
  let server: http.Server;
  const fake = {
    handler: ((_req, res) => res.end()) as Handler,
    client(options: KubeClientOptions = {}): KubeClient {
      const { port } = server.address() as AddressInfo;
      return new KubeClient(
        { server: new URL(`http://127.0.0.1:${port}`), tls: {}, authorization: () => undefined },
        options,
      );
    },
  };
  beforeAll(async () => {
    server = http.createServer((req, res) => fake.handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return fake;
}

/** Never answers. */
export const hang: Handler = (_req, res) => hung.push(res);

/** Answers 200 with the start of a JSON body, then goes silent. */
export const stallAfter =
  (start: string): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(start);
    hung.push(res);
  };

/** The error `promise` rejects with; fails when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}
