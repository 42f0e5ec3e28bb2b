import { createLogger } from '../common/logger.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';
import { Informer } from './informer.ts';
import type { Change } from './store.ts';

const object = (rv: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Thing',
  metadata: { namespace: 'ns', name: 'a', resourceVersion: rv, labels },
});

describe('Informer.assume', () => {
  // Never started: assume() touches only the cache, so no client is called.
  const informer = () =>
    new Informer<KubeObject>({
      client: {} as KubeClient,
      type: resources.ratingExperiment,
      logger: createLogger('test', 'silent'),
      matches: (o) => o.metadata?.labels?.staged !== 'true',
    });

  it('caches the answer to our own write while it is in the selection', () => {
    const i = informer();
    i.assume(object('1'));
    expect(i.get('ns', 'a')?.metadata?.resourceVersion).toBe('1');
  });

  it('drops, and reports as deleted, an answer that left the selection since it was read', () => {
    const i = informer();
    const changes: Change<KubeObject>[] = [];
    i.onChange((c) => changes.push(c));
    i.assume(object('1'));
    i.assume(object('5', { staged: 'true' }));
    expect(i.get('ns', 'a')).toBeUndefined();
    expect(changes.map((c) => c.type)).toEqual(['delete']);
    // The watch's own DELETED event may have come first: then the answer is not cached either.
    i.assume(object('6', { staged: 'true' }));
    expect(i.get('ns', 'a')).toBeUndefined();
    expect(changes).toHaveLength(1);
  });
});
