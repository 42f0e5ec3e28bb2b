// The client's deadlines and error mapping, against a plain local HTTP server that misbehaves on
// purpose (hangs, stalls a body, refuses): the parts of talking to an API server that a real one
// does only when it is in trouble.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient } from './kube-client.ts';
import { classifyError } from './errors.ts';
import { ApiError, RequestTimeoutError } from './kube-errors.ts';
import { resources } from './kube-resources.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server;
let handler: Handler;
const hung: http.ServerResponse[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const res of hung) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function client(options: ConstructorParameters<typeof KubeClient>[1] = {}): KubeClient {
  const { port } = server.address() as AddressInfo;
  return new KubeClient(
    { server: new URL(`http://127.0.0.1:${port}`), tls: {}, authorization: () => undefined },
    options,
  );
}

/** Never answers. */
const hang: Handler = (_req, res) => hung.push(res);

/** Answers 200 with the start of a JSON body, then goes silent. */
const stallAfter =
  (start: string): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(start);
    hung.push(res);
  };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('KubeClient deadlines', () => {
  it('fails a request whose answer never comes with a RequestTimeoutError, classed transient', async () => {
    handler = hang;
    const kube = client({ requestTimeoutMs: 200 });
    const started = Date.now();
    const err = await failure(kube.get(resources.lease, 'ns', 'l'));
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(classifyError(err)).toBe('transient');
    expect(Date.now() - started).toBeLessThan(2_000);
    kube.close();
  });

  it('the deadline covers the body: headers then silence fail too', async () => {
    handler = stallAfter('{"kind":');
    const kube = client({ requestTimeoutMs: 200 });
    expect(await failure(kube.get(resources.lease, 'ns', 'l'))).toBeInstanceOf(RequestTimeoutError);
    kube.close();
  });

  it('a per-request timeout overrides the client default', async () => {
    handler = hang;
    const kube = client({ requestTimeoutMs: 60_000 });
    const started = Date.now();
    const err = await failure(
      kube.update(resources.lease, { metadata: { namespace: 'ns', name: 'l' } }, 'test', { timeoutMs: 150 }),
    );
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
    kube.close();
  });

  it('a watch that outlives its timeoutSeconds plus the margin fails with a RequestTimeoutError', async () => {
    handler = stallAfter('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n');
    const kube = client({ watchMarginMs: 200 });
    const events: string[] = [];
    const err = await failure(
      kube.watch(
        resources.lease,
        { resourceVersion: '1', timeoutSeconds: 0, signal: new AbortController().signal },
        (e) => events.push(e.type),
      ),
    );
    expect(events).toEqual(['BOOKMARK']);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    kube.close();
  });

  it.each([
    { when: 'after the server answered', server: stallAfter('\n'), abortAfterMs: 100 },
    { when: 'before the server answers', server: hang, abortAfterMs: 50 },
  ])('a watch stopped by its caller $when ends quietly', async ({ server, abortAfterMs }) => {
    handler = server;
    const kube = client();
    const abort = new AbortController();
    const done = kube.watch(
      resources.lease,
      { resourceVersion: '1', timeoutSeconds: 60, signal: abort.signal },
      () => {},
    );
    setTimeout(() => abort.abort(), abortAfterMs);
    await expect(done).resolves.toBeUndefined();
    kube.close();
  });
});

describe('KubeClient errors', () => {
  it('an admission refusal is an ApiError with the API server message, classed terminal', async () => {
    handler = (_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          reason: 'Invalid',
          message: 'deployments.apps "x" is forbidden: ValidatingAdmissionPolicy denied request',
        }),
      );
    };
    const kube = client();
    const err = (await failure(
      kube.apply(resources.deployment, { metadata: { namespace: 'ns', name: 'x' } }, 'test'),
    )) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.serverMessage).toBe(
      'deployments.apps "x" is forbidden: ValidatingAdmissionPolicy denied request',
    );
    expect(err.message).toContain('Deployment: 422');
    expect(classifyError(err)).toBe('terminal');
    kube.close();
  });

  it('throttling is transient and carries Retry-After', async () => {
    handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '3' });
      res.end('too many requests');
    };
    const kube = client();
    const err = (await failure(kube.get(resources.lease, 'ns', 'l'))) as ApiError;
    expect(err.status).toBe(429);
    expect(err.retryAfterSeconds).toBe(3);
    expect(err.serverMessage).toBe('too many requests');
    expect(classifyError(err)).toBe('transient');
    kube.close();
  });

  it('a refused connection is transient', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const kube = new KubeClient({
      server: new URL(`http://127.0.0.1:${port}`),
      tls: {},
      authorization: () => undefined,
    });
    expect(classifyError(await failure(kube.get(resources.lease, 'ns', 'l')))).toBe('transient');
    kube.close();
  });

  it('get of a missing object is undefined, not an error', async () => {
    handler = (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'not found' }));
    };
    const kube = client();
    await expect(kube.get(resources.lease, 'ns', 'l')).resolves.toBeUndefined();
    kube.close();
  });
});
