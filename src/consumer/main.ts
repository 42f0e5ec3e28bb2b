// `ratings-operator consumer`: counts the experiment topic exactly once into the experiment
// status (docs/design.md sections 5 and 6).
import { createKafkaClient } from '../common/kafka.ts';
import type { RatingExperimentStatus } from '../api/v1alpha1.ts';
import { ExperimentSource } from '../common/experiment-source.ts';
import { startHttpServer } from '../common/http.ts';
import { KubeClient } from '../common/kube-client.ts';
import { loadCredentials } from '../common/kube-credentials.ts';
import { createLogger } from '../common/logger.ts';
import { onShutdown } from '../common/shutdown.ts';
import { fetchTopicId } from '../common/kafka-metadata.ts';
import { Checkpointer } from './checkpointer.ts';
import { checkpointIntervalMs, kafkaTarget, readConsumerEnv } from './config.ts';
import { leaderboardRoutes } from './leaderboard.ts';
import { ConsumerMetrics } from './metrics.ts';
import { RateHistory } from './rates.ts';
import { CountingPool } from './counting-pool.ts';
import { CheckpointWriter } from './status-writer.ts';
import type { TotalsView } from './totals-response.ts';

export async function main(): Promise<void> {
  const env = readConsumerEnv();
  const logger = createLogger('consumer');
  const ref = { namespace: env.namespace, name: env.name };
  const credentials = loadCredentials();
  const kube = new KubeClient(credentials, {
    requestTimeoutMs: env.kubeRequestTimeoutMs,
    userAgent: `ratings-consumer/${env.podName}`,
  });
  const source = await ExperimentSource.start({ kube, server: credentials.server.origin, ...ref, logger });
  const target = kafkaTarget(env, source.current.experiment);
  logger.info(
    { experiment: ref, topic: target.topic, brokers: target.brokers, groupId: target.groupId },
    'starting',
  );

  const writer = new CheckpointWriter(kube, ref);
  const clientId = `ratings-consumer-${env.podName}`;
  const admin = createKafkaClient({ clientId, brokers: target.brokers, logger }).admin();
  const catalogView = () => {
    const { experiment, catalog, readAt } = source.current;
    return { catalog, generation: experiment.metadata?.generation ?? 0, readAt };
  };

  let status: RatingExperimentStatus | undefined = source.current.experiment.status;
  const rates = new RateHistory();
  const metrics = new ConsumerMetrics(ref, () => pool.assigned.length);
  // Counting runs in worker threads, each a consumer group member (counting-pool.ts); this
  // thread serves HTTP, follows the experiment and writes the checkpoints.
  const pool: CountingPool = new CountingPool({
    workers: env.workers,
    logger,
    setup: {
      topic: target.topic,
      groupId: target.groupId,
      brokers: target.brokers,
      clientId,
      view: catalogView(),
    },
    loadCheckpoints: async () => (await writer.read()).status?.partitions ?? [],
    refreshCatalog: () => source.refresh(),
    catalogView,
    onRebalancing: () => void checkpointer.checkpoint(),
    onBatch: (result) => metrics.batchCounted(result),
    onFatal: (err) => {
      logger.fatal({ err: err.message }, 'a counting worker is gone: exiting');
      process.exit(1);
    },
  });
  source.onChange(() => pool.catalogChanged(catalogView()));
  const checkpointer = new Checkpointer({
    logger,
    observe: async () => {
      const topicId = await fetchTopicId(target.topic, {
        brokers: target.brokers,
        clientId,
        timeoutMs: 5_000,
      });
      if (topicId === undefined) return { topicId, endOffsets: undefined };
      const offsets = await admin.fetchTopicOffsets(target.topic);
      const lost = await pool.observe(topicId, new Map(offsets.map((p) => [p.partition, Number(p.low)])));
      metrics.lostFound(lost);
      return { topicId, endOffsets: new Map(offsets.map((p) => [p.partition, Number(p.high)])) };
    },
    checkpoints: () => pool.checkpoints(source.current.catalog.voiceSet),
    write: async (mine, observed) => {
      const result = await writer.write(mine, {
        topicId: observed?.topicId,
        endOffsets: observed?.endOffsets,
        catalog: source.current.catalog.voiceSet,
      });
      for (const topicId of result.retired) {
        logger.warn(
          { topicId },
          'earlier incarnation of the topic retired: its totals are kept in previousTopics',
        );
      }
      if (result.lateLost > 0) {
        logger.error(
          { lost: result.lateLost },
          'checkpoint of a retired incarnation came too late: reported as lost',
        );
      }
      return result;
    },
    committed: async (mine) => {
      await pool.written(mine);
      await pool.commit(mine);
    },
    onStatus: (stored) => {
      status = stored;
      rates.record(stored, Date.now());
      metrics.status(stored);
    },
    onOutcome: (outcome, seconds, conflicts) => metrics.checkpoint(outcome, seconds, conflicts),
    intervalMs: () => checkpointIntervalMs(source.current.experiment),
  });
  if (status !== undefined) metrics.status(status);

  const view = (): TotalsView => ({
    experiment: ref,
    status,
    scale: source.current.catalog.scale,
    rates: { windowMs: rates.windowMs, samples: rates.samples() },
    now: Date.now(),
    pod: {
      name: env.podName,
      partitions: pool.positions(),
    },
  });
  const http = await startHttpServer({
    port: env.port,
    logger,
    registry: metrics.registry,
    notReadyReason: () => pool.notReadyReason(),
    routes: leaderboardRoutes(view),
  });

  // SIGTERM: stop counting, write what was counted, commit, leave the group. A crash instead
  // loses only progress since the last checkpoint, which the next owner counts again.
  onShutdown(logger, async () => {
    await pool.drain();
    await checkpointer.stop();
    const outcome = await checkpointer.checkpoint();
    if (outcome === 'failed')
      logger.warn('last checkpoint failed; the next owner recounts from the previous one');
    await pool.disconnect();
    await admin.disconnect();
    source.stop();
    kube.close();
    await http.close();
  });

  await admin.connect();
  await pool.start();
  checkpointer.start();
}
