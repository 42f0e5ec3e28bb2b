// Who may rate: with spec.producer.intake.authentication Kubernetes, every request to the intake's
// API carries a bearer token issued for the experiment's own audience (intakeAudience) that the API
// server authenticates (TokenReview) and authorizes for verb
// create on ratingexperiments/ratings of this experiment (LocalSubjectAccessReview), both cached
// briefly by src/common/kube-auth.ts. The rating is then recorded under the authenticated username:
// a body that names another researcher is refused (400) rather than silently rewritten, so that a
// client never believes a rating was recorded under a name it was not. With None, nothing changes.
import type { RequestHandler } from 'express';
import { Counter, type Registry } from 'prom-client';
import { GROUP, PLURAL, type RatingExperiment } from '../api/v1alpha1.ts';
import type { AccessAttributes } from '../common/access-review.ts';
import { checkRequest, type KubeAuth } from '../common/kube-auth.ts';
import type { Logger } from '../common/logger.ts';
import { SPEC_DEFAULTS, type IntakeAuthentication } from '../model/spec.ts';

/** The subresource a researcher needs `create` on (the ratings-researcher ClusterRole grants it). */
export const RATINGS_SUBRESOURCE = 'ratings';

export interface RaterAuthenticationOptions {
  auth: Pick<KubeAuth, 'authenticate' | 'authorize'>;
  experiment: { namespace: string; name: string };
  /** Read per request: the producer follows its experiment's spec live. */
  mode: () => IntakeAuthentication;
  logger: Logger;
  registry: Registry;
}

/** The experiment's setting; an unknown value (admission refuses them) fails closed. */
export function intakeAuthenticationOf(experiment: RatingExperiment): IntakeAuthentication {
  const mode =
    experiment.spec.producer?.intake?.authentication ?? SPEC_DEFAULTS.producer.intake.authentication;
  return mode === 'None' ? 'None' : 'Kubernetes';
}

/**
 * The audience a researcher's token must be issued for: this experiment's alone. The pod that
 * receives the token runs an image the experiment's author chose, so a token it would accept must
 * be one that neither the API server nor another experiment's intake accepts.
 */
export function intakeAudience(experiment: { namespace: string; name: string }): string {
  return `${GROUP}/${experiment.namespace}/${experiment.name}`;
}

/** What a researcher needs to rate in this experiment. */
export function rateAccess(experiment: { namespace: string; name: string }): AccessAttributes {
  return {
    resource: {
      namespace: experiment.namespace,
      verb: 'create',
      group: GROUP,
      resource: PLURAL,
      subresource: RATINGS_SUBRESOURCE,
      name: experiment.name,
    },
  };
}

/**
 * The body with the researcher set to the authenticated user, or why not: every rating object of
 * the body (one, or each of an array) may omit `researcher` or repeat the username, nothing else.
 * Anything that is not an object is left for the intake's own validation.
 */
export function recordAsUser(
  body: unknown,
  username: string,
): { ok: true; body: unknown } | { ok: false; reasons: string[] } {
  const reasons: string[] = [];
  const rewrite = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const researcher = (item as { researcher?: unknown }).researcher;
    if (researcher !== undefined && researcher !== username) {
      reasons.push(
        `researcher ${JSON.stringify(researcher)} is not the authenticated user "${username}": omit it, ratings are recorded under the authenticated user`,
      );
    }
    return { ...item, researcher: username };
  };
  const rewritten = Array.isArray(body) ? body.map(rewrite) : rewrite(body);
  return reasons.length > 0 ? { ok: false, reasons: [...new Set(reasons)] } : { ok: true, body: rewritten };
}

/** Express middleware for the intake's API routes; a no-op while the experiment says None. */
export function raterAuthentication(options: RaterAuthenticationOptions): RequestHandler {
  const { auth, logger } = options;
  const decisions = new Counter({
    name: 'ratings_producer_intake_auth_total',
    help: 'Requests to the intake checked with Kubernetes authentication, by result (allowed, unauthenticated, forbidden, unavailable: the API server could not decide).',
    labelNames: ['result'] as const,
    registers: [options.registry],
  });
  const access = rateAccess(options.experiment);
  const realm = `${options.experiment.namespace}/${options.experiment.name}`;
  const audience = intakeAudience(options.experiment);
  return (req, res, next) => {
    if (options.mode() !== 'Kubernetes') {
      next();
      return;
    }
    checkRequest(auth, req.headers.authorization, access, realm, audience).then((result) => {
      if ('refusal' in result) {
        const { status, headers, body } = result.refusal;
        const label = status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'unavailable';
        decisions.inc({ result: label });
        if (status === 503) logger.warn({ reason: body.reason }, 'cannot check who rates: answering 503');
        res.status(status).set(headers).json(body);
        return;
      }
      decisions.inc({ result: 'allowed' });
      // For routes that read their body after this check (the bulk import): who to record.
      res.locals.rater = result.user.username;
      const recorded = recordAsUser(req.body, result.user.username);
      if (!recorded.ok) {
        res.status(400).json({ error: 'invalid rating', reasons: recorded.reasons });
        return;
      }
      req.body = recorded.body;
      next();
    }, next);
  };
}
