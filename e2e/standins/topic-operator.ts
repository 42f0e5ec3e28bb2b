// STAND-IN for Strimzi's topic operator, for the local stack only (DESIGN.md §7): turns
// kafka.strimzi.io/v1 KafkaTopics in every namespace into Kafka topics through the admin API
// and reports their Ready condition, with Strimzi's finalizer so that deleting a KafkaTopic
// deletes its topic. It is not Strimzi: no topic-to-resource sync, no Cruise Control.
//
// Env: KUBECONFIG (admin), KAFKA_BOOTSTRAP_SERVERS, HEALTH_PORT (GET /healthz is 200 once the
// KafkaTopics are listed and Kafka answers), LOG_LEVEL.
import { EnvReader } from '../../src/common/env.ts';
import { fetchTopicId } from '../../src/common/kafka-metadata.ts';
import { KubeClient } from '../../src/common/kube-client.ts';
import { loadCredentials } from '../../src/common/kube-credentials.ts';
import { objectKey, resources, splitKey } from '../../src/common/kube-resources.ts';
import { createLogger } from '../../src/common/logger.ts';
import { onShutdown } from '../../src/common/shutdown.ts';
import { Informer } from '../../src/controller/informer.ts';
import { startHealthServer } from './health-server.ts';
import { createKafkaAdmin } from './kafka-admin.ts';
import type { KafkaTopic } from './kafka-topic.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { TopicReconciler } from './topic-reconciler.ts';
import { describeFailure } from '../../src/common/errors.ts';

/** Reconcile everything this often too, so that Kafka-side drift and refusals get retried. */
const RESYNC_MS = 30_000;

async function main(): Promise<void> {
  const env = new EnvReader();
  const brokers = env.brokerList('KAFKA_BOOTSTRAP_SERVERS');
  if (brokers === undefined) env.fail('KAFKA_BOOTSTRAP_SERVERS is required');
  const healthPort = env.integer('HEALTH_PORT', 0, { min: 0, max: 65535 });
  env.done();

  const logger = createLogger('topic-operator-standin').child({ standin: true });
  logger.info({ brokers }, "starting the topic-operator STAND-IN (not Strimzi's topic operator)");
  const client = new KubeClient(loadCredentials(), { userAgent: 'topic-operator-standin' });
  const admin = createKafkaAdmin(brokers ?? [], 'topic-operator-standin', logger);
  let kafkaConnected = false;

  // KafkaTopics of every namespace, listed and then watched (the controller's informer).
  const topics = new Informer<KafkaTopic>({ client, type: resources.kafkaTopic, logger });
  topics.onChange((change) => queue.add(objectKey(change.object)));
  const reconciler = new TopicReconciler({
    admin,
    client,
    logger,
    get: (namespace, name) => topics.get(namespace, name),
    all: () => topics.list(),
    topicId: (name) =>
      fetchTopicId(name, { brokers: brokers ?? [], clientId: 'topic-operator-standin', timeoutMs: 10_000 }),
  });
  const queue = new KeyedQueue({
    handle: (k) => {
      const { namespace, name } = splitKey(k);
      return reconciler.reconcile(namespace, name);
    },
    onError: (k, err, retryInMs) => logger.warn({ kafkaTopic: k, err, retryInMs }, 'reconcile failed'),
  });

  const health = await startHealthServer(healthPort, () => {
    if (!topics.hasSynced()) return 'KafkaTopics not listed yet';
    if (!kafkaConnected) return 'Kafka not connected yet';
    return undefined;
  });
  const resync = setInterval(() => topics.list().forEach((kt) => queue.add(objectKey(kt))), RESYNC_MS);

  onShutdown(logger, async () => {
    clearInterval(resync);
    await topics.stop();
    await queue.stop();
    await admin.disconnect();
    client.close();
    await health.close();
  });

  await connectWithRetry(
    () => admin.connect(),
    (err, delay) => logger.warn({ err, retryInMs: delay }, 'Kafka not reachable yet'),
  );
  kafkaConnected = true;
  topics.start();
  await topics.waitForSync();
  logger.info({ healthPort }, 'watching KafkaTopics');
}

async function connectWithRetry(
  connect: () => Promise<void>,
  onRetry: (err: unknown, delayMs: number) => void,
) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await connect();
      return;
    } catch (err) {
      const delay = Math.min(10_000, 500 * attempt);
      onRetry(err, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`topic-operator stand-in failed: ${describeFailure(err)}\n`);
  process.exit(1);
});
