// `ratings-operator producer`: simulated researchers at the experiment's rate plus an HTTP
// intake for real ones, both into the experiment's topic.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { ExperimentSource } from '../common/experiment-source.ts';
import { startHttpServer } from '../common/http.ts';
import { KubeClient } from '../common/kube-client.ts';
import { loadCredentials } from '../common/kube-credentials.ts';
import { createLogger } from '../common/logger.ts';
import { onShutdown } from '../common/shutdown.ts';
import { SPEC_DEFAULTS } from '../model/spec.ts';
import { resolveKafkaTarget } from '../common/pod-env.ts';
import { BodyBudget } from './body-budget.ts';
import { BULK_PATH, bulkRoute } from './bulk.ts';
import { PRODUCER_TUNING, readProducerConfig } from './config.ts';
import { RatingGenerator } from './generator.ts';
import { IdempotencyWindow } from './idempotency.ts';
import { RATINGS_PATH, intakeRoutes, unavailableReason } from './intake.ts';
import { intakeAuthenticationOf, raterAuthentication } from './intake-auth.ts';
import { KubeAuth } from '../common/kube-auth.ts';
import { connectUntilStopped, createKafkaProducer } from './kafka.ts';
import { GeneratorPool } from './generator-pool.ts';
import { createProducerMetrics } from './metrics.ts';
import { RecentRatings } from './page.ts';
import { RatingPublisher } from './publisher.ts';
import { LoadShedder, shedEarly } from './shedding.ts';

const ratePerSecond = (experiment: RatingExperiment): number =>
  experiment.spec.producer?.ratingsPerSecond ?? SPEC_DEFAULTS.producer.ratingsPerSecond;

export async function main(): Promise<void> {
  const config = readProducerConfig(process.env);
  const logger = createLogger('producer');
  const credentials = loadCredentials();
  const kube = new KubeClient(credentials, {
    requestTimeoutMs: config.kubeRequestTimeoutMs,
    userAgent: `ratings-producer/${config.podName}`,
  });
  const source = await ExperimentSource.start({
    kube,
    server: credentials.server.origin,
    namespace: config.namespace,
    name: config.name,
    logger,
    pollIntervalMs: config.pollIntervalMs,
  });
  const { brokers, topic } = resolveKafkaTarget(config, source.current.experiment);
  const experimentName = `${config.namespace}/${config.name}`;
  logger.info({ experiment: experimentName, topic, brokers }, 'producer starting');

  const registry = new Registry();
  // The consumer's labels: one selector picks an experiment's producer and consumer series.
  registry.setDefaultLabels({ experiment: config.name, experiment_namespace: config.namespace });
  collectDefaultMetrics({ register: registry });
  const metrics = createProducerMetrics(registry);
  const recent = new RecentRatings();
  const producer = createKafkaProducer({
    brokers,
    topic,
    clientId: `ratings-producer-${config.podName}`,
    logger,
    sessions: PRODUCER_TUNING.sessions,
  });
  const publisher = new RatingPublisher({
    producer,
    metrics,
    recent,
    logger,
    maxBatchSize: PRODUCER_TUNING.maxBatchSize,
  });
  // Simulated researchers: on threads of their own, or on this thread beside the intake.
  const pool =
    config.workers > 0
      ? new GeneratorPool({
          workers: config.workers,
          ratePerSecond: ratePerSecond(source.current.experiment),
          logger,
          setup: {
            brokers,
            topic,
            clientId: `ratings-producer-${config.podName}`,
            catalog: source.current.catalog,
            ...PRODUCER_TUNING,
          },
          metrics,
          recent,
          onFatal: (err) => {
            logger.fatal({ err: err.message }, 'a generating thread is gone: exiting');
            process.exit(1);
          },
        })
      : undefined;
  const generator =
    pool ??
    new RatingGenerator({
      ratePerSecond: ratePerSecond(source.current.experiment),
      catalog: () => source.current.catalog,
      publish: (ratings, catalog) => publisher.publish(ratings, 'generated', catalog),
      logger,
      onSkipped: (n) => metrics.generatorSkipped.inc(n),
    });
  metrics.targetRate.set(generator.ratePerSecond);
  source.onChange(({ experiment, catalog }) => {
    generator.setRate(ratePerSecond(experiment));
    metrics.targetRate.set(generator.ratePerSecond);
    pool?.catalogChanged(catalog);
  });

  const state = { stopping: false, connected: false };
  const notReadyReason = (): string | undefined =>
    unavailableReason({
      ...state,
      stalledMs: Math.max(publisher.stalledMs(), pool?.stalledMs() ?? 0),
    });
  const { intake } = config;
  const retryAfterSeconds = 1;
  const shedder = new LoadShedder({
    maxPending: intake.maxPending,
    retryAfterSeconds,
    onShed: () => metrics.shed.inc({ endpoint: 'single' }),
  });
  const bulkShedder = new LoadShedder({
    maxPending: intake.bulkMaxPending,
    retryAfterSeconds,
    onShed: () => metrics.shed.inc({ endpoint: 'bulk' }),
  });
  const bodyBudget = new BodyBudget({
    maxBytes: intake.bulkMaxPendingBytes,
    retryAfterSeconds,
    onShed: () => metrics.shedForBytes.inc(),
  });
  metrics.watchBodyBytes(() => bodyBudget.held);
  metrics.watchIntakePending('single', () => shedder.pending);
  metrics.watchIntakePending('bulk', () => bulkShedder.pending);
  const idempotency = new IdempotencyWindow({
    ttlMs: intake.idempotencyWindowMs,
    maxKeys: intake.idempotencyMaxKeys,
    onEvict: () => metrics.idempotencyEvictions.inc(),
  });
  const authenticateRater = raterAuthentication({
    auth: new KubeAuth(kube),
    experiment: { namespace: config.namespace, name: config.name },
    mode: () => intakeAuthenticationOf(source.current.experiment),
    logger,
    registry,
  });
  const server = await startHttpServer({
    port: config.port,
    logger,
    registry,
    notReadyReason,
    gate: shedEarly({ [RATINGS_PATH]: shedder, [BULK_PATH]: [bulkShedder, bodyBudget] }),
    rawBodyRoutes: bulkRoute({
      logger,
      catalog: () => source.current.catalog,
      publish: (ratings, catalog, keyed) => publisher.publish(ratings, 'bulk', catalog, keyed),
      unavailableReason: notReadyReason,
      ackTimeoutMs: config.ackTimeoutMs,
      maxRatings: intake.bulkMaxRatings,
      maxBytes: intake.bulkMaxBytes,
      shedder: bulkShedder,
      bodyBudget,
      idempotency,
      onDuplicates: (n) => metrics.idempotentDuplicates.inc(n),
      authenticateRater,
    }),
    routes: intakeRoutes({
      logger,
      catalog: () => source.current.catalog,
      publish: (rating, catalog, keyed) =>
        publisher.publish([rating], 'http', catalog, keyed ? new Set([rating.id]) : undefined),
      unavailableReason: notReadyReason,
      ackTimeoutMs: config.ackTimeoutMs,
      shedder,
      idempotency,
      onDuplicates: (n) => metrics.idempotentDuplicates.inc(n),
      authenticateRater,
      page: () => ({
        experiment: experimentName,
        ratePerSecond: generator.ratePerSecond,
        catalog: source.current.catalog,
        ratings: recent.list(),
      }),
    }),
  });

  onShutdown(logger, async () => {
    // Refuse new ratings first, then let every accepted one reach the broker.
    state.stopping = true;
    source.stop();
    kube.close();
    await generator.stop();
    await publisher.flush();
    await producer.disconnect();
    await server.close();
  });

  state.connected = await connectUntilStopped(producer, logger, () => state.stopping);
  if (state.connected) {
    logger.info({ topic, generatingThreads: config.workers }, 'connected to Kafka');
    await generator.start();
  }
}
