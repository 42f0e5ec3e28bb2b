// What one reconcile of a live experiment must write, decided from what the caches hold (the
// children whose live state lacks part of the desired state, planSync), then, once the writes
// are done, the controller's status fields from what they achieved and the Events that tell
// users about it (planStatus). Pure: the reconciler does the I/O.
import type { Condition, RatingExperiment } from '../api/v1alpha1.ts';
import { ConditionType, GROUP, Reason } from '../api/v1alpha1.ts';
import {
  LABEL_COMPONENT,
  acknowledgedLostOf,
  childList,
  computeConditions,
  desiredChildren,
  desiredStatus,
  labelledExperiment,
  experimentRef,
  intakeReviewerBindingName,
  lostOf,
  msUntilStale,
  resolveBootstrap,
  resolveSpec,
  statusNeedsUpdate,
  topicConflict,
  topicReady,
  usesRecordedLegacyTopic,
  type ApplyFailure,
  type BootstrapResult,
  type ChildrenOptions,
  type ControllerStatus,
  type DesiredCondition,
  type Kafka,
  type KafkaTopic,
} from '../model/index.ts';
import type { V1Deployment } from '@kubernetes/client-node';
import { typeOf, type KubeObject, type ResourceType } from '../common/kube-resources.ts';
import { digest, firstDifference } from './semantic.ts';

/**
 * A digest of the applied configuration, kept on every child. When the desired state drops a
 * field (say, resources removed from the spec), the live object still "contains" the desired
 * one; the changed digest is what makes us apply, so that server-side apply removes the field.
 */
export const ANNOTATION_APPLIED_HASH = `${GROUP}/applied-hash`;

export interface Observed {
  experiment: RatingExperiment;
  /** The Kafka named by spec.kafka, when it exists. */
  kafka: Kafka | undefined;
  /** The live object with the desired object's kind, namespace and name, when it exists. */
  live(desired: KubeObject): KubeObject | undefined;
}

export interface ChildWrite {
  type: ResourceType;
  object: KubeObject;
  /** 'create' when absent; otherwise the first field that differs. */
  change: 'create' | { field: string };
}

/** A child to delete. */
export interface ChildDelete {
  type: ResourceType;
  namespace: string;
  name: string;
  why: string;
  /** An expected consequence of the spec (a Normal Event), not a repair (a Warning). */
  routine?: boolean;
}

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/** What one reconcile must write, decided before any write. */
export interface SyncPlan {
  writes: ChildWrite[];
  /** Deployments that would run against a topic the experiment does not own. */
  deletes: ChildDelete[];
  /** The KafkaTopic's name is held by something else: we must not take it over. */
  conflict?: string;
  /** The Kafka topic the experiment uses (undefined while the spec is invalid). */
  topicName?: string;
  /** What planStatus judges besides the outcome of the writes. */
  observed: {
    specProblems: readonly string[];
    bootstrap?: BootstrapResult;
    /** The live KafkaTopic, when the experiment owns it. */
    topic?: KafkaTopic;
    producer?: V1Deployment;
    consumer?: V1Deployment;
    checkpointIntervalSeconds?: number;
  };
}

/** What the writes of a reconcile achieved. */
export interface SyncOutcome {
  /** The API server's answers to the writes that succeeded (the objects as they now are). */
  written: KubeObject[];
  /** The deletes that succeeded (or found the object gone). */
  deleted: ChildDelete[];
  /** The writes and deletes that failed. */
  failures: ApplyFailure[];
}

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
  Reason.TopicNotReady,
  Reason.ProgressDeadlineExceeded,
  Reason.DeploymentUnavailable,
  Reason.ApplyRefused,
  Reason.ApplyFailed,
  Reason.RatingsLost,
  Reason.CheckpointStale,
]);

/**
 * The writes of one reconcile. The producer and consumer Deployments are applied only once the
 * experiment's own KafkaTopic is Ready (so that no client ever meets a missing topic, which
 * Kafka could auto-create, or a topic of someone else); on a TopicConflict they are deleted.
 */
export function planSync(
  observed: Observed,
  image: string,
  options: Pick<ChildrenOptions, 'networkPolicy' | 'intakeReviewerClusterRole'> = {},
): SyncPlan {
  const exp = observed.experiment;
  const ref = experimentRef(exp);
  let resolved = resolveSpec(exp);
  const bootstrap = resolved.ok ? resolveBootstrap(exp, observed.kafka) : undefined;
  const plan: SyncPlan = {
    writes: [],
    deletes: [],
    observed: { specProblems: resolved.ok ? [] : resolved.problems, bootstrap },
  };
  if (!resolved.ok) return plan;
  if (bootstrap?.ok !== true) {
    plan.topicName = resolved.spec.topic.name;
    return plan;
  }

  const childrenFor = (keepRecordedTopic: boolean) =>
    desiredChildren(exp, {
      image,
      bootstrapServers: bootstrap.bootstrapServers,
      bootstrapSource: bootstrap.source,
      keepRecordedTopic,
      networkPolicy: options.networkPolicy,
      intakeReviewerClusterRole: options.intakeReviewerClusterRole,
    });
  let children = childrenFor(true);
  let liveTopic = observed.live(children.kafkaTopic as KubeObject) as KafkaTopic | undefined;
  let conflict = topicConflict(ref, liveTopic, labelledExperiment);
  if (conflict !== undefined && usesRecordedLegacyTopic(exp)) {
    // Its legacy default topic belongs to another experiment: move to its own namespaced default.
    resolved = resolveSpec(exp, { keepRecordedTopic: false });
    children = childrenFor(false);
    liveTopic = observed.live(children.kafkaTopic as KubeObject) as KafkaTopic | undefined;
    conflict = topicConflict(ref, liveTopic, labelledExperiment);
  }
  const topic = conflict === undefined ? liveTopic : undefined;
  const deployments = new Set<unknown>([children.producerDeployment, children.consumerDeployment]);
  const topicUsable = topicReady(topic).ok;

  for (const child of childList(children) as KubeObject[]) {
    const live = observed.live(child);
    if (conflict !== undefined && child === children.kafkaTopic) continue;
    if (deployments.has(child)) {
      if (conflict !== undefined) {
        if (live !== undefined) {
          const type = typeOf(child)!;
          plan.deletes.push({
            type,
            namespace: child.metadata?.namespace ?? '',
            name: child.metadata?.name ?? '',
            why: `its topic is not the experiment's own: ${conflict}`,
          });
        }
        continue;
      }
      // Until the topic is Ready, create no pods and leave running ones as they are.
      if (!topicUsable) continue;
    }
    const write = childWrite(child, live);
    if (write !== undefined) plan.writes.push(write);
  }

  plan.writes.push(...intakeReviewerWrite(observed, children.intakeReviewerBinding));
  plan.deletes.push(...intakeReviewerDelete(observed, children.intakeReviewerBinding));

  const deleted = new Set(plan.deletes.map((d) => d.name));
  const liveDeployment = (d: V1Deployment) =>
    deleted.has(d.metadata?.name ?? '')
      ? undefined
      : (observed.live(d as KubeObject) as V1Deployment | undefined);
  plan.conflict = conflict;
  plan.topicName = resolved.ok ? resolved.spec.topic.name : undefined;
  plan.observed = {
    ...plan.observed,
    topic,
    producer: liveDeployment(children.producerDeployment),
    consumer: liveDeployment(children.consumerDeployment),
    checkpointIntervalSeconds: resolved.ok ? resolved.spec.consumer.checkpointIntervalSeconds : undefined,
  };
  return plan;
}

const CLUSTER_ROLE_BINDING = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' };

function intakeReviewerWrite(observed: Observed, desired: KubeObject | undefined): ChildWrite[] {
  if (desired === undefined) return [];
  const write = childWrite(desired, observed.live(desired));
  return write === undefined ? [] : [write];
}

/** The binding left from when the intake authenticated, when it is ours and no longer wanted. */
function intakeReviewerDelete(observed: Observed, desired: KubeObject | undefined): ChildDelete[] {
  if (desired !== undefined) return [];
  const ref = experimentRef(observed.experiment);
  const name = intakeReviewerBindingName(ref);
  const live = observed.live({ ...CLUSTER_ROLE_BINDING, metadata: { name } });
  const owner = live === undefined ? undefined : labelledExperiment(live);
  if (owner?.namespace !== ref.namespace || owner.name !== ref.name) return [];
  return [
    {
      type: typeOf({ ...CLUSTER_ROLE_BINDING })!,
      namespace: '',
      name,
      why: 'the intake no longer authenticates (spec.producer.intake.authentication None)',
      routine: true,
    },
  ];
}

/**
 * The controller's status after the writes: conditions from what the reconcile achieved (the
 * Deployments as the API server answered our writes, refused writes as Ready=False with the
 * server's message), the topic's incarnation, and the Events of the transitions.
 */
export function planStatus(
  observed: Observed,
  plan: SyncPlan,
  outcome: SyncOutcome,
  now: Date,
  options: { deleting?: boolean } = {},
): StatusPlan {
  const exp = observed.experiment;
  const ref = experimentRef(exp);
  const after = (d: V1Deployment | undefined): V1Deployment | undefined => {
    if (d === undefined) return undefined;
    const name = d.metadata?.name;
    if (outcome.deleted.some((x) => x.name === name)) return undefined;
    const written = outcome.written.find((w) => w.kind === 'Deployment' && w.metadata?.name === name);
    return (written as V1Deployment | undefined) ?? d;
  };
  // A Deployment created by this reconcile is absent from the plan's view: take the server's answer.
  const createdDeployment = (component: 'producer' | 'consumer') =>
    outcome.written.find(
      (w) =>
        w.kind === 'Deployment' &&
        w.metadata?.labels?.[LABEL_COMPONENT] === component &&
        w.metadata?.namespace === ref.namespace,
    ) as V1Deployment | undefined;
  const lost = lostOf(exp.status);
  const conditions = computeConditions({
    generation: ref.generation,
    specProblems: plan.observed.specProblems,
    bootstrap: plan.observed.bootstrap,
    topic: plan.observed.topic,
    topicConflict: plan.conflict,
    producerDeployment: after(plan.observed.producer) ?? createdDeployment('producer'),
    consumerDeployment: after(plan.observed.consumer) ?? createdDeployment('consumer'),
    deleting: options.deleting,
    applyFailures: outcome.failures,
    lost,
    acknowledgedLost: acknowledgedLostOf(exp.metadata?.annotations),
    checkpoints:
      plan.observed.checkpointIntervalSeconds === undefined
        ? undefined
        : {
            lag: exp.status?.lag,
            checkpointedAt: exp.status?.checkpointedAt,
            intervalSeconds: plan.observed.checkpointIntervalSeconds,
          },
    now,
  });
  const topicId = plan.observed.topic?.status?.topicId || undefined;
  const status = desiredStatus(
    exp.status,
    {
      generation: ref.generation,
      conditions,
      topic: plan.topicName,
      topicId,
      bootstrapServers:
        plan.observed.bootstrap?.ok === true ? plan.observed.bootstrap.bootstrapServers : undefined,
    },
    now,
  );
  const events = [
    ...readyTransition(exp.status?.conditions, conditions),
    ...lossTransition(exp.status?.conditions, conditions),
  ];
  const previousId = exp.status?.topicId;
  let topicRecreated: StatusPlan['topicRecreated'];
  if (previousId && topicId && previousId !== topicId && exp.status?.topic === plan.topicName) {
    topicRecreated = { from: previousId, to: topicId };
    events.push({
      type: 'Warning',
      reason: 'TopicRecreated',
      action: 'Reconcile',
      note: `topic ${plan.topicName ?? ''} was deleted and created again (topic ID ${previousId} -> ${topicId}); records of the old incarnation are no longer in Kafka, their totals stay in the status`,
    });
  }
  const checkpoints =
    plan.observed.checkpointIntervalSeconds === undefined
      ? undefined
      : {
          lag: exp.status?.lag,
          checkpointedAt: exp.status?.checkpointedAt,
          intervalSeconds: plan.observed.checkpointIntervalSeconds,
        };
  return {
    status: statusNeedsUpdate(exp.status, status) ? status : undefined,
    events,
    ...(topicRecreated !== undefined && { topicRecreated }),
    ...(msUntilStale(checkpoints, now) !== undefined && { requeueAfterMs: msUntilStale(checkpoints, now) }),
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

/** The write a child needs, or undefined when the live object already has the desired state. */
export function childWrite(desired: KubeObject, live: KubeObject | undefined): ChildWrite | undefined {
  const type = typeOf(desired);
  if (type === undefined) throw new Error(`no resource type for ${desired.apiVersion}/${desired.kind}`);
  const object = withAppliedHash(desired);
  if (live === undefined) return { type, object, change: 'create' };
  const field = firstDifference(object, live);
  return field === undefined ? undefined : { type, object, change: { field } };
}

function withAppliedHash(desired: KubeObject): KubeObject {
  const metadata = desired.metadata ?? {};
  return {
    ...desired,
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, [ANNOTATION_APPLIED_HASH]: digest(desired) },
    },
  };
}

/** Events about the child writes that succeeded: one for those created, one for those updated. */
export function childEvents(writes: readonly ChildWrite[]): EventSpec[] {
  const what = (w: ChildWrite) => `${w.type.kind} ${w.object.metadata?.namespace}/${w.object.metadata?.name}`;
  const created = writes.filter((w) => w.change === 'create').map(what);
  const updated = writes.flatMap((w) =>
    w.change === 'create' ? [] : [`${what(w)} (${w.change.field} differed)`],
  );
  const events: EventSpec[] = [];
  if (created.length > 0) {
    events.push({
      type: 'Normal',
      reason: 'Created',
      action: 'Apply',
      note: `created ${created.join(', ')}`,
    });
  }
  if (updated.length > 0) {
    events.push({
      type: 'Normal',
      reason: 'Updated',
      action: 'Apply',
      note: `updated ${updated.join(', ')}`,
    });
  }
  return events;
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
