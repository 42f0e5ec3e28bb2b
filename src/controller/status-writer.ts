// The one function that writes an experiment's status: a merge patch of the status subresource
// with the controller's fields, the server's answer put into the cache at once (so that the next
// reconcile does not judge a stale copy), and an experiment already gone taken as nothing to do.
// The consumers' checkpoint writes are theirs (src/consumer/status-writer.ts).
import type { RatingExperiment } from '../api/v1alpha1.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { isNotFound } from '../common/kube-errors.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';
import type { ControllerStatus } from '../model/index.ts';
import { FIELD_MANAGER } from './field-manager.ts';
import { stripManagedFields, type Informer } from './informer.ts';

type Experiment = RatingExperiment & KubeObject;

/**
 * Writes `status` over the experiment's current one and returns the experiment as written, or
 * undefined when it no longer exists. `cache` is left out for an experiment the cache never holds
 * (a staged one).
 */
export async function writeStatus(
  client: KubeClient,
  exp: Experiment,
  status: ControllerStatus,
  cache: Informer<Experiment> | undefined,
): Promise<Experiment | undefined> {
  // A merge patch keeps fields it does not name: clear a topicId the new status no longer has.
  const clearTopicId = status.topicId === undefined && exp.status?.topicId !== undefined;
  try {
    const written = await client.mergePatch<Experiment>(
      resources.ratingExperiment,
      exp.metadata?.namespace ?? '',
      exp.metadata?.name ?? '',
      { status: { ...status, ...(clearTopicId && { topicId: null }) } },
      FIELD_MANAGER,
      'status',
    );
    cache?.assume(written);
    return stripManagedFields(written);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
