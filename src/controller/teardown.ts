// What the finalizer removes besides what the garbage collector does: the experiment's KafkaTopic
// (in the Kafka namespace, which owner references cannot reach) by its deletionPolicy, and the
// intake's cluster-scoped ClusterRoleBinding.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';
import {
  LABEL_EXPERIMENT_NAME,
  LABEL_EXPERIMENT_NAMESPACE,
  LABEL_MANAGED_BY,
  intakeReviewerBindingName,
  labelledExperiment,
  resolveSpec,
} from '../model/index.ts';
import type { EventRecorder } from './events.ts';
import { FIELD_MANAGER } from './field-manager.ts';

export interface TeardownContext {
  client: KubeClient;
  recorder: EventRecorder;
}

type Experiment = RatingExperiment & KubeObject;

/**
 * Each KafkaTopic is deleted (deletionPolicy Delete) or kept with its data and released (Retain:
 * the labels tying it to the experiment are removed, so the operator never touches it again and a
 * new experiment of the same name does not adopt it silently; `strimzi.io/cluster` stays, so
 * Strimzi keeps managing the topic).
 */
export async function removeTopics(
  ctx: TeardownContext,
  exp: Experiment,
  topics: readonly KubeObject[],
): Promise<void> {
  const resolved = resolveSpec(exp);
  const policy = resolved.ok ? resolved.spec.deletionPolicy : (exp.spec?.deletionPolicy ?? 'Delete');
  for (const topic of topics) {
    const { namespace = '', name = '' } = topic.metadata ?? {};
    if (policy === 'Retain') {
      const labels = {
        [LABEL_MANAGED_BY]: null,
        [LABEL_EXPERIMENT_NAMESPACE]: null,
        [LABEL_EXPERIMENT_NAME]: null,
      };
      await ctx.client.mergePatch(
        resources.kafkaTopic,
        namespace,
        name,
        { metadata: { labels } },
        FIELD_MANAGER,
      );
      await ctx.recorder.record(exp, {
        type: 'Normal',
        reason: 'TopicRetained',
        action: 'Delete',
        note: `kept KafkaTopic ${namespace}/${name} and its data (deletionPolicy Retain); it is no longer managed`,
      });
    } else if (await ctx.client.delete(resources.kafkaTopic, namespace, name)) {
      await ctx.recorder.record(exp, {
        type: 'Normal',
        reason: 'TopicDeleted',
        action: 'Delete',
        note: `deleted KafkaTopic ${namespace}/${name} (deletionPolicy Delete)`,
      });
    }
  }
}

/**
 * A cluster-scoped binding cannot be owned by a namespaced experiment: removed here, only when it
 * carries this experiment's labels (a binding of that name made by someone else stays).
 */
export async function removeIntakeBinding(ctx: TeardownContext, exp: Experiment): Promise<void> {
  const ref = { namespace: exp.metadata?.namespace ?? '', name: exp.metadata?.name ?? '' };
  const name = intakeReviewerBindingName(ref);
  const live = await ctx.client.get<KubeObject>(resources.clusterRoleBinding, '', name);
  if (live === undefined || !labelledFor(live, ref)) return;
  await deleteBinding(ctx, exp, name, 'the experiment is being deleted');
}

/** Whether a cluster-scoped object carries the labels of the experiment `ref`. */
export function labelledFor(obj: KubeObject, ref: { namespace: string; name: string }): boolean {
  const labelled = labelledExperiment(obj);
  return labelled?.namespace === ref.namespace && labelled.name === ref.name;
}

/** Deletes an intake's ClusterRoleBinding, with a Deleted Event on `regarding` when it was there. */
export async function deleteBinding(
  ctx: TeardownContext,
  regarding: KubeObject,
  name: string,
  why: string,
): Promise<void> {
  if (await ctx.client.delete(resources.clusterRoleBinding, '', name)) {
    await ctx.recorder.record(regarding, {
      type: 'Normal',
      reason: 'Deleted',
      action: 'Delete',
      note: `deleted ClusterRoleBinding ${name}: ${why}`,
    });
  }
}
