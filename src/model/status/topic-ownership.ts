// Whether the KafkaTopic an experiment would apply is its own to apply, judged by its labels.
import type { KafkaTopic } from '../strimzi.ts';

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
