// What the producer and consumer pods are told by their environment (docs/design.md section 6), and
// where they find their topic: the environment overrides what the experiment says.
import { hostname } from 'node:os';
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { defaultTopicName } from '../model/names.ts';
import { ConfigError, type EnvReader } from './env.ts';

export interface ExperimentPodEnv {
  namespace: string;
  name: string;
  /** KAFKA_BOOTSTRAP_SERVERS; when absent, status.bootstrapServers of the experiment. */
  brokers: string[] | undefined;
  /** KAFKA_TOPIC; when absent, the experiment's status.topic, spec.topic.name or default name. */
  topic: string | undefined;
  port: number;
  podName: string;
}

// Kafka's own rule for topic names.
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Reads the variables every data-plane pod has; problems are collected in `reader`. */
export function readExperimentPodEnv(
  reader: EnvReader,
  env: Record<string, string | undefined>,
): ExperimentPodEnv {
  const namespace = reader.kubernetesName('EXPERIMENT_NAMESPACE');
  const name = reader.kubernetesName('EXPERIMENT_NAME');
  const brokers = reader.brokerList('KAFKA_BOOTSTRAP_SERVERS');
  const topic = reader.optionalString('KAFKA_TOPIC');
  if (topic !== undefined && !TOPIC_NAME.test(topic)) {
    reader.fail(`KAFKA_TOPIC must be a Kafka topic name (letters, digits, '.', '_', '-'), got "${topic}"`);
  }
  return {
    namespace,
    name,
    brokers,
    topic,
    port: reader.integer('PORT', 8080, { min: 0, max: 65535 }),
    podName: reader.optionalString('POD_NAME') ?? env.HOSTNAME ?? hostname(),
  };
}

export interface KafkaTarget {
  brokers: string[];
  topic: string;
}

/**
 * The environment's overrides, else what the controller resolved into the status (the spec's
 * bootstrap override or the Kafka's listeners); the topic falls back to the spec and its default.
 */
export function resolveKafkaTarget(env: ExperimentPodEnv, experiment: RatingExperiment): KafkaTarget {
  const fromStatus = experiment.status?.bootstrapServers
    ?.split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const brokers = env.brokers ?? fromStatus;
  if (brokers === undefined || brokers.length === 0) {
    throw new ConfigError([
      `no Kafka bootstrap servers: set KAFKA_BOOTSTRAP_SERVERS, or wait until the controller writes status.bootstrapServers of RatingExperiment ${env.namespace}/${env.name}`,
    ]);
  }
  const topic =
    env.topic ??
    experiment.status?.topic ??
    experiment.spec.topic?.name ??
    defaultTopicName(env.namespace, env.name);
  return { brokers, topic };
}
