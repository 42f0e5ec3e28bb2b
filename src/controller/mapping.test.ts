import type { RatingExperiment } from '../api/v1alpha1.ts';
import { ANNOTATION_ACKNOWLEDGED_LOST, API_VERSION, FINALIZER, KIND, LABEL_STAGED } from '../api/v1alpha1.ts';
import { topicLabels } from '../model/names.ts';
import {
  afterLeaving,
  experimentNeedsReconcile,
  experimentsUsingKafka,
  mayHaveBeenStaged,
  ownerKey,
  labelledExperimentKey,
} from './mapping.ts';

const experiment = (name: string, kafka: Record<string, string>, extra: Partial<RatingExperiment> = {}) =>
  ({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: 'appdev', generation: 1, uid: `uid-${name}` },
    spec: { kafka },
    ...extra,
  }) as unknown as RatingExperiment;

describe('ownerKey', () => {
  const owner = { apiVersion: API_VERSION, kind: KIND, name: 'erb', uid: 'u', controller: true };

  it('maps a child to the experiment that controls it', () => {
    expect(ownerKey({ metadata: { namespace: 'appdev', ownerReferences: [owner] } })).toBe('appdev/erb');
  });

  it('ignores owners that are not controlling RatingExperiments', () => {
    const other = { ...owner, kind: 'ReplicaSet', apiVersion: 'apps/v1' };
    expect(ownerKey({ metadata: { namespace: 'a', ownerReferences: [other] } })).toBeUndefined();
    expect(
      ownerKey({ metadata: { namespace: 'a', ownerReferences: [{ ...owner, controller: false }] } }),
    ).toBeUndefined();
    expect(ownerKey({ metadata: { namespace: 'a' } })).toBeUndefined();
  });
});

describe('labelledExperimentKey', () => {
  it('maps a KafkaTopic back through its labels', () => {
    const labels = topicLabels({ namespace: 'appdev', name: 'erb' }, 'kafka');
    expect(labelledExperimentKey({ metadata: { namespace: 'queuing', labels } })).toBe('appdev/erb');
    expect(
      labelledExperimentKey({
        metadata: { namespace: 'queuing', labels: { 'strimzi.io/cluster': 'kafka' } },
      }),
    ).toBeUndefined();
  });
});

describe('experimentsUsingKafka', () => {
  it('finds the experiments that read their bootstrap address from the Kafka resource', () => {
    const experiments = [
      experiment('a', { cluster: 'kafka', namespace: 'queuing' }),
      experiment('b', { cluster: 'kafka', namespace: 'other' }),
      experiment('c', { cluster: 'kafka', namespace: 'queuing', bootstrapServers: 'x:9092' }),
      experiment('d', { cluster: 'kafka2', namespace: 'queuing' }),
    ];
    expect(experimentsUsingKafka({ metadata: { name: 'kafka', namespace: 'queuing' } }, experiments)).toEqual(
      ['appdev/a'],
    );
  });
});

describe('experimentNeedsReconcile', () => {
  const base = experiment('a', { cluster: 'kafka', namespace: 'queuing' }, {
    status: { observedGeneration: 1, topic: 't', conditions: [] },
  } as Partial<RatingExperiment>);
  const modify = (change: (e: RatingExperiment) => void): RatingExperiment => {
    const copy = structuredClone(base);
    change(copy);
    return copy;
  };

  it('ignores consumer checkpoints and other status written by others', () => {
    const next = modify((e) => {
      Object.assign(e.status!, { partitions: [{ partition: 0, offset: 10 }], counted: 10 });
      e.metadata!.resourceVersion = '99';
    });
    expect(experimentNeedsReconcile(base, next)).toBe(false);
  });

  it.each<[string, (e: RatingExperiment) => void]>([
    ['a new generation', (e) => (e.metadata!.generation = 2)],
    [
      'deletion',
      (e) => ((e.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2026-01-01T00:00:00Z'),
    ],
    ['a finalizer change', (e) => (e.metadata!.finalizers = ['x'])],
    ['a change to the controller status fields', (e) => (e.status!.topic = 'other')],
    ['a new topic ID', (e) => (e.status!.topicId = 'AAAA')],
    ['ratings reported lost', (e) => Object.assign(e.status!, { lost: 3 })],
    [
      'an acknowledgement of lost ratings',
      (e) => (e.metadata!.annotations = { [ANNOTATION_ACKNOWLEDGED_LOST]: '3' }),
    ],
  ])('reconciles on %s', (_what, change) => {
    expect(experimentNeedsReconcile(base, modify(change))).toBe(true);
  });

  it('reconciles on a new checkpoint only after it reported the checkpoints stale', () => {
    const stale = {
      type: 'TotalsCurrent',
      status: 'False' as const,
      reason: 'CheckpointStale',
      message: 'm',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    };
    const checkpointed = (e: RatingExperiment) => (e.status!.checkpointedAt = '2026-01-01T00:01:00Z');
    expect(experimentNeedsReconcile(base, modify(checkpointed))).toBe(false);
    const reported = modify((e) => (e.status!.conditions = [stale]));
    const next = structuredClone(reported);
    checkpointed(next);
    expect(experimentNeedsReconcile(reported, next)).toBe(true);
  });
});

describe('afterLeaving', () => {
  const staged = { [LABEL_STAGED]: 'true' };
  const exp = (metadata: Record<string, unknown>) =>
    ({
      ...experiment('erb', {}),
      metadata: { name: 'erb', namespace: 'appdev', ...metadata },
    }) as RatingExperiment;

  it('asks for a look only when a managed experiment leaves the cache without being deleted', () => {
    expect(mayHaveBeenStaged(exp({ finalizers: [FINALIZER] }))).toBe(true);
    expect(mayHaveBeenStaged(exp({ finalizers: [] }))).toBe(false);
    expect(
      mayHaveBeenStaged(exp({ finalizers: [FINALIZER], deletionTimestamp: '2026-01-01T00:00:00Z' })),
    ).toBe(false);
  });

  it('releases a managed experiment that was staged, finalizes one also being deleted, leaves the rest', () => {
    expect(afterLeaving(undefined)).toBe('none');
    expect(afterLeaving(exp({ finalizers: [FINALIZER] }))).toBe('none'); // back in the selection
    expect(afterLeaving(exp({ labels: staged }))).toBe('none'); // never managed, or already released
    expect(afterLeaving(exp({ labels: staged, finalizers: [FINALIZER] }))).toBe('release');
    expect(
      afterLeaving(
        exp({ labels: staged, finalizers: [FINALIZER], deletionTimestamp: '2026-01-01T00:00:00Z' }),
      ),
    ).toBe('finalize');
  });
});
