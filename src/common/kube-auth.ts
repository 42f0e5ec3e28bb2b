// Authentication and authorization delegated to the API server, as Kubernetes' own components and
// kubebuilder's metrics filter do: a bearer token is checked with a TokenReview, its user's access
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
import { classifyError, codedError } from './errors.ts';
import type { KubeClient } from './kube-client.ts';
import { errorMessage } from './kube-errors.ts';
import type { KubeObject, ResourceType } from './kube-resources.ts';

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type Authentication =
  { authenticated: true; user: UserInfo } | { authenticated: false; reason: string };

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

const review = (group: string, plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group,
  version: 'v1',
  plural,
  kind,
  namespaced,
});
export const reviewTypes = {
  tokenReview: review('authentication.k8s.io', 'tokenreviews', 'TokenReview', false),
  subjectAccessReview: review('authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview', false),
  localSubjectAccessReview: review(
    'authorization.k8s.io',
    'localsubjectaccessreviews',
    'LocalSubjectAccessReview',
    true,
  ),
};

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

/**
 * A bounded map of decisions that expire, least recently used evicted first; concurrent lookups of
 * a missing key share one load, and a load that fails is not remembered.
 */
export class DecisionCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: (value: V) => number;
  private readonly now: () => number;

  constructor(options: { maxEntries: number; ttlMs: (value: V) => number; now?: () => number }) {
    this.maxEntries = options.maxEntries;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAt > this.now()) {
      // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    // In flight until it settles: shared by concurrent callers, never expired meanwhile.
    const entry = { value: load(), expiresAt: Number.POSITIVE_INFINITY };
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    try {
      const value = await entry.value;
      entry.expiresAt = this.now() + this.ttlMs(value);
      return value;
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: UserInfo;
  error?: string;
}

interface AccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** What a TokenReview's status means. */
export function authenticationOf(status: TokenReviewStatus | undefined): Authentication {
  if (status?.authenticated === true && typeof status.user?.username === 'string') {
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
      type: reviewTypes.localSubjectAccessReview,
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'LocalSubjectAccessReview',
        metadata: { namespace },
        spec: { ...subject, resourceAttributes: { ...attributes.resource } },
      },
    };
  }
  return {
    type: reviewTypes.subjectAccessReview,
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

  /** Who the token belongs to; throws AuthUnavailableError when the API server cannot say. */
  async authenticate(token: string): Promise<Authentication> {
    // Keyed by a hash: the cache never holds the tokens themselves.
    const { authentication } = await this.tokens.get(sha256(token), async () => {
      let status: TokenReviewStatus | undefined;
      try {
        const answer = await this.client.create<KubeObject & { status?: TokenReviewStatus }>(
          reviewTypes.tokenReview,
          { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } as KubeObject,
          FIELD_MANAGER,
        );
        status = answer.status;
      } catch (err) {
        throw new AuthUnavailableError('check the bearer token with a TokenReview', err);
      }
      const result = authenticationOf(status);
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
  body: { error: string; reason: string };
}

/**
 * Authenticates the Authorization header and authorizes its user for `attributes`: the user, or the
 * refusal to send (401 without a valid token, 403 when not allowed, 503 when the API server cannot
 * say).
 */
export async function checkRequest(
  auth: Pick<KubeAuth, 'authenticate' | 'authorize'>,
  authorizationHeader: string | undefined,
  attributes: AccessAttributes,
  realm: string,
): Promise<{ user: UserInfo } | { refusal: Refusal }> {
  const unauthenticated = (reason: string): { refusal: Refusal } => ({
    refusal: {
      status: 401,
      headers: { 'WWW-Authenticate': `Bearer realm="${realm}"` },
      body: { error: 'unauthenticated', reason },
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
    const authentication = await auth.authenticate(parsed.token);
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
