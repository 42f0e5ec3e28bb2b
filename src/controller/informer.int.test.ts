// The informer and the watch it relies on, against the local stack's API server.
import { createLogger } from '../common/logger.ts';
import { useStack, type StackHandle } from '../../e2e/stack/harness.ts';
import { FIELD_MANAGER, adminClient, waitFor } from '../../bench/controller-harness.ts';
import { Informer, stripManagedFields } from './informer.ts';
import type { KubeClient } from '../common/kube-client.ts';
import type { WatchEvent } from '../common/kube-watch.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';
import type { Change } from './store.ts';

let stack: StackHandle;
let client: KubeClient;
let ns: string;

beforeAll(async () => {
  stack = await useStack();
  client = adminClient(stack.env.KUBECONFIG);
  ns = await stack.newNamespace('rexp-informer');
}, 120_000);

afterAll(async () => {
  client?.close();
  await stack?.cleanup();
});

const account = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: ns, labels },
});

describe('Informer', () => {
  it('lists, then follows adds, updates and deletes of the selected objects only', async () => {
    await client.apply(resources.serviceAccount, account('before', { selected: 'yes' }), FIELD_MANAGER);
    const informer = new Informer<KubeObject>({
      client,
      type: resources.serviceAccount,
      logger: createLogger('informer-test', 'silent'),
      namespace: ns,
      labelSelector: 'selected=yes',
      transform: stripManagedFields,
    });
    const changes: string[] = [];
    informer.onChange((c: Change<KubeObject>) => changes.push(`${c.type} ${c.object.metadata?.name}`));
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.get(ns, 'before')?.metadata?.managedFields).toBeUndefined();

    await client.apply(resources.serviceAccount, account('other', { selected: 'no' }), FIELD_MANAGER);
    await client.apply(resources.serviceAccount, account('after', { selected: 'yes' }), FIELD_MANAGER);
    await client.apply(
      resources.serviceAccount,
      account('after', { selected: 'yes', more: 'x' }),
      FIELD_MANAGER,
    );
    await client.delete(resources.serviceAccount, ns, 'before');
    await waitFor('the changes', async () => changes.length >= 4, 10_000);
    await informer.stop();

    expect(changes).toEqual(['add before', 'add after', 'update after', 'delete before']);
    expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(['after']);
  }, 30_000);
});

describe('KubeClient.watch', () => {
  it('reports an expired resourceVersion as a 410 ERROR event, which the informer answers by listing again', async () => {
    const events: WatchEvent[] = [];
    const abort = new AbortController();
    let settled = false;
    const done = client
      .watch(
        resources.serviceAccount,
        { namespace: ns, resourceVersion: '1', timeoutSeconds: 5, signal: abort.signal },
        (e) => events.push(e),
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      )
      .finally(() => (settled = true));
    await waitFor('an event or an error', async () => events.length > 0 || settled, 10_000);
    abort.abort();
    const outcome = await done;
    // Either in-band (HTTP 200 then an ERROR event) or as the response status: both mean "list again".
    const code =
      events[0]?.type === 'ERROR' ? events[0].object.code : (outcome as { status?: number }).status;
    expect(code).toBe(410);
  }, 30_000);
});
