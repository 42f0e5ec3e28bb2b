// TotalsCurrent: whether the consumers' checkpoints are overdue while records wait, and when a
// fresh one would turn stale (so that the controller looks again then, with no event to wake it).
import { Reason } from '../../api/v1alpha1.ts';
import type { Health } from './health.ts';

/** What the consumers reported about their checkpoints, for the staleness check. */
export interface CheckpointReport {
  /** status.lag: records not yet covered by a checkpoint, as last written. */
  lag?: number;
  /** status.checkpointedAt. */
  checkpointedAt?: string;
  /** spec.consumer.checkpointIntervalSeconds, resolved. */
  intervalSeconds: number;
}

// One message whatever the age: a message that changed with time would cause a status write per reconcile.
const NOT_OVERDUE = 'no checkpoint is overdue';

/** A checkpoint older than this, while records wait, means the consumers cannot write their status. */
export function staleAfterMs(intervalSeconds: number): number {
  return Math.max(60, 6 * intervalSeconds) * 1000;
}

/**
 * TotalsCurrent: stale when the consumers last reported lag > 0 and their last checkpoint is older
 * than staleAfterMs. Without a lag or a checkpoint time there is nothing to judge (the consumers
 * have not written yet: ConsumerAvailable speaks for them).
 */
export function checkpointHealth(report: CheckpointReport | undefined, now: Date): Health {
  const at = report?.checkpointedAt === undefined ? NaN : Date.parse(report.checkpointedAt);
  const lag = report?.lag ?? 0;
  if (report === undefined || lag <= 0 || Number.isNaN(at)) {
    return { ok: true, reason: Reason.CheckpointRecent, message: NOT_OVERDUE };
  }
  const age = now.getTime() - at;
  const limit = staleAfterMs(report.intervalSeconds);
  if (age <= limit) {
    return { ok: true, reason: Reason.CheckpointRecent, message: NOT_OVERDUE };
  }
  return {
    ok: false,
    reason: Reason.CheckpointStale,
    message: `${lag} records wait and the consumers have written no checkpoint for ${Math.round(age / 1000)} s (interval ${report.intervalSeconds} s): the totals are not current; can the consumer pods write the experiment's status?`,
  };
}

/** When a currently fresh checkpoint would turn stale (ms from now), so that it is checked then. */
export function msUntilStale(report: CheckpointReport | undefined, now: Date): number | undefined {
  const at = report?.checkpointedAt === undefined ? NaN : Date.parse(report.checkpointedAt);
  if (report === undefined || (report.lag ?? 0) <= 0 || Number.isNaN(at)) return undefined;
  const left = at + staleAfterMs(report.intervalSeconds) - now.getTime();
  return left >= 0 ? left + 1_000 : undefined;
}
