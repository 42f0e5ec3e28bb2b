// `ratings-operator controller`: the operator's control plane.
import { ConfigError } from '../common/env.ts';
import { startProbeServer, type HttpServer } from '../common/probe-server.ts';
import { createLogger, type Logger } from '../common/logger.ts';
import { onShutdown } from '../common/shutdown.ts';
import { readConfig, type ControllerConfig } from './config.ts';
import { loadCredentials } from '../common/kube-credentials.ts';
import { Controller } from './controller.ts';
import { EventRecorder } from './events.ts';
import { KubeClient } from '../common/kube-client.ts';
import { LeaderElector } from './leader-election.ts';
import { ControllerMetrics } from './metrics.ts';
import { metricsTls, startMetricsServer } from './metrics-server.ts';
import { KubeAuth } from '../common/kube-auth.ts';

export async function main(): Promise<void> {
  const logger = createLogger('controller');
  const config = readConfigOrExit();
  const metrics = new ControllerMetrics();
  const client = new KubeClient(loadCredentials(), {
    onRequest: metrics.countRequest,
    userAgent: `ratings-operator-controller/${config.podName}`,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  const recorder = new EventRecorder({ client, logger, instance: config.podName });
  const controller = new Controller({ client, config, logger, metrics, recorder });

  const startWorkers = (): void => {
    metrics.leader.set(1);
    controller.startWorkers().catch((err: unknown) => {
      logger.error({ err }, 'could not start the workers');
      process.exit(1);
    });
  };
  const elector = config.leaderElection.enabled
    ? leaderElector(client, logger, config, startWorkers, () => metrics.leader.set(0))
    : undefined;
  const server = await startProbeServer({
    port: config.port,
    logger,
    notReadyReason: () => controller.notReadyReason(),
  });
  const metricsServer = await serveMetrics(config, logger, metrics, controller);

  controller.startInformers();
  if (elector === undefined) startWorkers();
  else elector.start();
  logger.info(
    {
      watchNamespace: config.watchNamespace ?? '(all)',
      image: config.image,
      leaderElection: config.leaderElection.enabled,
      dataPlaneNetworkPolicy: config.networkPolicy !== undefined,
    },
    'controller started',
  );

  onShutdown(logger, async () => {
    await controller.stopWorkers();
    await elector?.stop();
    metrics.leader.set(0);
    await controller.stopInformers();
    await server.close();
    await metricsServer.close();
    client.close();
  });
}

function readConfigOrExit(): ControllerConfig {
  try {
    return readConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`ratings-operator controller: ${err.message}\n`);
    process.exit(2);
  }
}

function leaderElector(
  client: KubeClient,
  logger: Logger,
  config: ControllerConfig,
  onStartedLeading: () => void,
  onLostLead: () => void,
): LeaderElector {
  const { leaderElection } = config;
  return new LeaderElector({
    client,
    logger,
    namespace: leaderElection.namespace,
    name: leaderElection.leaseName,
    identity: config.podName,
    leaseDurationSeconds: leaderElection.leaseDurationSeconds,
    renewDeadlineSeconds: leaderElection.renewDeadlineSeconds,
    retryPeriodSeconds: leaderElection.retryPeriodSeconds,
    onStartedLeading,
    // Another replica may already lead: stop at once rather than reconcile alongside it.
    onStoppedLeading: () => {
      onLostLead();
      process.exit(1);
    },
  });
}

/** /metrics over TLS for authorized scrapers, or, with METRICS_SECURE=false, plain on loopback only. */
async function serveMetrics(
  config: ControllerConfig,
  logger: Logger,
  metrics: ControllerMetrics,
  controller: Controller,
): Promise<HttpServer> {
  if (!config.metrics.secure) {
    return startProbeServer({
      port: config.metrics.port,
      host: '127.0.0.1',
      logger: logger.child({ metrics: 'plain HTTP, unauthenticated, 127.0.0.1 only (METRICS_SECURE=false)' }),
      registry: metrics.registry,
      notReadyReason: () => controller.notReadyReason(),
    });
  }
  return startMetricsServer({
    port: config.metrics.port,
    registry: metrics.registry,
    // Its own client: reviews are requests, not writes (api_writes_total stays 0 in steady state).
    auth: new KubeAuth(
      new KubeClient(loadCredentials(), {
        onRequest: (verb, type) => metrics.apiRequests.inc({ verb, kind: type.kind }),
        userAgent: `ratings-operator-controller/${config.podName}`,
        requestTimeoutMs: config.requestTimeoutMs,
      }),
    ),
    certDir: config.metrics.certDir,
    tls: metricsTls(config.metrics.certDir, config.podName),
    logger,
  });
}
