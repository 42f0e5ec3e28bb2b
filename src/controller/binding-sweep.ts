// The intakes' ClusterRoleBindings whose experiment is gone. The finalizer removes an experiment's
// binding when it is deleted, but a staged experiment keeps its intake running, and so its binding,
// after our finalizer left it; deleted later, nothing else would remove that binding. This sweep by
// label does, when the workers start and on every resync.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { objectKey, resources, type KubeObject } from '../common/kube-resources.ts';
import type { Logger } from '../common/logger.ts';
import { intakeReviewerBindingName, labelledExperiment } from '../model/index.ts';

export interface SweepCandidate {
  binding: string;
  experiment: { namespace: string; name: string };
}

/**
 * The bindings that may have outlived their experiment: labelled for an experiment (in the watched
 * namespace, when there is one) that the cache does not hold, and named as that experiment's
 * intake binding (anything else labelled as ours was not made by this code, so it is left alone).
 * The cache leaves staged experiments out, so each candidate's experiment must still be read.
 */
export function sweepCandidates(
  bindings: readonly KubeObject[],
  isCached: (key: string) => boolean,
  watchNamespace?: string,
): SweepCandidate[] {
  return bindings.flatMap((binding) => {
    const experiment = labelledExperiment(binding);
    if (experiment === undefined) return [];
    if (watchNamespace !== undefined && experiment.namespace !== watchNamespace) return [];
    if (binding.metadata?.name !== intakeReviewerBindingName(experiment)) return [];
    if (isCached(`${experiment.namespace}/${experiment.name}`)) return [];
    return [{ binding: binding.metadata.name, experiment }];
  });
}

export interface SweepContext {
  client: KubeClient;
  logger: Logger;
  bindings: readonly KubeObject[];
  experiments: readonly RatingExperiment[];
  watchNamespace?: string;
}

/** Deletes the bindings whose experiment the API server no longer has; the names deleted. */
export async function sweepIntakeBindings(ctx: SweepContext): Promise<string[]> {
  const cached = new Set(ctx.experiments.map((e) => objectKey(e)));
  const deleted: string[] = [];
  for (const c of sweepCandidates(ctx.bindings, (key) => cached.has(key), ctx.watchNamespace)) {
    const { namespace, name } = c.experiment;
    if ((await ctx.client.get(resources.ratingExperiment, namespace, name)) !== undefined) continue;
    if (await ctx.client.delete(resources.clusterRoleBinding, '', c.binding)) {
      deleted.push(c.binding);
      ctx.logger.info(
        { experiment: `${namespace}/${name}`, binding: c.binding },
        'deleted the ClusterRoleBinding of an experiment that is gone',
      );
    }
  }
  return deleted;
}
