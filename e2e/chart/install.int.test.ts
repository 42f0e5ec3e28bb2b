// The chart installed on the local stack, end to end: the process kubelet runs the controller
// pods from dist/ (so `npm run build` first) with the chart's ServiceAccount token, so the
// chart's RBAC is what the controller really gets; then the sample experiment of ops/ must become
// Ready and count ratings, as e2e/kind/run.sh checks on a real cluster.
//
// The objects are rendered by `helm template` and server-side applied, not `helm install`d: the
// stack's API server is built without version stamping and reports v0.0.0, which the chart's
// kubeVersion constraint (rightly) refuses.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoordinationV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { eventually } from '../stack/eventually.ts';
import { KAFKA_NAMESPACE } from '../stack/fixtures.ts';
import { useStack } from '../stack/harness.ts';
import type { StackHandle } from '../stack/harness.ts';
import { repoRoot } from '../stack/paths.ts';
import { HELM, ensureGoTool } from './go-tools.ts';
import { helmTemplate, stackKubernetesVersion } from './helm.ts';
import type { KubeObject } from './helm.ts';
import { CHART_DIR } from './sync.ts';

interface Experiment {
  metadata: { name: string; namespace: string; generation: number };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; observedGeneration?: number }[];
    topic?: string;
    counted?: number;
    totals?: { voice: string; count: number }[];
  };
}

const group = 'ratings.conglombo.io';
const version = 'v1alpha1';
const plural = 'ratingexperiments';
const release = 'it';

let stack: StackHandle;
let objects: KubernetesObjectApi;
let releaseNamespace: string;
let experimentNamespace: string;
let rendered: KubeObject[];
let experimentName: string;

function readExperiment(): Promise<Experiment> {
  return stack.kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group,
    version,
    plural,
    namespace: experimentNamespace,
    name: experimentName,
  });
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

/** Deletes the experiment and waits until its finalizer has run and it is gone. */
async function deleteExperiment(): Promise<void> {
  await stack.kubeConfig
    .makeApiClient(CustomObjectsApi)
    .deleteNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: experimentNamespace,
      name: experimentName,
    })
    .catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  await eventually('the experiment to be gone', () =>
    readExperiment().then(
      () => undefined,
      (err: unknown) => isNotFound(err) || undefined,
    ),
  );
}

function isReady(experiment: Experiment): boolean {
  const ready = experiment.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && experiment.status?.observedGeneration === experiment.metadata.generation;
}

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'cli.js'))) {
    throw new Error('dist/cli.js is missing: run `npm run build`, the process kubelet runs the pods from it');
  }
  stack = await useStack();
  objects = KubernetesObjectApi.makeApiClient(stack.kubeConfig);
  releaseNamespace = await stack.newNamespace('chart-release');
  experimentNamespace = await stack.newNamespace('chart-experiments');
  rendered = helmTemplate(ensureGoTool(HELM), join(repoRoot, CHART_DIR), {
    release,
    namespace: releaseNamespace,
    kubeVersion: stackKubernetesVersion(),
    // Only this test's namespace: other suites run their own controllers on the same stack.
    values: { watchNamespace: experimentNamespace },
    includeCrds: true,
  });
  const isCrd = (o: KubeObject): boolean => o.kind === 'CustomResourceDefinition';
  stack.onCleanup(async () => {
    // Cluster-scoped, so not removed with the namespaces. The CRD stays, as helm leaves it.
    for (const object of rendered.filter((o) => o.metadata.namespace === undefined && !isCrd(o))) {
      await objects.delete(object).catch(() => undefined);
    }
  });
  // As helm installs a chart: its CRD first (a checked copy of crds/, see sync.test.ts), then the rest.
  await stack.installRatingsCrd();
  for (const object of rendered.filter((o) => !isCrd(o))) {
    await objects.patch(
      object,
      undefined,
      undefined,
      'chart-install-test',
      true,
      PatchStrategy.ServerSideApply,
    );
  }
}, 15 * 60_000);

afterAll(async () => {
  await stack?.cleanup();
});

describe('the chart installed on the local stack', () => {
  it('runs the controller replicas under the chart ServiceAccount, one of them holding the Lease', async () => {
    const deployment = rendered.find((o) => o.kind === 'Deployment')!;
    const apps = stack.kubeConfig.makeApiClient(AppsV1Api);
    await eventually(
      'the controller Deployment to have 2 available replicas',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: releaseNamespace, name: deployment.metadata.name }))
          .status?.availableReplicas === 2,
      { timeoutMs: 90_000 },
    );
    const coordination = stack.kubeConfig.makeApiClient(CoordinationV1Api);
    const holder = await eventually('a replica to hold the Lease', async () => {
      const lease = await coordination.readNamespacedLease({
        namespace: releaseNamespace,
        name: `${release}-ratings-operator`,
      });
      return lease.spec?.holderIdentity;
    });
    expect(holder).toMatch(new RegExp(`^${deployment.metadata.name}-`));
  }, 120_000);

  it('brings the sample experiment of ops/ to Ready, and counts its ratings into the status', async () => {
    const sample = load(
      readFileSync(join(repoRoot, 'ops/experiments/appdev/erb-voices.yaml'), 'utf8'),
    ) as Experiment;
    experimentName = sample.metadata.name;
    const experiment = {
      ...sample,
      metadata: { name: experimentName, namespace: experimentNamespace },
      // The sample keeps its topic; here the topic must go with the test.
      spec: { ...sample.spec, deletionPolicy: 'Delete' },
    };
    await objects.create(experiment);
    // Registered after the controller's objects, so run before their removal: the finalizer needs it.
    stack.onCleanup(() => deleteExperiment().catch(() => undefined));

    const ready = await eventually(
      'the experiment to become Ready',
      async () => {
        const current = await readExperiment();
        return isReady(current) ? current : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(ready.status?.topic).toBe(`${experimentNamespace}.${experimentName}-ratings`);

    const first = (await readExperiment()).status?.counted ?? 0;
    const later = await eventually(
      'status.counted to rise',
      async () => {
        const current = await readExperiment();
        return (current.status?.counted ?? 0) > first ? current : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // Every rating counts once for each of the two voices of its battle.
    const voiceCounts = (later.status?.totals ?? []).reduce((sum, total) => sum + total.count, 0);
    expect(voiceCounts).toBe(2 * later.status!.counted!);
  }, 240_000);

  it('removes the KafkaTopic when the experiment is deleted, as its deletionPolicy says', async () => {
    const topicName = `${experimentNamespace}.${experimentName}-ratings`;
    const readTopic = () =>
      stack.kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: 'kafka.strimzi.io',
        version: 'v1',
        plural: 'kafkatopics',
        namespace: KAFKA_NAMESPACE,
        name: topicName,
      });
    await expect(readTopic()).resolves.toBeDefined();
    await deleteExperiment();
    // Strimzi's own finalizer (the topic-operator stand-in here) may still hold it a moment.
    await eventually('the KafkaTopic to be gone', () =>
      readTopic().then(
        () => undefined,
        (err: unknown) => isNotFound(err) || undefined,
      ),
    );
  }, 60_000);
});
