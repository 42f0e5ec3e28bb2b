// Waiting for Kafka's acknowledgement with a deadline, shared by the intake's endpoints.

import type { Response } from 'express';
import { codedError } from '../common/errors.ts';

/** Kafka did not acknowledge in time; the send goes on, so the client is told to retry. */
export class AckTimeout extends codedError('RATINGS_KAFKA_ACK_TIMEOUT', { errorClass: 'transient' }) {}

/**
 * Answers 503 with Retry-After when the producer cannot take ratings now (`reason`, from
 * unavailableReason); whether it did.
 */
export function refusedWhileUnavailable(res: Response, reason: string | undefined): boolean {
  if (reason === undefined) return false;
  res
    .status(503)
    .set('Retry-After', '5')
    .json({ error: `not accepting ratings: ${reason}` });
  return true;
}

/** Resolves when `published` does; rejects with AckTimeout after `ms` (the send goes on). */
export async function acknowledgedWithin(
  published: Promise<void>,
  ms: number,
  message: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      published,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AckTimeout(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
