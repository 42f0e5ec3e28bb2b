import type { RatingExperiment } from '../api/v1alpha1.ts';
import { EnvReader } from './env.ts';
import { problemsOf } from './env.fixtures.ts';
import { readExperimentPodEnv, resolveKafkaTarget } from './pod-env.ts';

const env = { EXPERIMENT_NAMESPACE: 'appdev', EXPERIMENT_NAME: 'erb-voices' };

function readPodEnv(source: Record<string, string>) {
  const reader = new EnvReader(source);
  const podEnv = readExperimentPodEnv(reader, source);
  reader.done();
  return podEnv;
}

describe('resolveKafkaTarget', () => {
  const experiment = (spec: Partial<RatingExperiment['spec']>, status?: RatingExperiment['status']) =>
    ({ spec: { kafka: { cluster: 'kafka', namespace: 'queuing' }, ...spec }, status }) as RatingExperiment;
  const config = readPodEnv(env);

  it('lets the environment override the experiment', () => {
    const overridden = readPodEnv({ ...env, KAFKA_BOOTSTRAP_SERVERS: 'a:1', KAFKA_TOPIC: 't' });
    expect(resolveKafkaTarget(overridden, experiment({}, { bootstrapServers: 'b:2', topic: 'u' }))).toEqual({
      brokers: ['a:1'],
      topic: 't',
    });
  });

  it('takes brokers and topic from the status the controller wrote', () => {
    expect(
      resolveKafkaTarget(
        config,
        experiment({ topic: { name: 'spec-topic' } }, { bootstrapServers: 'b:2, c:3', topic: 'u' }),
      ),
    ).toEqual({ brokers: ['b:2', 'c:3'], topic: 'u' });
  });

  it('falls back to spec.topic.name, then to <namespace>.<name>-ratings', () => {
    const status = { bootstrapServers: 'b:2' };
    expect(resolveKafkaTarget(config, experiment({ topic: { name: 'spec-topic' } }, status)).topic).toBe(
      'spec-topic',
    );
    expect(resolveKafkaTarget(config, experiment({}, status)).topic).toBe('appdev.erb-voices-ratings');
  });

  it('says where bootstrap servers come from when there are none', () => {
    expect(problemsOf(() => resolveKafkaTarget(config, experiment({}, { bootstrapServers: ' ' })))).toEqual([
      'no Kafka bootstrap servers: set KAFKA_BOOTSTRAP_SERVERS, or wait until the controller writes status.bootstrapServers of RatingExperiment appdev/erb-voices',
    ]);
  });
});
