// The Prometheus Operator's CRDs on a cluster, so that its API server can judge the monitoring
// objects. Only the kinds this project renders; installing them is additive and harmless.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensurePrometheusOperatorCrds } from '../stack/install.ts';
import { kubectlPath } from '../stack/paths.ts';

export const MONITORING_CRDS = ['podmonitors', 'prometheusrules', 'servicemonitors'] as const;

/** Server-side applies the CRDs of the pinned release and waits until they are Established. */
export async function installPrometheusOperatorCrds(kubeconfigPath: string): Promise<void> {
  const dir = await ensurePrometheusOperatorCrds();
  const files = MONITORING_CRDS.flatMap((plural) => [
    '-f',
    join(dir, `monitoring.coreos.com_${plural}.yaml`),
  ]);
  const kubectl = (...args: string[]) =>
    promisify(execFile)(kubectlPath(), ['--kubeconfig', kubeconfigPath, ...args], { maxBuffer: 16 << 20 });
  await kubectl('apply', '--server-side', '--force-conflicts', '--field-manager=integration-tests', ...files);
  await kubectl('wait', '--for=condition=Established', '--timeout=60s', ...files);
}
