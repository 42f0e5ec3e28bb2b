// What the finalizer removes besides the topics: only the intake binding that carries the
// experiment's labels, against a plain local HTTP server standing in for the API server.
import { useApiServer } from '../common/api-server.fixtures.ts';
import { clusterScopedLabels } from '../model/names.ts';
import type { EventRecorder } from './events.ts';
import { removeIntakeBinding } from './teardown.ts';

const server = useApiServer();
const exp = { metadata: { namespace: 'appdev', name: 'victim', uid: 'uid-2' } } as Parameters<
  typeof removeIntakeBinding
>[1];
const BINDING =
  '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ratings-intake-reviewer.appdev.victim';

/** Serves one ClusterRoleBinding with these labels; returns the requests made, as "METHOD path". */
function serveBinding(labels: Record<string, string>): string[] {
  const requests: string[] = [];
  server.handler = (req, res) => {
    requests.push(`${req.method} ${req.url?.split('?')[0]}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        req.method === 'GET'
          ? {
              kind: 'ClusterRoleBinding',
              metadata: { name: 'ratings-intake-reviewer.appdev.victim', labels },
            }
          : { kind: 'Status', status: 'Success' },
      ),
    );
  };
  return requests;
}

describe('removeIntakeBinding', () => {
  const recorder = { record: async () => undefined } as unknown as EventRecorder;

  it('deletes the binding labelled for the experiment', async () => {
    const requests = serveBinding(clusterScopedLabels({ namespace: 'appdev', name: 'victim' }));
    const client = server.client();
    await removeIntakeBinding({ client, recorder }, exp);
    expect(requests).toEqual([`GET ${BINDING}`, `DELETE ${BINDING}`]);
    client.close();
  });

  it('leaves a binding of that name alone when its labels name no experiment or another one', async () => {
    for (const labels of [{ team: 'admins' }, clusterScopedLabels({ namespace: 'other', name: 'victim' })]) {
      const requests = serveBinding(labels);
      const client = server.client();
      await removeIntakeBinding({ client, recorder }, exp);
      expect(requests).toEqual([`GET ${BINDING}`]);
      client.close();
    }
  });
});
