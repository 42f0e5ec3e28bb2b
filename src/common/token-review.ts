// Who a bearer token belongs to, by a TokenReview: the request that asks it and what the
// answer means.
import type { KubeObject, ResourceType } from './kube-resources.ts';

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type Authentication =
  { authenticated: true; user: UserInfo } | { authenticated: false; reason: string };

export const tokenReviewType: ResourceType = {
  group: 'authentication.k8s.io',
  version: 'v1',
  plural: 'tokenreviews',
  kind: 'TokenReview',
  namespaced: false,
};

/**
 * The TokenReview that asks who `token` belongs to; with `audience`, only if the token was issued
 * for it (the API server then authenticates it for that audience alone).
 */
export function tokenReview(
  token: string,
  audience?: string,
): KubeObject & { spec: { token: string; audiences?: string[] } } {
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, ...(audience !== undefined && { audiences: [audience] }) },
  };
}

/** The token of an `Authorization: Bearer <token>` header, or why there is none. */
export function bearerToken(header: string | undefined): { token: string } | { problem: string } {
  if (header === undefined || header.trim() === '') {
    return { problem: 'no credentials: send Authorization: Bearer <token>' };
  }
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  if (match === null) return { problem: 'the Authorization header must be "Bearer <token>"' };
  return { token: match[1]! };
}

/** Seconds since the epoch at which a JWT expires (its unverified `exp`), when it is one and says so. */
export function tokenExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: UserInfo;
  /** The audiences of the request the token is good for (none from an API server that ignores them). */
  audiences?: string[];
  error?: string;
}

/**
 * What a TokenReview's status means. With `audience`, a token counts only when the answer confirms
 * it: an API server that does not support audiences answers none, and its yes would then hold for
 * a token meant for anything, the API server itself included.
 */
export function authenticationOf(status: TokenReviewStatus | undefined, audience?: string): Authentication {
  if (status?.authenticated === true && typeof status.user?.username === 'string') {
    if (audience !== undefined && status.audiences?.includes(audience) !== true) {
      return {
        authenticated: false,
        reason: `the API server did not confirm that the bearer token is meant for audience "${audience}"`,
      };
    }
    const { username, uid, groups, extra } = status.user;
    return {
      authenticated: true,
      user: {
        username,
        ...(uid !== undefined && { uid }),
        ...(groups !== undefined && { groups }),
        ...(extra !== undefined && { extra }),
      },
    };
  }
  const detail = status?.error ? `: ${status.error}` : '';
  return { authenticated: false, reason: `the API server did not accept the bearer token${detail}` };
}
