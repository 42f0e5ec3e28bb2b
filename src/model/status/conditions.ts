// Conditions as written: metav1 transition-time semantics, the controller's part of the status,
// and the comparison that keeps the controller from writing a status that has not changed.
import { cutToLength } from '../../api/api-strings.ts';
import type { Condition, RatingExperimentStatus } from '../../api/v1alpha1.ts';

export type ConditionStatus = Condition['status'];

/** A condition as computed, before mergeConditions gives it a lastTransitionTime. */
export interface DesiredCondition {
  type: string;
  status: ConditionStatus;
  observedGeneration: number;
  reason: string;
  message: string;
}

/** A metav1.Time: RFC 3339 in UTC with second precision. */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The CRD's maxLength of status.conditions[].message, in characters (a unit test keeps them equal). */
export const CONDITION_MESSAGE_MAX_LENGTH = 32768;

/**
 * A message the API server accepts: longer ones (a spec's problems can quote 500 battle titles)
 * are cut, at a character, and end in '…'.
 */
function conditionMessage(message: string): string {
  const cut = cutToLength(message, CONDITION_MESSAGE_MAX_LENGTH);
  return cut === message ? message : `${cutToLength(cut, CONDITION_MESSAGE_MAX_LENGTH - 1)}…`;
}

/**
 * The conditions to write: `desired` in order with lastTransitionTime kept from `existing` when
 * the status did not change (metav1 semantics) and `now` otherwise, then the existing conditions of
 * other types, untouched (they belong to someone else). Messages are cut to the CRD's limit.
 */
export function mergeConditions(
  existing: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  now: Date,
): Condition[] {
  const byType = new Map((existing ?? []).map((c) => [c.type, c]));
  const merged: Condition[] = desired.map((d) => {
    const previous = byType.get(d.type);
    return {
      type: d.type,
      status: d.status,
      observedGeneration: d.observedGeneration,
      lastTransitionTime:
        previous !== undefined && previous.status === d.status
          ? previous.lastTransitionTime
          : formatTime(now),
      reason: d.reason,
      message: conditionMessage(d.message),
    };
  });
  const ours = new Set(desired.map((d) => d.type));
  return [...merged, ...(existing ?? []).filter((c) => !ours.has(c.type))];
}

/** The status fields the controller owns; the consumers own the rest and are never overwritten. */
export interface ControllerStatus {
  observedGeneration: number;
  conditions: Condition[];
  topic?: string;
  /** The topic's incarnation, from the KafkaTopic's status.topicId (Kafka's topic ID). */
  topicId?: string;
  bootstrapServers?: string;
}

/**
 * The controller's part of the next status. `topic` and `bootstrapServers` keep their current
 * values when not given (for example while the spec is invalid).
 */
export function desiredStatus(
  current: RatingExperimentStatus | undefined,
  next: {
    generation: number;
    conditions: readonly DesiredCondition[];
    topic?: string;
    topicId?: string;
    bootstrapServers?: string;
  },
  now: Date,
): ControllerStatus {
  const topic = next.topic ?? current?.topic;
  // A new topic name starts without a known incarnation; otherwise keep the last one seen.
  const topicId = next.topicId ?? (topic === current?.topic ? current?.topicId : undefined);
  const bootstrapServers = next.bootstrapServers ?? current?.bootstrapServers;
  return {
    observedGeneration: next.generation,
    conditions: mergeConditions(current?.conditions, next.conditions, now),
    ...(topic !== undefined && { topic }),
    ...(topicId !== undefined && { topicId }),
    ...(bootstrapServers !== undefined && { bootstrapServers }),
  };
}

function sameCondition(a: Condition | undefined, b: Condition): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration &&
    a.lastTransitionTime === b.lastTransitionTime
  );
}

/** Whether writing `next` would change the current status; when false, write nothing. */
export function statusNeedsUpdate(
  current: RatingExperimentStatus | undefined,
  next: ControllerStatus,
): boolean {
  if (current?.observedGeneration !== next.observedGeneration) return true;
  if (
    current.topic !== next.topic ||
    current.topicId !== next.topicId ||
    current.bootstrapServers !== next.bootstrapServers
  ) {
    return true;
  }
  // By type, not by position: the order of a list-map is not something to write for.
  const existing = current.conditions ?? [];
  if (existing.length !== next.conditions.length) return true;
  const byType = new Map(existing.map((c) => [c.type, c]));
  return next.conditions.some((c) => !sameCondition(byType.get(c.type), c));
}
