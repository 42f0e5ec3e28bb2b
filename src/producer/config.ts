// The producer's configuration: the environment first (the controller sets it on the pod),
// then what the experiment's status and spec say.
import { EnvReader } from '../common/env.ts';
import { readKubeRequestTimeout } from '../common/kube-client.ts';
import { readExperimentPodEnv, type ExperimentPodEnv } from '../common/pod-env.ts';

export interface ProducerConfig extends ExperimentPodEnv {
  pollIntervalMs: number;
  /** How long a POST waits for the broker's acknowledgement before answering 503. */
  ackTimeoutMs: number;
  /** The deadline of each request to the API server (KUBE_REQUEST_TIMEOUT_MS). */
  kubeRequestTimeoutMs: number;
}

/** Reads and checks every variable, throwing one ConfigError that lists all problems. */
export function readProducerConfig(env: Record<string, string | undefined>): ProducerConfig {
  const reader = new EnvReader(env);
  const podEnv = readExperimentPodEnv(reader, env);
  const pollSeconds = reader.integer('EXPERIMENT_POLL_SECONDS', 10, { min: 1, max: 3600 });
  const ackTimeoutSeconds = reader.integer('ACK_TIMEOUT_SECONDS', 15, { min: 1, max: 300 });
  const kubeRequestTimeoutMs = readKubeRequestTimeout(reader);
  reader.done();
  return {
    ...podEnv,
    pollIntervalMs: pollSeconds * 1000,
    ackTimeoutMs: ackTimeoutSeconds * 1000,
    kubeRequestTimeoutMs,
  };
}
