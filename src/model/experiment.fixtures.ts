// Unit-test fixture of the model's tests (tsconfig.build.json leaves *.fixtures.ts out of dist).
import { loadCrd, versionSchema } from '../api/crd.ts';
import { applyDefaults } from '../api/defaults.ts';
import type { RatingExperiment, RatingExperimentSpec } from '../api/v1alpha1.ts';

const schema = versionSchema(loadCrd(), 'v1alpha1');

/** Experiment appdev/erb-voices on the Kafka queuing/kafka, with the CRD's defaults filled in. */
export function defaultedExperiment(spec: Partial<RatingExperimentSpec> = {}): RatingExperiment {
  return applyDefaults<RatingExperiment>(schema, {
    apiVersion: 'ratings.conglombo.io/v1alpha1',
    kind: 'RatingExperiment',
    metadata: { name: 'erb-voices', namespace: 'appdev', uid: 'uid-1', generation: 2 },
    spec: { kafka: { cluster: 'kafka', namespace: 'queuing' }, ...spec },
  });
}
