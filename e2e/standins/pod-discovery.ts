// STAND-IN for Prometheus' Kubernetes pod discovery, for the local stack only (DESIGN.md §7):
// Debian's Prometheus package is built without `kubernetes_sd_configs`, so this lists the pods
// every 2 s and writes the running ones annotated `prometheus.io/scrape: "true"` as a file_sd
// target file (`<pod IP>:<prometheus.io/port>`, `prometheus.io/path`), with the labels the
// pod role's usual relabelling gives: job `pods`, namespace, pod, app. The pod IPs are on the
// node's bridge, which the host reaches.
//
// Env: KUBECONFIG (admin), PROMETHEUS_TARGETS_DIR, HEALTH_PORT (GET /healthz is 200 once the
// pods were listed), LOG_LEVEL.
import { realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnvReader } from '../../src/common/env.ts';
import { KubeClient } from '../../src/common/kube-client.ts';
import { loadCredentials } from '../../src/common/kube-credentials.ts';
import type { KubeObject, ResourceType } from '../../src/common/kube-resources.ts';
import { createLogger } from '../../src/common/logger.ts';
import { onShutdown } from '../../src/common/shutdown.ts';
import { startHealthServer } from './health-server.ts';

const INTERVAL_MS = 2_000;

const pods: ResourceType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };

/** The fields of a Pod that discovery reads. */
export interface Pod extends KubeObject {
  spec?: { containers: { name?: string; ports?: { containerPort: number }[] }[] };
  status?: { phase?: string; podIP?: string };
}

export type TargetGroup = { targets: string[]; labels: Record<string, string> };

/** The scrape target of a pod, as Prometheus' pod-role discovery with the usual relabelling finds it. */
export function podTarget(pod: Pod): TargetGroup | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations['prometheus.io/scrape'] !== 'true') return undefined;
  if (pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp !== undefined) return undefined;
  const ip = pod.status.podIP;
  const port =
    annotations['prometheus.io/port'] ?? pod.spec?.containers[0]?.ports?.[0]?.containerPort?.toString();
  if (ip === undefined || port === undefined || !/^\d+$/.test(port)) return undefined;
  const labels: Record<string, string> = {
    job: 'pods',
    namespace: pod.metadata?.namespace ?? '',
    pod: pod.metadata?.name ?? '',
  };
  const app = pod.metadata?.labels?.['app.kubernetes.io/name'];
  if (app !== undefined) labels.app = app;
  const path = annotations['prometheus.io/path'];
  if (path !== undefined && path !== '') labels.__metrics_path__ = path;
  return { targets: [`${ip}:${port}`], labels };
}

async function main(): Promise<void> {
  const env = new EnvReader();
  const dir = env.string('PROMETHEUS_TARGETS_DIR');
  const healthPort = env.integer('HEALTH_PORT', 0, { min: 0, max: 65535 });
  env.done();
  const logger = createLogger('pod-discovery-standin').child({ standin: true });
  logger.info("starting the pod-discovery STAND-IN (Prometheus' kubernetes_sd, missing from Debian's build)");
  const client = new KubeClient(loadCredentials(), { userAgent: 'pod-discovery-standin' });
  const file = join(dir, 'pods.json');
  let listed = false;
  let written = '';
  const health = await startHealthServer(healthPort, () => (listed ? undefined : 'pods not listed yet'));
  const sync = async () => {
    try {
      const { items } = await client.list<Pod>(pods);
      const groups = items.flatMap((pod) => podTarget(pod) ?? []);
      const content = `${JSON.stringify(groups, null, 2)}\n`;
      if (content !== written) {
        writeFileSync(`${file}.tmp`, content);
        renameSync(`${file}.tmp`, file);
        written = content;
        logger.debug({ targets: groups.length }, 'wrote pod targets');
      }
      listed = true;
    } catch (err) {
      logger.warn({ err }, 'listing pods failed; retrying');
    }
  };
  await sync();
  const timer = setInterval(() => void sync(), INTERVAL_MS);
  onShutdown(logger, async () => {
    clearInterval(timer);
    client.close();
    await health.close();
  });
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(realpathSync(invokedPath)).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
