// The few fields of Strimzi's kafka.strimzi.io/v1 resources that the operator reads and writes.
// Strimzi publishes no TypeScript types; these follow its CRDs (Kafka, KafkaTopic).
import type { V1ObjectMeta } from '@kubernetes/client-node';

export const STRIMZI_GROUP = 'kafka.strimzi.io';
export const STRIMZI_VERSION = 'v1';
export const STRIMZI_API_VERSION = `${STRIMZI_GROUP}/${STRIMZI_VERSION}`;
export const KAFKA_KIND = 'Kafka';
export const KAFKA_PLURAL = 'kafkas';
export const KAFKA_TOPIC_KIND = 'KafkaTopic';
export const KAFKA_TOPIC_PLURAL = 'kafkatopics';
/** The label by which Strimzi's topic operator picks the KafkaTopics of its cluster. */
export const STRIMZI_CLUSTER_LABEL = 'strimzi.io/cluster';

/** A Strimzi status condition (the metav1.Condition fields Strimzi sets). */
export interface StrimziCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** One entry of Kafka `spec.kafka.listeners`. */
export interface KafkaListenerSpec {
  name: string;
  port?: number;
  type?: string;
  tls?: boolean;
}

/** One entry of Kafka `status.listeners`. */
export interface KafkaListenerStatus {
  name?: string;
  addresses?: { host?: string; port?: number }[];
  bootstrapServers?: string;
}

export interface Kafka {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: { kafka?: { listeners?: KafkaListenerSpec[] } };
  status?: {
    observedGeneration?: number;
    conditions?: StrimziCondition[];
    listeners?: KafkaListenerStatus[];
  };
}

export interface KafkaTopicSpec {
  topicName?: string;
  partitions?: number;
  replicas?: number;
  config?: Record<string, string | number | boolean>;
}

export interface KafkaTopic {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: KafkaTopicSpec;
  status?: {
    observedGeneration?: number;
    conditions?: StrimziCondition[];
    topicName?: string;
    /** Kafka's ID of the topic: a new one when the topic was deleted and created again. */
    topicId?: string;
  };
}
