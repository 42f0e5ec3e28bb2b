// How a watch ends: past its margin, or stopped by its caller.
import { failure, hang, stallAfter, useApiServer } from './api-server.fixtures.ts';
import { RequestTimeoutError } from './kube-errors.ts';
import { resources } from './kube-resources.ts';

const server = useApiServer();

describe('watch', () => {
  it('a watch that outlives its timeoutSeconds plus the margin fails with a RequestTimeoutError', async () => {
    server.handler = stallAfter('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n');
    const kube = server.client({ watchMarginMs: 200 });
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
    { when: 'after the server answered', handler: stallAfter('\n'), abortAfterMs: 100 },
    { when: 'before the server answers', handler: hang, abortAfterMs: 50 },
  ])('a watch stopped by its caller $when ends quietly', async ({ handler, abortAfterMs }) => {
    server.handler = handler;
    const kube = server.client();
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
