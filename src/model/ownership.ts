// Whether a live object with a child's name is this experiment's to write. Namespaced children
// are judged by their controller owner reference (the experiment's uid, not its name: a
// re-created experiment of the same name is another owner), cluster-scoped ones, which owner
// references cannot reach, by their labels. What is not ours is never applied, owned or deleted.
import { GROUP, KIND } from '../api/v1alpha1.ts';
import { labelledExperiment, type ExperimentRef } from './names.ts';

interface LiveChild {
  kind?: string;
  metadata?: {
    namespace?: string;
    name?: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
}

export type ChildOwnership =
  | { owner: 'ours' }
  /** Controlled by an earlier experiment of the same name: the garbage collector removes it. */
  | { owner: 'predecessor'; message: string }
  /** Anyone else's: a person must remove or rename it. */
  | { owner: 'foreign'; message: string };

const groupOf = (apiVersion: string): string => apiVersion.split('/')[0] ?? '';

export function childOwnership(ref: ExperimentRef, live: LiveChild): ChildOwnership {
  const { namespace, name = '' } = live.metadata ?? {};
  const what = `${live.kind ?? 'object'} ${namespace ? `${namespace}/` : ''}${name}`;
  const foreign = (holder: string): ChildOwnership => ({
    owner: 'foreign',
    message: `${what} already exists and ${holder}: the operator neither changes nor deletes it`,
  });
  if (!namespace) {
    const labelled = labelledExperiment(live);
    if (labelled?.namespace === ref.namespace && labelled.name === ref.name) return { owner: 'ours' };
    return foreign(
      labelled === undefined
        ? 'is not labelled for this experiment'
        : `is labelled for RatingExperiment ${labelled.namespace}/${labelled.name}`,
    );
  }
  const controller = live.metadata?.ownerReferences?.find((o) => o.controller === true);
  if (controller === undefined) return foreign('has no controller owner');
  const experiment = controller.kind === KIND && groupOf(controller.apiVersion) === GROUP;
  if (experiment && controller.uid === ref.uid) return { owner: 'ours' };
  if (experiment && controller.name === ref.name) {
    return {
      owner: 'predecessor',
      message: `${what} still belongs to an earlier RatingExperiment ${ref.namespace}/${ref.name} (uid ${controller.uid}); waiting for the garbage collector to remove it`,
    };
  }
  return foreign(`is controlled by ${controller.kind} ${controller.name}`);
}
