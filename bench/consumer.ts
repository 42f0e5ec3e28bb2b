// Consumer figures on the local stack: counting throughput of the consumer's own code (the
// CountingPool of worker threads, Checkpointer and CheckpointWriter of `ratings-operator
// consumer`, minus HTTP) with BENCH_CONSUMER_WORKERS threads, with exact checkpointing into a
// real RatingExperiment status and without any checkpointing, and with one thread beside it;
// rating-to-status latency; status writes per minute at a slow and a fast rate; and Kafka's own
// ConsumerPerformance reading the same records from the same broker, run after ours in each
// round so that every ratio is taken side by side. Every experiment is labelled staged and the
// run refuses to start next to an operator that does not honour that (operator-guard.ts);
// everything created is deleted through the caller's Cleanup, also on SIGINT and SIGTERM.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import kafkajs, { type Kafka as KafkaClient } from 'kafkajs';
import { loadCrd, versionSchema } from '../src/api/crd.ts';
import { applyDefaults } from '../src/api/defaults.ts';
import { VERSION } from '../src/api/v1alpha1.ts';
import { createLogger } from '../src/common/logger.ts';
import { createRatingExperiment } from '../e2e/stack/harness.ts';
import { Checkpointer } from '../src/consumer/checkpointer.ts';
import { CheckpointWriter } from '../src/consumer/status-writer.ts';
import { CountingPool } from '../src/consumer/counting-pool.ts';
import { catalogFromSpec, type Catalog, type CatalogSpec } from '../src/ratings/catalog.ts';
import { randomSubmission } from '../src/producer/generator.ts';
import { createRating, encodeRating } from '../src/ratings/rating.ts';
import { KubeClient } from '../src/common/kube-client.ts';
import { loadCredentials } from '../src/common/kube-credentials.ts';
import type { Cleanup } from './cleanup.ts';
import { assertUntouched, guardAgainstOperators, STAGED_LABELS } from './operator-guard.ts';
import { median } from './results.ts';

const { Kafka, logLevel } = kafkajs;

export interface ConsumerBenchOptions {
  bootstrap: string;
  kubeconfig: string;
  kafkaLibDir: string;
  records: number;
  partitions: number;
  /** Counting threads of the consumer under test (the single-thread row runs beside it). */
  workers: number;
  /** Deletes what the benchmark creates, at the end or on a signal. */
  cleanup: Cleanup;
}

export interface ConsumerBenchResult {
  records: number;
  recordBytes: number;
  /** Ratings counted per second, first batch to last, one process: medians of the rounds. */
  exact: number;
  uncheckpointed: number;
  /** Every run, in order; ConsumerPerformance's fetch.nMsg.sec in the same round. */
  rounds: { exact: number[]; uncheckpointed: number[]; exactOneWorker: number[]; kafka: number[] };
  /** Counting threads of the exact and counting-only rows. */
  workers: number;
  /** exact / ConsumerPerformance of each round. */
  ratios: number[];
  /** exact with one counting thread / ConsumerPerformance of each round. */
  ratiosOneWorker: number[];
  /** 1 - exact / counting only, of each round. */
  costs: number[];
  kafka: { perSecond: number; summaries: string[] };
  /** Which operators ran, and whether they left the staged probe alone. */
  operators: string;
  /** Produce → visible in status.counted, checkpoint interval 1 s. */
  latencyMs: { p50: number; max: number; samples: number; intervalSeconds: number; writeP50: number };
  writesPerMinute: { ratePerSecond: number; writes: number; minutes: number }[];
}

/** Rounds of (counting only, exact, exact with one thread, ConsumerPerformance); medians are reported. */
const ROUNDS = Number(process.env.BENCH_RUNS ?? 3);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logger = createLogger('bench-consumer', 'warn');

/**
 * The default catalog of the CRD, spelled out in each experiment: the benchmark does not depend
 * on which version of the CRD other test runs last applied to the shared stack.
 */
function defaultCatalog() {
  const specSchema = versionSchema(loadCrd(), VERSION).properties?.spec;
  if (specSchema === undefined) throw new Error('the CRD has no spec schema');
  const { voices, battles, scale } = applyDefaults(specSchema, {} as CatalogSpec);
  // Mutable copies: the spec type of a resource to create has plain arrays.
  return { voices: voices && [...voices], battles: battles && [...battles], scale: scale && [...scale] };
}

/**
 * A namespace with a staged RatingExperiment whose catalog is the default one, both deleted by
 * `cleanup` (the namespace takes the experiment with it).
 */
async function createExperiment(
  kubeConfig: KubeConfig,
  cleanup: Cleanup,
  name: string,
  intervalSeconds: number,
) {
  const namespace = `bench-${name}`;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  cleanup.add(`namespace ${namespace}`, async () => void (await core.deleteNamespace({ name: namespace })));
  const experiment = await createRatingExperiment(
    kubeConfig,
    { namespace, name },
    { ...defaultCatalog(), consumer: { checkpointIntervalSeconds: intervalSeconds } },
    STAGED_LABELS,
  );
  return { ref: { namespace, name }, catalog: catalogFromSpec(experiment.spec) };
}

/**
 * Fills `topic` with `count` random ratings, 10,000 at a time (never all in memory: the bench can
 * then run under a pod's heap options); returns their mean encoded size in bytes.
 */
async function produceRatings(
  kafka: KafkaClient,
  topic: string,
  catalog: Catalog,
  count: number,
): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  let bytes = 0;
  for (let sent = 0; sent < count; sent += 10_000) {
    const values = ratings(catalog, Math.min(10_000, count - sent));
    bytes += values.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
    await producer.send({ topic, acks: 1, messages: values.map((value) => ({ value })) });
  }
  await producer.disconnect();
  return Math.round(bytes / count);
}

const ratings = (catalog: Catalog, count: number): string[] =>
  Array.from({ length: count }, () => encodeRating(createRating(randomSubmission(catalog))));

interface Running {
  /** Checkpoints written to the status so far. */
  writes(): number;
  /** Durations of the checkpoints written so far (read, merge, conditional write). */
  writeMs(): number[];
  stop(): Promise<void>;
}

/**
 * The consumer's own code, wired as `ratings-operator consumer` wires it (a CountingPool of
 * `workers` threads, checkpoint interval 1 s), minus HTTP. Without `checkpoint` it only counts:
 * the baseline of the checkpointing cost.
 */
async function startConsumer(options: {
  topic: string;
  writer: CheckpointWriter;
  catalog: Catalog;
  checkpoint: boolean;
  workers: number;
  groupId?: string;
  onBatch?: (counted: number) => void;
}): Promise<Running> {
  const { writer, checkpoint } = options;
  const writeMs: number[] = [];
  const catalogView = () => ({ catalog: options.catalog, generation: 1, readAt: Date.now() });
  const pool: CountingPool = new CountingPool({
    workers: options.workers,
    logger,
    setup: {
      topic: options.topic,
      groupId: options.groupId ?? `bench-${options.topic}`,
      brokers: benchBrokers,
      clientId: 'bench-consumer',
      view: catalogView(),
    },
    loadCheckpoints: async () => (checkpoint ? ((await writer.read()).status?.partitions ?? []) : []),
    refreshCatalog: async () => true,
    catalogView,
    onRebalancing: () => void (checkpoint && checkpointer.checkpoint()),
    onBatch: (result) => options.onBatch?.(result.counted + result.rejected.length),
    onFatal: (err) => {
      throw err;
    },
  });
  const checkpointer = new Checkpointer({
    logger,
    observe: async () => ({ topicId: undefined, endOffsets: undefined }),
    checkpoints: () => pool.checkpoints(options.catalog.voiceSet),
    write: (mine) =>
      writer.write(mine, { topicId: undefined, endOffsets: undefined, catalog: options.catalog.voiceSet }),
    committed: async (mine) => {
      await pool.written(mine);
      await pool.commit(mine);
    },
    onStatus: () => {},
    onOutcome: (outcome, seconds) => {
      if (outcome === 'written') writeMs.push(seconds * 1000);
    },
    intervalMs: () => 1000,
  });
  await pool.start();
  if (checkpoint) checkpointer.start();
  return {
    writes: () => writeMs.length,
    writeMs: () => writeMs,
    stop: async () => {
      await pool.drain();
      await checkpointer.stop();
      if (checkpoint) await checkpointer.checkpoint();
      await pool.disconnect();
    },
  };
}

/** Ratings read per second by one consumer process over a full topic, first batch to last. */
async function throughput(run: {
  topic: string;
  records: number;
  writer: CheckpointWriter;
  catalog: Catalog;
  checkpoint: boolean;
  workers: number;
  /** Names the run's consumer group (a fresh one each run). */
  label: string;
  cleanup: Cleanup;
}): Promise<number> {
  const { topic, records, cleanup } = run;
  let seen = 0;
  let first = 0;
  let last = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const running = await startConsumer({
    topic,
    writer: run.writer,
    catalog: run.catalog,
    checkpoint: run.checkpoint,
    workers: run.workers,
    groupId: `bench-${topic}-${run.label}`,
    onBatch: (count) => {
      if (first === 0) first = performance.now();
      seen += count;
      if (seen >= records && last === 0) {
        last = performance.now();
        done();
      }
    },
  });
  const stopped = cleanup.add(`consumer of ${topic}`, () => running.stop());
  await finished;
  stopped();
  await running.stop();
  return seen / ((last - first) / 1000);
}

/** Kafka's ConsumerPerformance over the same topic, same broker; a fresh group each round. */
async function kafkaConsumerPerformance(options: ConsumerBenchOptions, topic: string, round: number) {
  const controller = new AbortController();
  const stopped = options.cleanup.add(`ConsumerPerformance on ${topic}`, () => controller.abort());
  const { stdout } = await promisify(execFile)(
    'java',
    [
      '-Xmx512m',
      '-cp',
      join(options.kafkaLibDir, '*'),
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      options.bootstrap,
      '--topic',
      topic,
      '--messages',
      String(options.records),
      '--group',
      `bench-kafka-${topic}-${round}`,
      '--timeout',
      '60000',
    ],
    { maxBuffer: 16 * 1024 * 1024, signal: controller.signal },
  ).finally(stopped);
  // Header then one line: start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms,
  // fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec. fetch.nMsg.sec leaves the group join out, as
  // our measure does.
  const [header, values] = stdout
    .trim()
    .split('\n')
    .slice(-2)
    .map((line) => line.split(',').map((c) => c.trim()));
  const column = header?.indexOf('fetch.nMsg.sec') ?? -1;
  const perSecond = Number(values?.[column]);
  if (column < 0 || !Number.isFinite(perSecond))
    throw new Error(`unexpected ConsumerPerformance output: ${stdout}`);
  return { perSecond, summary: values!.join(', ') };
}

/** Produces one rating at a time and times until status.counted shows it. */
async function latency(
  kafka: KafkaClient,
  topic: string,
  writer: CheckpointWriter,
  catalog: Catalog,
  samples: number,
) {
  const running = await startConsumer({ topic, writer, catalog, checkpoint: true, workers: benchWorkers });
  const producer = kafka.producer();
  await producer.connect();
  // The first rating waits for the group join and the restore; it is not a sample.
  await producer.send({ topic, acks: 1, messages: ratings(catalog, 1).map((value) => ({ value })) });
  const counted = async () => (await writer.read()).status?.counted ?? 0;
  while ((await counted()) < 1) await sleep(50);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    // A random phase against the checkpoint timer: sending right after the last sample was seen
    // would always land just after a checkpoint and measure the worst case.
    await sleep(Math.random() * 1500);
    const before = await counted();
    const sent = performance.now();
    await producer.send({ topic, acks: 1, messages: ratings(catalog, 1).map((value) => ({ value })) });
    while ((await counted()) <= before) await sleep(20);
    times.push(performance.now() - sent);
  }
  await producer.disconnect();
  await running.stop();
  return { ...percentiles(times), samples, writeP50: percentiles(running.writeMs()).p50 };
}

function percentiles(values: number[]): { p50: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)] ?? NaN, max: sorted.at(-1) ?? NaN };
}

/** Produces at `ratePerSecond` for `seconds` and counts one consumer's status writes meanwhile. */
async function writesAtRate(
  kafka: KafkaClient,
  topic: string,
  writer: CheckpointWriter,
  catalog: Catalog,
  ratePerSecond: number,
  seconds: number,
) {
  const running = await startConsumer({ topic, writer, catalog, checkpoint: true, workers: benchWorkers });
  const producer = kafka.producer();
  await producer.connect();
  const perTick = Math.max(1, Math.round(ratePerSecond / 10));
  const started = performance.now();
  const startWrites = running.writes();
  while (performance.now() - started < seconds * 1000) {
    const tick = performance.now();
    await producer.send({ topic, acks: 1, messages: ratings(catalog, perTick).map((value) => ({ value })) });
    await sleep(Math.max(0, 100 - (performance.now() - tick)));
  }
  const minutes = (performance.now() - started) / 60_000;
  const writes = running.writes() - startWrites;
  await producer.disconnect();
  await running.stop();
  return { ratePerSecond, writes: writes / minutes, minutes };
}

/** The broker the consumers under test read (set by benchConsumer). */
let benchBrokers: string[] = [];
/** Counting threads of the latency and write-rate consumers (set by benchConsumer). */
let benchWorkers = 1;

type NewExperiment = (name: string) => Promise<{ writer: CheckpointWriter; catalog: Catalog }>;

/**
 * Runs every consumer measure. What it creates is registered with options.cleanup, which the
 * caller runs at the end (and which runs on SIGINT and SIGTERM).
 */
export async function benchConsumer(options: ConsumerBenchOptions): Promise<ConsumerBenchResult> {
  const { cleanup } = options;
  benchBrokers = [options.bootstrap];
  benchWorkers = options.workers;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(options.kubeconfig);
  // The consumers write through the client the pods use.
  const kube = new KubeClient(loadCredentials({ KUBECONFIG: options.kubeconfig }));
  cleanup.add('Kubernetes client', () => kube.close());
  const kafka = new Kafka({
    clientId: 'bench-consumer',
    brokers: [options.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  cleanup.add('Kafka admin connection', () => admin.disconnect());
  const suffix = Date.now().toString(36);
  const experiments: { namespace: string; name: string }[] = [];
  const create = async (name: string) => {
    const created = await createExperiment(kubeConfig, cleanup, `${name}-${suffix}`, 1);
    experiments.push(created.ref);
    return created;
  };
  const operators = await guardAgainstOperators(kubeConfig, async () => (await create('probe')).ref);
  const topic = async (name: string) => {
    const full = `bench-consumer-${name}-${suffix}`;
    await admin.createTopics({
      topics: [{ topic: full, numPartitions: options.partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    cleanup.add(`topic ${full}`, async () => void (await admin.deleteTopics({ topics: [full] })));
    return full;
  };
  const experiment: NewExperiment = async (name) => {
    const { ref, catalog } = await create(name);
    return { writer: new CheckpointWriter(kube, ref), catalog };
  };
  const result = await measure(options, kafka, topic, experiment);
  // An operator that came late, or reached the probe too late, invalidates the figures.
  await assertUntouched(kubeConfig, experiments);
  return { ...result, operators };
}

async function measure(
  options: ConsumerBenchOptions,
  kafka: KafkaClient,
  topic: (name: string) => Promise<string>,
  experiment: NewExperiment,
): Promise<Omit<ConsumerBenchResult, 'operators'>> {
  // Every throughput run reads the same records. Each round runs counting only and exact with
  // `workers` threads, exact with one, then ConsumerPerformance, so that each ratio is taken side by side under the same load of the
  // shared machine; the first round also warms the JIT and the broker's page cache.
  const counting = await experiment('counting');
  const data = await topic('data');
  const recordBytes = await produceRatings(kafka, data, counting.catalog, options.records);
  const rounds = {
    exact: [] as number[],
    uncheckpointed: [] as number[],
    exactOneWorker: [] as number[],
    kafka: [] as number[],
  };
  const summaries: string[] = [];
  const { cleanup, records, workers } = options;
  for (let round = 0; round < ROUNDS; round++) {
    const run = { topic: data, records, cleanup };
    rounds.uncheckpointed.push(
      await throughput({ ...run, ...counting, checkpoint: false, workers, label: `counting-${round}` }),
    );
    // Each exact run starts from an empty status, so that it counts the whole topic.
    const exact = await experiment(`exact-${round}`);
    rounds.exact.push(
      await throughput({ ...run, ...exact, checkpoint: true, workers, label: `exact-${round}` }),
    );
    const single = await experiment(`single-${round}`);
    rounds.exactOneWorker.push(
      await throughput({ ...run, ...single, checkpoint: true, workers: 1, label: `single-${round}` }),
    );
    const tool = await kafkaConsumerPerformance(options, data, round);
    rounds.kafka.push(tool.perSecond);
    summaries.push(tool.summary);
  }

  const timed = await experiment('latency');
  const measuredLatency = await latency(kafka, await topic('latency'), timed.writer, timed.catalog, 20);

  const writesPerMinute = [];
  for (const rate of [100, 20_000]) {
    const { writer, catalog } = await experiment(`writes-${rate}`);
    writesPerMinute.push(await writesAtRate(kafka, await topic(`writes-${rate}`), writer, catalog, rate, 30));
  }
  return {
    records: options.records,
    recordBytes,
    exact: median(rounds.exact),
    uncheckpointed: median(rounds.uncheckpointed),
    rounds,
    workers,
    ratios: rounds.exact.map((exact, i) => exact / rounds.kafka[i]!),
    ratiosOneWorker: rounds.exactOneWorker.map((exact, i) => exact / rounds.kafka[i]!),
    costs: rounds.exact.map((exact, i) => 1 - exact / rounds.uncheckpointed[i]!),
    kafka: { perSecond: median(rounds.kafka), summaries },
    latencyMs: { ...measuredLatency, intervalSeconds: 1 },
    writesPerMinute,
  };
}
