import { accessReview, authorizationOf, describeAccess, type AccessAttributes } from './access-review.ts';

const rate: AccessAttributes = {
  resource: {
    namespace: 'appdev',
    verb: 'create',
    group: 'ratings.conglombo.io',
    resource: 'ratingexperiments',
    subresource: 'ratings',
    name: 'erb',
  },
};
describe('access review mapping', () => {
  it('reads a SubjectAccessReview status; denied wins over allowed', () => {
    expect(authorizationOf({ allowed: true, reason: 'RBAC: allowed by RoleBinding "x"' })).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "x"',
    });
    expect(authorizationOf({ allowed: true, denied: true })).toEqual({ allowed: false, reason: '' });
    expect(authorizationOf({ allowed: false, evaluationError: 'x' })).toEqual({
      allowed: false,
      reason: 'x',
    });
  });

  it('asks a LocalSubjectAccessReview for a resource and a SubjectAccessReview for a path', () => {
    const user = { username: 'alice', groups: ['researchers'] };
    expect(accessReview(user, rate)).toEqual({
      type: expect.objectContaining({ kind: 'LocalSubjectAccessReview', namespaced: true }),
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'LocalSubjectAccessReview',
        metadata: { namespace: 'appdev' },
        spec: { user: 'alice', groups: ['researchers'], resourceAttributes: rate.resource },
      },
    });
    const metrics = { nonResource: { path: '/metrics', verb: 'get' } };
    expect(accessReview({ username: 'prom' }, metrics).body).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'prom', nonResourceAttributes: { path: '/metrics', verb: 'get' } },
    });
    expect(describeAccess(rate)).toBe(
      'create ratingexperiments/ratings "erb" in namespace appdev (API group ratings.conglombo.io)',
    );
    expect(describeAccess(metrics)).toBe('get /metrics');
  });
});
