// What one reconcile of a live experiment must write, decided from what the caches hold: the
// children whose live state lacks part of the desired state. Pure: the reconciler does the I/O,
// and the status that follows from the writes is decided in status.ts.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { GROUP } from '../api/v1alpha1.ts';
import {
  childList,
  childOwnership,
  desiredChildren,
  experimentRef,
  intakeReviewerBindingName,
  labelledExperiment,
  resolveBootstrap,
  resolveSpec,
  topicConflict,
  topicReady,
  usesRecordedLegacyTopic,
  type ApplyFailure,
  type BootstrapResult,
  type ChildOwnership,
  type ChildrenOptions,
  type DesiredChildren,
  type Kafka,
  type KafkaTopic,
  type ResolvedSpec,
} from '../model/index.ts';
import type { V1Deployment } from '@kubernetes/client-node';
import {
  apiVersionOf,
  resources,
  typeOf,
  type KubeObject,
  type ResourceType,
} from '../common/kube-resources.ts';
import type { EventSpec } from './events.ts';
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

/** What one reconcile must write, decided before any write. */
export interface SyncPlan {
  writes: ChildWrite[];
  /** Deployments that would run against a topic the experiment does not own. */
  deletes: ChildDelete[];
  /** The KafkaTopic's name is held by something else: we must not take it over. */
  conflict?: string;
  /** Children whose name something else holds (childOwnership): never written nor deleted. */
  childConflicts: string[];
  /** Children an earlier experiment of the same name still holds, until garbage-collected. */
  childWaits: string[];
  /** The Kafka topic the experiment uses (undefined while the spec is invalid). */
  topicName?: string;
  /** What the status judges besides the outcome of the writes. */
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

type PlanOptions = Pick<ChildrenOptions, 'networkPolicy' | 'intakeReviewerClusterRole'>;

/**
 * The writes of one reconcile. The producer and consumer Deployments are applied only once the
 * experiment's own KafkaTopic is Ready (so that no client ever meets a missing topic, which
 * Kafka could auto-create, or a topic of someone else); on a TopicConflict they are deleted.
 */
export function planSync(observed: Observed, image: string, options: PlanOptions = {}): SyncPlan {
  const exp = observed.experiment;
  const resolved = resolveSpec(exp);
  const bootstrap = resolved.ok ? resolveBootstrap(exp, observed.kafka) : undefined;
  const specProblems = resolved.ok ? [] : resolved.problems;
  const plan: SyncPlan = {
    writes: [],
    deletes: [],
    childConflicts: [],
    childWaits: [],
    observed: { specProblems, bootstrap },
  };
  if (!resolved.ok) return plan;
  if (bootstrap?.ok !== true) return { ...plan, topicName: resolved.spec.topic.name };

  const { spec, children, conflict, liveTopic } = chooseTopic(observed, image, bootstrap, options);
  const topic = conflict === undefined ? liveTopic : undefined;
  plan.conflict = conflict;
  plan.topicName = spec.topic.name;
  planChildren(plan, observed, children, topicReady(topic).ok);
  if (children.intakeReviewerBinding !== undefined) {
    planWrite(plan, observed, children.intakeReviewerBinding as KubeObject);
  }
  plan.deletes.push(...intakeReviewerDelete(observed, children.intakeReviewerBinding));

  const deleted = new Set(plan.deletes.map((d) => d.name));
  const liveDeployment = (d: V1Deployment) => {
    const live = observed.live(d as KubeObject);
    return deleted.has(d.metadata?.name ?? '') || ownerOf(observed, live)?.owner !== 'ours'
      ? undefined
      : (live as V1Deployment | undefined);
  };
  plan.observed = {
    ...plan.observed,
    topic,
    producer: liveDeployment(children.producerDeployment),
    consumer: liveDeployment(children.consumerDeployment),
    checkpointIntervalSeconds: spec.consumer.checkpointIntervalSeconds,
  };
  return plan;
}

interface TopicChoice {
  spec: ResolvedSpec;
  children: DesiredChildren;
  /** Set when the KafkaTopic belongs to another experiment or to nobody we know. */
  conflict?: string;
  liveTopic?: KafkaTopic;
}

/**
 * The experiment's topic and the children built for it. A legacy experiment whose recorded default
 * topic belongs to another experiment moves to its own namespaced default.
 */
function chooseTopic(
  observed: Observed,
  image: string,
  bootstrap: Extract<BootstrapResult, { ok: true }>,
  options: PlanOptions,
): TopicChoice {
  const exp = observed.experiment;
  const ref = experimentRef(exp);
  const choice = (keepRecordedTopic: boolean): TopicChoice => {
    const resolved = resolveSpec(exp, { keepRecordedTopic });
    if (!resolved.ok) throw new Error('unreachable: the spec resolved once already');
    const children = desiredChildren(exp, {
      image,
      bootstrapServers: bootstrap.bootstrapServers,
      bootstrapSource: bootstrap.source,
      keepRecordedTopic,
      networkPolicy: options.networkPolicy,
      intakeReviewerClusterRole: options.intakeReviewerClusterRole,
    });
    const liveTopic = observed.live(children.kafkaTopic as KubeObject) as KafkaTopic | undefined;
    const conflict = topicConflict(ref, liveTopic, labelledExperiment);
    return { spec: resolved.spec, children, liveTopic, ...(conflict !== undefined && { conflict }) };
  };
  const recorded = choice(true);
  return recorded.conflict !== undefined && usesRecordedLegacyTopic(exp) ? choice(false) : recorded;
}

/**
 * The writes and deletes of the namespaced children and the KafkaTopic, in apply order. Once a
 * child is found held by another, what would depend on it is neither written nor kept: the
 * RoleBinding (it would bind a Role or ServiceAccount that is not ours) and the Deployments (their
 * pods would run as that ServiceAccount, or without the experiment's own Services and policy).
 */
function planChildren(
  plan: SyncPlan,
  observed: Observed,
  children: DesiredChildren,
  topicUsable: boolean,
): void {
  const deployments = new Set<unknown>([children.producerDeployment, children.consumerDeployment]);
  for (const child of childList(children) as KubeObject[]) {
    if (plan.conflict !== undefined && child === children.kafkaTopic) continue;
    const held = plan.childConflicts[0];
    if (deployments.has(child) && plan.conflict !== undefined) {
      removeOurs(plan, observed, child, `its topic is not the experiment's own: ${plan.conflict}`);
    } else if ((deployments.has(child) || child === children.roleBinding) && held !== undefined) {
      removeOurs(plan, observed, child, `not every child of the experiment is its own: ${held}`);
    } else if (!deployments.has(child) || topicUsable) {
      // Until the topic is Ready, create no pods and leave running ones as they are.
      planWrite(plan, observed, child);
    }
  }
}

/** Deletes a child that must not stay, when it exists and is ours. */
function removeOurs(plan: SyncPlan, observed: Observed, child: KubeObject, why: string): void {
  if (ownerOf(observed, observed.live(child))?.owner !== 'ours') return;
  plan.deletes.push({
    type: typeOf(child)!,
    namespace: child.metadata?.namespace ?? '',
    name: child.metadata?.name ?? '',
    why,
  });
}

/** Whose a namespaced or cluster-scoped child's live object is; undefined when it is absent. */
function ownerOf(observed: Observed, live: KubeObject | undefined): ChildOwnership | undefined {
  return live === undefined ? undefined : childOwnership(experimentRef(observed.experiment), live);
}

/**
 * The write a child needs when it is absent or ours; a child held by another is left alone and
 * reported. The KafkaTopic is judged by topicConflict (chooseTopic) instead.
 */
function planWrite(plan: SyncPlan, observed: Observed, desired: KubeObject): void {
  const live = observed.live(desired);
  const ownership = typeOf(desired) === resources.kafkaTopic ? undefined : ownerOf(observed, live);
  if (ownership?.owner === 'foreign') return void plan.childConflicts.push(ownership.message);
  if (ownership?.owner === 'predecessor') return void plan.childWaits.push(ownership.message);
  const write = childWrite(desired, live);
  if (write !== undefined) plan.writes.push(write);
}

/** The binding left from when the intake authenticated, when it is ours and no longer wanted. */
function intakeReviewerDelete(observed: Observed, desired: KubeObject | undefined): ChildDelete[] {
  if (desired !== undefined) return [];
  const ref = experimentRef(observed.experiment);
  const name = intakeReviewerBindingName(ref);
  const type = resources.clusterRoleBinding;
  const live = observed.live({ apiVersion: apiVersionOf(type), kind: type.kind, metadata: { name } });
  const owner = live === undefined ? undefined : labelledExperiment(live);
  if (owner?.namespace !== ref.namespace || owner.name !== ref.name) return [];
  return [
    {
      type,
      namespace: '',
      name,
      why: 'the intake no longer authenticates (spec.producer.intake.authentication None)',
      routine: true,
    },
  ];
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
