import { authenticationOf, bearerToken, tokenExpiry, tokenReview } from './token-review.ts';

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

describe('TokenReview mapping', () => {
  it('asks about the token itself', () => {
    expect(tokenReview('t')).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token: 't' },
    });
  });

  it('names the audience the token must carry when one is asked for', () => {
    expect(tokenReview('t', 'ratings.conglombo.io/appdev/erb')).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token: 't', audiences: ['ratings.conglombo.io/appdev/erb'] },
    });
  });

  it('takes a token for an audience only when the answer confirms that audience', () => {
    const audience = 'ratings.conglombo.io/appdev/erb';
    const user = { username: 'system:serviceaccount:appdev:rater' };
    expect(authenticationOf({ authenticated: true, user, audiences: [audience] }, audience)).toEqual({
      authenticated: true,
      user,
    });
    // An API server that does not support audiences answers none: the token may be for anything.
    expect(authenticationOf({ authenticated: true, user }, audience)).toEqual({
      authenticated: false,
      reason: `the API server did not confirm that the bearer token is meant for audience "${audience}"`,
    });
    expect(
      authenticationOf(
        { authenticated: true, user, audiences: ['https://kubernetes.default.svc'] },
        audience,
      ),
    ).toEqual({
      authenticated: false,
      reason: `the API server did not confirm that the bearer token is meant for audience "${audience}"`,
    });
    expect(
      authenticationOf({ authenticated: false, error: 'token audiences are invalid' }, audience),
    ).toEqual({
      authenticated: false,
      reason: 'the API server did not accept the bearer token: token audiences are invalid',
    });
  });

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
});
