// The client's own part of a request: its deadline per call, and what a verb makes of an answer.
import { failure, hang, useApiServer } from './api-server.fixtures.ts';
import { RequestTimeoutError } from './kube-errors.ts';
import { resources } from './kube-resources.ts';

const server = useApiServer();

describe('KubeClient', () => {
  it('a per-request timeout overrides the client default', async () => {
    server.handler = hang;
    const kube = server.client({ requestTimeoutMs: 60_000 });
    const started = Date.now();
    const err = await failure(
      kube.update(resources.lease, { metadata: { namespace: 'ns', name: 'l' } }, 'test', { timeoutMs: 150 }),
    );
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
    kube.close();
  });

  it('get of a missing object is undefined, not an error', async () => {
    server.handler = (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'not found' }));
    };
    const kube = server.client();
    await expect(kube.get(resources.lease, 'ns', 'l')).resolves.toBeUndefined();
    kube.close();
  });
});
