// Prometheus file_sd targets for pods annotated prometheus.io/scrape=true: one JSON file per
// pod in the stack's targets directory, pointing at the port the process really listens on.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/**
 * The target group of a pod, or undefined when it is not to be scraped. `localPort` maps the
 * annotated prometheus.io/port (default: the first container's served port) to a local port.
 */
export function scrapeTarget(
  pod: V1Pod,
  ip: string,
  localPort: (port: string | undefined) => number | undefined,
): TargetGroup | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations['prometheus.io/scrape'] !== 'true') return undefined;
  const port = localPort(annotations['prometheus.io/port']);
  if (port === undefined) return undefined;
  const labels: Record<string, string> = {
    namespace: pod.metadata?.namespace ?? '',
    pod: pod.metadata?.name ?? '',
  };
  const app = pod.metadata?.labels?.['app.kubernetes.io/name'] ?? pod.metadata?.labels?.app;
  if (app !== undefined) labels.app = app;
  const path = annotations['prometheus.io/path'];
  if (path !== undefined && path !== '') labels.__metrics_path__ = path;
  return { targets: [`${ip}:${port}`], labels };
}

export function targetFile(dir: string, namespace: string, pod: string): string {
  return join(dir, `pod_${namespace}_${pod}.json`);
}

/** Atomic (write then rename) so that Prometheus never reads half a file. */
export function writeTargetFile(file: string, group: TargetGroup): void {
  writeFileSync(`${file}.tmp`, JSON.stringify([group], null, 2));
  renameSync(`${file}.tmp`, file);
}

export function removeTargetFile(file: string): void {
  rmSync(file, { force: true });
}
