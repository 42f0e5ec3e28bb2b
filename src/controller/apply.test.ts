// The I/O of a plan against a plain local HTTP server standing in for the API server: an absent
// child is created (POST), never applied, and its fields are handed to our Apply entry; a create
// that meets an existing object fails, for the next reconcile to judge.
import { useApiServer } from '../common/api-server.fixtures.ts';
import { createLogger } from '../common/logger.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';
import { applyPlan, type ApplyContext } from './apply.ts';
import type { EventRecorder } from './events.ts';
import { ControllerMetrics } from './metrics.ts';
import type { SyncPlan } from './plan.ts';

const server = useApiServer();
const exp = { metadata: { namespace: 'appdev', name: 'erb', uid: 'uid-1' } } as Parameters<
  typeof applyPlan
>[1];
const role: KubeObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name: 'erb-ratings', namespace: 'appdev' },
};
const createRole: SyncPlan = {
  writes: [{ type: resources.role, object: role, change: 'create' }],
  deletes: [],
  childConflicts: [],
  childWaits: [],
  observed: { specProblems: [] },
};
const created = {
  ...role,
  metadata: {
    ...role.metadata,
    managedFields: [
      { manager: 'ratings-operator', operation: 'Update', apiVersion: 'rbac.authorization.k8s.io/v1' },
      { manager: 'someone', operation: 'Update', apiVersion: 'rbac.authorization.k8s.io/v1' },
    ],
  },
};

interface Request {
  method?: string;
  path?: string;
  contentType?: string;
  body: unknown;
}

/** Answers each request with `answer(request)`: [status, body]. */
function serve(answer: (r: Request) => [number, unknown]): Request[] {
  const requests: Request[] = [];
  server.handler = (req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const r = {
        method: req.method,
        path: req.url?.split('?')[0],
        contentType: req.headers['content-type'],
        body: text === '' ? undefined : JSON.parse(text),
      };
      requests.push(r);
      const [status, body] = answer(r);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  };
  return requests;
}

function context(): ApplyContext {
  return {
    client: server.client(),
    recorder: { record: async () => undefined } as unknown as EventRecorder,
    logger: createLogger('test', 'silent'),
    metrics: new ControllerMetrics(),
    cacheOf: () => undefined,
  };
}

describe('applyPlan', () => {
  it('creates an absent child with a POST, then hands its fields to our Apply entry', async () => {
    const requests = serve((r) => [r.method === 'POST' ? 201 : 200, created]);
    const ctx = context();
    const { outcome } = await applyPlan(ctx, exp, createRole);
    expect(outcome.failures).toEqual([]);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /apis/rbac.authorization.k8s.io/v1/namespaces/appdev/roles',
      'PATCH /apis/rbac.authorization.k8s.io/v1/namespaces/appdev/roles/erb-ratings',
    ]);
    expect(requests[1]?.contentType).toBe('application/merge-patch+json');
    expect(requests[1]?.body).toEqual({
      metadata: {
        managedFields: [
          { manager: 'ratings-operator', operation: 'Apply', apiVersion: 'rbac.authorization.k8s.io/v1' },
          { manager: 'someone', operation: 'Update', apiVersion: 'rbac.authorization.k8s.io/v1' },
        ],
      },
    });
    ctx.client.close();
  });

  it('reports a create that meets an existing object as a failure that may pass, and applies nothing', async () => {
    const requests = serve(() => [
      409,
      { kind: 'Status', reason: 'AlreadyExists', message: 'roles "erb-ratings" already exists', code: 409 },
    ]);
    const ctx = context();
    const { outcome } = await applyPlan(ctx, exp, createRole);
    expect(outcome.failures).toEqual([
      { what: 'Role appdev/erb-ratings', message: 'roles "erb-ratings" already exists', terminal: false },
    ]);
    expect(requests.map((r) => r.method)).toEqual(['POST']);
    ctx.client.close();
  });
});
