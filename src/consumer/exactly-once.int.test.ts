// Exactly once under ordinary operations (issue 7, data plane), on the local stack with the
// consumer and producer as real processes: any voice name, a topic deleted and created again,
// records lost to retention before they were counted, catalog edits while ratings flow through
// the intake, a consumer whose API server connection is cut while it holds partitions, and the
// broker and the API server restarted while counting. Each ends with totals checked against a
// count made independently of the consumer's code; what could not be counted must be reported.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import kafkajs, { type Admin, type Kafka as KafkaClient } from 'kafkajs';
import { createRatingExperiment, randomSuffix, useStack, type StackHandle } from '../../e2e/stack/harness.ts';
import { eventually } from '../../e2e/stack/eventually.ts';
import { KAFKA_NAME, KAFKA_NAMESPACE } from '../../e2e/stack/fixtures.ts';
import { ensureStack, stopStack } from '../../e2e/stack/stack.ts';
import {
  GROUP,
  LABEL_STAGED,
  PLURAL,
  VERSION,
  type RatingExperiment,
  type RatingExperimentSpec,
} from '../api/v1alpha1.ts';
import { fetchTopicId } from '../common/kafka-metadata.ts';
import { FreezableProxy, ModeProcess, podKubeconfig } from '../../e2e/stack/mode-process.ts';
import { logFile } from '../../e2e/stack/paths.ts';

const { logLevel } = kafkajs;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const KAFKA_TOPIC = { group: 'kafka.strimzi.io', version: 'v1', plural: 'kafkatopics' };

interface Rated {
  voices: [string, string];
  rating: number;
}

/** The reference count: what the test made, summed without any of the consumer's code. */
class Expected {
  readonly sums = new Map<string, number>();
  readonly counts = new Map<string, number>();
  counted = 0;

  add({ voices, rating }: Rated): void {
    this.counted++;
    for (const voice of voices) {
      this.sums.set(voice, (this.sums.get(voice) ?? 0) + rating);
      this.counts.set(voice, (this.counts.get(voice) ?? 0) + 1);
    }
  }
}

function ratingRecord(battle: string, { voices, rating }: Rated) {
  return JSON.stringify({
    v: 1,
    id: randomUUID(),
    battle,
    voices,
    rating,
    researcher: 'integration',
    ratedAt: new Date().toISOString(),
  });
}

/** n ratings over `voices`, deterministic. */
function ratings(n: number, voices: readonly string[], salt = 0): Rated[] {
  return Array.from({ length: n }, (_, i) => {
    const a = (i + salt) % voices.length;
    const b = (a + 1 + ((i * 7 + salt) % (voices.length - 1))) % voices.length;
    return { voices: [voices[a]!, voices[b]!], rating: (i * 13 + salt) % 3 };
  });
}

/**
 * The incarnations of `topic` Kafka's controller created, oldest first, from the stack's Kafka
 * log (kept across one restart as kafka.log.1).
 */
function incarnationsInKafkaLog(topic: string): string[] {
  const ids: string[] = [];
  for (const file of [`${logFile('kafka')}.1`, logFile('kafka')]) {
    if (!existsSync(file)) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(TOPIC_RECORD)) {
      if (match[1] === topic && !ids.includes(match[2]!)) ids.push(match[2]!);
    }
  }
  return ids;
}

const TOPIC_RECORD = /Replayed TopicRecord for topic ([\w.-]+) with topic ID ([\w-]{22})/g;

let stack: StackHandle;
let api: CustomObjectsApi;
let admin: Admin;
let kafka: KafkaClient;
const running: ModeProcess[] = [];

beforeAll(async () => {
  stack = await useStack();
  api = stack.kubeConfig.makeApiClient(CustomObjectsApi);
  await stack.installRatingsCrd();
  kafka = new kafkajs.Kafka({
    clientId: 'exactly-once-test',
    brokers: [stack.kafkaBootstrap],
    logLevel: logLevel.NOTHING,
  });
  admin = await stack.kafkaAdmin();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
});

afterAll(() => stack.cleanup());

const BATTLE = 'Adam vs Eve';

/** A namespace, an experiment on `topic`, and ways to run its processes and read its status. */
async function experiment(name: string, topic: string, spec: Partial<RatingExperimentSpec> = {}) {
  const namespace = await stack.newNamespace(`exact-${name}`);
  // Staged: these processes are its only producer and consumers. An operator still running from
  // another suite would otherwise add its own, and its own KafkaTopic for the same topic.
  const created = await createRatingExperiment(
    stack.kubeConfig,
    { namespace, name },
    {
      topic: { name: topic, partitions: 2 },
      battles: [BATTLE],
      consumer: { replicas: 1, checkpointIntervalSeconds: 1 },
      producer: { replicas: 1, ratingsPerSecond: 0 },
      ...spec,
    },
    { [LABEL_STAGED]: 'true' },
  );
  const baseEnv = async (server?: string) => ({
    KUBECONFIG: await podKubeconfig(stack.kubeConfig, created, stack.kafkaBootstrap, server),
    EXPERIMENT_NAMESPACE: namespace,
    EXPERIMENT_NAME: name,
    KAFKA_BOOTSTRAP_SERVERS: stack.kafkaBootstrap,
    KAFKA_TOPIC: topic,
  });
  const env = await baseEnv();
  const start = (mode: 'consumer' | 'producer', pod: string, extra: Record<string, string> = {}) => {
    const process = new ModeProcess(mode, pod, { ...env, ...extra });
    running.push(process);
    return process;
  };
  /** A consumer started again whenever it exits, as its Deployment would; returns the restarts. */
  const supervise = (pod: string) => {
    const restarts: number[] = [];
    const run = (): void => {
      const process = start('consumer', pod);
      void process.exited.then(({ signal }) => {
        if (signal === 'SIGKILL' || !running.includes(process)) return; // stopped by the test
        restarts.push(Date.now());
        run();
      });
    };
    run();
    return restarts;
  };
  const read = async () =>
    (await api.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name,
    })) as RatingExperiment;
  const patchSpec = (patch: Partial<RatingExperimentSpec>) =>
    api.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { spec: patch } },
      mergePatch,
    );
  /** Waits until the status accounts for `records` records (counted, rejected or lost). */
  const settled = (records: number, timeoutMs = 90_000) =>
    eventually(
      `status accounting for ${records} records`,
      async () => {
        const { status } = await read();
        const accounted = (status?.counted ?? 0) + (status?.rejected ?? 0) + (status?.lost ?? 0);
        if (accounted === records && status?.lag === 0) return status;
        throw new Error(
          `counted ${status?.counted}, rejected ${status?.rejected}, lost ${status?.lost}, lag ${status?.lag}`,
        );
      },
      { timeoutMs },
    );
  return { namespace, created, start, supervise, read, patchSpec, settled, baseEnv };
}

/** `partitions`: spread the records round-robin over that many partitions (default: by key, one). */
async function produce(
  topic: string,
  values: string[],
  headers?: Record<string, string>,
  partitions?: number,
): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  for (let i = 0; i < values.length; i += 2000) {
    await producer.send({
      topic,
      acks: -1,
      messages: values.slice(i, i + 2000).map((value, j) => ({
        key: BATTLE,
        value,
        headers,
        ...(partitions === undefined ? {} : { partition: (i + j) % partitions }),
      })),
    });
  }
  await producer.disconnect();
}

function expectTotals(status: RatingExperiment['status'], expected: Expected): void {
  expect(new Map((status?.totals ?? []).map((t) => [t.voice, t.sum]))).toEqual(expected.sums);
  expect(new Map((status?.totals ?? []).map((t) => [t.voice, t.count]))).toEqual(expected.counts);
  expect(status?.counted).toBe(expected.counted);
}

describe('exactly once under ordinary operations', () => {
  it('counts voices named constructor, __proto__, toString, hasOwnProperty and with emoji exactly', async () => {
    const voices = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'Joan 🎤 of Arc'];
    const topic = `exact-names-${randomSuffix()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    stack.onCleanup(() => admin.deleteTopics({ topics: [topic] }));
    const exp = await experiment('names', topic, { voices });
    const made = ratings(300, voices);
    const expected = new Expected();
    made.forEach((r) => expected.add(r));
    await produce(
      topic,
      made.map((r) => ratingRecord(BATTLE, r)),
    );

    const consumer = exp.start('consumer', 'names-0');
    const status = await exp.settled(300);
    expectTotals(status, expected);
    expect(status?.rejected).toBe(0);
    const body = JSON.parse(await consumer.get('/api/totals')) as { totals: { voice: string }[] };
    expect(body.totals.map((t) => t.voice).sort()).toEqual([...voices].sort());
  }, 180_000);

  it('keeps the totals of a KafkaTopic deleted mid-run, counts the new topic from its start, and names the recreation', async () => {
    const topic = `exact-recreated-${randomSuffix()}`;
    const kafkaTopic = `exact-recreated-${randomSuffix()}`;
    const createKafkaTopic = () =>
      api.createNamespacedCustomObject({
        ...KAFKA_TOPIC,
        namespace: KAFKA_NAMESPACE,
        body: {
          apiVersion: 'kafka.strimzi.io/v1',
          kind: 'KafkaTopic',
          metadata: { name: kafkaTopic, labels: { 'strimzi.io/cluster': KAFKA_NAME } },
          spec: { topicName: topic, partitions: 2, replicas: 1 },
        },
      });
    const topicReady = () =>
      eventually('KafkaTopic Ready with a topicId', async () => {
        const kt = (await api.getNamespacedCustomObject({
          ...KAFKA_TOPIC,
          namespace: KAFKA_NAMESPACE,
          name: kafkaTopic,
        })) as { status?: { topicId?: string; conditions?: { type: string; status: string }[] } };
        const ready = kt.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return ready && kt.status?.topicId !== undefined ? kt.status.topicId : undefined;
      });
    const deleteKafkaTopic = async () => {
      await api.deleteNamespacedCustomObject({
        ...KAFKA_TOPIC,
        namespace: KAFKA_NAMESPACE,
        name: kafkaTopic,
      });
      await eventually('the topic gone from Kafka', async () => !(await admin.listTopics()).includes(topic));
      // The KafkaTopic itself goes once its finalizer ran: creating it again before that is a 409.
      await eventually('the KafkaTopic gone', async () =>
        api.getNamespacedCustomObject({ ...KAFKA_TOPIC, namespace: KAFKA_NAMESPACE, name: kafkaTopic }).then(
          () => false,
          (err: unknown) => (err as { code?: number }).code === 404,
        ),
      );
    };
    await createKafkaTopic();
    stack.onCleanup(() => deleteKafkaTopic().catch(() => undefined));
    const firstId = await topicReady();

    const voices = ['Big Bird', 'Macho Man', 'Joan of Arc'];
    const exp = await experiment('recreated', topic, { voices });
    const expected = new Expected();
    const first = ratings(500, voices, 1);
    first.forEach((r) => expected.add(r));
    exp.supervise('recreated-0');
    exp.supervise('recreated-1');
    await produce(
      topic,
      first.map((r) => ratingRecord(BATTLE, r)),
    );
    await exp.settled(500);

    // Deleted while the consumers run (a GitOps prune, a hand), then created again by its owner.
    await deleteKafkaTopic();
    await createKafkaTopic();
    const secondId = await topicReady();
    expect(secondId).not.toBe(firstId);
    expect(await fetchTopicId(topic, { brokers: [stack.kafkaBootstrap], clientId: 'test' })).toBe(secondId);
    const second = ratings(300, voices, 2);
    second.forEach((r) => expected.add(r));
    await produce(
      topic,
      second.map((r) => ratingRecord(BATTLE, r)),
    );

    const status = await eventually(
      'the new incarnation counted',
      async () => {
        const { status } = await exp.read();
        return status?.counted === 800 && status.lag === 0 ? status : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expectTotals(status, expected);
    expect(status?.lost ?? 0).toBe(0);
    // Named from what Kafka really had: the first incarnation, and any other the topic operator
    // made and removed in between (never an ID Kafka did not create, never the current one).
    const created = await eventually("the new incarnation in Kafka's log", async () => {
      const ids = incarnationsInKafkaLog(topic);
      return ids.at(-1) === secondId ? ids : undefined;
    });
    const retired = status?.previousTopics?.map((p) => p.topicId) ?? [];
    if (created.length > 2) {
      console.log(
        `${topic}: Kafka created ${created.length} incarnations ${created.join(', ')}; retired ${retired.join(', ')}`,
      );
    }
    expect(created).toContain(firstId);
    expect(retired).toContain(firstId);
    expect(retired.filter((id) => id === secondId || !created.includes(id))).toEqual([]);
    expect(status?.partitions?.every((cp) => cp.topicId === secondId)).toBe(true);
    expect(status?.partitions?.reduce((n, cp) => n + cp.offset, 0)).toBe(300);
  }, 240_000);

  it('reports records deleted by retention before they were counted as lost', async () => {
    const topic = `exact-retention-${randomSuffix()}`;
    // Segments roll after 1 s and are deleted 2 s after their last record (the stack's broker
    // checks retention every second).
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'retention.ms', value: '2000' },
            { name: 'segment.ms', value: '1000' },
          ],
        },
      ],
      waitForLeaders: true,
    });
    stack.onCleanup(() => admin.deleteTopics({ topics: [topic] }));
    const voices = ['Big Bird', 'Macho Man', 'Joan of Arc'];
    const exp = await experiment('retention', topic, { voices, topic: { name: topic, partitions: 1 } });

    // Consumers stopped: 200 ratings are written, then age out of the log.
    await produce(
      topic,
      ratings(200, voices).map((r) => ratingRecord(BATTLE, r)),
    );
    await eventually(
      'retention to delete the first segment',
      async () => {
        // Each append after segment.ms rolls a segment, so that the old one can be deleted.
        const last = ratings(1, voices, 9)[0]!;
        await produce(topic, [ratingRecord(BATTLE, last)]);
        const [offsets] = await admin.fetchTopicOffsets(topic);
        return Number(offsets!.low) >= 200 ? offsets : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1500 },
    );
    const [offsets] = await admin.fetchTopicOffsets(topic);
    const low = Number(offsets!.low);
    const high = Number(offsets!.high);

    const consumer = exp.start('consumer', 'retention-0');
    const status = await exp.settled(high);
    // Retention keeps going while the consumer starts: at least the records gone before it.
    const lost = status?.lost ?? 0;
    expect(lost).toBeGreaterThanOrEqual(low);
    expect(status?.counted).toBe(high - lost);
    expect(status?.partitions?.[0]).toMatchObject({ offset: high, lost });
    await eventually('the lost records on /metrics', async () =>
      new RegExp(`ratings_lost\\{[^}]*\\} ${lost}\\n`).test(await consumer.get('/metrics')),
    );
  }, 180_000);

  it('counts every rating the intake acknowledged while voices are added and removed', async () => {
    const topic = `exact-catalog-${randomSuffix()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    stack.onCleanup(() => admin.deleteTopics({ topics: [topic] }));
    const exp = await experiment('catalog', topic, { voices: ['Big Bird', 'Macho Man', 'Old Voice'] });
    const producer = exp.start('producer', 'catalog-producer', { EXPERIMENT_POLL_SECONDS: '1' });
    await eventually('the producer ready', async () => {
      const res = await fetch(`http://127.0.0.1:${await producer.port}/readyz`);
      return res.status === 200;
    });
    const expected = new Expected();
    let acknowledged = 0;
    const rate = async (voices: [string, string], n: number) => {
      for (let i = 0; i < n; i++) {
        const rating = i % 3;
        const res = await producer.post('/api/ratings', { battle: BATTLE, voices, rating, researcher: 'r' });
        if (res.status === 202) {
          expected.add({ voices, rating });
          acknowledged++;
        } else {
          expect(res.status).toBe(400); // refused by the catalog of the moment: never acknowledged
        }
      }
    };
    const producerSees = (voice: string, present: boolean) =>
      eventually(`the producer's catalog ${present ? 'with' : 'without'} ${voice}`, async () => {
        const res = await producer.post('/api/ratings', {
          battle: BATTLE,
          voices: [voice, 'Big Bird'],
          rating: 0,
          researcher: 'probe',
        });
        if (res.status === 202) {
          expected.add({ voices: [voice, 'Big Bird'], rating: 0 });
          acknowledged++;
        }
        return (res.status === 202) === present;
      });

    // Acknowledged while "Old Voice" is in the catalog; it is removed before any consumer runs.
    await rate(['Old Voice', 'Macho Man'], 50);
    await exp.patchSpec({ voices: ['Big Bird', 'Macho Man', 'New Voice'] });
    await producerSees('Old Voice', false);
    await producerSees('New Voice', true);
    await rate(['New Voice', 'Macho Man'], 50);

    // A consumer whose copy of the catalog is fresh now (no Old Voice) …
    exp.start('consumer', 'catalog-0');
    await eventually(
      'the first ratings counted',
      async () => ((await exp.read()).status?.counted ?? 0) >= 100,
    );
    // … then a voice added while it runs: the producer sees it within 1 s, the consumer polls every 10 s.
    await exp.patchSpec({ voices: ['Big Bird', 'Macho Man', 'New Voice', 'Newest Voice'] });
    await producerSees('Newest Voice', true);
    await rate(['Newest Voice', 'Big Bird'], 50);

    const status = await exp.settled(acknowledged);
    expectTotals(status, expected);
    expect(status?.rejected).toBe(0);
    expect(status?.totals?.find((t) => t.voice === 'Old Voice')).toMatchObject({ removedFromCatalog: true });
  }, 180_000);

  it('stays exact when a consumer holding partitions loses its API server connection mid-checkpoint', async () => {
    const topic = `exact-cut-${randomSuffix()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    stack.onCleanup(() => admin.deleteTopics({ topics: [topic] }));
    const voices = ['Big Bird', 'Macho Man', 'Joan of Arc'];
    const exp = await experiment('cut', topic, { voices });
    const apiServer = new URL(stack.kubeConfig.getCurrentCluster()!.server);
    const proxy = await FreezableProxy.start({ host: apiServer.hostname, port: Number(apiServer.port) });
    stack.onCleanup(() => proxy.close());
    const env = await exp.baseEnv(`https://127.0.0.1:${proxy.port}`);
    const consumer = new ModeProcess('consumer', 'cut-0', env);
    running.push(consumer);
    const expected = new Expected();
    const first = ratings(400, voices, 3);
    first.forEach((r) => expected.add(r));
    await produce(
      topic,
      first.map((r) => ratingRecord(BATTLE, r)),
    );
    await exp.settled(400);

    // The network to the API server is cut while the consumer holds both partitions and counts.
    proxy.cut();
    const second = ratings(400, voices, 4);
    second.forEach((r) => expected.add(r));
    await produce(
      topic,
      second.map((r) => ratingRecord(BATTLE, r)),
    );
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    proxy.restore();

    const status = await exp.settled(800, 120_000);
    expectTotals(status, expected);
    expect(consumer.logs.some((l) => l.msg === 'checkpoint failed; the next one retries')).toBe(true);
  }, 240_000);

  it('counts exactly with three counting threads, each a group member, through a kill -9 mid-count and a restart', async () => {
    const topic = `exact-workers-${randomSuffix()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    stack.onCleanup(() => admin.deleteTopics({ topics: [topic] }));
    const voices = ['Big Bird', 'Macho Man', 'Joan of Arc'];
    const exp = await experiment('workers', topic, {
      voices,
      topic: { name: topic, partitions: 3 },
      consumer: { replicas: 1, checkpointIntervalSeconds: 1, workers: 3 },
    });
    const workers = { CONSUMER_WORKERS: '3' };
    const expected = new Expected();
    const batches = Array.from({ length: 3 }, (_, i) => ratings(6000, voices, 20 + i));
    batches.flat().forEach((r) => expected.add(r));
    const send = (i: number) =>
      produce(
        topic,
        batches[i]!.map((r) => ratingRecord(BATTLE, r)),
        undefined,
        3,
      );
    /** The partitions each worker of a process was assigned last. */
    const assignments = (consumer: ModeProcess) => {
      const last = new Map<unknown, number[]>();
      for (const l of consumer.logged('partitions assigned')) last.set(l.worker, l.partitions as number[]);
      return last;
    };
    const spread = (consumer: ModeProcess) =>
      eventually('one partition for each of the three workers', async () => {
        const last = assignments(consumer);
        const ok = [0, 1, 2].every((w) => last.get(w)?.length === 1);
        return ok ? [...last.values()].flat().sort() : undefined;
      });
    const ready = async (consumer: ModeProcess) =>
      eventually('readyz once every worker joined', async () => {
        const res = await fetch(`http://127.0.0.1:${await consumer.port}/readyz`);
        return res.status === 200;
      });

    await send(0);
    const first = exp.start('consumer', 'workers-0', workers);
    expect(await spread(first)).toEqual([0, 1, 2]);
    await ready(first);
    // Killed while counting: the second batch is still arriving.
    await eventually('counting under way', async () => ((await exp.read()).status?.counted ?? 0) > 0);
    const sending = send(1);
    await first.stop('SIGKILL');
    await sending;
    const before = (await exp.read()).status?.counted ?? 0;
    expect(before).toBeLessThan(12_000);
    await send(2);

    const second = exp.start('consumer', 'workers-1', workers);
    expect(await spread(second)).toEqual([0, 1, 2]);
    const status = await exp.settled(18_000, 120_000);
    expectTotals(status, expected);
    expect(status?.rejected).toBe(0);
    expect(status?.lost ?? 0).toBe(0);
    // Each worker resumed its partition from the checkpoint the killed process wrote.
    const resumed = second.logged('partition restored from checkpoint');
    expect(new Set(resumed.map((l) => l.worker))).toEqual(new Set([0, 1, 2]));
    expect(resumed.some((l) => (l.offset as number) > 0)).toBe(true);
    const totals = JSON.parse(await second.get('/api/totals')) as {
      pod: { partitions: { partition: number; offset: number }[] };
    };
    expect(totals.pod.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(totals.pod.partitions.reduce((n, p) => n + p.offset, 0)).toBe(18_000);
    // SIGTERM: every worker drains, one last checkpoint, every worker leaves the group.
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 300_000);

  it('stays exact when the broker and then the API server restart while counting', async () => {
    const topic = `exact-restart-${randomSuffix()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    stack.onCleanup(() => admin.deleteTopics({ topics: [topic] }).catch(() => undefined));
    const voices = ['Big Bird', 'Macho Man', 'Joan of Arc'];
    const exp = await experiment('restart', topic, { voices });
    exp.supervise('restart-0');
    exp.supervise('restart-1');
    const expected = new Expected();
    const batches = Array.from({ length: 3 }, (_, i) => ratings(300, voices, 10 + i));
    batches.flat().forEach((r) => expected.add(r));

    await produce(
      topic,
      batches[0]!.map((r) => ratingRecord(BATTLE, r)),
    );
    await eventually('counting under way', async () => ((await exp.read()).status?.counted ?? 0) > 0);
    await stopStack(['kafka']);
    await ensureStack({ quiet: true });
    await produce(
      topic,
      batches[1]!.map((r) => ratingRecord(BATTLE, r)),
    );
    await eventually(
      'counting after the broker restart',
      async () => ((await exp.read()).status?.counted ?? 0) > 300,
      {
        timeoutMs: 120_000,
      },
    );
    await stopStack(['kube-apiserver']);
    await produce(
      topic,
      batches[2]!.map((r) => ratingRecord(BATTLE, r)),
    );
    await ensureStack({ quiet: true });

    const status = await exp.settled(900, 120_000);
    expectTotals(status, expected);
    expect(status?.rejected).toBe(0);
    expect(status?.lost ?? 0).toBe(0);
    // The pods' Role was created before the restart; the core API still answers for the namespace.
    await stack.kubeConfig.makeApiClient(CoreV1Api).readNamespace({ name: exp.namespace });
  }, 300_000);
});
