import {
  AuthUnavailableError,
  CACHE_LIMITS,
  DecisionCache,
  accessReview,
  authenticationOf,
  authorizationOf,
  bearerToken,
  checkRequest,
  describeAccess,
  tokenExpiry,
  type AccessAttributes,
  type Authentication,
  type Authorization,
} from './kube-auth.ts';

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
const jwt = (payload: object) =>
  ['e30', Buffer.from(JSON.stringify(payload)).toString('base64url'), 'sig'].join('.');

describe('bearerToken', () => {
  it('takes the token of a Bearer header, whatever the case of the scheme', () => {
    expect(bearerToken('Bearer abc.def')).toEqual({ token: 'abc.def' });
    expect(bearerToken('bearer  xyz ')).toEqual({ token: 'xyz' });
  });

  it('says what is wrong otherwise', () => {
    expect(bearerToken(undefined)).toEqual({ problem: 'no credentials: send Authorization: Bearer <token>' });
    expect(bearerToken('  ')).toEqual({ problem: 'no credentials: send Authorization: Bearer <token>' });
    for (const header of ['Basic dXNlcjpwdw==', 'Bearer', 'Bearer a b', 'Token abc']) {
      expect(bearerToken(header)).toEqual({ problem: 'the Authorization header must be "Bearer <token>"' });
    }
  });
});

describe('tokenExpiry', () => {
  it("reads a JWT's exp, and nothing from other tokens", () => {
    expect(tokenExpiry(jwt({ exp: 1_900_000_000, sub: 'x' }))).toBe(1_900_000_000);
    expect(tokenExpiry(jwt({ sub: 'x' }))).toBeUndefined();
    expect(tokenExpiry('opaque-token')).toBeUndefined();
    expect(tokenExpiry('a.!!!.c')).toBeUndefined();
  });
});

describe('DecisionCache', () => {
  let now = 0;
  const cache = (maxEntries = 3) =>
    new DecisionCache<string>({ maxEntries, ttlMs: (v) => (v === 'yes' ? 1000 : 100), now: () => now });

  beforeEach(() => {
    now = 0;
  });

  it('answers from the cache until the TTL of the value passes', async () => {
    const c = cache();
    let loads = 0;
    const load = (value: string) => async () => {
      loads++;
      return value;
    };
    expect(await c.get('a', load('yes'))).toBe('yes');
    now = 999;
    expect(await c.get('a', load('no'))).toBe('yes');
    now = 1000;
    expect(await c.get('a', load('no'))).toBe('no');
    now = 1099;
    expect(await c.get('a', load('yes'))).toBe('no');
    now = 1100;
    expect(await c.get('a', load('yes'))).toBe('yes');
    expect(loads).toBe(3);
  });

  it('shares one load among concurrent lookups of a key', async () => {
    const c = cache();
    let loads = 0;
    let release: (v: string) => void = () => {};
    const load = () => {
      loads++;
      return new Promise<string>((resolve) => (release = resolve));
    };
    const answers = Promise.all([c.get('k', load), c.get('k', load), c.get('k', load)]);
    release('yes');
    expect(await answers).toEqual(['yes', 'yes', 'yes']);
    expect(loads).toBe(1);
  });

  it('does not remember a failed load', async () => {
    const c = cache();
    await expect(c.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(c.size).toBe(0);
    expect(await c.get('k', async () => 'yes')).toBe('yes');
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const c = cache(2);
    await c.get('a', async () => 'yes');
    await c.get('b', async () => 'yes');
    await c.get('a', async () => 'unused'); // a is now the most recent
    await c.get('c', async () => 'yes');
    expect(c.size).toBe(2);
    expect(await c.get('a', async () => 'reloaded')).toBe('yes');
    expect(await c.get('b', async () => 'reloaded')).toBe('reloaded');
  });

  it('has documented limits: a few seconds for refusals, at most a minute for grants', () => {
    expect(CACHE_LIMITS.rejectedTtlMs).toBeLessThanOrEqual(CACHE_LIMITS.authenticatedTtlMs);
    expect(CACHE_LIMITS.authenticatedTtlMs).toBeLessThanOrEqual(60_000);
    expect(CACHE_LIMITS.allowedTtlMs).toBeLessThanOrEqual(60_000);
  });
});

describe('review mapping', () => {
  it('reads a TokenReview status', () => {
    expect(
      authenticationOf({
        authenticated: true,
        user: { username: 'system:serviceaccount:a:b', uid: 'u', groups: ['g'] },
      }),
    ).toEqual({
      authenticated: true,
      user: { username: 'system:serviceaccount:a:b', uid: 'u', groups: ['g'] },
    });
    expect(authenticationOf({ authenticated: false, error: 'token expired' })).toEqual({
      authenticated: false,
      reason: 'the API server did not accept the bearer token: token expired',
    });
    expect(authenticationOf(undefined)).toEqual({
      authenticated: false,
      reason: 'the API server did not accept the bearer token',
    });
  });

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
