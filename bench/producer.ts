// Producer throughput on the local broker: our pipeline (generator → batcher → idempotent
// kafkajs producer, exactly the code of `ratings-operator producer` minus HTTP) against Kafka's
// own ProducerPerformance tool sending records of the same size with the same guarantees.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { Registry } from 'prom-client';
import { loadCrd, versionSchema } from '../src/api/crd.ts';
import { applyDefaults } from '../src/api/defaults.ts';
import { VERSION } from '../src/api/v1alpha1.ts';
import { createLogger } from '../src/common/logger.ts';
import { catalogFromSpec, type Catalog } from '../src/ratings/catalog.ts';
import { createRating, encodeRating } from '../src/ratings/rating.ts';
import { RatingGenerator, randomSubmission } from '../src/producer/generator.ts';
import { createKafkaProducer } from '../src/producer/kafka.ts';
import { createProducerMetrics } from '../src/producer/metrics.ts';
import { RecentRatings } from '../src/producer/page.ts';
import { RatingPublisher } from '../src/producer/publisher.ts';
import type { Cleanup } from './cleanup.ts';

const { Kafka, logLevel } = kafkajs;

export interface ProducerBenchOptions {
  bootstrap: string;
  kafkaLibDir: string;
  seconds: number;
  partitions: number;
  /** Also deletes the topics on SIGINT/SIGTERM. */
  cleanup?: Cleanup;
}

export interface ProducerBenchResult {
  recordBytes: number;
  ours: { ratings: number; seconds: number; perSecond: number };
  kafka: { records: number; perSecond: number; summary: string };
}

async function withAdmin(bootstrap: string, fn: (admin: kafkajs.Admin) => Promise<unknown>): Promise<void> {
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

/** Ratings acknowledged per second while the generator runs flat out for `seconds`. */
async function runOurs(options: ProducerBenchOptions, topic: string, catalog: Catalog) {
  const logger = createLogger('bench-producer', 'warn');
  const registry = new Registry();
  const metrics = createProducerMetrics(registry);
  const producer = createKafkaProducer({
    brokers: [options.bootstrap],
    topic,
    clientId: 'bench-producer',
    logger,
  });
  await producer.connect();
  const publisher = new RatingPublisher({ producer, metrics, recent: new RecentRatings(), logger });
  let acknowledged = 0;
  const generator = new RatingGenerator({
    // Far above any spec value: the pipeline, not the pacer, sets the pace.
    ratePerSecond: 10_000_000,
    catalog: () => catalog,
    publish: async (ratings, admitting) => {
      await publisher.publish(ratings, 'generated', admitting);
      acknowledged += ratings.length;
    },
    logger,
  });
  // A short warm-up lets the JIT and the producer's connections settle before measuring.
  generator.start();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const startCount = acknowledged;
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  const ratings = acknowledged - startCount;
  const seconds = (performance.now() - start) / 1000;
  await generator.stop();
  await publisher.flush();
  await producer.disconnect();
  return { ratings, seconds, perSecond: ratings / seconds };
}

/** Kafka's ProducerPerformance, idempotent with acks=all like ours, on the same broker. */
async function runKafkaTool(
  options: ProducerBenchOptions,
  topic: string,
  recordBytes: number,
  records: number,
) {
  const { stdout } = await promisify(execFile)(
    'java',
    [
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
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  // The last line is the summary: "N records sent, R records/sec (M MB/sec), …".
  const summary = stdout.trim().split('\n').at(-1) ?? '';
  const match = /^(\d+) records sent, ([\d.]+) records\/sec/.exec(summary);
  if (match === null) throw new Error(`unexpected ProducerPerformance output: ${summary}`);
  return { records: Number(match[1]), perSecond: Number(match[2]), summary };
}

export async function benchProducer(options: ProducerBenchOptions): Promise<ProducerBenchResult> {
  // The default catalog, as the API server fills it into a spec that names none.
  const specSchema = versionSchema(loadCrd(), VERSION).properties?.spec;
  if (specSchema === undefined) throw new Error('the CRD has no spec schema');
  const catalog = catalogFromSpec(applyDefaults(specSchema, {}));
  // Mean size of an encoded rating, so that Kafka's tool sends records of the same size.
  let bytes = 0;
  const samples = 10_000;
  for (let i = 0; i < samples; i++)
    bytes += Buffer.byteLength(encodeRating(createRating(randomSubmission(catalog))));
  const recordBytes = Math.round(bytes / samples);

  const suffix = Date.now().toString(36);
  const oursTopic = `bench-producer-ours-${suffix}`;
  const kafkaTopic = `bench-producer-kafka-${suffix}`;
  const topics = [oursTopic, kafkaTopic];
  await withAdmin(options.bootstrap, (admin) =>
    admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: options.partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    }),
  );
  const deleteTopics = () => withAdmin(options.bootstrap, (admin) => admin.deleteTopics({ topics }));
  const registered = options.cleanup?.add(`topics ${topics.join(', ')}`, deleteTopics);
  try {
    const ours = await runOurs(options, oursTopic, catalog);
    // As many records as ours sent per second over the same time, so both runs last about as long.
    const records = Math.max(100_000, Math.round(ours.perSecond * options.seconds));
    const kafka = await runKafkaTool(options, kafkaTopic, recordBytes, records);
    return { recordBytes, ours, kafka };
  } finally {
    registered?.();
    await deleteTopics();
  }
}
