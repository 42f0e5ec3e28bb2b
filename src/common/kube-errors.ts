// The ways a request to the API server fails, as errors that keep what the server said; how each
// is classed for retrying is declared with its code (errors.ts).
import { classOfStatus, codedError } from './errors.ts';

/** A response with an error status, with the Status reason and message the server gave. */
export class ApiError extends codedError('RATINGS_KUBE_API_ERROR', { errorClass: 'terminal' }) {
  readonly status: number;
  readonly reason: string;
  /** The server's own message (the Status `message`), without our prefix. */
  readonly serverMessage: string;
  /** Seconds from a Retry-After header (429, 503), when given. */
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, reason: string, message: string, serverMessage = message, retryAfter?: number) {
    super(message, { errorClass: classOfStatus(status) });
    this.status = status;
    this.reason = reason;
    this.serverMessage = serverMessage;
    this.retryAfterSeconds = retryAfter;
  }
}

/** A request that did not complete within its deadline (it may or may not have taken effect). */
export class RequestTimeoutError extends codedError('RATINGS_KUBE_TIMEOUT', { errorClass: 'transient' }) {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super(`${what}: no complete answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.status === 409;
export const isGone = (err: unknown): boolean => err instanceof ApiError && err.status === 410;

/** What to tell a user about a failed request: the API server's own message when it gave one. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.serverMessage;
  return err instanceof Error ? err.message : String(err);
}
