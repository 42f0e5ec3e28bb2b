// The controller under its config/rbac ClusterRole on the local stack: its HTTPS /metrics refuses
// the unauthenticated (401) and those without metrics-reader (403), and serves a token bound to it;
// for an experiment whose intake authenticates it binds the experiment's ServiceAccount to the
// intake-reviewer ClusterRole, and removes that binding when turned off and when the experiment goes.
import { CoreV1Api } from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../api/v1alpha1.ts';
import type { StackHandle } from '../../e2e/stack/harness.ts';
import {
  ControllerProcess,
  FIELD_MANAGER,
  adminTypes,
  controllerSuite,
  waitFor,
} from '../../bench/controller-harness.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';

let stack: StackHandle;
let admin: KubeClient;
let controllerNs: string;
let ns: string;
let controller: ControllerProcess;

beforeAll(async () => {
  let kubeconfig: string;
  ({ stack, admin, controllerNs, kubeconfig } = await controllerSuite('auth'));
  ns = await stack.newNamespace('auth-exp');
  controller = await ControllerProcess.start({
    kubeconfig,
    podName: `${controllerNs}-controller`,
    leaseNamespace: controllerNs,
    watchNamespace: ns,
  });
}, 180_000);

afterAll(async () => {
  await controller?.stop();
  await stack?.cleanup();
}, 120_000);

describe("the controller's /metrics", () => {
  it('answers 401 without a token and to a bad one, over HTTPS', async () => {
    const none = await controller.getMetrics(undefined);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="ratings-operator-metrics"');
    expect(JSON.parse(none.body)).toEqual({
      error: 'unauthenticated',
      reason: 'no credentials: send Authorization: Bearer <token>',
    });
    expect((await controller.getMetrics('not-a-token')).status).toBe(401);
  });

  it('answers 403 to a ServiceAccount without metrics-reader, naming it', async () => {
    const core = stack.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({
      namespace: controllerNs,
      body: { metadata: { name: 'nosy' } },
    });
    const { status } = await core.createNamespacedServiceAccountToken({
      namespace: controllerNs,
      name: 'nosy',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const answer = await controller.getMetrics(status!.token);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'forbidden',
      reason: `user "system:serviceaccount:${controllerNs}:nosy" may not get /metrics`,
    });
  });

  it('serves the metrics to a ServiceAccount bound to metrics-reader', async () => {
    const metrics = await controller.metrics();
    expect(metrics.samples.some((s) => s.name === 'ratings_operator_reconcile_total')).toBe(true);
    expect(
      metrics.get('ratings_operator_api_requests_total', { verb: 'create', kind: 'TokenReview' }),
    ).toBeGreaterThan(0);
  });

  it('serves only /metrics there, and /metrics no longer on the plain probe port', async () => {
    expect((await fetch(`http://127.0.0.1:${controller.port}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${controller.port}/healthz`)).status).toBe(200);
  });
});

describe('an experiment whose intake authenticates', () => {
  const name = 'rated';
  const bindingName = () => `ratings-intake-reviewer.${ns}.${name}`;
  const binding = () =>
    admin.get<KubeObject & { roleRef?: { name: string } }>(adminTypes.clusterRoleBinding, '', bindingName());
  const role = () =>
    admin.get<KubeObject & { rules?: { resources?: string[] }[] }>(resources.role, ns, `${name}-ratings`);
  const setAuthentication = (authentication: string) =>
    admin.mergePatch(
      resources.ratingExperiment,
      ns,
      name,
      { spec: { producer: { intake: { authentication } } } },
      FIELD_MANAGER,
    );

  it('gets a ClusterRoleBinding to the intake-reviewer ClusterRole, removed when off and with the experiment', async () => {
    await admin.create(
      resources.ratingExperiment,
      {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name, namespace: ns },
        spec: {
          kafka: { cluster: 'kafka', namespace: 'queuing' },
          producer: { replicas: 0, intake: { authentication: 'Kubernetes' } },
        },
      } as KubeObject,
      FIELD_MANAGER,
    );
    await waitFor('the intake reviewer binding', async () => (await binding()) !== undefined, 90_000);
    expect((await binding())?.roleRef?.name).toBe('ratings-operator-intake-reviewer');
    await waitFor('the Role to allow LocalSubjectAccessReviews', async () =>
      ((await role())?.rules ?? []).some((r) => r.resources?.includes('localsubjectaccessreviews')),
    );

    await setAuthentication('None');
    await waitFor(
      'the binding to go when authentication is off',
      async () => (await binding()) === undefined,
      60_000,
    );
    await waitFor(
      'the Role to lose LocalSubjectAccessReviews',
      async () =>
        !((await role())?.rules ?? []).some((r) => r.resources?.includes('localsubjectaccessreviews')),
    );

    await setAuthentication('Kubernetes');
    await waitFor('the binding again', async () => (await binding()) !== undefined, 60_000);
    await admin.delete(resources.ratingExperiment, ns, name);
    await waitFor(
      'the experiment and its binding to be gone',
      async () =>
        (await admin.get(resources.ratingExperiment, ns, name)) === undefined &&
        (await binding()) === undefined,
      90_000,
    );
  }, 300_000);
});
