// The health of each child, judged from its live state: whether a Deployment has rolled out, and
// whether Strimzi reports the KafkaTopic ready.
import type { V1Deployment } from '@kubernetes/client-node';
import { Reason } from '../../api/v1alpha1.ts';
import type { KafkaTopic } from '../strimzi.ts';

/** The health of one child. `stalled`: it will not recover without a change by the user. */
export interface Health {
  ok: boolean;
  reason: string;
  message: string;
  stalled?: boolean;
}

/**
 * Whether a Deployment has rolled out its current generation and has all desired replicas
 * available (the rules of `kubectl rollout status`).
 */
export function deploymentAvailable(d: V1Deployment | undefined): Health {
  if (d === undefined) {
    return {
      ok: false,
      reason: Reason.DeploymentNotFound,
      message: 'the Deployment has not been created yet',
    };
  }
  const name = `Deployment ${d.metadata?.name ?? ''}`.trim();
  const rollingOut = rollout(name, d);
  if (rollingOut !== undefined) return rollingOut;
  const desired = d.spec?.replicas ?? 1;
  const available = d.status?.availableReplicas ?? 0;
  if (available < desired) {
    return {
      ok: false,
      reason: Reason.DeploymentUnavailable,
      message: `${name}: ${available} of ${desired} replicas available`,
    };
  }
  if (desired === 0) return { ok: true, reason: Reason.ScaledToZero, message: `${name} is scaled to zero` };
  return {
    ok: true,
    reason: Reason.DeploymentAvailable,
    message: `${name}: ${available} of ${desired} replicas available`,
  };
}

/** A rollout of the Deployment's current generation still under way (or past its deadline). */
function rollout(name: string, d: V1Deployment): Health | undefined {
  const generation = d.metadata?.generation ?? 0;
  const status = d.status ?? {};
  if ((status.observedGeneration ?? 0) < generation) {
    return {
      ok: false,
      reason: Reason.Progressing,
      message: `${name}: waiting for the Deployment controller to observe generation ${generation}`,
    };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return {
      ok: false,
      stalled: true,
      reason: Reason.ProgressDeadlineExceeded,
      message: `${name} exceeded its progress deadline: ${progressing.message ?? ''}; check its pods' events and logs`,
    };
  }
  const desired = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  if (updated < desired) {
    return {
      ok: false,
      reason: Reason.Progressing,
      message: `${name}: ${updated} of ${desired} replicas updated`,
    };
  }
  if (total > updated) {
    return {
      ok: false,
      reason: Reason.Progressing,
      message: `${name}: ${total - updated} old replicas pending termination`,
    };
  }
  return undefined;
}

/** Whether Strimzi reports the KafkaTopic Ready for its current generation. */
export function topicReady(kt: KafkaTopic | undefined): Health {
  if (kt === undefined) {
    return { ok: false, reason: Reason.TopicPending, message: 'the KafkaTopic has not been created yet' };
  }
  const name = `KafkaTopic ${kt.metadata?.namespace ?? ''}/${kt.metadata?.name ?? ''}`;
  const generation = kt.metadata?.generation ?? 0;
  const ready = kt.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready === undefined || (kt.status?.observedGeneration ?? 0) < generation) {
    return {
      ok: false,
      reason: Reason.TopicPending,
      message: `${name}: waiting for the Strimzi topic operator to reconcile generation ${generation}; is it running and does the KafkaTopic carry the right strimzi.io/cluster label?`,
    };
  }
  if (ready.status === 'True') {
    return {
      ok: true,
      reason: Reason.TopicReady,
      message: `${name} is ready (topic ${kt.spec?.topicName ?? ''})`,
    };
  }
  const detail = [ready.reason, ready.message].filter((s) => s).join(': ');
  return {
    ok: false,
    reason: Reason.TopicNotReady,
    message: `${name} is not ready${detail ? `: ${detail}` : ''}`,
  };
}
