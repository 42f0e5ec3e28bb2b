// The ways a request to the API server fails, and which of them are worth retrying. Transient:
// the same request may succeed later without anyone changing anything (a timeout, a dropped
// connection, throttling, a server error, a conflict with a concurrent writer). Terminal: the
// server understood and refused the request (invalid, forbidden, not found, refused by
// admission); repeating it changes nothing until someone changes the input or the cluster.

/** A response with an error status, with the Status reason and message the server gave. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  /** The server's own message (the Status `message`), without our prefix. */
  readonly serverMessage: string;
  /** Seconds from a Retry-After header (429, 503), when given. */
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, reason: string, message: string, serverMessage = message, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.serverMessage = serverMessage;
    this.retryAfterSeconds = retryAfter;
  }
}

/** A request that did not complete within its deadline (it may or may not have taken effect). */
export class RequestTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super(`${what}: no complete answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.status === 409;
export const isGone = (err: unknown): boolean => err instanceof ApiError && err.status === 410;

export type ErrorClass = 'transient' | 'terminal';

/** Socket-level failures: the request may not have reached the server, or its answer was lost. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** HTTP statuses that a later identical request can get past. */
function transientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Transient or terminal, for the retry policy. Errors that are neither an API answer nor a known
 * network failure (a bug, an unexpected exception) count as terminal: retrying them in a loop would
 * hide them.
 */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof RequestTimeoutError) return 'transient';
  if (err instanceof ApiError) return transientStatus(err.status) ? 'transient' : 'terminal';
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return 'transient';
  if (err instanceof Error && /socket hang up/i.test(err.message)) return 'transient';
  return 'terminal';
}

export const isTransient = (err: unknown): boolean => classifyError(err) === 'transient';

/** What to tell a user about a failed request: the API server's own message when it gave one. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.serverMessage;
  return err instanceof Error ? err.message : String(err);
}
