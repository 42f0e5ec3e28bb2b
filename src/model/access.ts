// What the data-plane pods may do in the API server: one ServiceAccount per experiment, a Role that
// reaches only that experiment (and its status), and, while the intake authenticates researchers,
// the cluster-scoped binding that lets it ask TokenReviews.
import type { V1ClusterRoleBinding, V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { GROUP, PLURAL } from '../api/v1alpha1.ts';
import { childMetadata } from './metadata.ts';
import { accessName, clusterScopedLabels, experimentRef, intakeReviewerBindingName } from './names.ts';

/** The name config/rbac gives the ClusterRole that allows creating TokenReviews (the chart prefixes its release). */
export const INTAKE_REVIEWER_CLUSTER_ROLE = 'ratings-operator-intake-reviewer';

export interface Access {
  serviceAccount: V1ServiceAccount;
  role: V1Role;
  roleBinding: V1RoleBinding;
}

/** ServiceAccount, Role and RoleBinding, all named accessName(experiment). */
export function desiredAccess(exp: RatingExperiment, authenticating: boolean): Access {
  const ref = experimentRef(exp);
  const access = accessName(ref.name);
  return {
    serviceAccount: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: childMetadata(exp, access, 'access'),
    },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: childMetadata(exp, access, 'access'),
      rules: [
        { apiGroups: [GROUP], resources: [PLURAL], resourceNames: [ref.name], verbs: ['get'] },
        {
          apiGroups: [GROUP],
          resources: [`${PLURAL}/status`],
          resourceNames: [ref.name],
          verbs: ['get', 'update', 'patch'],
        },
        // An authenticating intake asks whether a researcher may rate, in this namespace only.
        ...(authenticating
          ? [
              {
                apiGroups: ['authorization.k8s.io'],
                resources: ['localsubjectaccessreviews'],
                verbs: ['create'],
              },
            ]
          : []),
      ],
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: childMetadata(exp, access, 'access'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: access },
      subjects: [{ kind: 'ServiceAccount', name: access, namespace: ref.namespace }],
    },
  };
}

/** Binds the experiment's ServiceAccount to the ClusterRole that allows creating TokenReviews. */
export function intakeReviewerBinding(
  ref: { namespace: string; name: string },
  clusterRole: string,
): V1ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: intakeReviewerBindingName(ref), labels: clusterScopedLabels(ref) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: accessName(ref.name), namespace: ref.namespace }],
  };
}
