import { problemsOf } from '../common/env.fixtures.ts';
import { readProducerConfig } from './config.ts';

const env = { EXPERIMENT_NAMESPACE: 'appdev', EXPERIMENT_NAME: 'erb-voices' };

describe('readProducerConfig', () => {
  it('needs only the experiment, defaulting the rest', () => {
    const heapLimit = 152 * 2 ** 20;
    expect(readProducerConfig({ ...env, HOSTNAME: 'erb-voices-producer-abc' }, heapLimit)).toEqual({
      namespace: 'appdev',
      name: 'erb-voices',
      brokers: undefined,
      topic: undefined,
      port: 8080,
      podName: 'erb-voices-producer-abc',
      pollIntervalMs: 10_000,
      ackTimeoutMs: 15_000,
      kubeRequestTimeoutMs: 15_000,
      intake: {
        maxPending: 512,
        bulkMaxRatings: 10_000,
        bulkMaxBytes: 8 * 1024 * 1024,
        bulkMaxPending: 50_000,
        bulkMaxPendingBytes: heapLimit / 4,
        idempotencyWindowMs: 600_000,
        idempotencyMaxKeys: 100_000,
      },
      workers: 0,
    });
  });

  it('reads every variable', () => {
    const config = readProducerConfig({
      ...env,
      KAFKA_BOOTSTRAP_SERVERS: 'kafka-0:9092, kafka-1:9092',
      KAFKA_TOPIC: 'erb.ratings_v2',
      PORT: '0',
      POD_NAME: 'p-1',
      EXPERIMENT_POLL_SECONDS: '2',
      ACK_TIMEOUT_SECONDS: '3',
      INTAKE_MAX_PENDING: '64',
      INTAKE_BULK_MAX_RATINGS: '500',
      INTAKE_BULK_MAX_BYTES: '65536',
      INTAKE_BULK_MAX_PENDING: '2000',
      INTAKE_BULK_MAX_PENDING_BYTES: '33554432',
      IDEMPOTENCY_WINDOW_SECONDS: '60',
      IDEMPOTENCY_MAX_KEYS: '1000',
      PRODUCER_WORKERS: '3',
    });
    expect(config).toMatchObject({
      intake: {
        maxPending: 64,
        bulkMaxRatings: 500,
        bulkMaxBytes: 65536,
        bulkMaxPending: 2000,
        bulkMaxPendingBytes: 32 * 2 ** 20,
        idempotencyWindowMs: 60_000,
        idempotencyMaxKeys: 1000,
      },
      brokers: ['kafka-0:9092', 'kafka-1:9092'],
      topic: 'erb.ratings_v2',
      port: 0,
      podName: 'p-1',
      pollIntervalMs: 2000,
      ackTimeoutMs: 3000,
      workers: 3,
    });
  });

  it('reports every problem at once', () => {
    expect(
      problemsOf(() =>
        readProducerConfig({
          EXPERIMENT_NAME: 'Not_A_Name',
          KAFKA_BOOTSTRAP_SERVERS: 'kafka',
          KAFKA_TOPIC: 'bad topic',
          PORT: '70000',
          EXPERIMENT_POLL_SECONDS: '0',
          INTAKE_MAX_PENDING: '0',
          PRODUCER_WORKERS: '17',
        }),
      ),
    ).toEqual([
      'EXPERIMENT_NAMESPACE is required',
      'EXPERIMENT_NAME must be a lowercase DNS-1123 name, got "Not_A_Name"',
      'KAFKA_BOOTSTRAP_SERVERS must be host:port[,host:port…], bad entries: kafka',
      `KAFKA_TOPIC must be a Kafka topic name (letters, digits, '.', '_', '-'), got "bad topic"`,
      'PORT must be an integer in [0, 65535], got "70000"',
      'EXPERIMENT_POLL_SECONDS must be an integer in [1, 3600], got "0"',
      'INTAKE_MAX_PENDING must be an integer in [1, 1000000], got "0"',
      'PRODUCER_WORKERS must be an integer in [0, 16], got "17"',
    ]);
  });
});
