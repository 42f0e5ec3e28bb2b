// Whether a user may do something, by a SubjectAccessReview (LocalSubjectAccessReview for a
// namespaced resource, so that the asker needs the right only in that namespace): the request that
// asks it, what the answer means, and how to say what was asked.
import type { KubeObject, ResourceType } from './kube-resources.ts';
import type { UserInfo } from './token-review.ts';

export interface ResourceAttributes {
  namespace: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
}

export interface NonResourceAttributes {
  path: string;
  verb: string;
}

export type AccessAttributes = { resource: ResourceAttributes } | { nonResource: NonResourceAttributes };

export interface Authorization {
  allowed: boolean;
  /** The authorizer's reason when it gave one (often empty for a plain RBAC denial). */
  reason: string;
}

const review = (plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group: 'authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});
export const accessReviewTypes = {
  subjectAccessReview: review('subjectaccessreviews', 'SubjectAccessReview', false),
  localSubjectAccessReview: review('localsubjectaccessreviews', 'LocalSubjectAccessReview', true),
};

export interface AccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** What a (Local)SubjectAccessReview's status means. */
export function authorizationOf(status: AccessReviewStatus | undefined): Authorization {
  const allowed = status?.allowed === true && status.denied !== true;
  return { allowed, reason: status?.reason || status?.evaluationError || '' };
}

/** The review that asks whether `user` may do `attributes`. */
export function accessReview(
  user: UserInfo,
  attributes: AccessAttributes,
): { type: ResourceType; body: KubeObject & { spec: Record<string, unknown> } } {
  const subject = {
    user: user.username,
    ...(user.uid !== undefined && { uid: user.uid }),
    ...(user.groups !== undefined && { groups: user.groups }),
    ...(user.extra !== undefined && { extra: user.extra }),
  };
  if ('resource' in attributes) {
    const { namespace } = attributes.resource;
    return {
      type: accessReviewTypes.localSubjectAccessReview,
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'LocalSubjectAccessReview',
        metadata: { namespace },
        spec: { ...subject, resourceAttributes: { ...attributes.resource } },
      },
    };
  }
  return {
    type: accessReviewTypes.subjectAccessReview,
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { ...subject, nonResourceAttributes: { ...attributes.nonResource } },
    },
  };
}

/** "create ratingexperiments/ratings "erb" in namespace appdev (group ratings.conglombo.io)" and the like. */
export function describeAccess(attributes: AccessAttributes): string {
  if ('nonResource' in attributes) return `${attributes.nonResource.verb} ${attributes.nonResource.path}`;
  const r = attributes.resource;
  const resource = r.subresource === undefined ? r.resource : `${r.resource}/${r.subresource}`;
  const name = r.name === undefined ? '' : ` "${r.name}"`;
  const group = r.group === '' ? 'core' : r.group;
  return `${r.verb} ${resource}${name} in namespace ${r.namespace} (API group ${group})`;
}
