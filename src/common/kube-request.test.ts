// Deadlines and error mapping of one request, against a local server that misbehaves on purpose.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { failure, hang, stallAfter, useApiServer } from './api-server.fixtures.ts';
import { classifyError } from './errors.ts';
import { KubeClient } from './kube-client.ts';
import { ApiError, RequestTimeoutError } from './kube-errors.ts';
import { resources } from './kube-resources.ts';

const server = useApiServer();

describe('request deadlines', () => {
  it('fails a request whose answer never comes with a RequestTimeoutError, classed transient', async () => {
    server.handler = hang;
    const kube = server.client({ requestTimeoutMs: 200 });
    const started = Date.now();
    const err = await failure(kube.get(resources.lease, 'ns', 'l'));
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(classifyError(err)).toBe('transient');
    expect(Date.now() - started).toBeLessThan(2_000);
    kube.close();
  });

  it('the deadline covers the body: headers then silence fail too', async () => {
    server.handler = stallAfter('{"kind":');
    const kube = server.client({ requestTimeoutMs: 200 });
    expect(await failure(kube.get(resources.lease, 'ns', 'l'))).toBeInstanceOf(RequestTimeoutError);
    kube.close();
  });
});

describe('request errors', () => {
  it('an admission refusal is an ApiError with the API server message, classed terminal', async () => {
    server.handler = (_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          reason: 'Invalid',
          message: 'deployments.apps "x" is forbidden: ValidatingAdmissionPolicy denied request',
        }),
      );
    };
    const kube = server.client();
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
    server.handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '3' });
      res.end('too many requests');
    };
    const kube = server.client();
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
});
