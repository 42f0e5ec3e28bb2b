import type { RatingExperiment } from '../api/v1alpha1.ts';
import { ConfigError } from '../common/env.ts';
import { checkpointIntervalMs, kafkaTarget, readConsumerEnv, type ConsumerEnv } from './config.ts';

const experiment = (extra: Partial<RatingExperiment> = {}): RatingExperiment => ({
  metadata: { name: 'erb', namespace: 'appdev' },
  spec: { kafka: { cluster: 'kafka', namespace: 'queuing' } },
  ...extra,
});

const env: ConsumerEnv = {
  namespace: 'appdev',
  name: 'erb',
  brokers: undefined,
  topic: undefined,
  port: 8080,
  podName: 'erb-consumer-1',
  kubeRequestTimeoutMs: 15_000,
  workers: 1,
};

describe('readConsumerEnv', () => {
  it('reads the pod environment with defaults', () => {
    expect(
      readConsumerEnv({
        EXPERIMENT_NAMESPACE: 'appdev',
        EXPERIMENT_NAME: 'erb',
        KAFKA_BOOTSTRAP_SERVERS: 'a:9092, b:9092',
        KAFKA_TOPIC: 'override',
        POD_NAME: 'erb-consumer-1',
      }),
    ).toEqual({ ...env, brokers: ['a:9092', 'b:9092'], topic: 'override' });
  });

  it('reads the number of counting threads, 1 to 16', () => {
    const base = { EXPERIMENT_NAMESPACE: 'appdev', EXPERIMENT_NAME: 'erb', POD_NAME: 'erb-consumer-1' };
    expect(readConsumerEnv({ ...base, CONSUMER_WORKERS: '4' }).workers).toBe(4);
    expect(readConsumerEnv({ ...base, CONSUMER_WORKERS: ' 16 ' }).workers).toBe(16);
    for (const bad of ['0', '17', '2.5', 'two', '-1']) {
      expect(() => readConsumerEnv({ ...base, CONSUMER_WORKERS: bad })).toThrow(
        `CONSUMER_WORKERS must be an integer in [1, 16], got "${bad}"`,
      );
    }
  });

  it('reports every problem at once', () => {
    const read = () =>
      readConsumerEnv({ EXPERIMENT_NAME: 'Not_A_Name', KAFKA_BOOTSTRAP_SERVERS: 'nohost', PORT: 'x' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/EXPERIMENT_NAMESPACE is required/);
    expect(read).toThrow(/EXPERIMENT_NAME must be a lowercase DNS-1123 name/);
    expect(read).toThrow(/KAFKA_BOOTSTRAP_SERVERS must be host:port/);
    expect(read).toThrow(/PORT must be an integer/);
  });
});

describe('kafkaTarget', () => {
  it('prefers the environment, then the status, then the spec and the default topic name', () => {
    const resolved = experiment({ status: { bootstrapServers: 'kafka:9092', topic: 'from-status' } });
    expect(kafkaTarget(env, resolved)).toEqual({
      brokers: ['kafka:9092'],
      topic: 'from-status',
      groupId: 'ratings-consumer.appdev.erb',
    });
    expect(kafkaTarget({ ...env, brokers: ['local:1'], topic: 'mine' }, resolved)).toMatchObject({
      brokers: ['local:1'],
      topic: 'mine',
    });
    const fromSpec = experiment({
      spec: { kafka: { cluster: 'k', namespace: 'q' }, topic: { name: 't' } },
      status: { bootstrapServers: 'x:1, y:2' },
    });
    expect(kafkaTarget(env, fromSpec)).toMatchObject({ brokers: ['x:1', 'y:2'], topic: 't' });
    expect(kafkaTarget(env, experiment({ status: { bootstrapServers: 'k:1' } })).topic).toBe(
      'appdev.erb-ratings',
    );
  });

  it('says what to do when no bootstrap address is known yet', () => {
    expect(() => kafkaTarget(env, experiment())).toThrow(/set KAFKA_BOOTSTRAP_SERVERS/);
  });
});

describe('checkpointIntervalMs', () => {
  it('reads the spec, with the CRD default', () => {
    expect(checkpointIntervalMs(experiment())).toBe(5000);
    const spec = { kafka: { cluster: 'k', namespace: 'q' }, consumer: { checkpointIntervalSeconds: 2 } };
    expect(checkpointIntervalMs(experiment({ spec }))).toBe(2000);
  });
});
