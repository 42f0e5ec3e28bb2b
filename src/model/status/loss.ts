// TotalsExact: ratings the consumers found gone before they were counted, and the annotation with
// which a user acknowledges that loss.
import type { RatingExperimentStatus } from '../../api/v1alpha1.ts';
import { ANNOTATION_ACKNOWLEDGED_LOST, Reason } from '../../api/v1alpha1.ts';
import type { Health } from './health.ts';

/** TotalsExact, and what it does to Ready: a loss keeps Ready False until acknowledged. */
export function totalsExact(
  lost: number | undefined,
  acknowledged: number | undefined,
): Health & { acknowledged: boolean } {
  if (lost === undefined || lost <= 0) {
    return {
      ok: true,
      acknowledged: false,
      reason: Reason.Exact,
      message: 'no acknowledged rating is known to be lost',
    };
  }
  const ack = acknowledged !== undefined && acknowledged >= lost;
  return {
    ok: false,
    acknowledged: ack,
    stalled: !ack,
    reason: Reason.RatingsLost,
    message: `${lost} ratings were gone from the topic before they were counted (retention, compaction or a recreated topic): the totals are short by them${ack ? `; acknowledged (${ANNOTATION_ACKNOWLEDGED_LOST}: ${acknowledged})` : `; to accept the loss, annotate the experiment ${ANNOTATION_ACKNOWLEDGED_LOST}=${lost}`}`,
  };
}

/** The count of ANNOTATION_ACKNOWLEDGED_LOST, when it is a non-negative integer. */
export function acknowledgedLostOf(annotations: Record<string, string> | undefined): number | undefined {
  const value = annotations?.[ANNOTATION_ACKNOWLEDGED_LOST]?.trim();
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** status.lost as the consumers write it (0 when absent or malformed). */
export function lostOf(status: RatingExperimentStatus | undefined): number {
  const lost = (status as { lost?: unknown } | undefined)?.lost;
  return typeof lost === 'number' && Number.isFinite(lost) && lost > 0 ? lost : 0;
}
