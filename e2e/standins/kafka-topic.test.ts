import {
  conflictingOwner,
  desiredTopic,
  planTopic,
  sameStatus,
  specProblems,
  topicStatus,
  type KafkaTopic,
} from './kafka-topic.ts';

function kafkaTopic(
  name: string,
  spec: KafkaTopic['spec'] = {},
  extra: Partial<KafkaTopic['metadata']> = {},
): KafkaTopic {
  return {
    metadata: { name, namespace: 'queuing', uid: `uid-${name}`, generation: 2, ...extra },
    spec,
  };
}

describe('desiredTopic', () => {
  it('uses spec.topicName, else the resource name, and stringifies config values', () => {
    expect(
      desiredTopic(
        kafkaTopic('a', { topicName: 'b', partitions: 3, config: { 'retention.ms': 1000, x: true } }),
      ),
    ).toEqual({
      name: 'b',
      partitions: 3,
      replicas: undefined,
      config: { 'retention.ms': '1000', x: 'true' },
    });
    expect(desiredTopic(kafkaTopic('a')).name).toBe('a');
  });
});

describe('specProblems', () => {
  it('accepts a legal topic', () => {
    expect(specProblems({ name: 'erb.voices_ratings-1', partitions: 3, replicas: 1, config: {} })).toEqual(
      [],
    );
  });

  it('refuses illegal names and non-positive counts', () => {
    const problems = specProblems({ name: 'bad name', partitions: 0, replicas: 1.5, config: {} });
    expect(problems.map((p) => p.reason)).toEqual(['InvalidResource', 'InvalidResource', 'InvalidResource']);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/bad name[\s\S]*partitions[\s\S]*replicas/);
  });
});

describe('planTopic', () => {
  const desired = { name: 't', partitions: 3, replicas: 1, config: { 'retention.ms': '1000' } };

  it('creates a missing topic', () => {
    expect(planTopic(desired, undefined)).toEqual({
      actions: [{ kind: 'create', topic: desired }],
      problems: [],
    });
  });

  it('does nothing when Kafka already matches', () => {
    expect(planTopic(desired, { partitions: 3, replicas: 1, config: { 'retention.ms': '1000' } })).toEqual({
      actions: [],
      problems: [],
    });
  });

  it('adds partitions when the spec grows', () => {
    expect(
      planTopic(desired, { partitions: 2, replicas: 1, config: { 'retention.ms': '1000' } }).actions,
    ).toEqual([{ kind: 'addPartitions', count: 3 }]);
  });

  it('refuses to shrink partitions or change replicas, as Strimzi without Cruise Control does', () => {
    const plan = planTopic(desired, { partitions: 5, replicas: 2, config: { 'retention.ms': '1000' } });
    expect(plan.actions).toEqual([]);
    expect(plan.problems.map((p) => p.reason)).toEqual(['NotSupported', 'NotSupported']);
  });

  it('rewrites the config when a value changed, was added or was removed', () => {
    const configs: Record<string, string>[] = [
      { 'retention.ms': '5' },
      {},
      { 'retention.ms': '1000', 'cleanup.policy': 'compact' },
    ];
    for (const config of configs) {
      expect(planTopic(desired, { partitions: 3, replicas: 1, config }).actions).toEqual([
        { kind: 'alterConfig', config: desired.config },
      ]);
    }
  });

  it('leaves counts the spec does not set to the broker', () => {
    expect(planTopic({ name: 't', config: {} }, { partitions: 7, replicas: 1, config: {} })).toEqual({
      actions: [],
      problems: [],
    });
  });
});

describe('conflictingOwner', () => {
  // Timestamps as the API server sends them.
  const older = kafkaTopic('older', { topicName: 'shared' }, { creationTimestamp: '2026-01-01T00:00:00Z' });
  const newer = kafkaTopic('newer', { topicName: 'shared' }, { creationTimestamp: '2026-01-02T00:00:00Z' });
  const other = kafkaTopic('other', {}, { creationTimestamp: '2025-01-01T00:00:00Z' });

  it('gives the topic to the oldest KafkaTopic asking for it', () => {
    const all = [newer, older, other];
    expect(conflictingOwner(older, all)).toBeUndefined();
    expect(conflictingOwner(newer, all)).toBe(older);
    expect(conflictingOwner(other, all)).toBeUndefined();
  });

  it('ignores rivals that are being deleted', () => {
    const leaving = { ...older, metadata: { ...older.metadata, deletionTimestamp: '2026-01-03T00:00:00Z' } };
    expect(conflictingOwner(newer, [leaving, newer])).toBeUndefined();
  });
});

describe('topicStatus', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:05:00Z');

  it('reports Ready with the observed generation and topic name', () => {
    expect(topicStatus(kafkaTopic('a'), { ready: true, message: 'fine' }, t0)).toEqual({
      observedGeneration: 2,
      topicName: 'a',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'TopicReady',
          message: 'fine',
          lastTransitionTime: t0.toISOString(),
        },
      ],
    });
  });

  it("reports Kafka's topic ID, as Strimzi does, once the topic is ready", () => {
    const status = topicStatus(
      kafkaTopic('a'),
      { ready: true, message: 'fine', topicId: 'AQIDBAUGBwgJCgsMDQ4PEA' },
      t0,
    );
    expect(status.topicId).toBe('AQIDBAUGBwgJCgsMDQ4PEA');
    const refused = topicStatus(kafkaTopic('a'), { ready: false, reason: 'KafkaError', message: 'no' }, t0);
    expect(refused).not.toHaveProperty('topicId');
  });

  it('keeps lastTransitionTime while the condition status holds, so an unchanged topic needs no write', () => {
    const kt = kafkaTopic('a');
    kt.status = topicStatus(kt, { ready: true, message: 'fine' }, t0);
    const again = topicStatus(kt, { ready: true, message: 'fine' }, t1);
    expect(sameStatus(kt.status, again)).toBe(true);
  });

  it('moves lastTransitionTime when Ready flips, and carries the reason', () => {
    const kt = kafkaTopic('a');
    kt.status = topicStatus(kt, { ready: true, message: 'fine' }, t0);
    const refused = topicStatus(
      kt,
      { ready: false, reason: 'KafkaError', message: 'INVALID_REPLICATION_FACTOR' },
      t1,
    );
    expect(refused.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'KafkaError',
      lastTransitionTime: t1.toISOString(),
    });
    expect(sameStatus(kt.status, refused)).toBe(false);
  });

  it('treats field order and a missing status as what they are', () => {
    const status = topicStatus(kafkaTopic('a'), { ready: true, message: 'fine' }, t0);
    const reordered = JSON.parse(
      JSON.stringify({ conditions: status.conditions, topicName: 'a', observedGeneration: 2 }),
    );
    expect(sameStatus(reordered, status)).toBe(true);
    expect(sameStatus(undefined, status)).toBe(false);
  });
});
