// The rating wire format (docs/design.md §5), shared by the producer that writes it and the consumer
// that counts it. Pure functions only.
//
// Decisions, applied the same way to Kafka records and to HTTP submissions:
// - A rating is valid only if it fits the experiment's catalog: known battle, two distinct
//   known voices, an integer rating that indexes the scale. Battles are checked too, so a
//   record the HTTP intake would refuse is never counted either.
// - Names are compared exactly (no case folding, no Unicode normalisation): the catalog is the
//   spelling. In the pipe format each field is trimmed first; catalog names cannot start or end
//   with whitespace (the CRD forbids it), so trimming never changes which name is meant.
// - The pipe format carries the rating as the scale index (digits only), as the original did;
//   labels such as "Liked" are not accepted there, nor in JSON: one spelling per value.
// - JSON v1 records may carry fields this version does not know (forward compatible); an HTTP
//   submission may not, so that a typo such as "ratting" is reported instead of ignored.
import { randomUUID } from 'node:crypto';
import type { Catalog } from './catalog.ts';
import { isTimestamp, scanCanonicalRating } from './canonical-rating.ts';

export const RATING_VERSION = 1;

/** Larger records are rejected before decoding; a v1 rating is a few hundred bytes. */
export const MAX_RECORD_BYTES = 64 * 1024;

export const MAX_RESEARCHER_LENGTH = 128;

/** A rating as written to Kafka (JSON, one per record, keyed by battle). */
export interface Rating {
  v: typeof RATING_VERSION;
  id: string;
  battle: string;
  voices: [string, string];
  /** Index into the experiment's scale. */
  rating: number;
  researcher: string;
  /** ISO 8601 timestamp. */
  ratedAt: string;
}

/** What a record contributes to the totals: `rating` added to both voices. */
export interface ParsedRating {
  readonly battle: string;
  readonly voices: readonly [string, string];
  readonly rating: number;
}

export type ParseResult = { ok: true; rating: ParsedRating } | { ok: false; reason: string };

/** The body of `POST /api/ratings`; the producer adds v, id and ratedAt. */
export interface Submission {
  battle: string;
  voices: [string, string];
  rating: number;
  researcher: string;
}

export type SubmissionResult = { ok: true; submission: Submission } | { ok: false; reasons: string[] };

const SUBMISSION_FIELDS: ReadonlySet<string> = new Set(['battle', 'voices', 'rating', 'researcher']);

/**
 * Parses one Kafka record value, JSON v1 or the original `battle|voice1|voice2|rating`.
 * Called for every record the consumer reads, so the accepting path avoids regular
 * expressions and allocates little beyond the decoded text.
 */
export function parseRecord(value: Buffer | string | null | undefined, catalog: Catalog): ParseResult {
  if (value === null || value === undefined) return reject('empty record (no value)');
  if (value.length > MAX_RECORD_BYTES)
    return reject(`record too large (${value.length} > ${MAX_RECORD_BYTES} bytes)`);
  const text = typeof value === 'string' ? value : value.toString('utf8');

  let start = 0;
  while (start < text.length && text.charCodeAt(start) <= 0x20) start++;
  if (start === text.length) return reject('empty record');
  const first = text.charCodeAt(start);
  return first === 0x7b /* { */ || first === 0x5b /* [ */
    ? parseJson(text, catalog)
    : parsePipe(text, catalog);
}

function parseJson(text: string, catalog: Catalog): ParseResult {
  let doc: unknown = scanCanonicalRating(text);
  if (doc === undefined) {
    try {
      doc = JSON.parse(text);
    } catch {
      return reject('malformed JSON');
    }
  }
  if (!isPlainObject(doc)) return reject('JSON rating must be an object');
  const { v, id, battle, voices, rating, researcher, ratedAt } = doc;
  if (v !== RATING_VERSION) {
    return reject(v === undefined ? 'v is required' : `unsupported version v=${quote(String(v))}`);
  }
  if (typeof id !== 'string' || id === '') return reject('id must be a non-empty string');
  const problem =
    battleProblem(battle, catalog) ??
    voicesProblem(voices, catalog) ??
    ratingProblem(rating, catalog) ??
    researcherProblem(researcher);
  if (problem !== undefined) return reject(problem);
  if (typeof ratedAt !== 'string' || !isTimestamp(ratedAt)) {
    return reject('ratedAt must be an ISO 8601 timestamp');
  }
  return {
    ok: true,
    rating: { battle: battle as string, voices: voices as [string, string], rating: rating as number },
  };
}

function parsePipe(text: string, catalog: Catalog): ParseResult {
  const p1 = text.indexOf('|');
  const p2 = p1 < 0 ? -1 : text.indexOf('|', p1 + 1);
  const p3 = p2 < 0 ? -1 : text.indexOf('|', p2 + 1);
  if (p3 < 0) return reject('neither JSON nor a pipe record battle|voice1|voice2|rating');
  if (text.indexOf('|', p3 + 1) >= 0) return reject('pipe record has more than 4 fields');

  const battle = text.slice(0, p1).trim();
  const a = text.slice(p1 + 1, p2).trim();
  const b = text.slice(p2 + 1, p3).trim();
  const rating = parseIndex(text.slice(p3 + 1).trim());
  const problem =
    battleProblem(battle, catalog) ??
    voicePairProblem(a, b, catalog) ??
    (Number.isNaN(rating) ? 'rating must be a scale index (digits only)' : ratingProblem(rating, catalog));
  if (problem !== undefined) return reject(problem);
  return { ok: true, rating: { battle, voices: [a, b], rating } };
}

/** Non-negative decimal integer of at most 6 digits, NaN otherwise (no Number() quirks: "1e0", " ", "0x1"). */
function parseIndex(digits: string): number {
  if (digits.length === 0 || digits.length > 6) return NaN;
  let n = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** Checks a `POST /api/ratings` body, reporting every problem rather than the first. */
export function validateSubmission(body: unknown, catalog: Catalog): SubmissionResult {
  if (!isPlainObject(body)) {
    return { ok: false, reasons: ['body must be a JSON object {battle, voices, rating, researcher}'] };
  }
  const reasons: string[] = [];
  for (const key of Object.keys(body)) {
    if (!SUBMISSION_FIELDS.has(key)) reasons.push(`unexpected field ${quote(key)}`);
  }
  for (const problem of [
    battleProblem(body.battle, catalog),
    voicesProblem(body.voices, catalog),
    ratingProblem(body.rating, catalog),
    researcherProblem(body.researcher),
  ]) {
    if (problem !== undefined) reasons.push(problem);
  }
  if (reasons.length > 0) return { ok: false, reasons };
  const { battle, voices, rating, researcher } = body as unknown as Submission;
  return { ok: true, submission: { battle, voices: [voices[0], voices[1]], rating, researcher } };
}

/**
 * A new rating from a submission: a fresh id and the time it was taken in, in ISO 8601 (callers
 * that take in many ratings at one moment format it once: `toISOString` costs as much as the rest).
 */
export function createRating(
  submission: Submission,
  id: string = randomUUID(),
  ratedAt: string = new Date().toISOString(),
): Rating {
  return {
    v: RATING_VERSION,
    id,
    battle: submission.battle,
    voices: [submission.voices[0], submission.voices[1]],
    rating: submission.rating,
    researcher: submission.researcher,
    ratedAt,
  };
}

/**
 * Strings as JSON writes them, remembered: battles, voices and researchers recur in almost every
 * rating, and a lookup costs a fraction of escaping them again (bench/README.md,
 * "bench:producer"). Bounded: emptied when full, so that names seen once (client ids,
 * researchers from the intake) cannot grow it, and the recurring ones come back at once.
 */
const quoted = new Map<string, string>();
const MAX_QUOTED = 4096;

function jsonString(value: string): string {
  let json = quoted.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    if (quoted.size >= MAX_QUOTED) quoted.clear();
    quoted.set(value, json);
  }
  return json;
}

/**
 * The record value of a rating, with the fields in the documented order: exactly what
 * JSON.stringify writes for them. The id and time differ in every rating, so they are not
 * remembered; `v` and `rating` are integers (validated), which JSON and templates write alike.
 */
export function encodeRating(rating: Rating): string {
  return (
    `{"v":${rating.v},"id":${JSON.stringify(rating.id)},"battle":${jsonString(rating.battle)},` +
    `"voices":[${jsonString(rating.voices[0])},${jsonString(rating.voices[1])}],"rating":${rating.rating},` +
    `"researcher":${jsonString(rating.researcher)},"ratedAt":${JSON.stringify(rating.ratedAt)}}`
  );
}

function battleProblem(battle: unknown, catalog: Catalog): string | undefined {
  if (battle === undefined) return 'battle is required';
  if (typeof battle !== 'string') return 'battle must be a string';
  if (battle === '') return 'battle must not be empty';
  if (!catalog.battleSet.has(battle)) return `unknown battle ${quote(battle)}`;
  return undefined;
}

function voicesProblem(voices: unknown, catalog: Catalog): string | undefined {
  if (voices === undefined) return 'voices is required';
  if (!Array.isArray(voices) || voices.length !== 2) return 'voices must be an array of two voice names';
  const [a, b] = voices as unknown[];
  if (typeof a !== 'string' || typeof b !== 'string') return 'voices must be an array of two voice names';
  return voicePairProblem(a, b, catalog);
}

function voicePairProblem(a: string, b: string, catalog: Catalog): string | undefined {
  const knownA = catalog.voiceSet.has(a);
  const knownB = catalog.voiceSet.has(b);
  if (!knownA && !knownB)
    return a === b ? `unknown voice ${quote(a)}` : `unknown voices ${quote(a)}, ${quote(b)}`;
  if (!knownA) return `unknown voice ${quote(a)}`;
  if (!knownB) return `unknown voice ${quote(b)}`;
  if (a === b) return `the two voices must differ, got ${quote(a)} twice`;
  return undefined;
}

function ratingProblem(rating: unknown, catalog: Catalog): string | undefined {
  if (rating === undefined) return 'rating is required';
  if (
    typeof rating === 'number' &&
    Number.isInteger(rating) &&
    rating >= 0 &&
    rating < catalog.scale.length
  ) {
    return undefined;
  }
  const labels = catalog.scale.map((label, i) => `${i}=${label}`).join(', ');
  return `rating must be an integer from 0 to ${catalog.scale.length - 1} (${labels})`;
}

function researcherProblem(researcher: unknown): string | undefined {
  if (researcher === undefined) return 'researcher is required';
  if (typeof researcher !== 'string' || researcher.trim() === '')
    return 'researcher must be a non-empty string';
  if (researcher.length > MAX_RESEARCHER_LENGTH) {
    return `researcher must be at most ${MAX_RESEARCHER_LENGTH} characters`;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value quoted for a message, cut short so that a huge field cannot flood the logs. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function reject(reason: string): ParseResult {
  return { ok: false, reason };
}
