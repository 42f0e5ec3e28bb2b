// `node bench/consumer-profile.ts [out.cpuprofile]`: the consumer's counting path alone
// (RatingConsumer with the real judge, no checkpoints, no Kubernetes) over a fresh topic of JSON
// v1 ratings, profiled while it counts (filling the topic is left out of the profile), so that
// the profile shows where a consumer pod spends its time. Prints the rate of each run;
// `node bench/cpuprofile-summary.ts <file>` lists the functions with the most self time.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import kafkajs from 'kafkajs';
import { loadCrd, versionSchema } from '../src/api/crd.ts';
import { applyDefaults } from '../src/api/defaults.ts';
import { VERSION } from '../src/api/v1alpha1.ts';
import { createLogger } from '../src/common/logger.ts';
import { fetchTopicId } from '../src/common/kafka-metadata.ts';
import { FETCH_SIZES, RatingConsumer, type FetchSizes } from '../src/consumer/rating-consumer.ts';
import { catalogFromSpec } from '../src/ratings/catalog.ts';
import { judgeRecord } from '../src/ratings/judge.ts';
import { createRating, encodeRating } from '../src/ratings/rating.ts';
import { randomSubmission } from '../src/producer/generator.ts';
import { readStackEnv } from '../e2e/stack/stack.ts';
import { onCleanup } from './cleanup.ts';

const { Kafka, logLevel } = kafkajs;

const records = Number(process.env.BENCH_CONSUMER_RECORDS ?? 500_000);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 3);
const runs = Number(process.env.BENCH_RUNS ?? 2);
/** Fetch sizes compared run by run (alternating): the consumer's, and larger ones. */
const FETCHES: Record<string, FetchSizes> = {
  'fetch 1 MiB/partition': FETCH_SIZES,
  'fetch 8 MiB/partition': {
    ...FETCH_SIZES,
    maxBytes: 32 * 1024 * 1024,
    maxBytesPerPartition: 8 * 1024 * 1024,
  },
};
const fetchNames = (process.env.BENCH_FETCH ?? Object.keys(FETCHES)[0]!).split(',');
const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS ?? readStackEnv().KAFKA_BOOTSTRAP_SERVERS;
const logger = createLogger('bench-consumer-profile', 'warn');

const specSchema = versionSchema(loadCrd(), VERSION).properties?.spec;
if (specSchema === undefined) throw new Error('the CRD has no spec schema');
const catalog = catalogFromSpec(applyDefaults(specSchema, {}));
const kafka = new Kafka({
  clientId: 'bench-consumer-profile',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
});

const topic = `bench-consumer-profile-${Date.now().toString(36)}`;
const admin = kafka.admin();
await admin.connect();
const cleanup = onCleanup();
await admin.createTopics({
  topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
  waitForLeaders: true,
});
cleanup.add(`topic ${topic}`, async () => {
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
});
try {
  const producer = kafka.producer();
  await producer.connect();
  for (let sent = 0; sent < records; sent += 10_000) {
    const messages = Array.from({ length: Math.min(10_000, records - sent) }, () => ({
      value: encodeRating(createRating(randomSubmission(catalog))),
    }));
    await producer.send({ topic, acks: 1, messages });
  }
  await producer.disconnect();

  const profileFile = process.argv[2];
  const session = new Session();
  if (profileFile !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 1000 });
    await session.post('Profiler.start');
  }
  for (let run = 0; run < runs * fetchNames.length; run++) {
    const fetchName = fetchNames[run % fetchNames.length]!;
    let seen = 0;
    let first = 0;
    let last = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const consumer = new RatingConsumer({
      kafka,
      topic,
      groupId: `${topic}-${run}`,
      logger,
      judge: (record) =>
        judgeRecord(
          { value: record.value, stamp: undefined, timestamp: 0 },
          { catalog, generation: 1, readAt: Date.now() },
        ),
      refreshCatalog: async () => true,
      fetchTopicId: () => fetchTopicId(topic, { brokers: [bootstrap], clientId: 'bench-consumer-profile' }),
      loadCheckpoints: async () => [],
      onBatch: (_partition, result) => {
        if (first === 0) first = performance.now();
        seen += result.counted + result.rejected.length;
        if (seen >= records && last === 0) {
          last = performance.now();
          done();
        }
      },
      onFatal: (err) => {
        throw err;
      },
      fetch: FETCHES[fetchName],
    });
    await consumer.start();
    await finished;
    await consumer.drain();
    await consumer.disconnect();
    process.stdout.write(
      `run ${run + 1} (${fetchName}): ${Math.round(seen / ((last - first) / 1000))} ratings/s counted\n`,
    );
  }
  if (profileFile !== undefined) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
    session.disconnect();
  }
} finally {
  await cleanup.run();
}
