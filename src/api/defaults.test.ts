import { applyDefaults } from './defaults.ts';
import { loadCrd, versionSchema } from './crd.ts';
import type { RatingExperiment } from './v1alpha1.ts';

const schema = versionSchema(loadCrd(), 'v1alpha1');

describe('applyDefaults', () => {
  it('fills the spec as the API server would, keeping what is set', () => {
    const exp = applyDefaults<RatingExperiment>(schema, {
      spec: { kafka: { cluster: 'kafka', namespace: 'queuing' }, consumer: { replicas: 4 } },
    });
    expect(exp.spec.topic).toEqual({ partitions: 3, replicas: 1 });
    expect(exp.spec.producer).toEqual({
      replicas: 1,
      ratingsPerSecond: 5,
      workers: 0,
      intake: { authentication: 'None' },
    });
    expect(exp.spec.consumer).toEqual({ replicas: 4, checkpointIntervalSeconds: 5, workers: 1 });
    expect(exp.spec.deletionPolicy).toBe('Delete');
    expect(exp.spec.voices).toHaveLength(10);
    expect(exp.spec.kafka).toEqual({ cluster: 'kafka', namespace: 'queuing' });
  });

  it('does not alias the schema defaults or mutate its input', () => {
    const input = { spec: { kafka: { cluster: 'k', namespace: 'n' } } };
    const a = applyDefaults<RatingExperiment>(schema, input);
    a.spec.voices?.push('Mutant');
    const b = applyDefaults<RatingExperiment>(schema, input);
    expect(b.spec.voices).not.toContain('Mutant');
    expect(input).toEqual({ spec: { kafka: { cluster: 'k', namespace: 'n' } } });
  });
});
