// Authentication and authorization delegated to the API server, as Kubernetes' own components and
// kubebuilder's metrics filter do: a bearer token is checked with a TokenReview (for an audience of
// the caller's when it names one, so that a token good for this endpoint is good for nothing
// else, and a token good for the API server is not accepted here), its user's access
// with a SubjectAccessReview (LocalSubjectAccessReview for a namespaced resource, so that the asker
// needs the right only in that namespace). Decisions are cached briefly, positive and negative, so
// that a busy endpoint costs no API round trip per request:
//
//   authenticated token   30 s (never past the token's own `exp`)   allowed   30 s
//   rejected token          5 s                                      denied     5 s
//
// at most 10,000 entries each, the least recently used dropped first. A revoked token or binding
// therefore takes effect within 30 s; a new binding within 5 s. Concurrent misses for the same key
// share one review. When the API server cannot answer (unreachable, timeout, refusing the review
// itself), nothing is cached and the caller gets an AuthUnavailableError: answer 503, never fail
// open, never 401/403 for what the client did not do.
import { hash } from 'node:crypto';
import {
  accessReview,
  authorizationOf,
  describeAccess,
  type AccessAttributes,
  type AccessReviewStatus,
  type Authorization,
} from './access-review.ts';
import { DecisionCache } from './decision-cache.ts';
import { classifyError, codedError } from './errors.ts';
import type { KubeClient } from './kube-client.ts';
import { errorMessage } from './kube-errors.ts';
import type { KubeObject } from './kube-resources.ts';
import {
  authenticationOf,
  bearerToken,
  tokenExpiry,
  tokenReview,
  tokenReviewType,
  type Authentication,
  type TokenReviewStatus,
  type UserInfo,
} from './token-review.ts';

/** The API server could not decide (unreachable, too slow, or refusing our review): answer 503. */
export class AuthUnavailableError extends codedError('RATINGS_AUTH_UNAVAILABLE', {
  errorClass: 'transient',
}) {
  constructor(what: string, cause: unknown) {
    // As retriable as what the API server did: a timeout passes, a refused review stays.
    super(`cannot ${what}: ${errorMessage(cause)}`, { cause, errorClass: classifyError(cause) });
  }
}

export const CACHE_LIMITS = {
  authenticatedTtlMs: 30_000,
  rejectedTtlMs: 5_000,
  allowedTtlMs: 30_000,
  deniedTtlMs: 5_000,
  maxEntries: 10_000,
} as const;

const FIELD_MANAGER = 'ratings-operator-auth';

const sha256 = (text: string): string => hash('sha256', text);

export class KubeAuth {
  private readonly client: KubeClient;
  private readonly now: () => number;
  private readonly tokens: DecisionCache<{ authentication: Authentication; ttlMs: number }>;
  private readonly access: DecisionCache<Authorization>;
  /**
   * The access cache's key of each (user, attributes) pair, remembered per pair of objects: the
   * user comes from the token cache and the attributes are the caller's constant, so a request
   * that hits both caches hashes nothing more. Neither object is ever mutated.
   */
  private readonly accessKeys = new WeakMap<UserInfo, WeakMap<AccessAttributes, string>>();

  constructor(client: KubeClient, options: { now?: () => number } = {}) {
    this.client = client;
    this.now = options.now ?? Date.now;
    this.tokens = new DecisionCache({
      maxEntries: CACHE_LIMITS.maxEntries,
      ttlMs: (v) => v.ttlMs,
      now: this.now,
    });
    this.access = new DecisionCache({
      maxEntries: CACHE_LIMITS.maxEntries,
      ttlMs: (v) => (v.allowed ? CACHE_LIMITS.allowedTtlMs : CACHE_LIMITS.deniedTtlMs),
      now: this.now,
    });
  }

  /**
   * Who the token belongs to, if it was issued for `audience` when one is named; throws
   * AuthUnavailableError when the API server cannot say.
   */
  async authenticate(token: string, audience?: string): Promise<Authentication> {
    // Keyed by a hash (the cache never holds the tokens themselves), of the audience too: a token
    // accepted for one audience, or for none, is not thereby accepted for another.
    const key = sha256(JSON.stringify([token, audience ?? null]));
    const { authentication } = await this.tokens.get(key, async () => {
      let status: TokenReviewStatus | undefined;
      try {
        const answer = await this.client.create<KubeObject & { status?: TokenReviewStatus }>(
          tokenReviewType,
          tokenReview(token, audience),
          FIELD_MANAGER,
        );
        status = answer.status;
      } catch (err) {
        throw new AuthUnavailableError('check the bearer token with a TokenReview', err);
      }
      const result = authenticationOf(status, audience);
      return { authentication: result, ttlMs: this.tokenTtlMs(result, token) };
    });
    return authentication;
  }

  /** Whether the user may do it; throws AuthUnavailableError when the API server cannot say. */
  async authorize(user: UserInfo, attributes: AccessAttributes): Promise<Authorization> {
    return this.access.get(this.accessKey(user, attributes), async () => {
      const { type, body } = accessReview(user, attributes);
      try {
        const answer = await this.client.create<KubeObject & { status?: AccessReviewStatus }>(
          type,
          body,
          FIELD_MANAGER,
        );
        return authorizationOf(answer.status);
      } catch (err) {
        throw new AuthUnavailableError(`check access with a ${type.kind}`, err);
      }
    });
  }

  private accessKey(user: UserInfo, attributes: AccessAttributes): string {
    let byAttributes = this.accessKeys.get(user);
    if (byAttributes === undefined) this.accessKeys.set(user, (byAttributes = new WeakMap()));
    let key = byAttributes.get(attributes);
    if (key === undefined) {
      key = sha256(JSON.stringify([user.username, user.uid, user.groups, user.extra, attributes]));
      byAttributes.set(attributes, key);
    }
    return key;
  }

  private tokenTtlMs(result: Authentication, token: string): number {
    if (!result.authenticated) return CACHE_LIMITS.rejectedTtlMs;
    const exp = tokenExpiry(token);
    const untilExpiry = exp === undefined ? Number.POSITIVE_INFINITY : exp * 1000 - this.now();
    return Math.max(0, Math.min(CACHE_LIMITS.authenticatedTtlMs, untilExpiry));
  }
}

/** An HTTP answer for a request that was not let through. */
export interface Refusal {
  status: 401 | 403 | 503;
  headers: Record<string, string>;
  body: { error: string; reason: string; audience?: string };
}

/**
 * Authenticates the Authorization header (for `audience`, when given) and authorizes its user for
 * `attributes`: the user, or the refusal to send (401 without a valid token, naming the audience to
 * ask a token for; 403 when not allowed; 503 when the API server cannot say).
 */
export async function checkRequest(
  auth: Pick<KubeAuth, 'authenticate' | 'authorize'>,
  authorizationHeader: string | undefined,
  attributes: AccessAttributes,
  realm: string,
  audience?: string,
): Promise<{ user: UserInfo } | { refusal: Refusal }> {
  const unauthenticated = (reason: string): { refusal: Refusal } => ({
    refusal:
      audience === undefined
        ? {
            status: 401,
            headers: { 'WWW-Authenticate': `Bearer realm="${realm}"` },
            body: { error: 'unauthenticated', reason },
          }
        : {
            status: 401,
            headers: { 'WWW-Authenticate': `Bearer realm="${realm}", audience="${audience}"` },
            body: {
              error: 'unauthenticated',
              reason: `${reason}; send a token for audience "${audience}", e.g. kubectl create token <serviceaccount> --audience ${audience}`,
              audience,
            },
          },
  });
  const unavailable = (err: AuthUnavailableError): { refusal: Refusal } => ({
    refusal: {
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { error: 'cannot check access now', reason: err.message },
    },
  });
  const parsed = bearerToken(authorizationHeader);
  if ('problem' in parsed) return unauthenticated(parsed.problem);
  try {
    const authentication = await auth.authenticate(parsed.token, audience);
    if (!authentication.authenticated) return unauthenticated(authentication.reason);
    const { user } = authentication;
    const decision = await auth.authorize(user, attributes);
    if (decision.allowed) return { user };
    const why = decision.reason === '' ? '' : ` (${decision.reason})`;
    return {
      refusal: {
        status: 403,
        headers: {},
        body: {
          error: 'forbidden',
          reason: `user "${user.username}" may not ${describeAccess(attributes)}${why}`,
        },
      },
    };
  } catch (err) {
    if (err instanceof AuthUnavailableError) return unavailable(err);
    throw err;
  }
}
