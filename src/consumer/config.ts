// The consumer's configuration: the pod's environment first, then what its experiment says.
// Every problem is reported at once, with a non-zero exit (docs/design.md section 6).
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { EnvReader } from '../common/env.ts';
import { readKubeRequestTimeout } from '../common/kube-request.ts';
import { SPEC_BOUNDS, SPEC_DEFAULTS } from '../model/spec.ts';
import {
  readExperimentPodEnv,
  resolveKafkaTarget,
  type ExperimentPodEnv,
  type KafkaTarget,
} from '../common/pod-env.ts';

export interface ConsumerEnv extends ExperimentPodEnv {
  /** The deadline of each request to the API server (KUBE_REQUEST_TIMEOUT_MS). */
  kubeRequestTimeoutMs: number;
  /** Counting threads, each a consumer group member (CONSUMER_WORKERS, from spec.consumer.workers). */
  workers: number;
}

export function readConsumerEnv(env: Record<string, string | undefined> = process.env): ConsumerEnv {
  const reader = new EnvReader(env);
  const config = readExperimentPodEnv(reader, env);
  const kubeRequestTimeoutMs = readKubeRequestTimeout(reader);
  const [min, max] = SPEC_BOUNDS['consumer.workers'];
  const workers = reader.integer('CONSUMER_WORKERS', SPEC_DEFAULTS.consumer.workers, { min, max });
  reader.done();
  return { ...config, kubeRequestTimeoutMs, workers };
}

export interface ConsumerTarget extends KafkaTarget {
  /** One consumer group per experiment: its members share the partitions. */
  groupId: string;
}

export function kafkaTarget(env: ConsumerEnv, experiment: RatingExperiment): ConsumerTarget {
  return { ...resolveKafkaTarget(env, experiment), groupId: `ratings-consumer.${env.namespace}.${env.name}` };
}

/** Milliseconds between two checkpoints, from the spec's seconds (the CRD defaults and bounds them). */
export function checkpointIntervalMs(experiment: RatingExperiment): number {
  const seconds = experiment.spec.consumer?.checkpointIntervalSeconds ?? 5;
  return Math.min(Math.max(seconds, 1), 300) * 1000;
}
