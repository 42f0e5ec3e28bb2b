// A benchmark's experiments must never be reconciled by an operator that happens to run in the
// same cluster: it would start producer and consumer pods that write into the topics being
// measured. Every experiment a benchmark creates is labelled staged (STAGED_LABELS), which an
// operator that knows the label leaves alone. An operator from before the label does not know it,
// and nothing it publishes tells its version reliably (every build is 0.1.0), so the guard
// decides by what an operator does, not by what it says:
// - before a benchmark starts, it looks for live operators: controller Deployments with ready
//   replicas (app.kubernetes.io/name=ratings-operator, component controller) and leader Leases
//   named ratings-operator-leader renewed within the last two minutes (controllers run as
//   processes hold one too). None: the benchmark starts.
// - otherwise it creates one staged probe experiment and watches it for PROBE_MS: an operator
//   that adds its finalizer or writes conditions does not honour the label, and the benchmark
//   refuses to start, naming the operators found. One that leaves the probe alone is noted.
// - at the end, every experiment the benchmark created is checked the same way (an operator that
//   came late, or was too busy to reach the probe in time): if one was touched, the run fails.
import { AppsV1Api, CoordinationV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  FINALIZER,
  GROUP,
  LABEL_STAGED,
  PLURAL,
  VERSION,
  type RatingExperiment,
} from '../src/api/v1alpha1.ts';
import { codedError } from '../src/common/errors.ts';

/** The label an operator honours by leaving the experiment alone (README, "Staged experiments"). */
export const STAGED_LABELS: Readonly<Record<string, string>> = { [LABEL_STAGED]: 'true' };

/** The default leader Lease name of the controller (LEASE_NAME). */
const LEASE_NAME = 'ratings-operator-leader';
/** A Lease renewed this recently has a live holder. */
const LIVE_LEASE_MS = 120_000;
/** How long the probe waits for a foreign operator to show itself. */
export const PROBE_MS = 10_000;

/** Why an operator evidently reconciled this experiment, undefined when none did. */
export function touchedByOperator(experiment: RatingExperiment): string | undefined {
  const name = `${experiment.metadata?.namespace}/${experiment.metadata?.name}`;
  if (experiment.metadata?.finalizers?.includes(FINALIZER)) return `${name} got the finalizer ${FINALIZER}`;
  const conditions = experiment.status?.conditions ?? [];
  if (conditions.length > 0) {
    return `${name} got conditions (${conditions.map((c) => `${c.type}=${c.status} ${c.reason}`).join(', ')})`;
  }
  return undefined;
}

/** Lease holders and ready controller Deployments that look like a running ratings-operator. */
export async function findOperators(kubeConfig: KubeConfig, now = Date.now()): Promise<string[]> {
  const found: string[] = [];
  const deployments = await kubeConfig.makeApiClient(AppsV1Api).listDeploymentForAllNamespaces({
    labelSelector: 'app.kubernetes.io/name=ratings-operator,app.kubernetes.io/component=controller',
  });
  for (const d of deployments.items) {
    if ((d.status?.readyReplicas ?? 0) > 0)
      found.push(
        `Deployment ${d.metadata?.namespace}/${d.metadata?.name} (${d.status?.readyReplicas} ready)`,
      );
  }
  const leases = await kubeConfig
    .makeApiClient(CoordinationV1Api)
    .listLeaseForAllNamespaces({ fieldSelector: `metadata.name=${LEASE_NAME}` });
  for (const lease of leases.items) {
    const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
    if (
      lease.spec?.holderIdentity &&
      renewed !== undefined &&
      now - new Date(renewed).getTime() < LIVE_LEASE_MS
    )
      found.push(
        `Lease ${lease.metadata?.namespace}/${lease.metadata?.name} held by ${lease.spec.holderIdentity}`,
      );
  }
  return found;
}

export class ForeignOperatorError extends codedError('RATINGS_BENCH_FOREIGN_OPERATOR', {
  errorClass: 'terminal',
  userFacing: true,
}) {}

async function readExperiment(kubeConfig: KubeConfig, ref: { namespace: string; name: string }) {
  return (await kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    ...ref,
  })) as RatingExperiment;
}

/**
 * Refuses (ForeignOperatorError) when a running operator reconciles a staged experiment.
 * `createProbe` creates a staged experiment (its cleanup is the caller's); called only when an
 * operator is running. Returns what was found, for the benchmark's output.
 */
export async function guardAgainstOperators(
  kubeConfig: KubeConfig,
  createProbe: () => Promise<{ namespace: string; name: string }>,
  probeMs = PROBE_MS,
): Promise<string> {
  const operators = await findOperators(kubeConfig);
  if (operators.length === 0) return 'no ratings-operator running';
  const probe = await createProbe();
  const until = Date.now() + probeMs;
  while (Date.now() < until) {
    const touched = touchedByOperator(await readExperiment(kubeConfig, probe));
    if (touched !== undefined) {
      throw new ForeignOperatorError(
        `refusing to benchmark: a running ratings-operator does not honour the label ${LABEL_STAGED}=true ` +
          `(${touched}). Running: ${operators.join('; ')}. Stop it (scale its Deployment to 0, or stop ` +
          `the process holding the Lease) or upgrade it, then run again.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return `running, left the staged probe alone for ${probeMs / 1000} s: ${operators.join('; ')}`;
}

/** Fails the run when any of the benchmark's experiments was reconciled by an operator after all. */
export async function assertUntouched(
  kubeConfig: KubeConfig,
  refs: readonly { namespace: string; name: string }[],
): Promise<void> {
  const touched: string[] = [];
  for (const ref of refs) {
    const reason = touchedByOperator(await readExperiment(kubeConfig, ref));
    if (reason !== undefined) touched.push(reason);
  }
  if (touched.length > 0) {
    throw new ForeignOperatorError(
      `the figures are not valid: an operator reconciled the benchmark's staged experiments (${touched.join('; ')})`,
    );
  }
}
