// The control plane's half of "totals that are never silently wrong", on the local stack with
// real processes: isolation of same-named experiments in two namespaces, refused applies
// reported as such, counting that stays exact while the controller leader is killed or the API
// server restarts, and a leader that stops leading when its lease renewal hangs. Pods are observed
// only through the Kubernetes API (Deployments, the experiment's status).
import { randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dump, load } from 'js-yaml';
import { randomSuffix, type StackHandle } from '../../e2e/stack/harness.ts';
import { FreezableProxy } from '../../e2e/stack/mode-process.ts';
import { ensureStack, stopStack } from '../../e2e/stack/stack.ts';
import {
  ControllerProcess,
  conditionOf,
  type Experiment,
  FIELD_MANAGER,
  KAFKA,
  controllerSuite,
  deleteExperiments,
  experimentObject,
  metricsTokenFile,
  waitFor,
} from '../../bench/controller-harness.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { resources, type KubeObject, type ResourceType } from '../common/kube-resources.ts';

type Deployment = KubeObject & {
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } };
  };
};

let stack: StackHandle;
let admin: KubeClient;
let controllerNs: string;
let kubeconfig: string;
const processes: ControllerProcess[] = [];
const experimentNamespaces: string[] = [];

const vap = (kind: string, plural: string): ResourceType => ({
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced: false,
});
const policyType = vap('ValidatingAdmissionPolicy', 'validatingadmissionpolicies');
const bindingType = vap('ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings');

async function startController(podName: string, env: Record<string, string> = {}, config = kubeconfig) {
  const proc = await ControllerProcess.start({
    kubeconfig: config,
    podName,
    leaseNamespace: controllerNs,
    // All namespaces: the isolation test spans two.
    env: { TERMINAL_RETRY_SECONDS: '5', ...env },
  });
  processes.push(proc);
  return proc;
}

const getExperiment = (ns: string, name: string) =>
  admin.get<Experiment>(resources.ratingExperiment, ns, name);
const isReady = (exp: Experiment | undefined): boolean =>
  conditionOf(exp, 'Ready')?.status === 'True' &&
  conditionOf(exp, 'Ready')?.observedGeneration === exp?.metadata?.generation;

async function createExperiment(ns: string, name: string, spec: Record<string, unknown> = {}): Promise<void> {
  await admin.create(
    resources.ratingExperiment,
    experimentObject(ns, name, {
      producer: { replicas: 1, ratingsPerSecond: 0 },
      consumer: { replicas: 1, checkpointIntervalSeconds: 1 },
      ...spec,
    }),
    FIELD_MANAGER,
  );
}

async function waitReady(ns: string, name: string, timeoutMs = 240_000): Promise<Experiment> {
  await waitFor(
    `${ns}/${name} to be Ready`,
    async () => isReady(await getExperiment(ns, name)),
    timeoutMs,
    1_000,
  );
  return (await getExperiment(ns, name))!;
}

const kafkaTopicEnv = (d: Deployment | undefined): string | undefined =>
  d?.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === 'KAFKA_TOPIC')?.value;

/** Who a KafkaTopic belongs to, by the operator's labels. */
async function topicOwner(topicName: string): Promise<string | undefined> {
  const { items } = await admin.list<KubeObject & { spec?: { topicName?: string } }>(resources.kafkaTopic, {
    namespace: KAFKA.namespace,
  });
  const kt = items.find((t) => t.spec?.topicName === topicName);
  const labels = kt?.metadata?.labels ?? {};
  return kt === undefined
    ? undefined
    : `${labels['ratings.conglombo.io/experiment-namespace']}/${labels['ratings.conglombo.io/experiment-name']}`;
}

/**
 * Per-voice totals of every record in the topic, read back with a fresh consumer: the reference
 * the status must equal (every record this test's producers wrote is a valid rating: a rating
 * adds its value to both voices of the battle).
 */
async function topicTotals(topic: string): Promise<{ counted: number; sums: Map<string, number> }> {
  const kafkaAdmin = stack.kafka.admin();
  await kafkaAdmin.connect();
  const ends = await kafkaAdmin.fetchTopicOffsets(topic);
  await kafkaAdmin.disconnect();
  const remaining = new Map(ends.map((p) => [p.partition, Number(p.high) - Number(p.low)]));
  const result = { counted: 0, sums: new Map<string, number>() };
  if ([...remaining.values()].every((n) => n <= 0)) return result;
  const consumer = stack.kafka.consumer({ groupId: `reference-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const rating = JSON.parse(message.value?.toString() ?? '') as {
              voices: string[];
              rating: number;
            };
            result.counted++;
            for (const voice of rating.voices)
              result.sums.set(voice, (result.sums.get(voice) ?? 0) + rating.rating);
          }
          remaining.set(batch.partition, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1);
          if ([...remaining.values()].every((n) => n <= 0)) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return result;
}

/** Stops the producer, waits until everything produced is checkpointed, and compares the status with the topic. */
async function expectExact(ns: string, name: string): Promise<void> {
  await admin.mergePatch(
    resources.ratingExperiment,
    ns,
    name,
    { spec: { producer: { ratingsPerSecond: 0 } } },
    FIELD_MANAGER,
  );
  const topic = (await getExperiment(ns, name))!.status!.topic!;
  const kafkaAdmin = await stack.kafkaAdmin();
  const inTopic = async () =>
    (await kafkaAdmin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  // The producer may still flush a batch after its rate dropped: wait until the topic stops growing
  // and the checkpoints cover all of it.
  await waitFor(
    'every record in the topic checkpointed',
    async () => {
      const before = await inTopic();
      await new Promise((r) => setTimeout(r, 2_000));
      const s = (await getExperiment(ns, name))?.status;
      return before > 0 && (await inTopic()) === before && s?.counted === before && s.lag === 0;
    },
    120_000,
    1_000,
  );
  const settled = await getExperiment(ns, name);
  const reference = await topicTotals(topic);
  expect(settled?.status?.counted).toBe(reference.counted);
  expect(settled?.status?.lag).toBe(0);
  const sums = Object.fromEntries((settled?.status?.totals ?? []).map((t) => [t.voice, t.sum]));
  expect(sums).toEqual(Object.fromEntries(reference.sums));
}

beforeAll(async () => {
  ({ stack, admin, controllerNs, kubeconfig } = await controllerSuite('exact'));
}, 180_000);

afterAll(async () => {
  // Delete the experiments while a controller runs (one: each test stops its own), so that
  // finalizers do not hold the namespaces.
  await Promise.all(processes.map((p) => p.stop()));
  if (experimentNamespaces.length > 0)
    await startController('exact-cleanup', { LEASE_NAME: `exact-${randomSuffix()}` });
  await deleteExperiments(admin, experimentNamespaces);
  await Promise.all(processes.map((p) => p.stop()));
  await stack?.cleanup();
}, 180_000);

async function experimentNamespace(prefix: string): Promise<string> {
  const ns = await stack.newNamespace(prefix);
  experimentNamespaces.push(ns);
  return ns;
}

/** An experiment producing 20 ratings/s in a namespace of its own, Ready and past 20 counted. */
async function countingExperiment(
  nsPrefix: string,
  namePrefix: string,
): Promise<{ ns: string; name: string }> {
  const ns = await experimentNamespace(nsPrefix);
  const name = `${namePrefix}-${randomSuffix()}`;
  await createExperiment(ns, name, { producer: { replicas: 1, ratingsPerSecond: 20 } });
  await waitReady(ns, name);
  await waitFor(
    'counting',
    async () => ((await getExperiment(ns, name))?.status?.counted ?? 0) > 20,
    60_000,
    1_000,
  );
  return { ns, name };
}

const leads = async (proc: ControllerProcess) => (await proc.metrics()).get('ratings_operator_leader') === 1;

describe('isolation and status from outcomes', () => {
  let leader: ControllerProcess;
  beforeAll(async () => {
    leader = await startController('exact-a', { LEASE_NAME: `exact-${randomSuffix()}` });
  });
  afterAll(async () => {
    await leader.stop();
  });

  it('gives same-named experiments in two namespaces their own topics: the quiet one counts nothing', async () => {
    const quietNs = await experimentNamespace('iso-quiet');
    const busyNs = await experimentNamespace('iso-busy');
    const name = `dup-${randomSuffix()}`;
    await createExperiment(quietNs, name);
    await waitReady(quietNs, name);
    await createExperiment(busyNs, name, { producer: { replicas: 1, ratingsPerSecond: 20 } });
    await waitReady(busyNs, name);
    await waitFor(
      'the busy one to count',
      async () => ((await getExperiment(busyNs, name))?.status?.counted ?? 0) >= 40,
      120_000,
      1_000,
    );
    // Several checkpoint intervals of the quiet one's consumer after the other produced.
    await new Promise((r) => setTimeout(r, 5_000));

    const quiet = await getExperiment(quietNs, name);
    const busy = await getExperiment(busyNs, name);
    expect(quiet?.status?.counted ?? 0).toBe(0);
    expect(quiet?.status?.totals?.reduce((n, t) => n + t.count, 0) ?? 0).toBe(0);
    expect(quiet?.status?.topic).not.toBe(busy?.status?.topic);
    // Every Deployment points at a topic its own experiment owns.
    for (const [ns, exp] of [
      [quietNs, quiet],
      [busyNs, busy],
    ] as const) {
      expect(await topicOwner(exp!.status!.topic!)).toBe(`${ns}/${name}`);
      for (const component of ['producer', 'consumer']) {
        const d = await admin.get<Deployment>(resources.deployment, ns, `${name}-${component}`);
        expect(kafkaTopicEnv(d)).toBe(exp?.status?.topic);
      }
    }
  }, 420_000);

  it('runs no producer or consumer against a topic another experiment owns (TopicConflict)', async () => {
    const ownerNs = await experimentNamespace('conflict-owner');
    const otherNs = await experimentNamespace('conflict-other');
    const owner = `own-${randomSuffix()}`;
    await createExperiment(ownerNs, owner);
    const topic = (await waitReady(ownerNs, owner)).status!.topic!;
    const intruder = `take-${randomSuffix()}`;
    await createExperiment(otherNs, intruder, {
      topic: { name: topic, partitions: 1, replicas: 1 },
      producer: { replicas: 1, ratingsPerSecond: 20 },
    });
    await waitFor(
      'TopicConflict',
      async () =>
        conditionOf(await getExperiment(otherNs, intruder), 'TopicReady')?.reason === 'TopicConflict',
      60_000,
      1_000,
    );
    // Give a misbehaving controller time to create them anyway.
    await new Promise((r) => setTimeout(r, 5_000));
    const conflicted = await getExperiment(otherNs, intruder);
    expect(conditionOf(conflicted, 'Ready')).toMatchObject({ status: 'False', reason: 'TopicConflict' });
    expect(conditionOf(conflicted, 'TopicReady')?.message).toContain(
      `belongs to RatingExperiment ${ownerNs}/${owner}`,
    );
    for (const component of ['producer', 'consumer']) {
      expect(await admin.get(resources.deployment, otherNs, `${intruder}-${component}`)).toBeUndefined();
    }
    expect(await topicOwner(topic)).toBe(`${ownerNs}/${owner}`);
    expect((await getExperiment(ownerNs, owner))?.status?.counted ?? 0).toBe(0);
  }, 300_000);

  it('reports an apply refused by admission as Ready=False with the API server message, and recovers when allowed', async () => {
    const ns = await experimentNamespace('admission');
    const name = `vap-${randomSuffix()}`;
    const policy = `max-consumers-${randomSuffix()}`;
    const policyObject = (max: number): KubeObject =>
      ({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: policy },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ['apps'],
                apiVersions: ['v1'],
                operations: ['CREATE', 'UPDATE'],
                resources: ['deployments'],
              },
            ],
          },
          validations: [
            {
              expression: `!has(object.metadata.labels) || !('app.kubernetes.io/component' in object.metadata.labels) || object.metadata.labels['app.kubernetes.io/component'] != 'consumer' || object.spec.replicas <= ${max}`,
              message: `at most ${max} consumer replicas in this namespace`,
            },
          ],
        },
      }) as KubeObject;
    await admin.apply(policyType, policyObject(2), FIELD_MANAGER);
    await admin.apply(
      bindingType,
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: policy },
        spec: {
          policyName: policy,
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
        },
      } as KubeObject,
      FIELD_MANAGER,
    );
    stack.onCleanup(async () => {
      await admin.delete(bindingType, '', policy);
      await admin.delete(policyType, '', policy);
    });

    await createExperiment(ns, name);
    await waitReady(ns, name);
    // The policy is enforced once the API server has loaded it: a direct write shows when.
    await admin.mergePatch(
      resources.ratingExperiment,
      ns,
      name,
      { spec: { consumer: { replicas: 3 } } },
      FIELD_MANAGER,
    );
    const generation = (await getExperiment(ns, name))?.metadata?.generation;

    await waitFor(
      'Ready=False with the API server message',
      async () => {
        const ready = conditionOf(await getExperiment(ns, name), 'Ready');
        return (
          ready?.status === 'False' &&
          ready.reason === 'ApplyRefused' &&
          ready.observedGeneration === generation
        );
      },
      60_000,
      1_000,
    );
    const refused = await getExperiment(ns, name);
    expect(conditionOf(refused, 'Ready')?.message).toContain('at most 2 consumer replicas in this namespace');
    expect(conditionOf(refused, 'Ready')?.message).toContain(`Deployment ${ns}/${name}-consumer`);
    expect(conditionOf(refused, 'Stalled')).toMatchObject({ status: 'True', reason: 'ApplyRefused' });
    expect((await admin.get<Deployment>(resources.deployment, ns, `${name}-consumer`))?.spec?.replicas).toBe(
      1,
    );
    const metrics = await leader.metrics();
    expect(metrics.get('ratings_operator_apply_failures_total', { class: 'terminal' })).toBeGreaterThan(0);
    expect(metrics.get('ratings_operator_experiment_condition', { namespace: ns, name, type: 'Ready' })).toBe(
      0,
    );
    const { items: events } = await admin.list<
      KubeObject & { reason?: string; regarding?: { name?: string } }
    >(resources.event, { namespace: ns });
    expect(events.filter((e) => e.regarding?.name === name).map((e) => e.reason)).toContain('ApplyRefused');
    // No hot loop: a refused apply is retried after TERMINAL_RETRY_SECONDS (5 here), not at once.
    const failuresBefore = metrics.get('ratings_operator_apply_failures_total', { class: 'terminal' });
    await new Promise((r) => setTimeout(r, 10_000));
    const failuresAfter = (await leader.metrics()).get('ratings_operator_apply_failures_total', {
      class: 'terminal',
    });
    expect(failuresAfter - failuresBefore).toBeLessThanOrEqual(3);

    await admin.apply(policyType, policyObject(3), FIELD_MANAGER);
    await waitFor(
      'the consumers to scale to 3',
      async () => {
        const d = await admin.get<Deployment>(resources.deployment, ns, `${name}-consumer`);
        return d?.spec?.replicas === 3;
      },
      60_000,
      1_000,
    );
    await waitReady(ns, name);
  }, 420_000);
});

describe('exact while the control plane is disturbed', () => {
  it('stays exact, and Ready again, when the controller leader is killed while counting', async () => {
    const lease = `exact-${randomSuffix()}`;
    const first = await startController('exact-leader-1', { LEASE_NAME: lease });
    await waitFor('a leader', () => leads(first), 30_000);
    const second = await startController('exact-leader-2', { LEASE_NAME: lease });
    const { ns, name } = await countingExperiment('leader-kill', 'kill');

    await first.stop('SIGKILL');
    await waitFor('the other to lead', () => leads(second), 30_000);
    // The new leader handles a spec change while the data plane keeps counting.
    await admin.mergePatch(
      resources.ratingExperiment,
      ns,
      name,
      { spec: { producer: { ratingsPerSecond: 30 } } },
      FIELD_MANAGER,
    );
    await waitReady(ns, name);
    await expectExact(ns, name);
    await waitReady(ns, name);
    await second.stop();
  }, 420_000);

  it('stays exact, and Ready again, when the API server restarts while counting', async () => {
    const lease = `exact-${randomSuffix()}`;
    const proc = await startController('exact-apiserver', { LEASE_NAME: lease });
    const { ns, name } = await countingExperiment('apiserver', 'restart');

    const { stopped } = await stopStack(['kube-apiserver']);
    expect(stopped).toEqual(['kube-apiserver']);
    // Longer than the renew deadline (10 s): the leader must give up rather than lead blind.
    await new Promise((r) => setTimeout(r, 15_000)); // ratings keep flowing into Kafka meanwhile
    expect(await proc.exited).toBe(1);
    await ensureStack({ quiet: true });

    // What its Deployment would do: start it again.
    const restarted = await startController('exact-apiserver-2', { LEASE_NAME: lease });
    await waitFor(
      'the restarted controller to judge the experiment Ready',
      async () =>
        (await restarted.metrics()).get('ratings_operator_experiment_condition', {
          namespace: ns,
          name,
          type: 'Ready',
        }) === 1,
      120_000,
      1_000,
    );
    await expectExact(ns, name);
    await waitReady(ns, name);
    await restarted.stop();
  }, 420_000);
});

describe('experiments created before the namespaced default topic', () => {
  it('keep the legacy topic their status records while they own it, and leave it when another experiment does', async () => {
    const lease = { LEASE_NAME: `exact-${randomSuffix()}` };
    const name = `old-${randomSuffix()}`;
    const legacyTopic = `${name}-ratings`;
    // As an older controller left them: status.topic is the legacy default.
    const createLegacy = async (ns: string) => {
      await createExperiment(ns, name);
      await admin.mergePatch(
        resources.ratingExperiment,
        ns,
        name,
        { status: { topic: legacyTopic } },
        FIELD_MANAGER,
        'status',
      );
    };
    const first = await experimentNamespace('legacy-a');
    await createLegacy(first);
    let proc = await startController('exact-legacy-1', lease);
    const kept = await waitReady(first, name);
    expect(kept.status?.topic).toBe(legacyTopic);
    expect(await topicOwner(legacyTopic)).toBe(`${first}/${name}`);
    await proc.stop();

    const second = await experimentNamespace('legacy-b');
    await createLegacy(second);
    proc = await startController('exact-legacy-2', lease);
    const moved = await waitReady(second, name);
    expect(moved.status?.topic).toBe(`${second}.${name}-ratings`);
    expect(await topicOwner(`${second}.${name}-ratings`)).toBe(`${second}/${name}`);
    expect((await getExperiment(first, name))?.status?.topic).toBe(legacyTopic);
    await proc.stop();
  }, 600_000);
});

describe('leader election under a hung connection', () => {
  it('a leader whose lease renewal hangs stops leading before another replica can take over', async () => {
    const doc = load(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    const apiserver = new URL(doc.clusters[0]!.cluster.server);
    // Between one controller and the API server: cut, no byte passes either way while the
    // connections stay open, as when a network path silently drops packets.
    const proxy = await FreezableProxy.start({ host: apiserver.hostname, port: Number(apiserver.port) });
    stack.onCleanup(() => proxy.close());
    doc.clusters[0]!.cluster.server = `https://127.0.0.1:${proxy.port}`;
    const proxied = kubeconfig.replace(/\.kubeconfig$/, '-proxied.kubeconfig');
    writeFileSync(proxied, dump(doc), { mode: 0o600 });
    copyFileSync(metricsTokenFile(kubeconfig), metricsTokenFile(proxied));

    const lease = `exact-${randomSuffix()}`;
    const timing = {
      LEASE_NAME: lease,
      LEASE_DURATION_SECONDS: '15',
      RENEW_DEADLINE_SECONDS: '10',
      RETRY_PERIOD_SECONDS: '2',
    };
    const stuck = await startController('exact-frozen', timing, proxied);
    await waitFor('the proxied replica to lead', () => leads(stuck), 30_000);
    const standby = await startController('exact-standby', timing);

    let stuckExitedAt: number | undefined;
    void stuck.exited.then(() => {
      stuckExitedAt = Date.now();
    });
    const frozenAt = Date.now();
    proxy.cut();
    let tookOverAt: number | undefined;
    await waitFor(
      'the standby to lead',
      async () => {
        if (!(await leads(standby))) return false;
        tookOverAt = Date.now();
        return true;
      },
      60_000,
      100,
    );
    // The frozen leader gave up within its renew deadline (plus a retry period), before the standby led.
    console.log(
      `hung renewal: leader exited ${stuckExitedAt === undefined ? 'never' : `${stuckExitedAt - frozenAt} ms`} after the freeze, standby led ${tookOverAt! - frozenAt} ms after it`,
    );
    expect(stuckExitedAt).toBeDefined();
    expect(stuckExitedAt!).toBeLessThan(tookOverAt!);
    expect(stuckExitedAt! - frozenAt).toBeLessThan((10 + 2 + 1) * 1000);
    expect(await stuck.exited).toBe(1);
    await standby.stop();
  }, 120_000);
});
