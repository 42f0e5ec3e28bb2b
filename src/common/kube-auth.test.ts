import type { AccessAttributes, Authorization } from './access-review.ts';
import type { KubeClient } from './kube-client.ts';
import { AuthUnavailableError, CACHE_LIMITS, checkRequest, KubeAuth } from './kube-auth.ts';
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

describe('KubeAuth.authenticate', () => {
  const audience = 'ratings.conglombo.io/appdev/erb';
  // An API server that accepts every token, for the audiences it was requested for.
  const apiServer = (tokenAudiences: Record<string, string[]>) => {
    const reviews: unknown[] = [];
    const client = {
      create: async (_type: unknown, body: { spec: { token: string; audiences?: string[] } }) => {
        reviews.push(body.spec);
        const has = tokenAudiences[body.spec.token] ?? [];
        const asked = body.spec.audiences ?? ['https://kubernetes.default.svc'];
        const audiences = asked.filter((a) => has.includes(a));
        return {
          status:
            audiences.length > 0
              ? { authenticated: true, user: { username: 'rater' }, audiences }
              : { authenticated: false, error: 'token audiences are invalid for the target audiences' },
        };
      },
    };
    return { auth: new KubeAuth(client as unknown as KubeClient, { now: () => 0 }), reviews };
  };

  it('asks for the audience in the TokenReview and keys its cache on it', async () => {
    const { auth, reviews } = apiServer({
      apiToken: ['https://kubernetes.default.svc'],
      intakeToken: [audience],
    });
    expect(await auth.authenticate('intakeToken', audience)).toEqual({
      authenticated: true,
      user: { username: 'rater' },
    });
    expect(await auth.authenticate('apiToken', audience)).toMatchObject({ authenticated: false });
    // A token accepted without an audience is not taken from the cache for one.
    expect(await auth.authenticate('apiToken')).toMatchObject({ authenticated: true });
    expect(await auth.authenticate('apiToken', audience)).toMatchObject({ authenticated: false });
    expect(await auth.authenticate('intakeToken', audience)).toMatchObject({ authenticated: true });
    expect(reviews).toEqual([
      { token: 'intakeToken', audiences: [audience] },
      { token: 'apiToken', audiences: [audience] },
      { token: 'apiToken' },
    ]);
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

  it('names the audience to ask for in every 401 of an audience-bound check', async () => {
    const audience = 'ratings.conglombo.io/appdev/erb';
    const asked: (string | undefined)[] = [];
    const rejecting = {
      authenticate: async (_token: string, wanted?: string) => {
        asked.push(wanted);
        return { authenticated: false as const, reason: 'the API server did not accept the bearer token' };
      },
      authorize: async () => ({ allowed: true, reason: '' }),
    };
    const hint = `send a token for audience "${audience}", e.g. kubectl create token <serviceaccount> --audience ${audience}`;
    expect(await checkRequest(rejecting, 'Bearer t', rate, 'appdev/erb', audience)).toEqual({
      refusal: {
        status: 401,
        headers: { 'WWW-Authenticate': `Bearer realm="appdev/erb", audience="${audience}"` },
        body: {
          error: 'unauthenticated',
          reason: `the API server did not accept the bearer token; ${hint}`,
          audience,
        },
      },
    });
    expect(asked).toEqual([audience]);
    expect(await checkRequest(rejecting, undefined, rate, 'appdev/erb', audience)).toMatchObject({
      refusal: {
        status: 401,
        body: { reason: `no credentials: send Authorization: Bearer <token>; ${hint}` },
      },
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
