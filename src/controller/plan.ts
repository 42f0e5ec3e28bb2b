// What one reconcile of a live experiment must write, decided from what the caches hold:
// the children whose live state lacks part of the desired state, the controller's status
// fields when they changed, and the Events that tell users about it. Pure: the reconciler
// does the I/O.
import type { Condition, RatingExperiment } from '../api/v1alpha1.ts';
import { ConditionType, GROUP, Reason } from '../api/v1alpha1.ts';
import {
  childList,
  computeConditions,
  desiredChildren,
  desiredStatus,
  experimentOfTopic,
  experimentRef,
  resolveBootstrap,
  resolveSpec,
  statusNeedsUpdate,
  topicConflict,
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

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

export interface SyncPlan {
  writes: ChildWrite[];
  /** Set when the controller's status fields must be written. */
  status?: ControllerStatus;
  /** Events on Ready transitions (Events about child writes follow the writes that succeed). */
  events: EventSpec[];
  /** The KafkaTopic's name is held by something else: we must not take it over. */
  conflict?: string;
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
]);

export function planSync(observed: Observed, image: string, now: Date): SyncPlan {
  const exp = observed.experiment;
  const ref = experimentRef(exp);
  const resolved = resolveSpec(exp);
  const bootstrap = resolved.ok ? resolveBootstrap(exp, observed.kafka) : undefined;

  const writes: ChildWrite[] = [];
  let conflict: string | undefined;
  let topic: KafkaTopic | undefined;
  let producer: V1Deployment | undefined;
  let consumer: V1Deployment | undefined;
  if (resolved.ok && bootstrap?.ok === true) {
    const children = desiredChildren(exp, { image, bootstrapServers: bootstrap.bootstrapServers });
    const liveTopic = observed.live(children.kafkaTopic as KubeObject) as KafkaTopic | undefined;
    conflict = topicConflict(ref, liveTopic, experimentOfTopic);
    topic = conflict === undefined ? liveTopic : undefined;
    producer = observed.live(children.producerDeployment as KubeObject) as V1Deployment | undefined;
    consumer = observed.live(children.consumerDeployment as KubeObject) as V1Deployment | undefined;
    for (const child of childList(children) as KubeObject[]) {
      if (conflict !== undefined && child === children.kafkaTopic) continue;
      const write = childWrite(child, observed.live(child));
      if (write !== undefined) writes.push(write);
    }
  }

  const conditions = computeConditions({
    generation: ref.generation,
    specProblems: resolved.ok ? [] : resolved.problems,
    bootstrap,
    topic,
    topicConflict: conflict,
    producerDeployment: producer,
    consumerDeployment: consumer,
  });
  const status = desiredStatus(
    exp.status,
    {
      generation: ref.generation,
      conditions,
      topic: resolved.ok ? resolved.spec.topic.name : undefined,
      bootstrapServers: bootstrap?.ok === true ? bootstrap.bootstrapServers : undefined,
    },
    now,
  );
  return {
    writes,
    status: statusNeedsUpdate(exp.status, status) ? status : undefined,
    events: readyTransition(exp.status?.conditions, conditions),
    conflict,
  };
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
