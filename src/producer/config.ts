// The producer's configuration: the environment first (the controller sets it on the pod),
// then what the experiment's status and spec say.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { ConfigError, EnvReader } from '../common/env.ts';
import { defaultTopicName } from '../model/names.ts';

export interface ProducerConfig {
  namespace: string;
  name: string;
  /** KAFKA_BOOTSTRAP_SERVERS; when absent, status.bootstrapServers of the experiment. */
  bootstrapServers: string[] | undefined;
  /** KAFKA_TOPIC; when absent, the experiment's status.topic or spec.topic.name. */
  topic: string | undefined;
  port: number;
  podName: string;
  pollIntervalMs: number;
  /** How long a POST waits for the broker's acknowledgement before answering 503. */
  ackTimeoutMs: number;
}

// Kafka's own rule for topic names.
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Reads and checks every variable, throwing one ConfigError that lists all problems. */
export function readProducerConfig(env: Record<string, string | undefined>): ProducerConfig {
  const reader = new EnvReader(env);
  const namespace = reader.kubernetesName('EXPERIMENT_NAMESPACE');
  const name = reader.kubernetesName('EXPERIMENT_NAME');
  const bootstrapServers = reader.brokerList('KAFKA_BOOTSTRAP_SERVERS');
  const topic = reader.optionalString('KAFKA_TOPIC');
  if (topic !== undefined && !TOPIC_NAME.test(topic)) {
    reader.fail(`KAFKA_TOPIC must be a Kafka topic name (letters, digits, '.', '_', '-'), got "${topic}"`);
  }
  const port = reader.integer('PORT', 8080, { min: 0, max: 65535 });
  const podName = reader.string('POD_NAME', env.HOSTNAME ?? 'producer');
  const pollSeconds = reader.integer('EXPERIMENT_POLL_SECONDS', 10, { min: 1, max: 3600 });
  const ackTimeoutSeconds = reader.integer('ACK_TIMEOUT_SECONDS', 15, { min: 1, max: 300 });
  reader.done();
  return {
    namespace,
    name,
    bootstrapServers,
    topic,
    port,
    podName,
    pollIntervalMs: pollSeconds * 1000,
    ackTimeoutMs: ackTimeoutSeconds * 1000,
  };
}

export interface KafkaTarget {
  brokers: string[];
  topic: string;
}

/**
 * Where to produce: the environment overrides the experiment. The topic falls back to the
 * status (what the controller created), then the spec, then the default name.
 */
export function resolveKafkaTarget(config: ProducerConfig, experiment: RatingExperiment): KafkaTarget {
  const fromStatus = experiment.status?.bootstrapServers
    ?.split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const brokers = config.bootstrapServers ?? fromStatus;
  if (brokers === undefined || brokers.length === 0) {
    throw new ConfigError([
      `no Kafka bootstrap servers: set KAFKA_BOOTSTRAP_SERVERS, or wait until the controller writes status.bootstrapServers of RatingExperiment ${config.namespace}/${config.name}`,
    ]);
  }
  const topic =
    config.topic ?? experiment.status?.topic ?? experiment.spec.topic?.name ?? defaultTopicName(config.name);
  return { brokers, topic };
}
