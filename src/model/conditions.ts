// Status conditions: the health of each child, the summary `Ready` condition (kstatus-compatible,
// with `Reconciling` and `Stalled`), metav1 transition-time semantics, and the comparison that
// keeps the controller from writing a status that has not changed.
import type { V1Deployment } from '@kubernetes/client-node';
import type { Condition, RatingExperimentStatus } from '../api/v1alpha1.ts';
import { ConditionType, Reason } from '../api/v1alpha1.ts';
import type { BootstrapResult } from './bootstrap.ts';
import type { KafkaTopic } from './strimzi.ts';

export type ConditionStatus = Condition['status'];

/** A condition as computed, before mergeConditions gives it a lastTransitionTime. */
export interface DesiredCondition {
  type: string;
  status: ConditionStatus;
  observedGeneration: number;
  reason: string;
  message: string;
}

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
  const available = status.availableReplicas ?? 0;
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

/**
 * When the KafkaTopic the experiment would apply already belongs to another experiment (by its
 * labels), the message to report; undefined when the experiment may own it.
 */
export function topicConflict(
  ref: { namespace: string; name: string },
  existing: KafkaTopic | undefined,
  owner: (kt: KafkaTopic) => { namespace: string; name: string } | undefined,
): string | undefined {
  if (existing === undefined) return undefined;
  const other = owner(existing);
  if (other === undefined) {
    return `KafkaTopic ${existing.metadata?.namespace ?? ''}/${existing.metadata?.name ?? ''} already exists and is not managed by this operator; set spec.topic.name to another topic`;
  }
  if (other.namespace === ref.namespace && other.name === ref.name) return undefined;
  return `KafkaTopic ${existing.metadata?.namespace ?? ''}/${existing.metadata?.name ?? ''} belongs to RatingExperiment ${other.namespace}/${other.name}; set spec.topic.name to another topic`;
}

export interface ConditionInputs {
  /** metadata.generation of the experiment. */
  generation: number;
  /** From resolveSpec; non-empty means the spec is invalid. */
  specProblems?: readonly string[];
  /** From resolveBootstrap; undefined when it was not attempted (invalid spec). */
  bootstrap?: BootstrapResult;
  /** The observed KafkaTopic; undefined when absent. */
  topic?: KafkaTopic;
  /** From topicConflict. */
  topicConflict?: string;
  /** The observed Deployments; undefined when absent. */
  producerDeployment?: V1Deployment;
  consumerDeployment?: V1Deployment;
  /** metadata.deletionTimestamp is set. */
  deleting?: boolean;
}

const TRUE = 'True';
const FALSE = 'False';

/**
 * The controller's conditions, in a fixed order: Ready, TopicReady, ProducerAvailable,
 * ConsumerAvailable, Reconciling, Stalled. Ready is True only when the spec is valid, the
 * bootstrap address resolved and every child ready; all carry observedGeneration = generation.
 */
export function computeConditions(inputs: ConditionInputs): DesiredCondition[] {
  const { generation, bootstrap } = inputs;
  const problems = inputs.specProblems ?? [];
  const waiting = bootstrap !== undefined && !bootstrap.ok ? bootstrap : undefined;

  let topic = topicReady(inputs.topic);
  if (inputs.topicConflict !== undefined) {
    topic = { ok: false, stalled: true, reason: Reason.TopicConflict, message: inputs.topicConflict };
  } else if (inputs.topic === undefined && waiting?.reason === Reason.KafkaNotFound) {
    topic = { ok: false, reason: waiting.reason, message: waiting.message };
  }
  const deployment = (d: V1Deployment | undefined, component: string): Health => {
    const health = deploymentAvailable(d);
    if (d === undefined && waiting !== undefined) {
      return {
        ok: false,
        reason: Reason.Waiting,
        message: `the ${component} Deployment waits for the Kafka bootstrap address: ${waiting.message}`,
      };
    }
    if (d === undefined)
      return { ...health, message: `the ${component} Deployment has not been created yet` };
    return health;
  };
  const producer = deployment(inputs.producerDeployment, 'producer');
  const consumer = deployment(inputs.consumerDeployment, 'consumer');

  const children: [string, Health][] = [
    [ConditionType.TopicReady, topic],
    [ConditionType.ProducerAvailable, producer],
    [ConditionType.ConsumerAvailable, consumer],
  ];

  let ready: Health;
  let stalled = false;
  if (inputs.deleting) {
    ready = { ok: false, reason: Reason.Deleting, message: 'the experiment is being deleted' };
  } else if (problems.length > 0) {
    ready = { ok: false, reason: Reason.InvalidSpec, message: `the spec is invalid: ${problems.join('; ')}` };
    stalled = true;
  } else if (waiting !== undefined) {
    ready = { ok: false, reason: waiting.reason, message: waiting.message };
  } else {
    const failing = children.find(([, h]) => !h.ok);
    if (failing !== undefined) {
      const [type, health] = failing;
      ready = { ok: false, reason: health.reason, message: `${type} is False: ${health.message}` };
      stalled = health.stalled === true;
    } else {
      ready = {
        ok: true,
        reason: Reason.Reconciled,
        message: `the topic is ready; ${producer.message}; ${consumer.message}`,
      };
    }
  }

  const condition = (type: string, status: ConditionStatus, reason: string, message: string) => ({
    type,
    status,
    observedGeneration: generation,
    reason,
    message,
  });
  const reconciling = !ready.ok && !stalled;
  return [
    condition(ConditionType.Ready, ready.ok ? TRUE : FALSE, ready.reason, ready.message),
    ...children.map(([type, h]) => condition(type, h.ok ? TRUE : FALSE, h.reason, h.message)),
    condition(
      ConditionType.Reconciling,
      reconciling ? TRUE : FALSE,
      reconciling ? ready.reason : Reason.Reconciled,
      reconciling ? ready.message : 'nothing to do',
    ),
    condition(
      ConditionType.Stalled,
      stalled ? TRUE : FALSE,
      stalled ? ready.reason : Reason.Reconciled,
      stalled ? `${ready.message}; change the spec to recover` : 'not stalled',
    ),
  ];
}

/** A metav1.Time: RFC 3339 in UTC with second precision. */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The conditions to write: `desired` in order with lastTransitionTime kept from `existing` when
 * the status did not change (metav1 semantics) and `now` otherwise, then the existing conditions of
 * other types, untouched (they belong to someone else).
 */
export function mergeConditions(
  existing: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  now: Date,
): Condition[] {
  const byType = new Map((existing ?? []).map((c) => [c.type, c]));
  const merged: Condition[] = desired.map((d) => {
    const previous = byType.get(d.type);
    return {
      type: d.type,
      status: d.status,
      observedGeneration: d.observedGeneration,
      lastTransitionTime:
        previous !== undefined && previous.status === d.status
          ? previous.lastTransitionTime
          : formatTime(now),
      reason: d.reason,
      message: d.message,
    };
  });
  const ours = new Set(desired.map((d) => d.type));
  return [...merged, ...(existing ?? []).filter((c) => !ours.has(c.type))];
}

/** The status fields the controller owns; the consumers own the rest and are never overwritten. */
export interface ControllerStatus {
  observedGeneration: number;
  conditions: Condition[];
  topic?: string;
  bootstrapServers?: string;
}

/**
 * The controller's part of the next status. `topic` and `bootstrapServers` keep their current
 * values when not given (for example while the spec is invalid).
 */
export function desiredStatus(
  current: RatingExperimentStatus | undefined,
  next: {
    generation: number;
    conditions: readonly DesiredCondition[];
    topic?: string;
    bootstrapServers?: string;
  },
  now: Date,
): ControllerStatus {
  const topic = next.topic ?? current?.topic;
  const bootstrapServers = next.bootstrapServers ?? current?.bootstrapServers;
  return {
    observedGeneration: next.generation,
    conditions: mergeConditions(current?.conditions, next.conditions, now),
    ...(topic !== undefined && { topic }),
    ...(bootstrapServers !== undefined && { bootstrapServers }),
  };
}

function sameCondition(a: Condition | undefined, b: Condition): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration &&
    a.lastTransitionTime === b.lastTransitionTime
  );
}

/** Whether writing `next` would change the current status; when false, write nothing. */
export function statusNeedsUpdate(
  current: RatingExperimentStatus | undefined,
  next: ControllerStatus,
): boolean {
  if (current?.observedGeneration !== next.observedGeneration) return true;
  if (current.topic !== next.topic || current.bootstrapServers !== next.bootstrapServers) return true;
  // By type, not by position: the order of a list-map is not something to write for.
  const existing = current.conditions ?? [];
  if (existing.length !== next.conditions.length) return true;
  const byType = new Map(existing.map((c) => [c.type, c]));
  return next.conditions.some((c) => !sameCondition(byType.get(c.type), c));
}
