// Status conditions: the health of each child, the summary `Ready` condition (kstatus-compatible,
// with `Reconciling` and `Stalled`), metav1 transition-time semantics, and the comparison that
// keeps the controller from writing a status that has not changed.
import type { V1Deployment } from '@kubernetes/client-node';
import type { Condition, RatingExperimentStatus } from '../api/v1alpha1.ts';
import { ANNOTATION_ACKNOWLEDGED_LOST, ConditionType, LABEL_STAGED, Reason } from '../api/v1alpha1.ts';
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

/** A write of this reconcile that the API server did not accept. */
export interface ApplyFailure {
  /** `Deployment appdev/erb-consumer` and the like. */
  what: string;
  /** The API server's message (or the network error's). */
  message: string;
  /** Refused for good (invalid, forbidden, denied by admission) rather than failed for now. */
  terminal: boolean;
}

/** What the consumers reported about their checkpoints, for the staleness check. */
export interface CheckpointReport {
  /** status.lag: records not yet covered by a checkpoint, as last written. */
  lag?: number;
  /** status.checkpointedAt. */
  checkpointedAt?: string;
  /** spec.consumer.checkpointIntervalSeconds, resolved. */
  intervalSeconds: number;
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
  /** The Deployments as this reconcile left them (the API server's answer to our write, else the cache). */
  producerDeployment?: V1Deployment;
  consumerDeployment?: V1Deployment;
  /** metadata.deletionTimestamp is set. */
  deleting?: boolean;
  /** The writes of this reconcile that failed. */
  applyFailures?: readonly ApplyFailure[];
  /** status.lost: acknowledged ratings the consumers found gone before they were counted. */
  lost?: number;
  /** The count a user acknowledged (ANNOTATION_ACKNOWLEDGED_LOST), when set and valid. */
  acknowledgedLost?: number;
  checkpoints?: CheckpointReport;
  now?: Date;
}

const TRUE = 'True';
const FALSE = 'False';

// One message whatever the age: a message that changed with time would cause a status write per reconcile.
const NOT_OVERDUE = 'no checkpoint is overdue';

/** A checkpoint older than this, while records wait, means the consumers cannot write their status. */
export function staleAfterMs(intervalSeconds: number): number {
  return Math.max(60, 6 * intervalSeconds) * 1000;
}

/**
 * TotalsCurrent: stale when the consumers last reported lag > 0 and their last checkpoint is older
 * than staleAfterMs. Without a lag or a checkpoint time there is nothing to judge (the consumers
 * have not written yet: ConsumerAvailable speaks for them).
 */
export function checkpointHealth(report: CheckpointReport | undefined, now: Date): Health {
  const at = report?.checkpointedAt === undefined ? NaN : Date.parse(report.checkpointedAt);
  const lag = report?.lag ?? 0;
  if (report === undefined || lag <= 0 || Number.isNaN(at)) {
    return { ok: true, reason: Reason.CheckpointRecent, message: NOT_OVERDUE };
  }
  const age = now.getTime() - at;
  const limit = staleAfterMs(report.intervalSeconds);
  if (age <= limit) {
    return { ok: true, reason: Reason.CheckpointRecent, message: NOT_OVERDUE };
  }
  return {
    ok: false,
    reason: Reason.CheckpointStale,
    message: `${lag} records wait and the consumers have written no checkpoint for ${Math.round(age / 1000)} s (interval ${report.intervalSeconds} s): the totals are not current; can the consumer pods write the experiment's status?`,
  };
}

/** When a currently fresh checkpoint would turn stale (ms from now), so that it is checked then. */
export function msUntilStale(report: CheckpointReport | undefined, now: Date): number | undefined {
  const at = report?.checkpointedAt === undefined ? NaN : Date.parse(report.checkpointedAt);
  if (report === undefined || (report.lag ?? 0) <= 0 || Number.isNaN(at)) return undefined;
  const left = at + staleAfterMs(report.intervalSeconds) - now.getTime();
  return left >= 0 ? left + 1_000 : undefined;
}

/** TotalsExact, and what it does to Ready: a loss keeps Ready False until acknowledged. */
export function totalsExact(
  lost: number | undefined,
  acknowledged: number | undefined,
): Health & { acknowledged: boolean } {
  if (lost === undefined || lost <= 0) {
    return {
      ok: true,
      acknowledged: false,
      reason: Reason.Exact,
      message: 'no acknowledged rating is known to be lost',
    };
  }
  const ack = acknowledged !== undefined && acknowledged >= lost;
  return {
    ok: false,
    acknowledged: ack,
    stalled: !ack,
    reason: Reason.RatingsLost,
    message: `${lost} ratings were gone from the topic before they were counted (retention, compaction or a recreated topic): the totals are short by them${ack ? `; acknowledged (${ANNOTATION_ACKNOWLEDGED_LOST}: ${acknowledged})` : `; to accept the loss, annotate the experiment ${ANNOTATION_ACKNOWLEDGED_LOST}=${lost}`}`,
  };
}

/** The count of ANNOTATION_ACKNOWLEDGED_LOST, when it is a non-negative integer. */
export function acknowledgedLostOf(annotations: Record<string, string> | undefined): number | undefined {
  const value = annotations?.[ANNOTATION_ACKNOWLEDGED_LOST]?.trim();
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** status.lost as the consumers write it (0 when absent or malformed). */
export function lostOf(status: RatingExperimentStatus | undefined): number {
  const lost = (status as { lost?: unknown } | undefined)?.lost;
  return typeof lost === 'number' && Number.isFinite(lost) && lost > 0 ? lost : 0;
}

/**
 * The controller's conditions, in a fixed order: Ready, TopicReady, ProducerAvailable,
 * ConsumerAvailable, TotalsExact, TotalsCurrent, Reconciling, Stalled. They are computed from the
 * outcome of the reconcile: a write the API server refused makes Ready False with its message,
 * and Deployments are judged as the writes left them. Ready is True only when the spec is valid,
 * the bootstrap address resolved, every write succeeded, every child is ready, no loss is
 * unacknowledged and the checkpoints are current; all carry observedGeneration = generation.
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
    if (d === undefined && !topic.ok) {
      return {
        ok: false,
        reason: Reason.Waiting,
        message: `the ${component} Deployment waits for the topic: ${topic.message}`,
      };
    }
    if (d === undefined)
      return { ...health, message: `the ${component} Deployment has not been created yet` };
    return health;
  };
  const producer = deployment(inputs.producerDeployment, 'producer');
  const consumer = deployment(inputs.consumerDeployment, 'consumer');
  const exact = totalsExact(inputs.lost, inputs.acknowledgedLost);
  const current = checkpointHealth(inputs.checkpoints, inputs.now ?? new Date(0));

  const children: [string, Health][] = [
    [ConditionType.TopicReady, topic],
    [ConditionType.ProducerAvailable, producer],
    [ConditionType.ConsumerAvailable, consumer],
  ];
  const failures = inputs.applyFailures ?? [];
  const refused = failures.filter((f) => f.terminal);

  let ready: Health;
  let stalled = false;
  let remedy = 'change the spec to recover';
  if (inputs.deleting) {
    ready = { ok: false, reason: Reason.Deleting, message: 'the experiment is being deleted' };
  } else if (problems.length > 0) {
    ready = { ok: false, reason: Reason.InvalidSpec, message: `the spec is invalid: ${problems.join('; ')}` };
    stalled = true;
  } else if (waiting !== undefined) {
    ready = { ok: false, reason: waiting.reason, message: waiting.message };
  } else if (failures.length > 0) {
    const text = failures.map((f) => `${f.what}: ${f.message}`).join('; ');
    ready =
      refused.length > 0
        ? { ok: false, reason: Reason.ApplyRefused, message: `the API server refused ${text}` }
        : { ok: false, reason: Reason.ApplyFailed, message: `could not apply ${text}; retrying` };
    stalled = refused.length > 0;
    remedy = 'change the spec or what refuses it (an admission policy, RBAC) to recover';
  } else {
    const failing = children.find(([, h]) => !h.ok);
    if (failing !== undefined) {
      const [type, health] = failing;
      ready = { ok: false, reason: health.reason, message: `${type} is False: ${health.message}` };
      stalled = health.stalled === true;
    } else if (!exact.ok && !exact.acknowledged) {
      ready = { ok: false, reason: exact.reason, message: `TotalsExact is False: ${exact.message}` };
      stalled = true;
      remedy = `acknowledge the loss with the annotation ${ANNOTATION_ACKNOWLEDGED_LOST} to recover`;
    } else if (!current.ok) {
      ready = { ok: false, reason: current.reason, message: `TotalsCurrent is False: ${current.message}` };
    } else {
      ready = {
        ok: true,
        reason: exact.ok ? Reason.Reconciled : Reason.LossAcknowledged,
        message: `the topic is ready; ${producer.message}; ${consumer.message}${exact.ok ? '' : `; but ${exact.message}`}`,
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
    condition(ConditionType.TotalsExact, exact.ok ? TRUE : FALSE, exact.reason, exact.message),
    condition(ConditionType.TotalsCurrent, current.ok ? TRUE : FALSE, current.reason, current.message),
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
      stalled ? `${ready.message}; ${remedy}` : 'not stalled',
    ),
  ];
}

/**
 * The conditions written once when a managed experiment is staged: Ready=False (Staged), neither
 * reconciling nor stalled. The children's conditions are not among them, so mergeConditions keeps
 * them as last observed. `kept` names what stays behind unmanaged (e.g. its KafkaTopic).
 */
export function stagedConditions(generation: number, kept: string): DesiredCondition[] {
  const message = `labelled ${LABEL_STAGED}=true: the operator released this experiment and no longer manages it; its children are left as they are, and deleting it will not delete ${kept}; remove the label to hand it back`;
  const condition = (type: string, status: ConditionStatus, text: string) => ({
    type,
    status,
    observedGeneration: generation,
    reason: Reason.Staged,
    message: text,
  });
  return [
    condition(ConditionType.Ready, FALSE, message),
    condition(ConditionType.Reconciling, FALSE, 'staged: not managed'),
    condition(ConditionType.Stalled, FALSE, 'staged: not managed'),
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
  /** The topic's incarnation, from the KafkaTopic's status.topicId (Kafka's topic ID). */
  topicId?: string;
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
    topicId?: string;
    bootstrapServers?: string;
  },
  now: Date,
): ControllerStatus {
  const topic = next.topic ?? current?.topic;
  // A new topic name starts without a known incarnation; otherwise keep the last one seen.
  const topicId = next.topicId ?? (topic === current?.topic ? current?.topicId : undefined);
  const bootstrapServers = next.bootstrapServers ?? current?.bootstrapServers;
  return {
    observedGeneration: next.generation,
    conditions: mergeConditions(current?.conditions, next.conditions, now),
    ...(topic !== undefined && { topic }),
    ...(topicId !== undefined && { topicId }),
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
  if (
    current.topic !== next.topic ||
    current.topicId !== next.topicId ||
    current.bootstrapServers !== next.bootstrapServers
  ) {
    return true;
  }
  // By type, not by position: the order of a list-map is not something to write for.
  const existing = current.conditions ?? [];
  if (existing.length !== next.conditions.length) return true;
  const byType = new Map(existing.map((c) => [c.type, c]));
  return next.conditions.some((c) => !sameCondition(byType.get(c.type), c));
}
