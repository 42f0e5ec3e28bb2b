// Controller benchmark on the local stack (`npm run bench:controller`; the stack must be up).
// For 1, 100 and 1,000 experiments it prints: the time for the controller (a real process under
// the config/rbac ClusterRole) to converge them, the time for a plain parallel client to create
// the same objects (the floor), API requests per reconcile, and, at the largest size, writes
// per minute in steady state and the controller's RSS.
//
// Pods are kept out of it: each bench namespace has a ResourceQuota of 0 pods, so the
// Deployments exist but start nothing (the measure is the control plane, not 2,000 processes).
// KafkaTopics are real: the topic-operator stand-in creates their Kafka topics (1 partition).
// An extra ServiceCIDR (10.1.0.0/20, left in place) makes room for the Services; namespaces
// are ctlbench-*.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RatingExperiment } from '../src/api/v1alpha1.ts';
import { catalog } from './controller-harness.ts';
import { childList, defaultTopicName, desiredChildren } from '../src/model/index.ts';
import type { KubeClient } from '../src/common/kube-client.ts';
import { childWrite } from '../src/controller/plan.ts';
import { resources, typeOf, type KubeObject, type ResourceType } from '../src/common/kube-resources.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../src/common/logger.ts';
import { Informer } from '../src/controller/informer.ts';
import { installRatingsCrd } from '../e2e/stack/harness.ts';
import { readStackEnv } from '../e2e/stack/stack.ts';
import {
  ControllerProcess,
  FIELD_MANAGER,
  TEST_IMAGE,
  adminClient,
  adminTypes,
  buildDist,
  controllerKubeconfig,
  readYamlDocuments,
  waitFor,
} from './controller-harness.ts';

const SIZES = (process.env.BENCH_SIZES ?? '1,100,1000').split(',').map(Number);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 16);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 60);
const BOOTSTRAP = '127.0.0.1:19092';
const quota: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'resourcequotas',
  kind: 'ResourceQuota',
  namespaced: true,
};
const serviceCidr: ResourceType = {
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'servicecidrs',
  kind: 'ServiceCIDR',
  namespaced: false,
};
/** 1,000 experiments have 2,000 Services: more than the stack's /24 service range holds. */
const EXTRA_SERVICE_CIDR = { name: 'ratings-operator-bench', cidr: '10.1.0.0/20' };

type Experiment = RatingExperiment & KubeObject;

function experiment(namespace: string, name: string): Experiment {
  return {
    apiVersion: 'ratings.conglombo.io/v1alpha1',
    kind: 'RatingExperiment',
    metadata: { name, namespace },
    spec: {
      // Topics in the bench namespace, so that deleting it cleans everything up.
      kafka: { cluster: 'bench', namespace, bootstrapServers: BOOTSTRAP },
      topic: { partitions: 1, replicas: 1 },
      // Spelled out rather than left to the CRD's defaults: other suites re-apply the shared CRD.
      voices: catalog.voices,
      battles: catalog.battles,
      scale: catalog.scale,
      producer: { replicas: 0, ratingsPerSecond: 1 },
      consumer: { replicas: 1 },
      deletionPolicy: 'Delete',
    },
  } as unknown as Experiment;
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function benchNamespace(admin: KubeClient, name: string): Promise<string> {
  await admin.apply(
    adminTypes.namespace,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    FIELD_MANAGER,
  );
  await admin.apply(
    quota,
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'no-pods', namespace: name },
      spec: { hard: { pods: '0' } },
    } as KubeObject,
    FIELD_MANAGER,
  );
  return name;
}

async function deleteNamespace(admin: KubeClient, name: string): Promise<void> {
  await admin.delete(adminTypes.namespace, '', name);
  await waitFor(
    `namespace ${name} to go`,
    async () => (await admin.get(adminTypes.namespace, '', name)) === undefined,
    600_000,
  );
}

/** The floor: a plain client creates each experiment, applies its children and writes a status. */
async function floor(admin: KubeClient, namespace: string, n: number): Promise<number> {
  const names = Array.from({ length: n }, (_, i) => `floor-${i}`);
  const start = performance.now();
  await inParallel(names, PARALLEL, async (name) => {
    const created = await admin.create<Experiment>(
      resources.ratingExperiment,
      experiment(namespace, name),
      FIELD_MANAGER,
    );
    const children = desiredChildren(created, { image: TEST_IMAGE, bootstrapServers: BOOTSTRAP });
    for (const child of childList(children) as KubeObject[]) {
      await admin.apply(typeOf(child)!, childWrite(child, undefined)!.object, FIELD_MANAGER);
    }
    const status = {
      observedGeneration: created.metadata?.generation,
      topic: defaultTopicName(namespace, name),
      bootstrapServers: BOOTSTRAP,
    };
    await admin.mergePatch(resources.ratingExperiment, namespace, name, { status }, FIELD_MANAGER, 'status');
  });
  return performance.now() - start;
}

const statusWritten = (e: Experiment): boolean =>
  e.status?.observedGeneration === e.metadata?.generation && e.status?.topic !== undefined;

/** Every child of n experiments exists (listed once the statuses say so; a failed apply would be retried). */
async function childrenExist(admin: KubeClient, namespace: string, n: number): Promise<boolean> {
  const kinds = [
    resources.serviceAccount,
    resources.role,
    resources.roleBinding,
    resources.service,
    resources.deployment,
    resources.kafkaTopic,
  ];
  for (const type of kinds) {
    const perExperiment = type === resources.service || type === resources.deployment ? 2 : 1;
    const labelSelector = 'app.kubernetes.io/managed-by=ratings-operator';
    const { items } = await admin.list(type, { namespace, labelSelector });
    if (items.length < n * perExperiment) return false;
  }
  return true;
}

/**
 * Resolves once n experiments have their status written, as seen by a watch (polling lists of
 * 1,000 objects would load the API server during the measurement and not during the floor's).
 */
function statusesWritten(
  admin: KubeClient,
  namespace: string,
  n: number,
): { done: Promise<void>; stop: () => Promise<void> } {
  const informer = new Informer<Experiment>({
    client: admin,
    type: resources.ratingExperiment,
    namespace,
    logger: createLogger('bench-controller', 'warn'),
  });
  const done = new Promise<void>((resolve) => {
    informer.onChange(() => {
      if (informer.list().filter(statusWritten).length >= n) resolve();
    });
  });
  informer.start();
  return { done: informer.waitForSync().then(() => done), stop: () => informer.stop() };
}

async function topicsReady(admin: KubeClient, namespace: string, n: number): Promise<boolean> {
  const { items } = await admin.list<Experiment>(resources.ratingExperiment, { namespace });
  const ready = items.filter((e) =>
    e.status?.conditions?.some((c) => c.type === 'TopicReady' && c.status === 'True'),
  );
  return ready.length >= n;
}

interface Row {
  n: number;
  controllerMs: number;
  floorMs: number;
  requestsPerReconcile: number;
  reconciles: number;
  steadyWritesPerMinute?: number;
  rssMiB?: number;
}

/** A variable of the controller container in config/manager, so that the bench runs it as deployed. */
function managerEnv(name: string): string {
  type Deployment = KubeObject & {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const [deployment] = readYamlDocuments('config/manager/manager.yaml') as Deployment[];
  const value = deployment?.spec.template.spec.containers[0]?.env?.find((e) => e.name === name)?.value;
  if (value === undefined) throw new Error(`config/manager/manager.yaml sets no ${name}`);
  return value;
}

/** Adds the bench's ServiceCIDR (kept afterwards: it only widens the range, and re-runs reuse it). */
async function ensureServiceCidr(admin: KubeClient): Promise<void> {
  type Cidr = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };
  const get = () => admin.get<Cidr>(serviceCidr, '', EXTRA_SERVICE_CIDR.name);
  await waitFor(
    'a terminating ServiceCIDR to go',
    async () => !(await get())?.metadata?.deletionTimestamp,
    300_000,
  );
  const body = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'ServiceCIDR',
    metadata: { name: EXTRA_SERVICE_CIDR.name },
    spec: { cidrs: [EXTRA_SERVICE_CIDR.cidr] },
  };
  await admin.apply(serviceCidr, body as KubeObject, FIELD_MANAGER);
  await waitFor('the ServiceCIDR to be ready', async () =>
    ((await get())?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

/** Measures n experiments: the floor first, then the controller, each in a fresh namespace. */
async function measure(
  admin: KubeClient,
  kubeconfig: string,
  controllerNs: string,
  run: string,
  n: number,
): Promise<Row> {
  const floorNs = await benchNamespace(admin, `ctlbench-floor-${n}-${run}`);
  let floorMs: number;
  try {
    floorMs = await floor(admin, floorNs, n);
  } finally {
    await deleteNamespace(admin, floorNs);
  }

  const ns = await benchNamespace(admin, `ctlbench-exp-${n}-${run}`);
  const controller = await ControllerProcess.start({
    kubeconfig,
    podName: `bench-${n}`,
    fromDist: true,
    leaseNamespace: controllerNs,
    watchNamespace: ns,
    env: {
      MAX_CONCURRENT_RECONCILES: String(PARALLEL),
      LOG_LEVEL: 'warn',
      LEASE_NAME: `bench-${n}`,
      NODE_OPTIONS: managerEnv('NODE_OPTIONS'),
    },
  });
  try {
    await waitFor(
      'the lease',
      async () => (await controller.metrics()).get('ratings_operator_leader') === 1,
      30_000,
    );
    const watch = statusesWritten(admin, ns, n);
    const start = performance.now();
    const names = Array.from({ length: n }, (_, i) => `exp-${i}`);
    await inParallel(names, PARALLEL, async (name) => {
      await admin.create(resources.ratingExperiment, experiment(ns, name), FIELD_MANAGER);
    });
    await watch.done;
    await watch.stop();
    await waitFor(`the children of ${n} experiments`, () => childrenExist(admin, ns, n), 600_000, 1000);
    const controllerMs = performance.now() - start;

    const metrics = await controller.metrics();
    const reconciles = metrics.get('ratings_operator_reconcile_total');
    // Per reconcile: what reconciles cause, not the informers' lists and watches or lease renewals.
    const requests =
      metrics.get('ratings_operator_api_requests_total', {}, { kind: 'Lease' }) -
      metrics.get('ratings_operator_api_requests_total', { verb: 'list' }) -
      metrics.get('ratings_operator_api_requests_total', { verb: 'watch' });
    const row: Row = {
      n,
      controllerMs,
      floorMs,
      reconciles,
      requestsPerReconcile: requests / Math.max(1, reconciles),
    };
    if (n === Math.max(...SIZES)) {
      // Steady state: the topic stand-in has made every topic Ready (each one a legitimate status
      // change), and the Deployment controller has settled.
      await waitFor('every topic to be Ready', () => topicsReady(admin, ns, n), 900_000, 5000);
      await sleep(20_000);
      const writes = async () =>
        (await controller.metrics()).get('ratings_operator_api_writes_total', {}, { kind: 'Lease' });
      const before = await writes();
      await sleep(STEADY_SECONDS * 1000);
      row.steadyWritesPerMinute = ((await writes()) - before) * (60 / STEADY_SECONDS);
      row.rssMiB = (await controller.metrics()).get('process_resident_memory_bytes') / 2 ** 20;
    }
    return row;
  } finally {
    await deleteNamespace(admin, ns); // while the controller runs, so that its finalizers are honoured
    await controller.stop();
  }
}

async function main(): Promise<void> {
  const env = readStackEnv();
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.KUBECONFIG);
  const admin = adminClient(env.KUBECONFIG);
  buildDist();
  await installRatingsCrd(env.KUBECONFIG);
  await ensureServiceCidr(admin);
  const run = Date.now().toString(36);
  const controllerNs = await benchNamespace(admin, `ctlbench-controller-${run}`);
  const rows: Row[] = [];
  try {
    const kubeconfig = await controllerKubeconfig(kubeConfig, admin, controllerNs);
    for (const n of SIZES) {
      const row = await measure(admin, kubeconfig, controllerNs, run, n);
      rows.push(row);
      print(row);
    }
  } finally {
    await admin
      .delete(adminTypes.clusterRoleBinding, '', `ratings-operator-${controllerNs}`)
      .catch(() => undefined);
    await admin.delete(adminTypes.namespace, '', controllerNs).catch(() => undefined);
    admin.close();
  }
  process.stdout.write(`\n${table(rows)}\n`);
}

function print(row: Row): void {
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

function table(rows: Row[]): string {
  const lines = [
    '| experiments | controller | floor (plain client) | ratio | API requests / reconcile | reconciles | steady writes/min | RSS |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.n} | ${(r.controllerMs / 1000).toFixed(1)} s | ${(r.floorMs / 1000).toFixed(1)} s | ${(r.controllerMs / r.floorMs).toFixed(2)} | ${r.requestsPerReconcile.toFixed(2)} | ${r.reconciles} | ${r.steadyWritesPerMinute ?? '–'} | ${r.rssMiB === undefined ? '–' : `${r.rssMiB.toFixed(0)} MiB`} |`,
    );
  }
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
