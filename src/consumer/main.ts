// `ratings-operator consumer`: counts the experiment topic exactly once into the experiment
// status (DESIGN.md sections 5 and 6).
import { CustomObjectsApi } from '@kubernetes/client-node';
import { createKafkaClient } from '../common/kafka.ts';
import type { RatingExperimentStatus } from '../api/v1alpha1.ts';
import { ExperimentSource } from '../common/experiment-source.ts';
import { startHttpServer } from '../common/http.ts';
import { loadKubeConfig } from '../common/kube.ts';
import { createLogger } from '../common/logger.ts';
import { onShutdown } from '../common/shutdown.ts';
import { parseRecord } from '../ratings/rating.ts';
import { Checkpointer } from './checkpointer.ts';
import { checkpointIntervalMs, kafkaTarget, readConsumerEnv } from './config.ts';
import { leaderboardRoutes, type TotalsView } from './leaderboard.ts';
import { ConsumerMetrics } from './metrics.ts';
import { RatingConsumer } from './rating-consumer.ts';
import { CheckpointWriter } from './status-writer.ts';

export async function main(): Promise<void> {
  const env = readConsumerEnv();
  const logger = createLogger('consumer');
  const ref = { namespace: env.namespace, name: env.name };
  const kubeConfig = loadKubeConfig();
  const source = await ExperimentSource.start({ kubeConfig, ...ref, logger });
  const target = kafkaTarget(env, source.current.experiment);
  logger.info(
    { experiment: ref, topic: target.topic, brokers: target.brokers, groupId: target.groupId },
    'starting',
  );

  const writer = new CheckpointWriter(kubeConfig.makeApiClient(CustomObjectsApi), ref);
  const kafka = createKafkaClient({
    clientId: `ratings-consumer-${env.podName}`,
    brokers: target.brokers,
    logger,
    verbose: true,
  });
  const admin = kafka.admin();

  let status: RatingExperimentStatus | undefined = source.current.experiment.status;
  const metrics = new ConsumerMetrics(ref, () => consumer.assigned.length);
  const consumer: RatingConsumer = new RatingConsumer({
    kafka,
    topic: target.topic,
    groupId: target.groupId,
    logger,
    parse: (value) => parseRecord(value, source.current.catalog),
    loadCheckpoints: async () => (await writer.read()).status?.partitions ?? [],
    onRebalancing: () => void checkpointer.checkpoint(),
    onBatch: (_partition, result) => metrics.batchCounted(result),
    onFatal: () => process.exit(1),
  });
  const checkpointer = new Checkpointer({
    logger,
    checkpoints: () => consumer.checkpoints(),
    endOffsets: async () =>
      new Map((await admin.fetchTopicOffsets(target.topic)).map((p) => [p.partition, Number(p.high)])),
    write: (mine, endOffsets) => writer.write(mine, endOffsets),
    committed: (mine) => consumer.commit(mine),
    onStatus: (stored) => {
      status = stored;
      metrics.status(stored);
    },
    onOutcome: (outcome, seconds, conflicts) => metrics.checkpoint(outcome, seconds, conflicts),
    intervalMs: () => checkpointIntervalMs(source.current.experiment),
  });
  if (status !== undefined) metrics.status(status);

  const view = (): TotalsView => ({
    experiment: ref,
    status,
    pod: {
      name: env.podName,
      partitions: consumer.checkpoints().map(({ partition, offset }) => ({ partition, offset })),
    },
  });
  const http = await startHttpServer({
    port: env.port,
    logger,
    registry: metrics.registry,
    notReadyReason: () => consumer.notReadyReason(),
    routes: leaderboardRoutes(view),
  });

  // SIGTERM: stop counting, write what was counted, commit, leave the group. A crash instead
  // loses only progress since the last checkpoint, which the next owner counts again.
  onShutdown(logger, async () => {
    await consumer.drain();
    await checkpointer.stop();
    const outcome = await checkpointer.checkpoint();
    if (outcome === 'failed')
      logger.warn('last checkpoint failed; the next owner recounts from the previous one');
    await consumer.disconnect();
    await admin.disconnect();
    source.stop();
    await http.close();
  });

  await admin.connect();
  await consumer.start();
  checkpointer.start();
}
