// Our finalizer on an experiment: added before anything is created, so that the topic is never
// left behind, and removed once the experiment's topic and cluster-scoped binding are dealt with.
// Both patches name the resourceVersion they were decided on: a 409 means the copy was stale, and
// the retry reads the experiment again.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { FINALIZER } from '../api/v1alpha1.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';
import { FIELD_MANAGER } from './field-manager.ts';
import { stripManagedFields } from './informer.ts';

type Experiment = RatingExperiment & KubeObject;

export const hasFinalizer = (exp: Experiment): boolean =>
  (exp.metadata?.finalizers ?? []).includes(FINALIZER);

function patchFinalizers(client: KubeClient, exp: Experiment, finalizers: string[]): Promise<Experiment> {
  return client.mergePatch<Experiment>(
    resources.ratingExperiment,
    exp.metadata?.namespace ?? '',
    exp.metadata?.name ?? '',
    { metadata: { finalizers, resourceVersion: exp.metadata?.resourceVersion } },
    FIELD_MANAGER,
  );
}

/** The experiment with our finalizer, as the API server answered (unchanged when it had it). */
export async function addFinalizer(client: KubeClient, exp: Experiment): Promise<Experiment> {
  if (hasFinalizer(exp)) return exp;
  return stripManagedFields(
    await patchFinalizers(client, exp, [...(exp.metadata?.finalizers ?? []), FINALIZER]),
  );
}

export async function removeFinalizer(client: KubeClient, exp: Experiment): Promise<void> {
  if (!hasFinalizer(exp)) return;
  await patchFinalizers(
    client,
    exp,
    (exp.metadata?.finalizers ?? []).filter((f) => f !== FINALIZER),
  );
}
