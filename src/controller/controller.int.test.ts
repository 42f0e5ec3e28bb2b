// The controller as a real process on the local stack, under its own ServiceAccount and the
// ClusterRole of config/rbac. One controller serves the whole file (a second joins for the
// leader-election test), so the tests run in order and build on each other.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FINALIZER, LABEL_STAGED } from '../api/v1alpha1.ts';
import { randomSuffix, type StackHandle } from '../../e2e/stack/harness.ts';
import { repoRoot } from '../../e2e/stack/stack.ts';
import {
  ControllerProcess,
  conditionOf,
  type Experiment,
  FIELD_MANAGER,
  KAFKA,
  TEST_IMAGE,
  controllerSuite,
  deleteExperiments,
  experimentObject,
  waitFor,
} from '../../bench/controller-harness.ts';
import {
  LABEL_EXPERIMENT_NAME,
  LABEL_MANAGED_BY,
  childList,
  desiredChildren,
  resolveBootstrap,
  type Kafka,
} from '../model/index.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { childWrite } from './plan.ts';
import { resources, typeOf, type KubeObject } from '../common/kube-resources.ts';
import { firstDifference } from './semantic.ts';

const LEASE = 'ratings-operator-leader';

let stack: StackHandle;
let admin: KubeClient;
let ns: string;
let controllerNs: string;
let kubeconfig: string;
let leader: ControllerProcess;
const processes: ControllerProcess[] = [];

async function startController(podName: string): Promise<ControllerProcess> {
  const proc = await ControllerProcess.start({
    kubeconfig,
    podName,
    leaseNamespace: controllerNs,
    watchNamespace: ns,
  });
  processes.push(proc);
  return proc;
}

const getExperiment = (name: string) => admin.get<Experiment>(resources.ratingExperiment, ns, name);

async function createExperiment(
  name: string,
  spec: Record<string, unknown> = {},
  labels?: Record<string, string>,
): Promise<Experiment> {
  return admin.create<Experiment>(
    resources.ratingExperiment,
    experimentObject(ns, name, { consumer: { replicas: 1 }, ...spec }, labels),
    FIELD_MANAGER,
  );
}

/** The children as the model wants them for the experiment as it is now on the server. */
async function desiredFor(name: string): Promise<KubeObject[]> {
  const exp = await getExperiment(name);
  const kafka = await admin.get<Kafka & KubeObject>(resources.kafka, KAFKA.namespace, KAFKA.cluster);
  const bootstrap = resolveBootstrap(exp!, kafka);
  if (!bootstrap.ok) throw new Error(bootstrap.message);
  const children = desiredChildren(exp!, { image: TEST_IMAGE, bootstrapServers: bootstrap.bootstrapServers });
  return (childList(children) as KubeObject[]).map((c) => childWrite(c, undefined)!.object);
}

async function liveOf(desired: KubeObject): Promise<KubeObject | undefined> {
  return admin.get(typeOf(desired)!, desired.metadata?.namespace ?? '', desired.metadata?.name ?? '');
}

/** Every child exists and holds what the controller applies. */
async function childrenMatch(name: string): Promise<boolean> {
  for (const desired of await desiredFor(name)) {
    if (firstDifference(desired, await liveOf(desired)) !== undefined) return false;
  }
  return true;
}

/** The managedFields entries of the controller's field manager on the experiment and every child. */
async function controllerFieldSets(names: string[]): Promise<string> {
  const entries: unknown[] = [];
  for (const name of names) {
    const objects = [await getExperiment(name), ...(await Promise.all((await desiredFor(name)).map(liveOf)))];
    for (const obj of objects) {
      const mine = (obj?.metadata?.managedFields as { manager?: string }[] | undefined)?.filter(
        (f) => f.manager === 'ratings-operator',
      );
      entries.push([obj?.kind, obj?.metadata?.name, mine]);
    }
  }
  return JSON.stringify(entries);
}

/** Writes the controller made, leader-election renewals aside. */
async function writesBy(proc: ControllerProcess): Promise<number> {
  return (await proc.metrics()).get('ratings_operator_api_writes_total', {}, { kind: 'Lease' });
}

/** Reasons of the Events recorded about an experiment. */
async function eventReasons(name: string): Promise<string[]> {
  type Event = KubeObject & { reason?: string; regarding?: { name?: string } };
  const { items } = await admin.list<Event>(resources.event, { namespace: ns });
  return items.filter((e) => e.regarding?.name === name).map((e) => e.reason ?? '');
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await admin.get<KubeObject & { spec?: { holderIdentity?: string } }>(
    resources.lease,
    controllerNs,
    LEASE,
  );
  return lease?.spec?.holderIdentity;
}

const main = `erb-${randomSuffix()}`;

beforeAll(async () => {
  ({ stack, admin, controllerNs, kubeconfig } = await controllerSuite('rexp'));
  ns = await stack.newNamespace('rexp');
  leader = await startController('controller-a');
}, 180_000);

afterAll(async () => {
  // Delete what is left while a controller still runs, so that finalizers do not hold the namespace.
  const running = processes.find((p) => p === leader);
  if (running !== undefined) await deleteExperiments(admin, [ns]);
  await Promise.all(processes.map((p) => p.stop()));
  await stack?.cleanup();
}, 120_000);

describe('the controller on the local stack', () => {
  it('applies every child as specified, adds its finalizer and reports Ready once the children are', async () => {
    await createExperiment(main);
    await waitFor('the children', () => childrenMatch(main), 30_000);

    const exp = await getExperiment(main);
    expect(exp?.metadata?.finalizers).toContain(FINALIZER);
    for (const desired of await desiredFor(main)) {
      const live = await liveOf(desired);
      if (desired.kind === 'KafkaTopic') {
        expect(live?.metadata?.labels?.[LABEL_EXPERIMENT_NAME]).toBe(main);
      } else {
        expect(live?.metadata?.ownerReferences).toEqual([
          expect.objectContaining({
            kind: 'RatingExperiment',
            name: main,
            uid: exp?.metadata?.uid,
            controller: true,
          }),
        ]);
      }
    }

    // The topic-operator stand-in makes the topic Ready; the stack's node runs the pods.
    await waitFor(
      'TopicReady',
      async () => conditionOf(await getExperiment(main), 'TopicReady')?.status === 'True',
      60_000,
    );
    await waitFor(
      'Ready',
      async () => {
        const e = await getExperiment(main);
        return (
          conditionOf(e, 'Ready')?.status === 'True' &&
          e?.status?.observedGeneration === e?.metadata?.generation
        );
      },
      120_000,
    );
    const ready = await getExperiment(main);
    expect(conditionOf(ready, 'ProducerAvailable')).toMatchObject({
      status: 'True',
      reason: 'DeploymentAvailable',
    });
    expect(conditionOf(ready, 'ConsumerAvailable')).toMatchObject({
      status: 'True',
      reason: 'DeploymentAvailable',
    });
    expect(ready?.status?.topic).toBe(`${ns}.${main}-ratings`);
    expect(await eventReasons(main)).toEqual(expect.arrayContaining(['Created', 'Reconciled']));
  }, 240_000);

  it('applies an edit to the children and observes the new generation', async () => {
    await admin.mergePatch(
      resources.ratingExperiment,
      ns,
      main,
      { spec: { producer: { replicas: 2 } } },
      FIELD_MANAGER,
    );
    const generation = (await getExperiment(main))?.metadata?.generation;
    await waitFor('the producer to scale', async () => {
      const d = await admin.get<KubeObject & { spec?: { replicas?: number } }>(
        resources.deployment,
        ns,
        `${main}-producer`,
      );
      return d?.spec?.replicas === 2;
    });
    await waitFor('the new generation to be observed', async () => {
      const e = await getExperiment(main);
      return (
        e?.status?.observedGeneration === generation &&
        conditionOf(e, 'Ready')?.observedGeneration === generation
      );
    });
    await waitFor(
      'Ready again',
      async () => conditionOf(await getExperiment(main), 'Ready')?.status === 'True',
      120_000,
    );
    expect(await eventReasons(main)).toContain('Updated');
  }, 180_000);

  it('restores a deleted Deployment and an edited Service', async () => {
    const before = await admin.get(resources.deployment, ns, `${main}-consumer`);
    await admin.delete(resources.deployment, ns, `${main}-consumer`);
    const service = (await desiredFor(main)).find((d) => d.kind === 'Service') as KubeObject & {
      spec: { ports: { targetPort?: unknown }[] };
    };
    const ports = service.spec.ports.map((p) => ({ ...p, targetPort: 9999 }));
    await admin.mergePatch(
      resources.service,
      ns,
      service.metadata?.name ?? '',
      { metadata: { labels: { [LABEL_MANAGED_BY]: 'someone-else' } }, spec: { ports } },
      'someone-else',
    );
    await waitFor('the Deployment to come back', async () => {
      const d = await admin.get(resources.deployment, ns, `${main}-consumer`);
      return d !== undefined && d.metadata?.uid !== before?.metadata?.uid;
    });
    await waitFor('every child as desired again', () => childrenMatch(main), 30_000);
    await waitFor(
      'Ready again',
      async () => conditionOf(await getExperiment(main), 'Ready')?.status === 'True',
      120_000,
    );
  }, 180_000);

  it('writes nothing in steady state for a minute, nor after a restart', async () => {
    // Let the last transitions of the previous test settle (pods coming up report through status).
    await waitFor(
      'no writes for 10 s',
      async () => {
        const before = await writesBy(leader);
        await new Promise((r) => setTimeout(r, 10_000));
        return (await writesBy(leader)) === before;
      },
      90_000,
    );
    const fieldsBefore = await controllerFieldSets([main]);
    const writesBefore = await writesBy(leader);
    const reconcilesBefore = (await leader.metrics()).get('ratings_operator_reconcile_total');

    await new Promise((r) => setTimeout(r, 60_000));

    expect(await writesBy(leader)).toBe(writesBefore);
    expect(await controllerFieldSets([main])).toBe(fieldsBefore);
    // Consumer checkpoints alone would not wake it; Deployment status or resyncs may: they are fine, as long as they write nothing.
    expect((await leader.metrics()).get('ratings_operator_reconcile_total')).toBeGreaterThanOrEqual(
      reconcilesBefore,
    );

    await leader.stop('SIGTERM');
    expect(await leader.exited).toBe(0);
    leader = await startController('controller-a2');
    await waitFor('the restarted controller to reconcile everything', async () => {
      return (await leader.metrics()).get('ratings_operator_reconcile_total', { result: 'success' }) >= 1;
    });
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await writesBy(leader)).toBe(0);
    expect(await controllerFieldSets([main])).toBe(fieldsBefore);
  }, 240_000);

  it('runs one leader among two replicas, and the other takes over when the leader dies', async () => {
    await waitFor('a leader', async () => (await leaseHolder()) === leader.podName, 30_000);
    const standby = await startController('controller-b');
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await standby.metrics()).get('ratings_operator_leader')).toBe(0);
    expect((await standby.metrics()).get('ratings_operator_reconcile_total')).toBe(0);
    expect((await leader.metrics()).get('ratings_operator_leader')).toBe(1);

    const killedAt = Date.now();
    await leader.stop('SIGKILL');
    await waitFor(
      'the standby to lead',
      async () => (await standby.metrics()).get('ratings_operator_leader') === 1,
      30_000,
    );
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(15_000 + 2_000 + 2_000); // lease duration + retry period + polling
    expect(await leaseHolder()).toBe('controller-b');
    leader = standby;

    const second = `erb-${randomSuffix()}`;
    await createExperiment(second);
    await waitFor('the new leader to reconcile', () => childrenMatch(second), 30_000);
  }, 120_000);

  it('deletes the KafkaTopic with deletionPolicy Delete, and the children with the experiment', async () => {
    const topic = (await desiredFor(main)).find((d) => d.kind === 'KafkaTopic')!;
    const deployment = (await desiredFor(main)).find((d) => d.kind === 'Deployment')!;
    await admin.delete(resources.ratingExperiment, ns, main);
    await waitFor('the experiment to go', async () => (await getExperiment(main)) === undefined, 60_000);
    await waitFor('the KafkaTopic to go', async () => (await liveOf(topic)) === undefined, 60_000);
    await waitFor(
      'the garbage collector to remove the children',
      async () => (await liveOf(deployment)) === undefined,
      60_000,
    );
  }, 180_000);

  it('keeps the KafkaTopic with deletionPolicy Retain, released from the operator', async () => {
    const kept = `erb-${randomSuffix()}`;
    await createExperiment(kept, { deletionPolicy: 'Retain' });
    await waitFor('the children', () => childrenMatch(kept), 30_000);
    const topic = (await desiredFor(kept)).find((d) => d.kind === 'KafkaTopic')!;
    stack.onCleanup(async () => {
      await admin.delete(resources.kafkaTopic, topic.metadata?.namespace ?? '', topic.metadata?.name ?? '');
    });
    await admin.delete(resources.ratingExperiment, ns, kept);
    await waitFor('the experiment to go', async () => (await getExperiment(kept)) === undefined, 60_000);
    const live = await liveOf(topic);
    expect(live).toBeDefined();
    expect(live?.metadata?.labels?.[LABEL_MANAGED_BY]).toBeUndefined();
    expect(live?.metadata?.labels?.[LABEL_EXPERIMENT_NAME]).toBeUndefined();
    expect(live?.metadata?.labels?.['strimzi.io/cluster']).toBe(KAFKA.cluster);
  }, 120_000);
});

describe('staged experiments', () => {
  const staged = `stg-${randomSuffix()}`;

  it('leaves a staged experiment alone, and takes it over once the label is removed', async () => {
    const created = await createExperiment(staged, {}, { [LABEL_STAGED]: 'true' });
    // A sibling created just after it shows the controller at work on the same watch.
    const sibling = `erb-${randomSuffix()}`;
    await createExperiment(sibling);
    await waitFor('the sibling to be reconciled', () => childrenMatch(sibling), 60_000);
    await new Promise((r) => setTimeout(r, 5_000));

    const exp = await getExperiment(staged);
    expect(exp?.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(exp?.metadata?.finalizers ?? []).toEqual([]);
    expect(exp?.status).toBeUndefined();
    for (const desired of await desiredFor(staged)) expect(await liveOf(desired)).toBeUndefined();
    expect(await eventReasons(staged)).toEqual([]);

    await admin.mergePatch(
      resources.ratingExperiment,
      ns,
      staged,
      { metadata: { labels: { [LABEL_STAGED]: null } } },
      FIELD_MANAGER,
    );
    await waitFor('the children once unstaged', () => childrenMatch(staged), 60_000);
    expect((await getExperiment(staged))?.metadata?.finalizers).toContain(FINALIZER);
  }, 120_000);

  it('releases a managed experiment that gets staged: says so, drops its finalizer, keeps its children', async () => {
    const topic = (await desiredFor(staged)).find((d) => d.kind === 'KafkaTopic')!;
    stack.onCleanup(async () => {
      await admin.delete(resources.kafkaTopic, topic.metadata?.namespace ?? '', topic.metadata?.name ?? '');
    });
    await admin.mergePatch(
      resources.ratingExperiment,
      ns,
      staged,
      { metadata: { labels: { [LABEL_STAGED]: 'true' } } },
      FIELD_MANAGER,
    );
    await waitFor(
      'the finalizer to go',
      async () => !((await getExperiment(staged))?.metadata?.finalizers ?? []).includes(FINALIZER),
      60_000,
    );
    const released = await getExperiment(staged);
    expect(conditionOf(released, 'Ready')).toMatchObject({ status: 'False', reason: 'Staged' });
    expect(conditionOf(released, 'Ready')?.message).toContain(
      `KafkaTopic ${KAFKA.namespace}/${topic.metadata?.name}`,
    );
    expect(conditionOf(released, 'Reconciling')).toMatchObject({ status: 'False', reason: 'Staged' });
    expect(await eventReasons(staged)).toContain('Staged');

    // No longer managed: a spec change reaches no child, and deletion leaves the topic.
    const producer = await admin.get(resources.deployment, ns, `${staged}-producer`);
    await admin.mergePatch(
      resources.ratingExperiment,
      ns,
      staged,
      { spec: { producer: { replicas: 3 } } },
      FIELD_MANAGER,
    );
    await new Promise((r) => setTimeout(r, 5_000));
    // Its status may still change (the Deployment controller), its spec not: replicas stay.
    type Deployment = KubeObject & { spec?: { replicas?: number } };
    const after = await admin.get<Deployment>(resources.deployment, ns, `${staged}-producer`);
    expect(after?.spec?.replicas).toBe((producer as Deployment | undefined)?.spec?.replicas);
    expect(after?.spec?.replicas).not.toBe(3);
    await admin.delete(resources.ratingExperiment, ns, staged);
    await waitFor('the experiment to go', async () => (await getExperiment(staged)) === undefined, 30_000);
    expect(await liveOf(topic)).toBeDefined();
  }, 120_000);
});

describe('the controller process', () => {
  it('exits with status 2 and names every configuration problem', () => {
    const result = spawnSync(process.execPath, [join(repoRoot, 'src', 'cli.ts'), 'controller'], {
      env: { PATH: process.env.PATH, MAX_CONCURRENT_RECONCILES: 'many' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('OPERATOR_IMAGE is required');
    expect(result.stderr).toContain('POD_NAME is required');
    expect(result.stderr).toContain('MAX_CONCURRENT_RECONCILES must be an integer');
  });
});
