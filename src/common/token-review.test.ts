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
