// The producer's HTTP face beyond health and metrics: `POST /api/ratings` for real researchers
// and `/`, the recent ratings.
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import type { Logger } from '../common/logger.ts';
import type { Catalog } from '../ratings/catalog.ts';
import { createRating, type Rating, validateSubmission } from '../ratings/rating.ts';
import { AckTimeout, acknowledgedWithin, refusedWhileUnavailable } from './ack.ts';
import { type Claim, fingerprint, type IdempotencyWindow, keyProblem } from './idempotency.ts';
import { renderRecentRatingsPage, type PageModel } from './page.ts';
import type { LoadShedder } from './shedding.ts';

export interface ProducerState {
  stopping: boolean;
  connected: boolean;
  /** Age of the oldest unacknowledged send. */
  stalledMs: number;
}

/** Sends older than this mean the broker is not answering: stop taking ratings in. */
export const STALL_THRESHOLD_MS = 5_000;

/** Why the producer cannot take ratings right now (also its /readyz answer), or undefined. */
export function unavailableReason(state: ProducerState): string | undefined {
  if (state.stopping) return 'shutting down';
  if (!state.connected) return 'connecting to Kafka';
  if (state.stalledMs > STALL_THRESHOLD_MS) {
    return `Kafka has not acknowledged a send for ${Math.round(state.stalledMs / 1000)}s`;
  }
  return undefined;
}

export interface IntakeOptions {
  logger: Logger;
  catalog: () => Catalog;
  /** Resolves when Kafka acknowledged the rating, admitted by `catalog`; `keyed`: the client chose its id. */
  publish: (rating: Rating, catalog: Catalog, keyed: boolean) => Promise<void>;
  unavailableReason: () => string | undefined;
  ackTimeoutMs: number;
  page: () => PageModel;
  shedder: LoadShedder;
  idempotency: IdempotencyWindow;
  /** Called with the number of ratings answered as duplicates of acknowledged ones (a metric). */
  onDuplicates?: (ratings: number) => void;
  /** Runs before the API routes: who may rate (intake-auth.ts). */
  authenticateRater?: RequestHandler;
}

export const RATINGS_PATH = '/api/ratings';

export function intakeRoutes(options: IntakeOptions): (app: Express) => void {
  const { logger, ackTimeoutMs } = options;
  const timeoutMessage = `Kafka did not acknowledge the rating within ${ackTimeoutMs / 1000}s; it may still be written`;

  return (app) => {
    if (options.authenticateRater !== undefined) app.use(RATINGS_PATH, options.authenticateRater);
    app.post(RATINGS_PATH, async (req, res) => {
      if (refusedWhileUnavailable(res, options.unavailableReason())) return;
      const catalog = options.catalog();
      const checked = validateSubmission(req.body, catalog);
      if (!checked.ok) {
        res.status(400).json({ error: 'invalid rating', reasons: checked.reasons });
        return;
      }
      const key = req.get('Idempotency-Key');
      const keyReason = key === undefined ? undefined : keyProblem(key);
      if (keyReason !== undefined) {
        res.status(400).json({ error: 'invalid rating', reasons: [`Idempotency-Key: ${keyReason}`] });
        return;
      }
      if (!options.shedder.tryAdmit(1)) {
        options.shedder.refuse(res);
        return;
      }
      let claim: Claim | undefined;
      try {
        claim =
          key === undefined
            ? undefined
            : await options.idempotency.claim(key, fingerprint(checked.submission));
      } catch (err) {
        options.shedder.release(1);
        throw err;
      }
      if (claim !== undefined && claim.kind !== 'new') {
        options.shedder.release(1);
        if (claim.kind === 'duplicate') {
          options.onDuplicates?.(1);
          res.status(202).json({ id: key, duplicate: true });
        } else
          res.status(409).json({
            error: `Idempotency-Key ${JSON.stringify(key)} was already used for a different rating`,
          });
        return;
      }
      const rating = createRating(checked.submission, key);
      const published = options.publish(rating, catalog, key !== undefined);
      options.shedder.holdUntil(1, published);
      if (claim !== undefined)
        published.then(
          () => claim.settle(true),
          () => claim.settle(false),
        );
      try {
        await acknowledgedWithin(published, ackTimeoutMs, timeoutMessage);
        res.status(202).json({ id: rating.id });
      } catch (err) {
        if (err instanceof AckTimeout) {
          logger.warn({ id: rating.id, ackTimeoutMs }, 'rating not acknowledged in time');
          res.status(503).set('Retry-After', '5').json({ error: timeoutMessage, id: rating.id });
        } else {
          res.status(502).json({ error: `Kafka refused the rating: ${(err as Error).message}` });
        }
      }
    });

    // Bodies express.json could not parse: answered in this endpoint's shape, with reasons.
    const badJson: ErrorRequestHandler = (err: { type?: string }, _req, res, next) => {
      if (err.type === 'entity.parse.failed') {
        res.status(400).json({ error: 'invalid rating', reasons: ['body is not valid JSON'] });
      } else {
        next(err);
      }
    };
    app.use(RATINGS_PATH, badJson);

    app.get('/', (_req, res) => {
      res.type('html').send(renderRecentRatingsPage(options.page()));
    });
  };
}
