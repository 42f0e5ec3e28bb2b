// ExperimentSource against the local stack's API server, with RBAC on: the first read, its
// errors, and following spec changes by polling.
import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { GROUP, PLURAL, VERSION } from '../api/v1alpha1.ts';
import { eventually } from '../../e2e/stack/eventually.ts';
import {
  createRatingExperiment,
  installRatingsCrd,
  mergePatchRatingExperiment,
} from '../../e2e/stack/harness.ts';
import { readStackEnv } from '../../e2e/stack/stack.ts';
import { ExperimentSource, type ExperimentSnapshot } from './experiment-source.ts';
import { KubeClient } from './kube-client.ts';
import { credentialsFromKubeconfig, type Kubeconfig } from './kube-credentials.ts';
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';

/** The shared client for a kubeconfig, as the pods build it from theirs. */
function clientFor(kubeConfig: KubeConfig): { kube: KubeClient; server: string } {
  const credentials = credentialsFromKubeconfig(
    load(kubeConfig.exportConfig()) as Kubeconfig,
    '.',
    readFileSync,
  );
  return {
    kube: new KubeClient(credentials, { requestTimeoutMs: 5_000 }),
    server: credentials.server.origin,
  };
}

const admin = new KubeConfig();
admin.loadFromFile(readStackEnv().KUBECONFIG);
const namespace = `source-it-${randomBytes(3).toString('hex')}`;
const logger = pino({ level: 'silent' });
const sources: ExperimentSource[] = [];

/** A kubeconfig holding a token of a fresh service account, optionally allowed to get experiments. */
async function serviceAccountConfig(name: string, canGet: boolean): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  if (canGet) {
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name }, rules: [{ apiGroups: [GROUP], resources: [PLURAL], verbs: ['get'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
  }
  const token = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [] } },
  });
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(cluster, { name, token: token.status?.token });
  return kc;
}

async function createExperiment(name: string, ratingsPerSecond: number): Promise<void> {
  await createRatingExperiment(admin, { namespace, name }, { producer: { ratingsPerSecond } });
}

/** A source of experiment `name` read with the credentials of `kubeConfig`; stopped after the suite. */
async function startSource(
  kubeConfig: KubeConfig,
  name = 'erb',
  pollIntervalMs?: number,
): Promise<ExperimentSource> {
  const source = await ExperimentSource.start({
    ...clientFor(kubeConfig),
    namespace,
    name,
    logger,
    ...(pollIntervalMs !== undefined && { pollIntervalMs }),
  });
  sources.push(source);
  return source;
}

beforeAll(async () => {
  await installRatingsCrd(readStackEnv().KUBECONFIG);
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  await createExperiment('erb', 5);
});

afterAll(async () => {
  for (const source of sources) source.stop();
  await admin
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
});

describe('ExperimentSource', () => {
  it('reads the experiment with only "get" allowed, defaults and catalog included', async () => {
    const source = await startSource(await serviceAccountConfig('reader', true), 'erb', 200);
    expect(source.current.experiment.spec.producer?.ratingsPerSecond).toBe(5);
    // The API server filled in the catalog from the CRD's defaults.
    expect(source.current.catalog.scale).toEqual(['Hated', 'Meh', 'Liked']);
    expect(source.current.catalog.voices.length).toBeGreaterThanOrEqual(2);
  });

  it('tells listeners about spec changes, not about status changes', async () => {
    const source = await startSource(admin, 'erb', 200);
    const changes: ExperimentSnapshot[] = [];
    source.onChange((current) => changes.push(current));

    await mergePatchRatingExperiment(
      admin,
      { namespace, name: 'erb' },
      { spec: { producer: { ratingsPerSecond: 42 }, voices: ['a', 'b'] } },
    );
    const changed = await eventually('the change', () => changes[0]);
    expect(changed.experiment.spec.producer?.ratingsPerSecond).toBe(42);
    expect(changed.catalog.voices).toEqual(['a', 'b']);

    // A status write moves resourceVersion but not generation: no event.
    await admin.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name: 'erb',
        body: { status: { produced: 7 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('the status to be seen', () =>
      source.current.experiment.status?.produced === 7 ? true : undefined,
    );
    expect(changes).toHaveLength(1);
  });

  it('says the experiment is not found, naming it and the variables', async () => {
    await expect(startSource(admin, 'missing')).rejects.toThrow(
      `RatingExperiment ${namespace}/missing not found on ${admin.getCurrentCluster()!.server} (is EXPERIMENT_NAMESPACE/EXPERIMENT_NAME right, and the CRD installed?)`,
    );
  });

  it('says which permission is missing when RBAC forbids the read', async () => {
    await expect(startSource(await serviceAccountConfig('nobody', false))).rejects.toThrow(
      `not allowed to get RatingExperiment ${namespace}/erb: the pod's service account needs "get" on ratingexperiments.ratings.conglombo.io`,
    );
  });

  it('says when the API server cannot be reached', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser(
      { name: 'gone', server: 'https://127.0.0.1:1', skipTLSVerify: true },
      { name: 'u' },
    );
    await expect(startSource(kubeConfig)).rejects.toThrow(
      `cannot reach https://127.0.0.1:1 to read RatingExperiment ${namespace}/erb`,
    );
  });
});
