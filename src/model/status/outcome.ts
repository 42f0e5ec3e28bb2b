// What the writes of one reconcile achieved, as the status and the retry policy judge them.

/** A write of this reconcile that the API server did not accept. */
export interface ApplyFailure {
  /** `Deployment appdev/erb-consumer` and the like. */
  what: string;
  /** The API server's message (or the network error's). */
  message: string;
  /** Refused for good (invalid, forbidden, denied by admission) rather than failed for now. */
  terminal: boolean;
}
