// What the writes of one reconcile achieved, as the status and the retry policy judge them.
import { codedError, combinedClass } from '../../common/errors.ts';

/** A write of this reconcile that the API server did not accept. */
export interface ApplyFailure {
  /** `Deployment appdev/erb-consumer` and the like. */
  what: string;
  /** The API server's message (or the network error's). */
  message: string;
  /** Refused for good (invalid, forbidden, denied by admission) rather than failed for now. */
  terminal: boolean;
}

/**
 * Some writes of a reconcile failed. The status already says so (Ready=False with the API
 * server's message); it is transient, and retried with backoff, when any one failure may pass.
 */
export class ApplyFailuresError extends codedError('RATINGS_APPLY_FAILED', { errorClass: 'terminal' }) {
  readonly failures: readonly ApplyFailure[];
  constructor(failures: readonly ApplyFailure[]) {
    super(`could not apply ${failures.map((f) => `${f.what}: ${f.message}`).join('; ')}`, {
      errorClass: combinedClass(failures.map((f) => (f.terminal ? 'terminal' : 'transient'))),
    });
    this.failures = failures;
  }
}
