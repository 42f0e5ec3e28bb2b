// STAND-IN kubelet for the local stack only (DESIGN.md §7): registers the node
// `local-process-node` and runs the pods the real kube-scheduler binds to it as local `node`
// processes, provided every container uses the ratings-operator image. It reports their
// status with probes, restarts them per restartPolicy and honours graceful deletion, so that
// Deployments and ReplicaSets behave as in a cluster. It is not a kubelet: no images, no
// volumes, no isolation, no resource limits; `command`, securityContext and resources are
// ignored (see container-plan.ts for what runs).
//
// Env: KUBECONFIG (admin), REPO_ROOT, PROMETHEUS_TARGETS_DIR, HEALTH_PORT (GET /healthz is 200
// once the node is registered and the pods are listed), OUR_IMAGE_NAME (default
// ratings-operator), LOG_LEVEL.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, VersionApi, type V1Pod } from '@kubernetes/client-node';
import { EnvReader } from '../../src/common/env.ts';
import { loadKubeConfig } from '../../src/common/kube.ts';
import { createLogger } from '../../src/common/logger.ts';
import { onShutdown } from '../../src/common/shutdown.ts';
import { startHealthServer } from './health-server.ts';
import { NODE_NAME } from './node-object.ts';
import { NodeAgent } from './node-agent.ts';
import { clusterAccess } from './pod-credentials.ts';
import { PodWorker } from './pod-worker.ts';
import { describeError } from './describe-error.ts';
import { WatchedCollection } from './watched-collection.ts';

/** Every pod shares the host's loopback address; ports keep them apart. */
const POD_IP = '127.0.0.1';
/** On our own shutdown, give each pod at most this long to stop before SIGKILL. */
const SHUTDOWN_GRACE_CAP_MS = 8_000;

async function main(): Promise<void> {
  const env = new EnvReader();
  const repoRoot = env.string('REPO_ROOT');
  const targetsDir = env.string('PROMETHEUS_TARGETS_DIR');
  const healthPort = env.integer('HEALTH_PORT', 0, { min: 0, max: 65535 });
  const ourImageName = env.string('OUR_IMAGE_NAME', 'ratings-operator');
  env.done();

  const logger = createLogger('process-kubelet-standin').child({ standin: true, node: NODE_NAME });
  logger.info({ repoRoot, ourImageName }, 'starting the process-kubelet STAND-IN (not a kubelet)');
  const kubeConfig = loadKubeConfig();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const access = clusterAccess(kubeConfig);
  const credentialsDir = join(repoRoot, '.local', 'pods');
  const logsDir = join(repoRoot, '.local', 'logs', 'pods');
  for (const dir of [targetsDir, credentialsDir, logsDir]) mkdirSync(dir, { recursive: true });

  const version = await kubeConfig.makeApiClient(VersionApi).getCode();
  const agent = new NodeAgent({
    core,
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
    nodeName: NODE_NAME,
    ip: POD_IP,
    kubeletVersion: version.gitVersion,
    logger,
  });

  const workers = new Map<string, PodWorker>();
  const onPod = (pod: V1Pod, deleted: boolean) => {
    const uid = pod.metadata?.uid ?? '';
    let worker = workers.get(uid);
    if (deleted) {
      worker?.gone();
      workers.delete(uid);
      return;
    }
    if (worker === undefined) {
      worker = new PodWorker(pod, {
        api: core,
        access,
        logger,
        repoRoot,
        ip: POD_IP,
        ourImageName,
        targetsDir,
        credentialsDir,
        logsDir,
      });
      workers.set(uid, worker);
    }
    worker.update(pod);
  };
  const fieldSelector = `spec.nodeName=${NODE_NAME}`;
  const pods = new WatchedCollection<V1Pod>({
    kubeConfig,
    path: '/api/v1/pods',
    fieldSelector,
    list: () => core.listPodForAllNamespaces({ fieldSelector }),
    logger,
    onChange: onPod,
  });

  let registered = false;
  const health = await startHealthServer(healthPort, () => {
    if (!registered) return `node ${NODE_NAME} not registered yet`;
    if (!pods.isSynced()) return 'pods not listed yet';
    return undefined;
  });

  onShutdown(logger, async () => {
    agent.stop();
    await pods.stop();
    await Promise.all([...workers.values()].map((w) => w.shutdown(SHUTDOWN_GRACE_CAP_MS)));
    await health.close();
  });

  await retry(
    () => agent.register(),
    (err) => logger.warn({ err: describeError(err) }, 'node registration failed, retrying'),
  );
  registered = true;
  await pods.start();
  logger.info({ healthPort }, 'watching pods bound to the node');
}

async function retry(action: () => Promise<void>, onError: (err: unknown) => void): Promise<void> {
  for (;;) {
    try {
      await action();
      return;
    } catch (err) {
      onError(err);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `process-kubelet stand-in failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
