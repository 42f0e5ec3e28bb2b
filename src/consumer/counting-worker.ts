// A counting worker of the consumer (worker_threads): one consumer group member, a RatingConsumer
// with its own kafkajs client and OwnedPartitions, exactly as a pod without workers was. Kafka
// spreads the partitions over workers as over pods, so the argument of src/ratings/checkpoint.ts
// holds unchanged: each worker's states are exact, and a snapshot is taken when the main thread's
// request is handled, between two records (counting a batch is synchronous), so it is exact too.
// What needs the API server (the status, the experiment) is asked of the main thread
// (worker-protocol.ts); the topic ID is asked of Kafka here.
import { parentPort, workerData } from 'node:worker_threads';
import { createKafkaClient } from '../common/kafka.ts';
import { fetchTopicId } from '../common/kafka-metadata.ts';
import { createLogger } from '../common/logger.ts';
import { judgeRecord, stampOf, type CatalogView } from '../ratings/judge.ts';
import { RatingConsumer } from './rating-consumer.ts';
import { Peer } from '../common/worker-peer.ts';
import type { MainApi, WorkerApi, WorkerSetup } from './worker-protocol.ts';

if (parentPort === null)
  throw new Error('counting-worker.ts runs only as a worker thread (counting-pool.ts)');
const port = parentPort;
const setup = workerData as WorkerSetup;
const logger = createLogger('consumer').child({ worker: setup.index });
const clientId = `${setup.clientId}-${setup.index}`;
let view: CatalogView = setup.view;

const consumer: RatingConsumer = new RatingConsumer({
  kafka: createKafkaClient({ clientId, brokers: setup.brokers, logger, verbose: true }),
  topic: setup.topic,
  groupId: setup.groupId,
  logger,
  judge: (record) =>
    judgeRecord(
      { value: record.value, stamp: stampOf(record.headers), timestamp: Number(record.timestamp ?? 0) },
      view,
    ),
  refreshCatalog: async () => {
    const answer = await main.call('refreshCatalog');
    view = answer.view;
    return answer.refreshed;
  },
  fetchTopicId: () => fetchTopicId(setup.topic, { brokers: setup.brokers, clientId, timeoutMs: 5_000 }),
  loadCheckpoints: () => main.call('loadCheckpoints'),
  onRebalancing: () => main.notify('rebalancing'),
  onBatch: (_partition, result) => main.notify('batch', result, consumer.positions()),
  onMembership: (membership) => main.notify('membership', membership),
  onFatal: (err) => {
    logger.fatal({ err: err.message }, 'the consumer group member cannot go on: the worker exits');
    // Ends this thread only; the pool makes the process exit, so that a member is never lost silently.
    process.exit(1);
  },
});

const main = new Peer<WorkerApi, MainApi>(
  port,
  {
    start: () => consumer.start(),
    checkpoints: (catalog) => consumer.checkpoints(catalog),
    written: (checkpoints) => consumer.written(checkpoints),
    observe: (topicId, logStarts) => consumer.observe(topicId, logStarts),
    commit: (checkpoints) => consumer.commit(checkpoints),
    drain: () => consumer.drain(),
    disconnect: () => consumer.disconnect(),
    catalog: (next) => {
      view = next;
    },
  },
  (err) => logger.error({ err: err.message }, 'message from the main thread failed'),
);
