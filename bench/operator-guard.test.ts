import { describe, expect, it } from '@jest/globals';
import { FINALIZER, type RatingExperiment } from '../src/api/v1alpha1.ts';
import { STAGED_LABELS, touchedByOperator } from './operator-guard.ts';

const experiment = (patch: {
  finalizers?: string[];
  status?: RatingExperiment['status'];
}): RatingExperiment =>
  ({
    apiVersion: 'ratings.conglombo.io/v1alpha1',
    kind: 'RatingExperiment',
    metadata: {
      namespace: 'bench-x',
      name: 'probe',
      labels: { ...STAGED_LABELS },
      finalizers: patch.finalizers,
    },
    spec: {},
    status: patch.status,
  }) as RatingExperiment;

describe('touchedByOperator', () => {
  it('sees nothing in an experiment only the benchmark wrote (its consumers write checkpoints)', () => {
    expect(touchedByOperator(experiment({}))).toBeUndefined();
    expect(
      touchedByOperator(experiment({ status: { partitions: [{ partition: 0, offset: 10 }], counted: 10 } })),
    ).toBeUndefined();
  });

  it("names the operator's finalizer or conditions", () => {
    expect(touchedByOperator(experiment({ finalizers: [FINALIZER] }))).toBe(
      `bench-x/probe got the finalizer ${FINALIZER}`,
    );
    const status = {
      conditions: [
        { type: 'Ready', status: 'False', reason: 'TopicPending', message: '', lastTransitionTime: '' },
      ],
    } as unknown as RatingExperiment['status'];
    expect(touchedByOperator(experiment({ status }))).toBe(
      'bench-x/probe got conditions (Ready=False TopicPending)',
    );
  });
});
