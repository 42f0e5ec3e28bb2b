import type { AccessAttributes, Authorization } from './access-review.ts';
import { AuthUnavailableError, CACHE_LIMITS, checkRequest } from './kube-auth.ts';
import type { Authentication } from './token-review.ts';

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
describe('CACHE_LIMITS', () => {
  it('has documented limits: a few seconds for refusals, at most a minute for grants', () => {
    expect(CACHE_LIMITS.rejectedTtlMs).toBeLessThanOrEqual(CACHE_LIMITS.authenticatedTtlMs);
    expect(CACHE_LIMITS.authenticatedTtlMs).toBeLessThanOrEqual(60_000);
    expect(CACHE_LIMITS.allowedTtlMs).toBeLessThanOrEqual(60_000);
  });
});

describe('checkRequest', () => {
  const auth = (
    authn: Authentication | Error,
    authz: Authorization | Error = { allowed: true, reason: '' },
  ) => ({
    authenticate: async () => {
      if (authn instanceof Error) throw authn;
      return authn;
    },
    authorize: async () => {
      if (authz instanceof Error) throw authz;
      return authz;
    },
  });
  const alice = { authenticated: true as const, user: { username: 'alice' } };

  it('lets an allowed user through', async () => {
    expect(await checkRequest(auth(alice), 'Bearer t', rate, 'ratings')).toEqual({
      user: { username: 'alice' },
    });
  });

  it('answers 401 with WWW-Authenticate without a token or with a bad one', async () => {
    expect(await checkRequest(auth(alice), undefined, rate, 'ratings')).toEqual({
      refusal: {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer realm="ratings"' },
        body: { error: 'unauthenticated', reason: 'no credentials: send Authorization: Bearer <token>' },
      },
    });
    const bad = await checkRequest(auth({ authenticated: false, reason: 'expired' }), 'Bearer t', rate, 'r');
    expect(bad).toEqual({
      refusal: expect.objectContaining({
        status: 401,
        body: { error: 'unauthenticated', reason: 'expired' },
      }),
    });
  });

  it('answers 403 naming the user and the permission missing', async () => {
    expect(await checkRequest(auth(alice, { allowed: false, reason: '' }), 'Bearer t', rate, 'r')).toEqual({
      refusal: {
        status: 403,
        headers: {},
        body: {
          error: 'forbidden',
          reason:
            'user "alice" may not create ratingexperiments/ratings "erb" in namespace appdev (API group ratings.conglombo.io)',
        },
      },
    });
  });

  it('answers 503, never 401/403 nor a pass, when the API server cannot decide', async () => {
    const down = new AuthUnavailableError(
      'check the bearer token with a TokenReview',
      new Error('ECONNREFUSED'),
    );
    for (const a of [auth(down), auth(alice, down)]) {
      expect(await checkRequest(a, 'Bearer t', rate, 'r')).toEqual({
        refusal: {
          status: 503,
          headers: { 'Retry-After': '5' },
          body: {
            error: 'cannot check access now',
            reason: 'cannot check the bearer token with a TokenReview: ECONNREFUSED',
          },
        },
      });
    }
  });

  it('lets unexpected errors propagate', async () => {
    await expect(checkRequest(auth(new TypeError('bug')), 'Bearer t', rate, 'r')).rejects.toThrow('bug');
  });
});
