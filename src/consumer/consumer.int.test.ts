// The consumer mode against the local stack's API server and Kafka broker, run as real
// processes (`node src/cli.ts consumer`): exact totals with two consumers, through SIGKILLs and
// scaling, rejected records, and /api/totals and /metrics agreeing with the status.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import kafkajs, { type Admin, type Kafka as KafkaClient } from 'kafkajs';
import { addScrapeTarget, readStackEnv, removeScrapeTarget, type StackEnv } from '../../e2e/stack/stack.ts';
import { createRatingExperiment, installRatingsCrd } from '../../e2e/stack/harness.ts';
import { ModeProcess } from '../../e2e/stack/mode-process.ts';
import { GROUP, PLURAL, VERSION, type RatingExperiment, type VoiceTotal } from '../api/v1alpha1.ts';
import { desiredChildren } from '../model/children.ts';

const { Kafka, logLevel } = kafkajs;

const CATALOG = {
  voices: ['Darth Vader', 'Macho Man', 'Stephen Hawking', 'Big Bird', 'Joan of Arc', '<b>Santa & Co</b>'],
  battles: ['Adam vs Eve', 'Zeus vs Thor', 'Mozart vs Skrillex'],
  scale: ['Hated', 'Meh', 'Liked'],
};

/** What a record contributes to the totals when counted; undefined for a record to reject. */
type Contribution = { voices: [string, string]; rating: number } | undefined;

interface Expected {
  sums: Map<string, number>;
  counts: Map<string, number>;
  squares: Map<string, number>;
  counted: number;
  rejected: number;
  records: number;
}

/** A seeded generator, so that a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Valid ratings (JSON v1 mostly, some in the pipe format) with, when `invalidEvery` is set, one
 * invalid record of each kind the consumer must reject mixed in regularly.
 */
function makeRecords(count: number, seed: number, invalidEvery?: number): { value: string; key: string }[] {
  const rand = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const invalid = [
    '{"v":1,"id":"x","battle":"Adam vs Eve"', // malformed JSON
    JSON.stringify(rating('Adam vs Eve', ['Darth Vader', 'Elvis'], 1)), // unknown voice
    JSON.stringify(rating('Adam vs Eve', ['Darth Vader', 'Big Bird'], 3)), // outside the scale
    JSON.stringify(rating('Adam vs Eve', ['Big Bird', 'Big Bird'], 1)), // same voice twice
    JSON.stringify({ v: 1, battle: 'Adam vs Eve', voices: ['Big Bird', 'Macho Man'], rating: 1 }), // fields missing
    'Adam vs Eve|Big Bird|Macho Man|7', // pipe, outside the scale
    'not a rating at all',
  ];
  return Array.from({ length: count }, (_, i) => {
    if (invalidEvery !== undefined && i % invalidEvery === invalidEvery - 1) {
      return { key: 'invalid', value: invalid[((i / invalidEvery) % invalid.length) | 0]! };
    }
    const battle = pick(CATALOG.battles);
    const a = pick(CATALOG.voices);
    let b = pick(CATALOG.voices);
    while (b === a) b = pick(CATALOG.voices);
    const value = Math.floor(rand() * CATALOG.scale.length);
    const text =
      i % 10 === 0 ? `${battle}|${a}|${b}|${value}` : JSON.stringify(rating(battle, [a, b], value));
    return { key: battle, value: text };
  });
}

function rating(battle: string, voices: [string, string], value: number) {
  return {
    v: 1,
    id: randomUUID(),
    battle,
    voices,
    rating: value,
    researcher: 'integration',
    ratedAt: new Date().toISOString(),
  };
}

/**
 * The reference count, independent of the consumer's code: what each record is known to be
 * (from how it was made), counted over the records as read back from the topic.
 */
async function countTopic(
  kafka: KafkaClient,
  topic: string,
  known: Map<string, Contribution>,
): Promise<Expected> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const expected: Expected = {
    sums: new Map(),
    counts: new Map(),
    squares: new Map(),
    counted: 0,
    rejected: 0,
    records: 0,
  };
  const consumer = kafka.consumer({ groupId: `reference-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const done = () => [...remaining.values()].every((left) => left <= 0);
    if (done()) return resolve();
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const value = message.value?.toString() ?? '';
            if (!known.has(value))
              throw new Error(`record not produced by this test at offset ${message.offset}`);
            const contribution = known.get(value);
            expected.records++;
            if (contribution === undefined) expected.rejected++;
            else {
              expected.counted++;
              for (const voice of contribution.voices) {
                expected.sums.set(voice, (expected.sums.get(voice) ?? 0) + contribution.rating);
                expected.squares.set(voice, (expected.squares.get(voice) ?? 0) + contribution.rating ** 2);
                expected.counts.set(voice, (expected.counts.get(voice) ?? 0) + 1);
              }
            }
          }
          remaining.set(batch.partition, Number(batch.highWatermark) - Number(batch.lastOffset()) - 1);
          if (done()) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return expected;
}

function contributions(records: { value: string }[]): Map<string, Contribution> {
  const known = new Map<string, Contribution>();
  for (const { value } of records) {
    let contribution: Contribution;
    if (value.includes('|')) {
      const [, a, b, r] = value.split('|');
      contribution = Number(r) < CATALOG.scale.length ? { voices: [a!, b!], rating: Number(r) } : undefined;
    } else if (value.startsWith('{')) {
      try {
        const doc = JSON.parse(value) as { id?: string; voices: [string, string]; rating: number };
        const [a, b] = doc.voices;
        const valid =
          doc.id !== undefined &&
          a !== b &&
          CATALOG.voices.includes(a) &&
          CATALOG.voices.includes(b) &&
          doc.rating < CATALOG.scale.length;
        contribution = valid ? { voices: doc.voices, rating: doc.rating } : undefined;
      } catch {
        contribution = undefined;
      }
    }
    known.set(value, contribution);
  }
  return known;
}

async function produce(
  kafka: KafkaClient,
  topic: string,
  records: { key: string; value: string }[],
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  for (let i = 0; i < records.length; i += 5000) {
    await producer.send({ topic, acks: -1, messages: records.slice(i, i + 5000) });
  }
  await producer.disconnect();
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}

function totalsOf(expected: Expected): VoiceTotal[] {
  return [...expected.sums.keys()]
    .map((voice) => {
      const sum = expected.sums.get(voice)!;
      const count = expected.counts.get(voice)!;
      return { voice, sum, count, mean: sum / count, squares: expected.squares.get(voice)! };
    })
    .sort((a, b) => b.sum - a.sum || (a.voice < b.voice ? -1 : 1));
}

describe('consumer on the local stack', () => {
  let stack: StackEnv;
  let kubeConfig: KubeConfig;
  let kafka: KafkaClient;
  let admin: Admin;
  let api: CustomObjectsApi;
  const namespaces: string[] = [];
  const topics: string[] = [];
  /** Hold service-account tokens: removed after the suite. */
  const credentialDirs: string[] = [];
  const running: ModeProcess[] = [];

  beforeAll(async () => {
    stack = readStackEnv();
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(stack.KUBECONFIG);
    kafka = new Kafka({
      clientId: 'consumer-int-test',
      brokers: [stack.KAFKA_BOOTSTRAP_SERVERS],
      logLevel: logLevel.WARN,
    });
    admin = kafka.admin();
    await admin.connect();
    api = kubeConfig.makeApiClient(CustomObjectsApi);
    await installRatingsCrd(stack.KUBECONFIG);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop('SIGKILL')));
  });

  afterAll(async () => {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await Promise.all(namespaces.map((name) => core.deleteNamespace({ name })));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await Promise.all(credentialDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    await admin?.disconnect();
  });

  /** A namespace, a 3-partition topic and an experiment pointing at them. */
  /**
   * A kubeconfig holding a token of the experiment's pod service account, with the access the
   * controller grants it (src/model), so the consumer runs with no more rights than in a pod.
   */
  async function podKubeconfig(experiment: RatingExperiment): Promise<string> {
    const { serviceAccount, role, roleBinding } = desiredChildren(experiment, {
      image: 'unused',
      bootstrapServers: stack.KAFKA_BOOTSTRAP_SERVERS,
    });
    const namespace = experiment.metadata!.namespace!;
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: serviceAccount });
    await rbac.createNamespacedRole({ namespace, body: role });
    await rbac.createNamespacedRoleBinding({ namespace, body: roleBinding });
    const { status } = await core.createNamespacedServiceAccountToken({
      namespace,
      name: serviceAccount.metadata!.name!,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const pod = new KubeConfig();
    const cluster = kubeConfig.getCurrentCluster()!;
    pod.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'pod', token: status!.token }],
      contexts: [{ name: 'pod', cluster: cluster.name, user: 'pod' }],
      currentContext: 'pod',
    });
    const dir = await mkdtemp(join(tmpdir(), 'consumer-pod-'));
    credentialDirs.push(dir);
    const path = join(dir, 'kubeconfig');
    await writeFile(path, pod.exportConfig(), { mode: 0o600 });
    return path;
  }

  async function experiment(name: string, checkpointIntervalSeconds = 1) {
    const namespace = `consumer-${name}-${randomUUID().slice(0, 8)}`;
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    namespaces.push(namespace);
    const topic = `${namespace}-${name}`;
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    topics.push(topic);
    const created = await createRatingExperiment(
      kubeConfig,
      { namespace, name },
      {
        topic: { name: topic, partitions: 3 },
        ...CATALOG,
        consumer: { replicas: 2, checkpointIntervalSeconds },
      },
    );
    const env = {
      // The credentials a consumer pod gets: the service account and Role the controller creates.
      KUBECONFIG: await podKubeconfig(created),
      EXPERIMENT_NAMESPACE: namespace,
      EXPERIMENT_NAME: name,
      KAFKA_BOOTSTRAP_SERVERS: stack.KAFKA_BOOTSTRAP_SERVERS,
      KAFKA_TOPIC: topic,
    };
    const start = (podName: string): ModeProcess => {
      const consumer = new ModeProcess('consumer', podName, env);
      running.push(consumer);
      return consumer;
    };
    const read = async () =>
      (await api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as RatingExperiment;
    /** Waits until the status covers every record of the topic, and returns it. */
    const settled = (records: number) =>
      eventually(`status covering ${records} records`, async () => {
        const { status } = await read();
        const covered = (status?.partitions ?? []).reduce((sum, cp) => sum + cp.offset, 0);
        return covered === records ? status : undefined;
      });
    return { namespace, topic, start, read, settled };
  }

  it('counts 100,000 ratings through 3 partitions and 2 consumers exactly, rejects the invalid ones, and serves the same totals over HTTP and to Prometheus', async () => {
    const exp = await experiment('exact');
    const records = makeRecords(100_000, 1, 97);
    await produce(kafka, exp.topic, records);
    const expected = await countTopic(kafka, exp.topic, contributions(records));
    expect(expected.records).toBe(100_000);

    const consumers = [exp.start('exact-0'), exp.start('exact-1')];
    const status = await exp.settled(100_000);

    expect(status?.totals).toEqual(totalsOf(expected));
    expect(status?.counted).toBe(expected.counted);
    expect(status?.rejected).toBe(expected.rejected);
    expect(status?.produced).toBe(100_000);
    expect(status?.leader).toBe(totalsOf(expected)[0]!.voice);

    // Every rejected record was logged with its coordinates, by whoever counted it.
    const rejections = consumers.flatMap((c) => c.logs.filter((l) => l.msg === 'rejected record'));
    expect(new Set(rejections.map((l) => `${l.partition}:${l.offset}`)).size).toBe(expected.rejected);
    expect(rejections[0]).toMatchObject({ topic: exp.topic, reason: expect.any(String) });

    // Each pod serves the merged status, not only its partitions, once it has read it back.
    for (const consumer of consumers) {
      await eventually('/api/totals equal to the status', async () => {
        const body = JSON.parse(await consumer.get('/api/totals')) as {
          totals: (VoiceTotal & { interval: unknown })[];
          counted: number;
        };
        return body.counted === expected.counted ? body : undefined;
      }).then((body) =>
        // /api/totals adds each voice's interval (leaderboard.test.ts) to the status's figures.
        expect(
          body.totals.map(({ voice, sum, count, mean, squares }) => ({ voice, sum, count, mean, squares })),
        ).toEqual(status?.totals),
      );
      const metrics = await consumer.get('/metrics');
      for (const total of status?.totals ?? []) {
        const labels = `voice="${total.voice.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
        expect(metrics).toMatch(
          new RegExp(`ratings_voice_sum\\{[^}]*${escapeRegExp(labels)}[^}]*\\} ${total.sum}\\n`),
        );
        expect(metrics).toMatch(
          new RegExp(`ratings_voice_count\\{[^}]*${escapeRegExp(labels)}[^}]*\\} ${total.count}\\n`),
        );
      }
      expect(metrics).toMatch(new RegExp(`ratings_counted\\{[^}]*\\} ${expected.counted}\\n`));
      expect(metrics).toMatch(new RegExp(`ratings_rejected\\{[^}]*\\} ${expected.rejected}\\n`));
      expect(metrics).toMatch(/ratings_lag\{[^}]*\} 0\n/);
      const page = await consumer.get('/');
      expect(page).toContain('&lt;b&gt;Santa &amp; Co&lt;/b&gt;');
      expect(page).not.toContain('<b>Santa');
    }

    // Prometheus scraping both pods: one query gives the totals of the status.
    const job = `consumer-test-${exp.namespace}`;
    addScrapeTarget(job, await Promise.all(consumers.map(async (c) => `127.0.0.1:${await c.port}`)));
    try {
      const query = `max by (voice) (ratings_voice_sum{experiment="exact",experiment_namespace="${exp.namespace}"})`;
      const scraped = await eventually('Prometheus to scrape the consumers', async () => {
        const res = await fetch(`${stack.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(query)}`);
        const body = (await res.json()) as {
          data: { result: { metric: { voice: string }; value: [number, string] }[] };
        };
        const sums = new Map(body.data.result.map((r) => [r.metric.voice, Number(r.value[1])]));
        return sums.size === status?.totals?.length ? sums : undefined;
      });
      expect(scraped).toEqual(new Map(status?.totals?.map((t) => [t.voice, t.sum])));
    } finally {
      removeScrapeTarget(job);
    }

    // SIGTERM: a last checkpoint, then a clean exit.
    for (const consumer of consumers)
      expect(await consumer.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 240_000);

  it('stays exact while consumers are SIGKILLed mid-stream and scaled 1 → 3 → 1', async () => {
    const exp = await experiment('chaos');
    const records = makeRecords(100_000, 2, 211);
    let produced = 0;
    const producing = (async () => {
      for (let i = 0; i < records.length; i += 5_000) {
        await produce(kafka, exp.topic, records.slice(i, i + 5_000));
        produced = i + 5_000;
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
    })();
    const checkpointed = async () => {
      const { status } = await exp.read();
      return (status?.counted ?? 0) + (status?.rejected ?? 0);
    };
    const progress = async (more: number) => {
      const target = (await checkpointed()) + more;
      await eventually(`checkpoints past ${target}`, async () =>
        (await checkpointed()) >= target ? true : undefined,
      );
    };
    /** Waits until the consumer holds partitions in the group's latest generation. */
    const holding = (consumer: ModeProcess) =>
      eventually('partitions assigned', async () => {
        const assignments = consumer.logs.filter((l) => l.msg === 'partitions assigned');
        return (assignments.at(-1)?.partitions as number[] | undefined)?.length ? true : undefined;
      });

    const a = exp.start('chaos-a');
    await holding(a);
    await progress(5_000);
    await a.stop('SIGKILL');

    const b = exp.start('chaos-b');
    await holding(b);
    await progress(5_000);

    // 1 → 3: both newcomers take partitions from b in a rebalance, mid-stream.
    const c = exp.start('chaos-c');
    const d = exp.start('chaos-d');
    await Promise.all([holding(c), holding(d)]);
    await progress(5_000);
    await c.stop('SIGKILL');
    expect(produced).toBeLessThan(records.length);
    const e = exp.start('chaos-e');
    await holding(e);
    await progress(5_000);

    // 3 → 1: one killed, one stopped gracefully; e takes everything.
    await b.stop('SIGKILL');
    expect(await d.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await producing;
    const expected = await countTopic(kafka, exp.topic, contributions(records));
    expect(expected.records).toBe(100_000);

    const status = await exp.settled(100_000);
    expect(status?.totals).toEqual(totalsOf(expected));
    expect(status?.counted).toBe(expected.counted);
    expect(status?.rejected).toBe(expected.rejected);
    // The scenario did what it says: later consumers resumed from checkpoints others wrote.
    const resumed = [b, c, d, e]
      .flatMap((x) => x.logs)
      .filter((l) => l.msg === 'partition restored from checkpoint');
    expect(resumed.some((l) => (l.offset as number) > 0)).toBe(true);
    expect(await e.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 300_000);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
