// Producer throughput on the local broker: our pipeline (generator → batcher → idempotent
// kafkajs producers, exactly the code of `ratings-operator producer` minus HTTP, on the main
// thread or on generating threads) against Kafka's own ProducerPerformance tool sending records
// of the same size with the same guarantees. Ours is counted from the topic's end offsets.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { Registry } from 'prom-client';
import { loadCrd, versionSchema } from '../src/api/crd.ts';
import { applyDefaults } from '../src/api/defaults.ts';
import { VERSION } from '../src/api/v1alpha1.ts';
import { createLogger } from '../src/common/logger.ts';
import { catalogFromSpec, type Catalog } from '../src/ratings/catalog.ts';
import { encodeRating } from '../src/ratings/rating.ts';
import { generateRatings, RatingGenerator } from '../src/producer/generator.ts';
import { createKafkaProducer, type RatingCompression } from '../src/producer/kafka.ts';
import { createProducerMetrics } from '../src/producer/metrics.ts';
import { GeneratorPool } from '../src/producer/generator-pool.ts';
import { RecentRatings } from '../src/producer/page.ts';
import { RatingPublisher } from '../src/producer/publisher.ts';
import { PRODUCER_TUNING } from '../src/producer/config.ts';
import type { Cleanup } from './cleanup.ts';

const { Kafka, logLevel } = kafkajs;

export interface ProducerBenchOptions {
  bootstrap: string;
  kafkaLibDir: string;
  seconds: number;
  partitions: number;
  /** Also deletes the topics on SIGINT/SIGTERM. */
  cleanup?: Cleanup;
  /** Both sides compress alike (default none). */
  compression?: RatingCompression;
  /** Generating threads (spec.producer.workers; default 0: the generator runs on this thread). */
  workers?: number;
  /** Our pipeline's idempotent sessions and ratings per request (per thread; default: the producer's own). */
  sessions?: number;
  maxBatchSize?: number;
  /** Which side runs first in this run (alternated between runs, so load drifts hit both). */
  kafkaFirst?: boolean;
  /** Records for ProducerPerformance when it runs first (default: 100,000 per second of `seconds`). */
  kafkaRecords?: number;
}

export interface ProducerBenchResult {
  recordBytes: number;
  ours: { ratings: number; seconds: number; perSecond: number; cpuMicrosPerRating: number };
  /** cpuMicrosPerRecord: the JVM's whole CPU time (start-up, JIT) over the records sent. */
  kafka: { records: number; perSecond: number; summary: string; cpuMicrosPerRecord: number };
  /** 1-minute load average before and after the run. */
  load: [number, number];
}

export async function withAdmin(
  bootstrap: string,
  fn: (admin: kafkajs.Admin) => Promise<unknown>,
): Promise<void> {
  const admin = new Kafka({
    clientId: 'bench-admin',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The default catalog, as the API server fills it into a spec that names none. */
export function defaultCatalog(): Catalog {
  const specSchema = versionSchema(loadCrd(), VERSION).properties?.spec;
  if (specSchema === undefined) throw new Error('the CRD has no spec schema');
  return catalogFromSpec(applyDefaults(specSchema, {}));
}

/** A bulk-import body: `size` random ratings of the catalog, as NDJSON (one rating a line). */
export function bulkNdjson(catalog: Catalog, size: number): string {
  return generateRatings(catalog, size)
    .map(({ battle, voices, rating, researcher }) => JSON.stringify({ battle, voices, rating, researcher }))
    .join('\n');
}

/** Mean size of an encoded rating, so that Kafka's tool sends records of the same size. */
export function meanRecordBytes(catalog: Catalog): number {
  const samples = generateRatings(catalog, 10_000);
  const bytes = samples.reduce((sum, r) => sum + Buffer.byteLength(encodeRating(r)), 0);
  return Math.round(bytes / samples.length);
}

/** Records in `topic` now: the sum of its partitions' end offsets (every record acknowledged, acks=all). */
async function recordsIn(bootstrap: string, topic: string): Promise<number> {
  let total = 0;
  await withAdmin(bootstrap, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    total = offsets.reduce((sum, p) => sum + Number(p.high), 0);
  });
  return total;
}

/** What ours runs: the generator on this thread (0 workers), or the producer's generating threads. */
interface Pipeline {
  start(): void | Promise<void>;
  stop(): Promise<void>;
  failed(): number;
}

async function mainThreadPipeline(
  options: ProducerBenchOptions,
  topic: string,
  catalog: Catalog,
): Promise<Pipeline> {
  const logger = createLogger('bench-producer', 'warn');
  const producer = createKafkaProducer({
    brokers: [options.bootstrap],
    topic,
    clientId: 'bench-producer',
    logger,
    sessions: options.sessions ?? PRODUCER_TUNING.sessions,
    compression: options.compression ?? 'none',
  });
  await producer.connect();
  const publisher = new RatingPublisher({
    producer,
    metrics: createProducerMetrics(new Registry()),
    recent: new RecentRatings(),
    logger,
    maxBatchSize: options.maxBatchSize ?? PRODUCER_TUNING.maxBatchSize,
  });
  let failed = 0;
  const generator = new RatingGenerator({
    ratePerSecond: FLAT_OUT,
    catalog: () => catalog,
    publish: async (ratings, admitting) => {
      try {
        await publisher.publish(ratings, 'generated', admitting);
      } catch (err) {
        failed += ratings.length;
        throw err;
      }
    },
    logger,
    maxOutstanding: producer.sessions + 1,
  });
  return {
    start: () => generator.start(),
    stop: async () => {
      await generator.stop();
      await publisher.flush();
      await producer.disconnect();
    },
    failed: () => failed,
  };
}

async function threadedPipeline(
  options: ProducerBenchOptions,
  topic: string,
  catalog: Catalog,
): Promise<Pipeline> {
  if (options.compression !== undefined && options.compression !== 'none') {
    throw new Error('generating threads send uncompressed, as the producer pods do');
  }
  const registry = new Registry();
  let fatal: Error | undefined;
  const pool = new GeneratorPool({
    workers: options.workers!,
    ratePerSecond: FLAT_OUT,
    logger: createLogger('bench-producer', 'warn'),
    setup: {
      brokers: [options.bootstrap],
      topic,
      clientId: 'bench-producer',
      catalog,
      sessions: options.sessions ?? PRODUCER_TUNING.sessions,
      maxBatchSize: options.maxBatchSize ?? PRODUCER_TUNING.maxBatchSize,
    },
    metrics: createProducerMetrics(registry),
    recent: new RecentRatings(),
    onFatal: (err) => {
      fatal ??= err;
    },
  });
  const failed = registry.getSingleMetric('ratings_producer_failed_total');
  let failedSoFar = 0;
  return {
    start: () => pool.start(),
    stop: async () => {
      await pool.stop();
      if (fatal !== undefined) throw fatal;
      failedSoFar = (await failed!.get()).values.reduce((sum, v) => sum + v.value, 0);
    },
    failed: () => failedSoFar,
  };
}

/** Far above any spec value: the pipeline, not the pacer, sets the pace. */
const FLAT_OUT = 10_000_000;

/** Ratings acknowledged per second while the generator runs flat out for `seconds`. */
async function runOurs(options: ProducerBenchOptions, topic: string, catalog: Catalog) {
  const pipeline =
    (options.workers ?? 0) > 0
      ? await threadedPipeline(options, topic, catalog)
      : await mainThreadPipeline(options, topic, catalog);
  // A short warm-up lets the JIT and the producer's connections settle before measuring.
  await pipeline.start();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const startCount = await recordsIn(options.bootstrap, topic);
  const start = performance.now();
  const startCpu = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  const ratings = (await recordsIn(options.bootstrap, topic)) - startCount;
  const cpu = process.cpuUsage(startCpu);
  const seconds = (performance.now() - start) / 1000;
  await pipeline.stop();
  if (pipeline.failed() > 0) throw new Error(`Kafka refused ${pipeline.failed()} ratings during the run`);
  return {
    ratings,
    seconds,
    perSecond: ratings / seconds,
    // process.cpuUsage counts every thread of the process: the generating threads too.
    cpuMicrosPerRating: (cpu.user + cpu.system) / ratings,
  };
}

/** Kafka's ProducerPerformance, idempotent with acks=all like ours, on the same broker. */
async function runKafkaTool(
  options: ProducerBenchOptions,
  topic: string,
  recordBytes: number,
  records: number,
) {
  // Through GNU time, for the JVM's CPU time (start-up and JIT included).
  const { stdout, stderr } = await promisify(execFile)(
    '/usr/bin/time',
    [
      '-f',
      'BENCH-CPU %U %S',
      'java',
      '-Xmx512m',
      '-cp',
      join(options.kafkaLibDir, '*'),
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${options.bootstrap}`,
      'acks=all',
      'enable.idempotence=true',
      'max.in.flight.requests.per.connection=5',
      `compression.type=${options.compression ?? 'none'}`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  // The last line is the summary: "N records sent, R records/sec (M MB/sec), …".
  const summary = stdout.trim().split('\n').at(-1) ?? '';
  const match = /^(\d+) records sent, ([\d.]+) records\/sec/.exec(summary);
  if (match === null) throw new Error(`unexpected ProducerPerformance output: ${summary}`);
  const cpu = /BENCH-CPU ([\d.]+) ([\d.]+)/.exec(stderr);
  const sent = Number(match[1]);
  const cpuMicrosPerRecord = cpu === null ? NaN : ((Number(cpu[1]) + Number(cpu[2])) * 1e6) / sent;
  return { records: sent, perSecond: Number(match[2]), summary, cpuMicrosPerRecord };
}

export async function benchProducer(options: ProducerBenchOptions): Promise<ProducerBenchResult> {
  const catalog = defaultCatalog();
  const recordBytes = meanRecordBytes(catalog);
  const load0 = loadavg()[0]!;

  const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const oursTopic = `bench-producer-ours-${suffix}`;
  const kafkaTopic = `bench-producer-kafka-${suffix}`;
  const topics = [oursTopic, kafkaTopic];
  const deleteTopics = () => withAdmin(options.bootstrap, (admin) => admin.deleteTopics({ topics }));
  await withAdmin(options.bootstrap, (admin) =>
    admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: options.partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    }),
  );
  const registered = options.cleanup?.add(`topics ${topics.join(', ')}`, deleteTopics);
  try {
    // ProducerPerformance sends a fixed number of records: about `seconds` worth, so that both
    // sides run about as long.
    const kafkaRecords = (perSecond: number) => Math.max(200_000, Math.round(perSecond * options.seconds));
    let ours: ProducerBenchResult['ours'];
    let kafka: ProducerBenchResult['kafka'];
    if (options.kafkaFirst === true) {
      const records = options.kafkaRecords ?? kafkaRecords(100_000);
      kafka = await runKafkaTool(options, kafkaTopic, recordBytes, records);
      ours = await runOurs(options, oursTopic, catalog);
    } else {
      ours = await runOurs(options, oursTopic, catalog);
      kafka = await runKafkaTool(options, kafkaTopic, recordBytes, kafkaRecords(ours.perSecond));
    }
    return { recordBytes, ours, kafka, load: [load0, loadavg()[0]!] };
  } finally {
    registered?.();
    await deleteTopics();
  }
}
