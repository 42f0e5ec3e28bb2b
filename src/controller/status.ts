// The one place that decides an experiment's status, for every path of a reconcile: after the
// writes of a sync (from what was observed and what the writes achieved), when a managed
// experiment is staged, and while it is being deleted. It returns the controller's status fields
// when they must be written (never when nothing changed, so that steady state writes nothing),
// the Events of the transitions, and when to look again. Pure: status-writer.ts writes it.
import type { Condition, RatingExperiment } from '../api/v1alpha1.ts';
import { ConditionType, Reason } from '../api/v1alpha1.ts';
import {
  LABEL_COMPONENT,
  acknowledgedLostOf,
  computeConditions,
  deletingConditions,
  desiredStatus,
  lostOf,
  msUntilStale,
  stagedConditions,
  statusNeedsUpdate,
  type CheckpointReport,
  type ControllerStatus,
  type DesiredCondition,
} from '../model/index.ts';
import type { V1Deployment } from '@kubernetes/client-node';
import type { EventSpec } from './events.ts';
import type { SyncOutcome, SyncPlan } from './plan.ts';

/** Which path of the reconcile the status is decided for, with what that path knows. */
export type StatusInput =
  | { phase: 'sync'; plan: SyncPlan; outcome: SyncOutcome }
  /** `kept` names what stays behind unmanaged, for the message. */
  | { phase: 'staged'; kept: string }
  | { phase: 'deleting' };

export interface StatusPlan {
  /** Set when the controller's status fields must be written. */
  status?: ControllerStatus;
  /** Events on transitions (Events about child writes follow the writes that succeed). */
  events: EventSpec[];
  /** The topic's incarnation changed from one known ID to another. */
  topicRecreated?: { from: string; to: string };
  /** Reconcile again after this long even without an event (a checkpoint that may turn stale). */
  requeueAfterMs?: number;
}

/** Reasons of a False Ready that need a person rather than time. */
const WARNING_REASONS = new Set<string>([
  Reason.InvalidSpec,
  Reason.KafkaNotFound,
  Reason.BootstrapUnresolved,
  Reason.TopicConflict,
  Reason.ChildConflict,
  Reason.TopicNotReady,
  Reason.ProgressDeadlineExceeded,
  Reason.DeploymentUnavailable,
  Reason.ApplyRefused,
  Reason.ApplyFailed,
  Reason.RatingsLost,
  Reason.CheckpointStale,
]);

export function planStatus(exp: RatingExperiment, input: StatusInput, now: Date): StatusPlan {
  const generation = exp.metadata?.generation ?? 0;
  switch (input.phase) {
    case 'sync':
      return syncStatus(exp, input.plan, input.outcome, now);
    case 'staged': {
      const status = desiredStatus(
        exp.status,
        { generation, conditions: stagedConditions(generation, input.kept) },
        now,
      );
      const note = status.conditions.find((c) => c.type === ConditionType.Ready)?.message ?? '';
      return {
        ...(statusNeedsUpdate(exp.status, status) && { status }),
        events: [{ type: 'Normal', reason: Reason.Staged, action: 'Release', note }],
      };
    }
    case 'deleting': {
      const status = desiredStatus(
        exp.status,
        { generation, conditions: deletingConditions(generation) },
        now,
      );
      return { ...(statusNeedsUpdate(exp.status, status) && { status }), events: [] };
    }
  }
}

/**
 * After the writes: conditions from what the reconcile achieved (the Deployments as the API server
 * answered our writes, refused writes as Ready=False with the server's message), the topic's
 * incarnation, and the Events of the transitions.
 */
function syncStatus(exp: RatingExperiment, plan: SyncPlan, outcome: SyncOutcome, now: Date): StatusPlan {
  const generation = exp.metadata?.generation ?? 0;
  const checkpoints = checkpointReport(exp, plan);
  const conditions = computeConditions({
    generation,
    specProblems: plan.observed.specProblems,
    bootstrap: plan.observed.bootstrap,
    topic: plan.observed.topic,
    topicConflict: plan.conflict,
    childConflicts: plan.childConflicts,
    childWaits: plan.childWaits,
    producerDeployment: deploymentAfter(exp, plan.observed.producer, outcome, 'producer'),
    consumerDeployment: deploymentAfter(exp, plan.observed.consumer, outcome, 'consumer'),
    applyFailures: outcome.failures,
    lost: lostOf(exp.status),
    acknowledgedLost: acknowledgedLostOf(exp.metadata?.annotations),
    checkpoints,
    now,
  });
  const topicId = plan.observed.topic?.status?.topicId || undefined;
  const bootstrap = plan.observed.bootstrap;
  const status = desiredStatus(
    exp.status,
    {
      generation,
      conditions,
      topic: plan.topicName,
      topicId,
      bootstrapServers: bootstrap?.ok === true ? bootstrap.bootstrapServers : undefined,
    },
    now,
  );
  const recreated = topicRecreation(exp, plan.topicName, topicId);
  const requeueAfterMs = earliest(msUntilStale(checkpoints, now), childRecheckMs(plan));
  return {
    ...(statusNeedsUpdate(exp.status, status) && { status }),
    events: [
      ...readyTransition(exp.status?.conditions, conditions),
      ...lossTransition(exp.status?.conditions, conditions),
      ...(recreated === undefined ? [] : [recreated.event]),
    ],
    ...(recreated !== undefined && { topicRecreated: recreated.ids }),
    ...(requeueAfterMs !== undefined && { requeueAfterMs }),
  };
}

/**
 * When to look again at children that are not ours: the garbage collector's removal of an earlier
 * experiment's child comes as an event, but a foreign object that the caches cannot see (it lacks
 * our label) does not, so its removal or rename is noticed by looking again.
 */
export const CHILD_WAIT_RECHECK_MS = 5_000;
export const CHILD_CONFLICT_RECHECK_MS = 60_000;

function childRecheckMs(plan: SyncPlan): number | undefined {
  if (plan.childWaits.length > 0) return CHILD_WAIT_RECHECK_MS;
  return plan.childConflicts.length > 0 ? CHILD_CONFLICT_RECHECK_MS : undefined;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function checkpointReport(exp: RatingExperiment, plan: SyncPlan): CheckpointReport | undefined {
  const intervalSeconds = plan.observed.checkpointIntervalSeconds;
  if (intervalSeconds === undefined) return undefined;
  return { lag: exp.status?.lag, checkpointedAt: exp.status?.checkpointedAt, intervalSeconds };
}

/**
 * A Deployment as this reconcile left it: gone when deleted, the server's answer when written
 * (also when created by this reconcile, so absent from the plan's view), else as observed.
 */
function deploymentAfter(
  exp: RatingExperiment,
  observed: V1Deployment | undefined,
  outcome: SyncOutcome,
  component: 'producer' | 'consumer',
): V1Deployment | undefined {
  if (observed !== undefined) {
    const name = observed.metadata?.name;
    if (outcome.deleted.some((x) => x.name === name)) return undefined;
    const written = outcome.written.find((w) => w.kind === 'Deployment' && w.metadata?.name === name);
    return (written as V1Deployment | undefined) ?? observed;
  }
  return outcome.written.find(
    (w) =>
      w.kind === 'Deployment' &&
      w.metadata?.labels?.[LABEL_COMPONENT] === component &&
      w.metadata?.namespace === exp.metadata?.namespace,
  ) as V1Deployment | undefined;
}

/** The topic's incarnation changed from one known ID to another: a Warning, and a metric. */
function topicRecreation(
  exp: RatingExperiment,
  topicName: string | undefined,
  topicId: string | undefined,
): { ids: { from: string; to: string }; event: EventSpec } | undefined {
  const previousId = exp.status?.topicId;
  if (!previousId || !topicId || previousId === topicId || exp.status?.topic !== topicName) return undefined;
  return {
    ids: { from: previousId, to: topicId },
    event: {
      type: 'Warning',
      reason: 'TopicRecreated',
      action: 'Reconcile',
      note: `topic ${topicName ?? ''} was deleted and created again (topic ID ${previousId} -> ${topicId}); records of the old incarnation are no longer in Kafka, their totals stay in the status`,
    },
  };
}

/** A Warning when TotalsExact turns False, or its count of lost ratings changes. */
export function lossTransition(
  before: readonly Condition[] | undefined,
  after: readonly DesiredCondition[],
): EventSpec[] {
  const old = before?.find((c) => c.type === ConditionType.TotalsExact);
  const next = after.find((c) => c.type === ConditionType.TotalsExact);
  if (next === undefined || next.status !== 'False') return [];
  if (old?.status === 'False' && old.message === next.message) return [];
  return [{ type: 'Warning', reason: next.reason, action: 'Reconcile', note: next.message }];
}

/**
 * An Event when Ready turns True or stops being True, or when it turns False for a reason that
 * needs a person (a Warning); nothing while it merely progresses or stays the same.
 */
export function readyTransition(
  before: readonly Condition[] | undefined,
  after: readonly DesiredCondition[],
): EventSpec[] {
  const old = before?.find((c) => c.type === ConditionType.Ready);
  const next = after.find((c) => c.type === ConditionType.Ready);
  if (next === undefined || (old?.status === next.status && old.reason === next.reason)) return [];
  const warning = next.status !== 'True' && WARNING_REASONS.has(next.reason);
  const readyChanged = (old?.status === 'True') !== (next.status === 'True');
  if (!warning && !readyChanged) return [];
  return [
    { type: warning ? 'Warning' : 'Normal', reason: next.reason, action: 'Reconcile', note: next.message },
  ];
}
