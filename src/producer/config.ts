// The producer's configuration: the environment first (the controller sets it on the pod),
// then what the experiment's status and spec say.
import { getHeapStatistics } from 'node:v8';
import { EnvReader } from '../common/env.ts';
import { readKubeRequestTimeout } from '../common/kube-request.ts';
import { readExperimentPodEnv, type ExperimentPodEnv } from '../common/pod-env.ts';
import { SPEC_BOUNDS, SPEC_DEFAULTS } from '../model/spec.ts';
import { defaultBodyBudgetBytes } from './body-budget.ts';

/**
 * How the pipeline sends, chosen from the profile and the runs of bench/README.md,
 * "bench:producer": several idempotent sessions side by side (each holds one request with the
 * broker at a time), and requests small enough that kafkajs's grouping of messages per
 * partition, which copies the partition's array for every message, stays cheap.
 */
export const PRODUCER_TUNING = { sessions: 4, maxBatchSize: 1000 };

export interface IntakeConfig {
  /** Single ratings (POST /api/ratings) waiting for Kafka before new ones are shed (INTAKE_MAX_PENDING). */
  maxPending: number;
  /** Ratings of one bulk request, at most (INTAKE_BULK_MAX_RATINGS). */
  bulkMaxRatings: number;
  /** Bytes of one bulk body, at most (INTAKE_BULK_MAX_BYTES). */
  bulkMaxBytes: number;
  /** Bulk ratings waiting for Kafka before new bulk requests are shed (INTAKE_BULK_MAX_PENDING). */
  bulkMaxPending: number;
  /**
   * Bytes of bulk bodies being read or waiting for Kafka before new bulk requests are shed
   * (INTAKE_BULK_MAX_PENDING_BYTES; by default a quarter of the V8 heap, which the pod's memory
   * limit sizes).
   */
  bulkMaxPendingBytes: number;
  /** How long an acknowledged idempotency key is remembered (IDEMPOTENCY_WINDOW_SECONDS). */
  idempotencyWindowMs: number;
  /** Idempotency keys remembered at most (IDEMPOTENCY_MAX_KEYS). */
  idempotencyMaxKeys: number;
}

export interface ProducerConfig extends ExperimentPodEnv {
  pollIntervalMs: number;
  /** How long a POST waits for the broker's acknowledgement before answering 503. */
  ackTimeoutMs: number;
  /** The deadline of each request to the API server (KUBE_REQUEST_TIMEOUT_MS). */
  kubeRequestTimeoutMs: number;
  intake: IntakeConfig;
  /** Generating threads; 0: the main thread generates (PRODUCER_WORKERS, from spec.producer.workers). */
  workers: number;
}

/**
 * Reads and checks every variable, throwing one ConfigError that lists all problems.
 * `heapLimitBytes`: this isolate's heap limit (NODE_OPTIONS, from the pod's memory limit).
 */
export function readProducerConfig(
  env: Record<string, string | undefined>,
  heapLimitBytes = getHeapStatistics().heap_size_limit,
): ProducerConfig {
  const reader = new EnvReader(env);
  const podEnv = readExperimentPodEnv(reader, env);
  const pollSeconds = reader.integer('EXPERIMENT_POLL_SECONDS', 10, { min: 1, max: 3600 });
  const ackTimeoutSeconds = reader.integer('ACK_TIMEOUT_SECONDS', 15, { min: 1, max: 300 });
  const kubeRequestTimeoutMs = readKubeRequestTimeout(reader);
  const bulkMaxBytes = reader.integer('INTAKE_BULK_MAX_BYTES', 8 * 1024 * 1024, {
    min: 1024,
    max: 1024 ** 3,
  });
  const intake: IntakeConfig = {
    maxPending: reader.integer('INTAKE_MAX_PENDING', 512, { min: 1, max: 1_000_000 }),
    bulkMaxRatings: reader.integer('INTAKE_BULK_MAX_RATINGS', 10_000, { min: 1, max: 1_000_000 }),
    bulkMaxBytes,
    bulkMaxPending: reader.integer('INTAKE_BULK_MAX_PENDING', 50_000, { min: 1, max: 10_000_000 }),
    bulkMaxPendingBytes: reader.integer(
      'INTAKE_BULK_MAX_PENDING_BYTES',
      defaultBodyBudgetBytes(heapLimitBytes, bulkMaxBytes),
      { min: 1024, max: 1024 ** 4 },
    ),
    idempotencyWindowMs: reader.integer('IDEMPOTENCY_WINDOW_SECONDS', 600, { min: 1, max: 86_400 }) * 1000,
    idempotencyMaxKeys: reader.integer('IDEMPOTENCY_MAX_KEYS', 100_000, { min: 1, max: 10_000_000 }),
  };
  const [minWorkers, maxWorkers] = SPEC_BOUNDS['producer.workers'];
  const workers = reader.integer('PRODUCER_WORKERS', SPEC_DEFAULTS.producer.workers, {
    min: minWorkers,
    max: maxWorkers,
  });
  reader.done();
  return {
    ...podEnv,
    pollIntervalMs: pollSeconds * 1000,
    ackTimeoutMs: ackTimeoutSeconds * 1000,
    kubeRequestTimeoutMs,
    intake,
    workers,
  };
}
