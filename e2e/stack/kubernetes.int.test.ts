// The local Kubernetes is real: CRDs are served, kube-controller-manager runs controllers, RBAC
// is enforced and ServiceAccount tokens from the TokenRequest API authenticate.
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { randomSuffix, useStack } from './harness.ts';
import type { StackHandle } from './harness.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`,
      );
    }
    await sleep(250);
  }
}

function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

let stack: StackHandle;

beforeAll(async () => {
  stack = await useStack();
}, 120_000);

afterAll(async () => {
  await stack.cleanup();
}, 120_000);

test('a CustomResourceDefinition and a custom resource of it are created and read back', async () => {
  const extensions = stack.kubeConfig.makeApiClient(ApiextensionsV1Api);
  const custom = stack.kubeConfig.makeApiClient(CustomObjectsApi);
  const group = 'stack-test.ratings.local';
  const plural = `gadgets${randomSuffix()}`;
  const name = `${plural}.${group}`;
  await extensions.createCustomResourceDefinition({
    body: {
      metadata: { name },
      spec: {
        group,
        scope: 'Namespaced',
        names: {
          plural,
          singular: plural.slice(0, -1),
          kind: `Gadget${plural.slice(7)}`,
          listKind: `Gadget${plural.slice(7)}List`,
        },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { size: { type: 'integer', minimum: 1 }, colour: { type: 'string' } },
                    required: ['size'],
                  },
                },
              },
            },
          },
        ],
      },
    },
  });
  stack.onCleanup(async () => {
    await extensions.deleteCustomResourceDefinition({ name }).catch(() => undefined);
  });
  await eventually('the CRD to be established', async () => {
    const crd = await extensions.readCustomResourceDefinition({ name });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true
      ? crd
      : undefined;
  });

  const namespace = await stack.newNamespace('crd');
  const kind = `Gadget${plural.slice(7)}`;
  const created = await eventually('the custom resource to be created', () =>
    custom.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace,
      plural,
      body: {
        apiVersion: `${group}/v1`,
        kind,
        metadata: { name: 'first' },
        spec: { size: 3, colour: 'teal' },
      },
    }),
  );
  expect(created).toMatchObject({ metadata: { name: 'first', namespace } });

  const read = (await custom.getNamespacedCustomObject({
    group,
    version: 'v1',
    namespace,
    plural,
    name: 'first',
  })) as {
    kind: string;
    spec: unknown;
  };
  expect(read.kind).toBe(kind);
  expect(read.spec).toEqual({ size: 3, colour: 'teal' });

  // The schema is enforced: size must be >= 1.
  await expect(
    custom.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace,
      plural,
      body: { apiVersion: `${group}/v1`, kind, metadata: { name: 'bad' }, spec: { size: 0 } },
    }),
  ).rejects.toMatchObject({ code: 422 });
}, 120_000);

test('a Deployment gets its ReplicaSet and pods from kube-controller-manager', async () => {
  const apps = stack.kubeConfig.makeApiClient(AppsV1Api);
  const core = stack.kubeConfig.makeApiClient(CoreV1Api);
  const namespace = await stack.newNamespace('deploy');
  const labels = { app: 'web' };
  const deployment = await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          // An image no registry serves: the pods stay waiting for it; only the objects matter here.
          spec: { containers: [{ name: 'web', image: 'registry.invalid/stack-test:1' }] },
        },
      },
    },
  });

  const replicaSet = await eventually('a ReplicaSet owned by the Deployment', async () => {
    const list = await apps.listNamespacedReplicaSet({ namespace });
    return list.items.find((rs) =>
      rs.metadata?.ownerReferences?.some((o) => o.uid === deployment.metadata?.uid),
    );
  });
  expect(replicaSet.spec?.replicas).toBe(2);

  const pods = await eventually('two pods owned by the ReplicaSet', async () => {
    const list = await core.listNamespacedPod({ namespace });
    const owned = list.items.filter((pod) =>
      pod.metadata?.ownerReferences?.some((o) => o.uid === replicaSet.metadata?.uid),
    );
    return owned.length === 2 ? owned : undefined;
  });
  expect(pods.map((p) => p.metadata?.labels?.app)).toEqual(['web', 'web']);
}, 120_000);

test('a ServiceAccount token is denied without a role and allowed once a Role and RoleBinding grant it', async () => {
  const core = stack.kubeConfig.makeApiClient(CoreV1Api);
  const rbac = stack.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const namespace = await stack.newNamespace('rbac');
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'settings' }, data: { a: '1' } },
  });

  // A token signed by the API server's service-account key (TokenRequest API).
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    name: 'reader',
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const token = tokenRequest.status?.token;
  expect(token).toBeTruthy();

  const admin = stack.kubeConfig.getCurrentCluster();
  if (admin === null) throw new Error('admin kubeconfig has no cluster');
  const asReader = new KubeConfig();
  asReader.loadFromOptions({
    clusters: [{ name: 'local', server: admin.server, caData: admin.caData, skipTLSVerify: false }],
    users: [{ name: 'reader', token }],
    contexts: [{ name: 'reader', cluster: 'local', user: 'reader' }],
    currentContext: 'reader',
  });
  const readerCore = asReader.makeApiClient(CoreV1Api);

  // The token authenticates as the service account...
  const review = await asReader.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${namespace}:reader`);

  // ...which no role allows to read config maps yet.
  const denied = await readerCore.listNamespacedConfigMap({ namespace }).then(
    () => 200,
    (err: unknown) => statusOf(err),
  );
  expect(denied).toBe(403);

  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: 'configmap-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'reader-reads-configmaps' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
    },
  });

  const allowed = await eventually('the RoleBinding to take effect', async () => {
    const list = await readerCore.listNamespacedConfigMap({ namespace });
    return list.items.map((cm) => cm.metadata?.name);
  });
  expect(allowed).toContain('settings');

  // The grant is exactly what the Role says: writing is still denied.
  const write = await readerCore
    .createNamespacedConfigMap({ namespace, body: { metadata: { name: 'nope' } } })
    .then(
      () => 200,
      (err: unknown) => statusOf(err),
    );
  expect(write).toBe(403);
}, 120_000);
