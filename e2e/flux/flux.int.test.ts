// ops/clusters/local reconciled by the real Flux controllers (source, kustomize, helm) on the
// local stack, from this repository served over HTTP: what a Flux user does with git commits and
// what they must observe. Pods are observed only through the Kubernetes API (Deployments,
// ReplicaSets, pod UIDs), so the suite holds on any node.
//
// The tests run in order and build on each other: one repository, one set of Flux objects.
import { readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { dump, load } from 'js-yaml';
import { eventually } from '../stack/eventually.ts';
import { KAFKA_NAME, KAFKA_NAMESPACE } from '../stack/fixtures.ts';
import { useStack } from '../stack/harness.ts';
import type { StackHandle } from '../stack/harness.ts';
import { condition, isReady, revisionOf, ROOT } from './cluster.ts';
import type { FluxObject } from './cluster.ts';
import { BRANCH } from './git.ts';
import { useFlux } from './harness.ts';
import type { FluxHandle } from './harness.ts';

type Experiment = {
  metadata: { name: string; generation: number; uid: string };
  spec: { producer: { ratingsPerSecond: number } };
  status?: {
    observedGeneration?: number;
    topic?: string;
    conditions?: { type: string; status: string; observedGeneration?: number }[];
  };
};

const EXPERIMENTS_DIR = join('ops', 'experiments', 'appdev');
const NAMESPACE = 'appdev';
const NAME = 'flux-it';
const OPERATOR_NAMESPACE = 'ratings-operator-system';
const OPERATOR_RELEASE = 'ratings-operator';

let stack: StackHandle;
let flux: FluxHandle;
let apps: AppsV1Api;
let core: CoreV1Api;
let custom: CustomObjectsApi;

function experimentManifest(ratingsPerSecond: number): string {
  return dump({
    apiVersion: 'ratings.conglombo.io/v1alpha1',
    kind: 'RatingExperiment',
    metadata: { name: NAME, namespace: NAMESPACE },
    spec: {
      kafka: { cluster: KAFKA_NAME, namespace: KAFKA_NAMESPACE },
      topic: { partitions: 1, replicas: 1 },
      producer: { replicas: 1, ratingsPerSecond },
      consumer: { replicas: 1 },
      deletionPolicy: 'Delete',
    },
  });
}

/** Adds or removes `file` in the resources of ops/experiments/appdev/kustomization.yaml. */
function listResource(dir: string, file: string, listed: boolean): void {
  const path = join(dir, EXPERIMENTS_DIR, 'kustomization.yaml');
  const kustomization = load(readFileSync(path, 'utf8')) as { resources: string[] };
  const others = kustomization.resources.filter((r) => r !== file);
  kustomization.resources = listed ? [...others, file] : others;
  writeFileSync(path, dump(kustomization));
}

const experimentFile = (dir: string) => join(dir, EXPERIMENTS_DIR, `${NAME}.yaml`);

async function readExperiment(): Promise<Experiment | undefined> {
  try {
    return (await custom.getNamespacedCustomObject({
      group: 'ratings.conglombo.io',
      version: 'v1alpha1',
      plural: 'ratingexperiments',
      namespace: NAMESPACE,
      name: NAME,
    })) as Experiment;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

function experimentReady(experiment: Experiment | undefined): boolean {
  const ready = experiment?.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && ready.observedGeneration === experiment?.metadata.generation;
}

const kustomization = (name: string) => flux.client.get('Kustomization', name);

/** Pushes a commit and has source-controller fetch it now instead of at its next poll. */
async function push(message: string, change: (dir: string) => void): Promise<string> {
  const commit = await flux.workingCopy.commit(message, change);
  await flux.client.requestReconcile('GitRepository', ROOT);
  return commit;
}

/** Waits until the Kustomization `name` has applied `commit` and is Ready. */
function appliedAndReady(name: string, commit: string, timeoutMs = 180_000): Promise<FluxObject> {
  return eventually(
    `Kustomization ${name} to apply ${commit} and be Ready`,
    async () => {
      const k = await kustomization(name);
      if (k?.status?.lastAppliedRevision === revisionOf(BRANCH, commit) && isReady(k)) return k;
      if (k !== undefined) throw new Error(`Ready: ${JSON.stringify(condition(k, 'Ready'))}`);
      return undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/** The Deployments, ReplicaSets and pods of an app instance, as the API reports them. */
async function workload(namespace: string, instance: string) {
  const selector = `app.kubernetes.io/instance=${instance}`;
  const [deployments, replicaSets, pods] = await Promise.all([
    apps.listNamespacedDeployment({ namespace, labelSelector: selector }),
    apps.listNamespacedReplicaSet({ namespace, labelSelector: selector }),
    core.listNamespacedPod({ namespace, labelSelector: selector }),
  ]);
  return {
    deployments: deployments.items
      .map((d) => ({
        name: d.metadata!.name!,
        generation: d.metadata!.generation!,
        available: d.status?.availableReplicas ?? 0,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    replicaSets: replicaSets.items.map((r) => r.metadata!.uid!).sort(),
    pods: pods.items.map((p) => p.metadata!.uid!).sort(),
  };
}

beforeAll(async () => {
  stack = await useStack();
  apps = stack.kubeConfig.makeApiClient(AppsV1Api);
  core = stack.kubeConfig.makeApiClient(CoreV1Api);
  custom = stack.kubeConfig.makeApiClient(CustomObjectsApi);
  // On a cold cache this builds the Flux programs first (about 12 minutes on 2 cores).
  flux = await useFlux(stack, { path: './ops/clusters/local' });
  for (const name of [ROOT, 'apps', 'experiments']) await appliedAndReady(name, flux.initialCommit, 420_000);
}, 45 * 60_000);

afterAll(async () => {
  await stack?.cleanup();
}, 10 * 60_000);

describe('ops/clusters/local reconciled by Flux', () => {
  it('installs the operator with helm-controller from the GitRepository; a README-only commit leaves its pods alone', async () => {
    const release = await flux.client.get('HelmRelease', OPERATOR_RELEASE, OPERATOR_NAMESPACE);
    expect(isReady(release)).toBe(true);
    const before = await workload(OPERATOR_NAMESPACE, OPERATOR_RELEASE);
    expect(before.deployments).toEqual([expect.objectContaining({ available: 1 })]);
    expect(before.pods).toHaveLength(1);
    const releasesBefore = release?.status?.history?.length ?? 0;

    const commit = await push('README: a note only', (dir) =>
      appendFileSync(join(dir, 'README.md'), '\nA line that changes nothing deployed.\n'),
    );
    // reconcileStrategy: Revision makes each commit a new chart version, 0.1.0+<commit prefix>,
    // and helm-controller upgrades the release to it.
    const upgraded = await eventually(
      'the HelmRelease to upgrade to the chart of the new commit',
      async () => {
        const r = await flux.client.get('HelmRelease', OPERATOR_RELEASE, OPERATOR_NAMESPACE);
        const suffix = r?.status?.history?.[0]?.chartVersion?.split('+')[1] ?? '';
        return suffix.length >= 7 && commit.startsWith(suffix) && isReady(r) ? r : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(upgraded.status?.history?.length).toBeGreaterThan(releasesBefore);
    expect(await workload(OPERATOR_NAMESPACE, OPERATOR_RELEASE)).toEqual(before);
  }, 240_000);

  it('applies an experiment added to ops/experiments, and is Ready only after the experiment is', async () => {
    const commit = await flux.workingCopy.commit('experiments: add flux-it', (dir) => {
      writeFileSync(experimentFile(dir), experimentManifest(5));
      listResource(dir, `${NAME}.yaml`, true);
    });
    // Both read in every round, the Kustomization first: if it is Ready for the commit before
    // the experiment is, some round sees it Ready and the experiment not yet.
    let round = 0;
    let kustomizationReadyRound: number | undefined;
    let experimentReadyRound: number | undefined;
    let experimentSeenRound: number | undefined;
    await flux.client.requestReconcile('GitRepository', ROOT);
    const deadline = Date.now() + 240_000;
    while (kustomizationReadyRound === undefined || experimentReadyRound === undefined) {
      if (Date.now() > deadline)
        throw new Error(`timed out: rounds ${kustomizationReadyRound}, ${experimentReadyRound}`);
      round += 1;
      const k = await kustomization('experiments');
      const experiment = await readExperiment();
      if (
        kustomizationReadyRound === undefined &&
        k?.status?.lastAppliedRevision === revisionOf(BRANCH, commit) &&
        isReady(k)
      )
        kustomizationReadyRound = round;
      if (experimentSeenRound === undefined && experiment !== undefined) experimentSeenRound = round;
      if (experimentReadyRound === undefined && experimentReady(experiment)) experimentReadyRound = round;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Applied by Flux, not Ready at once (a topic and two pods take a while): the order is meaningful.
    expect(experimentSeenRound).toBeLessThan(experimentReadyRound);
    expect(experimentReadyRound).toBeLessThanOrEqual(kustomizationReadyRound);
  }, 300_000);

  it('rolls out a changed ratingsPerSecond, and reports the pushed commit as lastAppliedRevision', async () => {
    const before = (await readExperiment())!;
    const commit = await push('experiments: flux-it at 9 ratings/s', (dir) =>
      writeFileSync(experimentFile(dir), experimentManifest(9)),
    );
    const applied = await appliedAndReady('experiments', commit);
    expect(applied.status?.lastAppliedRevision).toBe(`${BRANCH}@sha1:${commit}`);
    const after = (await readExperiment())!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.spec.producer.ratingsPerSecond).toBe(9);
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation);
    // The health check passed for the new generation, not the old one.
    expect(experimentReady(after)).toBe(true);
  }, 240_000);

  it('refuses a commit with a broken manifest: Ready=False with the reason, what runs is untouched', async () => {
    const experimentBefore = (await readExperiment())!;
    const podsBefore = await workload(NAMESPACE, NAME);
    const applied = (await kustomization('experiments'))!.status!.lastAppliedRevision;

    const broken = await push('experiments: a typo', (dir) =>
      appendFileSync(experimentFile(dir), 'producer: {replicas: 3\n'),
    );
    const failed = await eventually(
      'Kustomization experiments to fail on the broken commit',
      async () => {
        const k = await kustomization('experiments');
        const ready = condition(k, 'Ready');
        return k?.status?.lastAttemptedRevision === revisionOf(BRANCH, broken) && ready?.status === 'False'
          ? k
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(condition(failed, 'Ready')).toMatchObject({
      reason: 'BuildFailed',
      message: expect.stringMatching(/yaml/i),
    });
    expect(failed.status?.lastAppliedRevision).toBe(applied);
    const experimentAfter = (await readExperiment())!;
    expect(experimentAfter.metadata.generation).toBe(experimentBefore.metadata.generation);
    expect(experimentReady(experimentAfter)).toBe(true);
    expect(await workload(NAMESPACE, NAME)).toEqual(podsBefore);

    const fixed = await push('experiments: fix the typo', (dir) =>
      writeFileSync(experimentFile(dir), experimentManifest(9)),
    );
    await appliedAndReady('experiments', fixed);
  }, 300_000);

  it('prunes an experiment removed from git, and its topic follows deletionPolicy: Delete', async () => {
    const topic = (await readExperiment())!.status!.topic!;
    const admin = await stack.kafkaAdmin();
    expect(await admin.listTopics()).toContain(topic);

    const commit = await push('experiments: remove flux-it', (dir) => {
      rmSync(experimentFile(dir));
      listResource(dir, `${NAME}.yaml`, false);
    });
    await appliedAndReady('experiments', commit);
    await eventually('the experiment to be gone', async () => (await readExperiment()) === undefined, {
      timeoutMs: 120_000,
    });
    await eventually(
      `Kafka topic ${topic} to be deleted`,
      async () => !(await admin.listTopics()).includes(topic),
      { timeoutMs: 120_000 },
    );
    expect((await workload(NAMESPACE, NAME)).deployments).toEqual([]);
  }, 300_000);

  it('shows the Kustomizations and the HelmRelease Ready in `flux get`', async () => {
    const readyRows = (table: string) =>
      table
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        // NAMESPACE NAME REVISION SUSPENDED READY MESSAGE…
        .filter((columns) => columns[4] === 'True')
        .map((columns) => `${columns[0]}/${columns[1]}`);
    const kustomizations = await flux.cli('get', 'kustomizations', '--all-namespaces');
    expect(readyRows(kustomizations).sort()).toEqual([
      'flux-system/apps',
      'flux-system/experiments',
      'flux-system/flux-system',
    ]);
    const releases = await flux.cli('get', 'helmreleases', '--all-namespaces');
    expect(readyRows(releases)).toEqual([`${OPERATOR_NAMESPACE}/${OPERATOR_RELEASE}`]);
  }, 60_000);
});
