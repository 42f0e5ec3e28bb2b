// The metadata every namespaced child of an experiment carries: its name, the experiment's
// namespace, the recommended labels of its role, and the controller owner reference through
// which the garbage collector deletes it with the experiment.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { API_VERSION, KIND } from '../api/v1alpha1.ts';
import { experimentRef, labels, type ChildRole } from './names.ts';

/** The controller owner reference every namespaced child carries. */
export function ownerReference(exp: RatingExperiment): V1OwnerReference {
  const { name, uid } = experimentRef(exp);
  return { apiVersion: API_VERSION, kind: KIND, name, uid, controller: true, blockOwnerDeletion: true };
}

/** Fresh for every child, so that nothing in the desired state is aliased. */
export function childMetadata(exp: RatingExperiment, name: string, role: ChildRole): V1ObjectMeta {
  const ref = experimentRef(exp);
  return {
    name,
    namespace: ref.namespace,
    labels: labels(ref.name, role),
    ownerReferences: [ownerReference(exp)],
  };
}
