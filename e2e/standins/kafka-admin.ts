// The Kafka side of the topic-operator stand-in: reads a topic's shape and applies changes
// through the kafkajs admin API, and tells Kafka's refusals apart from connection trouble.
import kafkajs, { type Admin } from 'kafkajs';
import { createKafkaClient } from '../../src/common/kafka.ts';
import type { Logger } from '../../src/common/logger.ts';
import type { DesiredTopic, ObservedTopic, TopicAction } from './kafka-topic.ts';

const { ConfigResourceTypes, ConfigSource } = kafkajs;

export function createKafkaAdmin(brokers: string[], clientId: string, logger: Logger): Admin {
  return createKafkaClient({ clientId, brokers, logger }).admin();
}

/**
 * The partitions of one topic, undefined when Kafka has no such topic. Asks for that topic only:
 * listing every topic on each reconcile made the stand-in quadratic, and with thousands of
 * KafkaTopics its Metadata requests timed out and topics stayed unready (bench/README.md,
 * "bench:controller").
 */
async function topicPartitions(admin: Admin, name: string) {
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [name] });
    return metadata.topics[0]?.partitions ?? [];
  } catch (err) {
    if ((err as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return undefined;
    throw err;
  }
}

export async function observeTopic(admin: Admin, name: string): Promise<ObservedTopic | undefined> {
  const partitions = await topicPartitions(admin, name);
  if (partitions === undefined) return undefined;
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name }],
    includeSynonyms: false,
  });
  const config: Record<string, string> = {};
  for (const entry of described.resources[0]?.configEntries ?? []) {
    if (entry.configSource === ConfigSource.TOPIC_CONFIG) config[entry.configName] = entry.configValue;
  }
  return { partitions: partitions.length, replicas: partitions[0]?.replicas.length ?? 0, config };
}

export async function applyTopicAction(admin: Admin, name: string, action: TopicAction): Promise<void> {
  switch (action.kind) {
    case 'create':
      await admin.createTopics({ topics: [toTopicConfig(action.topic)], waitForLeaders: true });
      return;
    case 'addPartitions':
      await admin.createPartitions({ topicPartitions: [{ topic: name, count: action.count }] });
      return;
    case 'alterConfig':
      // AlterConfigs (not the incremental variant) replaces every topic-level value, which is
      // what a declarative spec means: keys removed from the spec go back to the defaults.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name,
            configEntries: Object.entries(action.config).map(([key, value]) => ({ name: key, value })),
          },
        ],
      });
      return;
  }
}

function toTopicConfig(topic: DesiredTopic) {
  return {
    topic: topic.name,
    // -1 lets the broker apply num.partitions / default.replication.factor.
    numPartitions: topic.partitions ?? -1,
    replicationFactor: topic.replicas ?? -1,
    configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
  };
}

export async function deleteTopicIfPresent(admin: Admin, name: string): Promise<boolean> {
  if ((await topicPartitions(admin, name)) === undefined) return false;
  await admin.deleteTopics({ topics: [name] });
  return true;
}

/**
 * Kafka's answer when it refused the request (the broker's error codes), undefined for
 * anything else (connection lost, timeouts) which is worth retrying rather than reporting.
 */
export function kafkaRefusal(err: unknown): string | undefined {
  const errors: unknown[] =
    err instanceof Error && err.name === 'KafkaJSAggregateError'
      ? ((err as { errors?: unknown[] }).errors ?? [])
      : [err];
  const refusals = errors
    .map((e) => (e instanceof Error && typeof (e as { type?: unknown }).type === 'string' ? e : undefined))
    .filter((e): e is Error & { type: string } => e !== undefined)
    .map((e) => `${e.type}: ${e.message}`);
  return refusals.length > 0 && refusals.length === errors.length ? refusals.join('; ') : undefined;
}
