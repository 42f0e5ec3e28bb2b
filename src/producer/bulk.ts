// `POST /api/ratings/bulk`: ratings recorded elsewhere, imported in one request, as a JSON array
// or as NDJSON (one rating per line). The batch is validated as a whole and taken all or nothing:
// if any line is bad, nothing is written and the answer lists every bad line with its reasons, so
// that the client fixes its file and sends it again without working out which part went in.
import type { Express, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../common/logger.ts';
import type { Catalog } from '../ratings/catalog.ts';
import { createRating, type Rating, type Submission, validateSubmission } from '../ratings/rating.ts';
import { AckTimeout, acknowledgedWithin, refusedWhileUnavailable } from './ack.ts';
import type { BodyBudget } from './body-budget.ts';
import { boundedBody } from './body-reader.ts';
import { type Claim, fingerprint, type IdempotencyWindow, keyProblem } from './idempotency.ts';
import { recordAsUser } from './intake-auth.ts';
import type { LoadShedder } from './shedding.ts';

export const BULK_PATH = '/api/ratings/bulk';
export const NDJSON_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/ndjson'];

export interface BulkLine {
  /** 1-based: the line of an NDJSON body, the position in a JSON array. */
  line: number;
  submission: Submission;
  /** The client's id for the rating (its idempotency key), if it chose one. */
  id: string | undefined;
}

export interface RejectedLine {
  /** 1-based: the line of an NDJSON body, the position in a JSON array. */
  line: number;
  reasons: string[];
}

export type BulkParse =
  | { ok: true; lines: BulkLine[] }
  | { ok: false; status: 400 | 413; error: string; rejected?: RejectedLine[] };

/** Checks a whole bulk body: every line valid, at most `maxRatings`, client ids unique. */
export function parseBulk(
  body: string,
  format: 'json' | 'ndjson',
  catalog: Catalog,
  maxRatings: number,
  /** The authenticated user every rating is recorded under (intake-auth.ts), if any. */
  rater?: string,
): BulkParse {
  let items: { line: number; value: unknown }[];
  const rejected: RejectedLine[] = [];
  if (format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      return { ok: false, status: 400, error: 'body is not valid JSON' };
    }
    if (!Array.isArray(doc)) return { ok: false, status: 400, error: 'body must be a JSON array of ratings' };
    if (doc.length > maxRatings) return tooMany(doc.length, maxRatings);
    items = doc.map((value, i) => ({ line: i + 1, value }));
  } else {
    const lines = body.split('\n');
    const filled = lines.reduce((n, l) => (l.trim() === '' ? n : n + 1), 0);
    if (filled > maxRatings) return tooMany(filled, maxRatings);
    items = [];
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      try {
        items.push({ line: i + 1, value: JSON.parse(text) });
      } catch {
        rejected.push({ line: i + 1, reasons: ['line is not valid JSON'] });
      }
    });
  }
  const malformed = rejected.length;
  if (items.length === 0 && malformed === 0) return { ok: false, status: 400, error: 'no ratings' };

  const lines: BulkLine[] = [];
  const ids = new Map<string, number>();
  for (const { line, value } of items) {
    const reasons: string[] = [];
    let fields = value;
    let id: string | undefined;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'id' in value) {
      const { id: given, ...rest } = value as Record<string, unknown>;
      fields = rest;
      const problem = keyProblem(given);
      if (problem !== undefined) reasons.push(problem);
      else {
        id = given as string;
        const first = ids.get(id);
        if (first !== undefined) reasons.push(`id ${JSON.stringify(id)} is already used on line ${first}`);
        else ids.set(id, line);
      }
    }
    if (rater !== undefined) {
      const recorded = recordAsUser(fields, rater);
      if (recorded.ok) fields = recorded.body;
      else reasons.push(...recorded.reasons);
    }
    const checked = validateSubmission(fields, catalog);
    if (!checked.ok) reasons.push(...checked.reasons);
    if (reasons.length > 0) rejected.push({ line, reasons });
    else if (checked.ok) lines.push({ line, submission: checked.submission, id });
  }
  if (rejected.length > 0) {
    rejected.sort((a, b) => a.line - b.line);
    return {
      ok: false,
      status: 400,
      error: `${rejected.length} of ${items.length + malformed} ratings are invalid; none was taken`,
      rejected,
    };
  }
  return { ok: true, lines };
}

function tooMany(count: number, max: number): BulkParse {
  return { ok: false, status: 413, error: `${count} ratings in one request; at most ${max}` };
}

export interface BulkOptions {
  logger: Logger;
  catalog: () => Catalog;
  /** Resolves when Kafka acknowledged all of `ratings`; `keyed` are the ids clients chose. */
  publish: (ratings: Rating[], catalog: Catalog, keyed: ReadonlySet<string>) => Promise<void>;
  unavailableReason: () => string | undefined;
  ackTimeoutMs: number;
  maxRatings: number;
  maxBytes: number;
  shedder: LoadShedder;
  /** The bytes of all bulk bodies being read or waiting for Kafka, bounded (body-budget.ts). */
  bodyBudget: BodyBudget;
  idempotency: IdempotencyWindow;
  /** Called with the number of ratings answered as duplicates of acknowledged ones (a metric). */
  onDuplicates?: (ratings: number) => void;
  /** Runs before the body is read: who may rate (intake-auth.ts), as for single ratings. */
  authenticateRater?: RequestHandler;
}

/**
 * The bulk route. Mounted before the server's JSON parser (64 KiB), since it reads its own,
 * larger bodies: at most `maxBytes` (413 above), and all of them together at most what the body
 * budget holds (503 above).
 */
export function bulkRoute(options: BulkOptions): (app: Express) => void {
  const readBody = boundedBody({
    types: ['application/json', ...NDJSON_TYPES],
    maxBytes: options.maxBytes,
    budget: options.bodyBudget,
  });
  return (app) => {
    const authenticate: RequestHandler[] =
      options.authenticateRater === undefined ? [] : [options.authenticateRater];
    app.post(BULK_PATH, ...authenticate, readBody, (req, res, next) => {
      handle(options, req, res).catch(next);
    });
  };
}

async function handle(options: BulkOptions, req: Request, res: Response): Promise<void> {
  if (refusedWhileUnavailable(res, options.unavailableReason())) return;
  const format =
    req.is(NDJSON_TYPES) !== false ? 'ndjson' : req.is('application/json') !== false ? 'json' : undefined;
  if (format === undefined || typeof req.body !== 'string') {
    res.status(415).json({ error: `send a JSON array (application/json) or NDJSON (${NDJSON_TYPES[0]})` });
    return;
  }
  const catalog = options.catalog();
  const parsed = parseBulk(
    req.body,
    format,
    catalog,
    options.maxRatings,
    res.locals.rater as string | undefined,
  );
  if (!parsed.ok) {
    res.status(parsed.status).json({ error: parsed.error, rejected: parsed.rejected });
    return;
  }
  const { lines } = parsed;
  if (!options.shedder.tryAdmit(lines.length)) {
    options.shedder.refuse(res);
    return;
  }
  let released = false;
  const claims: (Claim | undefined)[] = [];
  try {
    // Keys first: a line whose id was used for another rating fails the whole batch.
    const conflicts: RejectedLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const { id, submission, line } = lines[i]!;
      const claim =
        id === undefined ? undefined : await options.idempotency.claim(id, fingerprint(submission));
      claims.push(claim);
      if (claim?.kind === 'conflict') {
        conflicts.push({
          line,
          reasons: [`id ${JSON.stringify(id)} was already used for a different rating`],
        });
      }
    }
    if (conflicts.length > 0) {
      for (const claim of claims) if (claim?.kind === 'new') claim.settle(false);
      res
        .status(409)
        .json({ error: 'ids already used for different ratings; none was taken', rejected: conflicts });
      return;
    }
    const ratings: Rating[] = [];
    const ids: string[] = [];
    const keyed = new Set<string>();
    const ratedAt = new Date().toISOString();
    let duplicates = 0;
    for (let i = 0; i < lines.length; i++) {
      const { id, submission } = lines[i]!;
      if (claims[i]?.kind === 'duplicate') {
        duplicates++;
        ids.push(id!);
        continue;
      }
      const rating = createRating(submission, id, ratedAt);
      if (id !== undefined) keyed.add(id);
      ratings.push(rating);
      ids.push(rating.id);
    }
    const published = ratings.length === 0 ? Promise.resolve() : options.publish(ratings, catalog, keyed);
    released = true;
    options.shedder.holdUntil(lines.length, published);
    published.then(
      () => settleAll(claims, true),
      () => settleAll(claims, false),
    );
    const timeoutMessage = `Kafka did not acknowledge the ratings within ${options.ackTimeoutMs / 1000}s; some or all may still be written`;
    try {
      await acknowledgedWithin(published, options.ackTimeoutMs, timeoutMessage);
      if (duplicates > 0) options.onDuplicates?.(duplicates);
      res.status(202).json({ ids, duplicates });
    } catch (err) {
      if (err instanceof AckTimeout) {
        options.logger.warn({ ratings: ratings.length }, 'bulk ratings not acknowledged in time');
        res.status(503).set('Retry-After', '5').json({ error: timeoutMessage, ids });
      } else {
        res.status(502).json({
          error: `Kafka refused the ratings (some may be written; retry with the same ids): ${(err as Error).message}`,
        });
      }
    }
  } finally {
    if (!released) options.shedder.release(lines.length);
  }
}

function settleAll(claims: readonly (Claim | undefined)[], acknowledged: boolean): void {
  for (const claim of claims) if (claim?.kind === 'new') claim.settle(acknowledged);
}
