// Pure logic of the topic-operator stand-in: what a KafkaTopic asks for, what to change in
// Kafka to get there, and the status that reports it. No I/O here.
import type { KubeObject, ObjectMeta } from '../../src/common/kube-resources.ts';

/** The finalizer Strimzi's topic operator puts on KafkaTopics; deleting one deletes the topic. */
export const TOPIC_FINALIZER = 'strimzi.io/topic-operator';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface KafkaTopicStatus {
  observedGeneration?: number;
  topicName?: string;
  /** Kafka's ID of the topic (Uuid#toString), as Strimzi reports it once the topic exists. */
  topicId?: string;
  conditions?: Condition[];
}

export interface KafkaTopic extends KubeObject {
  metadata: ObjectMeta;
  spec?: {
    topicName?: string;
    partitions?: number;
    replicas?: number;
    config?: Record<string, string | number | boolean>;
  };
  status?: KafkaTopicStatus;
}

/** The topic as Kafka should have it. Unset counts mean the broker's defaults. */
export interface DesiredTopic {
  name: string;
  partitions?: number;
  replicas?: number;
  config: Record<string, string>;
}

/** The topic as Kafka has it; `config` holds only the values set on the topic itself. */
export interface ObservedTopic {
  partitions: number;
  replicas: number;
  config: Record<string, string>;
}

export type TopicAction =
  | { kind: 'create'; topic: DesiredTopic }
  | { kind: 'addPartitions'; count: number }
  | { kind: 'alterConfig'; config: Record<string, string> };

/** Why the topic cannot be made as asked, in Strimzi's vocabulary of reasons. */
export interface TopicProblem {
  reason: string;
  message: string;
}

export interface TopicPlan {
  actions: TopicAction[];
  problems: TopicProblem[];
}

export function topicName(kt: KafkaTopic): string {
  return kt.spec?.topicName ?? kt.metadata.name ?? '';
}

export function desiredTopic(kt: KafkaTopic): DesiredTopic {
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(kt.spec?.config ?? {})) config[key] = String(value);
  return { name: topicName(kt), partitions: kt.spec?.partitions, replicas: kt.spec?.replicas, config };
}

/** What the spec says that no broker could accept, before asking Kafka. */
export function specProblems(topic: DesiredTopic): TopicProblem[] {
  const problems: TopicProblem[] = [];
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic.name) || topic.name === '.' || topic.name === '..') {
    problems.push({ reason: 'InvalidResource', message: `"${topic.name}" is not a legal Kafka topic name` });
  }
  for (const field of ['partitions', 'replicas'] as const) {
    const value = topic[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      problems.push({
        reason: 'InvalidResource',
        message: `spec.${field} must be a positive integer, got ${value}`,
      });
    }
  }
  return problems;
}

/** The changes that bring Kafka from `observed` (undefined: no such topic) to `desired`. */
export function planTopic(desired: DesiredTopic, observed: ObservedTopic | undefined): TopicPlan {
  if (observed === undefined) return { actions: [{ kind: 'create', topic: desired }], problems: [] };
  const actions: TopicAction[] = [];
  const problems: TopicProblem[] = [];
  if (desired.partitions !== undefined && desired.partitions > observed.partitions) {
    actions.push({ kind: 'addPartitions', count: desired.partitions });
  } else if (desired.partitions !== undefined && desired.partitions < observed.partitions) {
    problems.push({
      reason: 'NotSupported',
      message: `decreasing partitions is not supported (topic has ${observed.partitions}, spec asks ${desired.partitions})`,
    });
  }
  if (desired.replicas !== undefined && desired.replicas !== observed.replicas) {
    problems.push({
      reason: 'NotSupported',
      message: `changing the replication factor is not supported (topic has ${observed.replicas}, spec asks ${desired.replicas})`,
    });
  }
  if (!sameConfig(desired.config, observed.config))
    actions.push({ kind: 'alterConfig', config: desired.config });
  return { actions, problems };
}

function sameConfig(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

/**
 * The KafkaTopic that owns a topic name when several ask for it: the oldest, as in Strimzi.
 * Returns undefined when `kt` is the owner.
 */
export function conflictingOwner(kt: KafkaTopic, all: readonly KafkaTopic[]): KafkaTopic | undefined {
  const name = topicName(kt);
  const rivals = all.filter(
    (other) => other.metadata.uid !== kt.metadata.uid && topicName(other) === name && !isBeingDeleted(other),
  );
  return rivals.find((other) => compareAge(other, kt) < 0);
}

function compareAge(a: KafkaTopic, b: KafkaTopic): number {
  // A string on the wire (RFC 3339).
  const time = (kt: KafkaTopic) =>
    new Date((kt.metadata.creationTimestamp as string | undefined) ?? 0).getTime();
  const key = (kt: KafkaTopic) => `${kt.metadata.namespace ?? ''}/${kt.metadata.name ?? ''}`;
  return time(a) - time(b) || key(a).localeCompare(key(b));
}

export function isBeingDeleted(kt: KafkaTopic): boolean {
  return kt.metadata.deletionTimestamp !== undefined && kt.metadata.deletionTimestamp !== null;
}

export type TopicOutcome =
  { ready: true; message: string; topicId?: string } | { ready: false; reason: string; message: string };

/**
 * The status to report. The Ready condition keeps its lastTransitionTime unless its status
 * flips, so that reconciling an unchanged topic yields an identical status (and no write).
 */
export function topicStatus(kt: KafkaTopic, outcome: TopicOutcome, now: Date): KafkaTopicStatus {
  const previous = kt.status?.conditions?.find((c) => c.type === 'Ready');
  const status: Condition['status'] = outcome.ready ? 'True' : 'False';
  const ready: Condition = {
    type: 'Ready',
    status,
    reason: outcome.ready ? 'TopicReady' : outcome.reason,
    message: outcome.message,
    lastTransitionTime:
      previous !== undefined && previous.status === status ? previous.lastTransitionTime : now.toISOString(),
  };
  const result: KafkaTopicStatus = { observedGeneration: kt.metadata.generation, topicName: topicName(kt) };
  if (outcome.ready && outcome.topicId !== undefined) result.topicId = outcome.topicId;
  result.conditions = [ready];
  return result;
}

export function sameStatus(a: KafkaTopicStatus | undefined, b: KafkaTopicStatus): boolean {
  return JSON.stringify(canonical(a ?? {})) === JSON.stringify(canonical(b));
}

/** Key-sorted copy, so that field order from the API server does not count as a change. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value instanceof Date ? value.toISOString() : value;
}
