// The consumer's configuration: the pod's environment first, then what its experiment says.
// Every problem is reported at once, with a non-zero exit (DESIGN.md section 6).
import { hostname } from 'node:os';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { ConfigError, EnvReader } from '../common/env.ts';
import { defaultTopicName } from '../model/names.ts';

export interface ConsumerEnv {
  namespace: string;
  name: string;
  /** Overrides the experiment's bootstrap address when set. */
  brokers: string[] | undefined;
  /** Overrides the experiment's topic when set. */
  topic: string | undefined;
  port: number;
  podName: string;
}

export function readConsumerEnv(env: Record<string, string | undefined> = process.env): ConsumerEnv {
  const reader = new EnvReader(env);
  const config: ConsumerEnv = {
    namespace: reader.kubernetesName('EXPERIMENT_NAMESPACE'),
    name: reader.kubernetesName('EXPERIMENT_NAME'),
    brokers: reader.brokerList('KAFKA_BOOTSTRAP_SERVERS'),
    topic: reader.optionalString('KAFKA_TOPIC'),
    port: reader.integer('PORT', 8080, { min: 0, max: 65535 }),
    podName: reader.optionalString('POD_NAME') ?? hostname(),
  };
  reader.done();
  return config;
}

export interface KafkaTarget {
  brokers: string[];
  topic: string;
  /** One consumer group per experiment: its members share the partitions. */
  groupId: string;
}

/**
 * Where to consume from: the environment's overrides, else the address and topic the
 * controller resolved into the status (the topic also falls back to the spec and its default).
 */
export function kafkaTarget(env: ConsumerEnv, experiment: RatingExperiment): KafkaTarget {
  // The controller resolves the address (spec override or the Kafka's listeners) into the status.
  const brokers = env.brokers ?? experiment.status?.bootstrapServers?.split(',').map((b) => b.trim());
  if (brokers === undefined || brokers.length === 0) {
    throw new ConfigError([
      `no Kafka bootstrap servers: set KAFKA_BOOTSTRAP_SERVERS, or let the controller resolve status.bootstrapServers of ${env.namespace}/${env.name}`,
    ]);
  }
  return {
    brokers,
    topic: env.topic ?? experiment.status?.topic ?? experiment.spec.topic?.name ?? defaultTopicName(env.name),
    groupId: `ratings-consumer.${env.namespace}.${env.name}`,
  };
}

/** Seconds between two checkpoints, from the spec (the CRD defaults and bounds it). */
export function checkpointIntervalMs(experiment: RatingExperiment): number {
  const seconds = experiment.spec.consumer?.checkpointIntervalSeconds ?? 5;
  return Math.min(Math.max(seconds, 1), 300) * 1000;
}
