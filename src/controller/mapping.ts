// Which experiment a watch event concerns, and which events are worth a reconcile.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import {
  ANNOTATION_ACKNOWLEDGED_LOST,
  API_VERSION,
  ConditionType,
  FINALIZER,
  KIND,
} from '../api/v1alpha1.ts';
import { lostOf } from '../model/status/loss.ts';
import { canonicalJson } from './semantic.ts';
import type { Kafka } from '../model/strimzi.ts';
import { labelledExperiment, isStaged } from '../model/names.ts';
import type { KubeObject } from '../common/kube-resources.ts';

/** The key of the experiment that controls a namespaced child, from its owner references. */
export function ownerKey(child: KubeObject): string | undefined {
  const owner = child.metadata?.ownerReferences?.find(
    (ref) => ref.controller === true && ref.apiVersion === API_VERSION && ref.kind === KIND,
  );
  return owner === undefined ? undefined : `${child.metadata?.namespace ?? ''}/${owner.name}`;
}

/** The key of the experiment a KafkaTopic or ClusterRoleBinding belongs to (labelledExperiment). */
export function labelledExperimentKey(topic: KubeObject): string | undefined {
  const ref = labelledExperiment(topic);
  return ref === undefined ? undefined : `${ref.namespace}/${ref.name}`;
}

/** Keys of the experiments that take their bootstrap address from this Kafka resource. */
export function experimentsUsingKafka(kafka: Kafka, experiments: readonly RatingExperiment[]): string[] {
  const { name, namespace } = kafka.metadata ?? {};
  return experiments
    .filter((e) => e.spec?.kafka?.cluster === name && e.spec.kafka.namespace === namespace)
    .filter((e) => !e.spec.kafka.bootstrapServers)
    .map((e) => `${e.metadata?.namespace ?? ''}/${e.metadata?.name ?? ''}`);
}

/** The status fields the controller writes; a change by anyone else must be corrected. */
function controllerStatus(exp: RatingExperiment): string {
  const s = exp.status;
  return canonicalJson([s?.observedGeneration, s?.conditions, s?.topic, s?.topicId, s?.bootstrapServers]);
}

/** Whether the controller last reported the checkpoints stale (then a new checkpoint clears it). */
function reportedStale(exp: RatingExperiment): boolean {
  return (
    exp.status?.conditions?.some((c) => c.type === ConditionType.TotalsCurrent && c.status === 'False') ??
    false
  );
}

/**
 * Whether an update of an experiment can change what the controller does: a new generation
 * (spec), deletion, finalizers, the acknowledgement of lost ratings, the controller's own status
 * fields, a new count of lost ratings, or a checkpoint after the controller reported them stale.
 * Other consumer writes (status.partitions, totals, counts) change often and need no reconcile.
 */
export function experimentNeedsReconcile(old: RatingExperiment, next: RatingExperiment): boolean {
  const a = old.metadata ?? {};
  const b = next.metadata ?? {};
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    canonicalJson(a.finalizers ?? []) !== canonicalJson(b.finalizers ?? []) ||
    a.annotations?.[ANNOTATION_ACKNOWLEDGED_LOST] !== b.annotations?.[ANNOTATION_ACKNOWLEDGED_LOST] ||
    controllerStatus(old) !== controllerStatus(next) ||
    lostOf(old.status) !== lostOf(next.status) ||
    (reportedStale(next) && old.status?.checkpointedAt !== next.status?.checkpointedAt)
  );
}

/**
 * Whether an experiment that left the cache (a watch DELETED event or a relist without it) may
 * have been staged rather than deleted: it carried our finalizer and was not being deleted, so it
 * cannot be gone. The watch's label selector leaves staged experiments out, so leaving the
 * selection looks like a deletion; only a fresh read tells (see afterLeaving).
 */
export function mayHaveBeenStaged(cached: RatingExperiment): boolean {
  return (cached.metadata?.finalizers ?? []).includes(FINALIZER) && !cached.metadata?.deletionTimestamp;
}

/**
 * What to do, from a fresh read, with a managed experiment that left the cache: release it when it
 * was staged (say so and drop our finalizer, which nothing would run any more), finalize it when it
 * is also being deleted (its deletionPolicy still holds), nothing otherwise (gone, or back in the
 * selection, where the watch brings it back).
 */
export function afterLeaving(live: RatingExperiment | undefined): 'none' | 'release' | 'finalize' {
  if (live === undefined || !isStaged(live) || !(live.metadata?.finalizers ?? []).includes(FINALIZER)) {
    return 'none';
  }
  return live.metadata?.deletionTimestamp ? 'finalize' : 'release';
}
