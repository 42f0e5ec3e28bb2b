import type { V1Deployment } from '@kubernetes/client-node';
import type { Condition, RatingExperimentStatus } from '../api/v1alpha1.ts';
import type { BootstrapResult } from './bootstrap.ts';
import type { ConditionInputs, DesiredCondition } from './conditions.ts';
import { ANNOTATION_ACKNOWLEDGED_LOST } from '../api/v1alpha1.ts';
import {
  acknowledgedLostOf,
  computeConditions,
  deploymentAvailable,
  msUntilStale,
  staleAfterMs,
  stagedConditions,
  desiredStatus,
  formatTime,
  mergeConditions,
  statusNeedsUpdate,
  topicConflict,
  topicReady,
} from './conditions.ts';
import { experimentOfTopic } from './names.ts';
import type { KafkaTopic } from './strimzi.ts';

function deployment(
  name: string,
  replicas: number,
  status: Partial<NonNullable<V1Deployment['status']>> = {},
): V1Deployment {
  return {
    metadata: { name, namespace: 'appdev', generation: 4 },
    spec: { replicas, selector: {}, template: {} },
    status: {
      observedGeneration: 4,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      ...status,
    },
  };
}

function kafkaTopic(
  ready: 'True' | 'False' | undefined,
  extra: Partial<NonNullable<KafkaTopic['status']>> = {},
): KafkaTopic {
  return {
    metadata: { name: 'erb-ratings', namespace: 'queuing', generation: 1 },
    spec: { topicName: 'erb-ratings', partitions: 3, replicas: 1 },
    status: {
      observedGeneration: 1,
      ...(ready !== undefined && {
        conditions: [
          {
            type: 'Ready',
            status: ready,
            reason: ready === 'False' ? 'NotSupported' : undefined,
            message: ready === 'False' ? 'Decreasing partitions not supported' : undefined,
          },
        ],
      }),
      ...extra,
    },
  };
}

const bootstrapOk: BootstrapResult = {
  ok: true,
  bootstrapServers: 'kafka:9092',
  source: 'listener',
  listener: 'plain',
};

const allReady: ConditionInputs = {
  generation: 7,
  specProblems: [],
  bootstrap: bootstrapOk,
  topic: kafkaTopic('True'),
  producerDeployment: deployment('erb-producer', 1),
  consumerDeployment: deployment('erb-consumer', 2),
};

const byType = (conditions: DesiredCondition[]) => Object.fromEntries(conditions.map((c) => [c.type, c]));

describe('deploymentAvailable', () => {
  it('is true when the current generation is rolled out and available', () => {
    expect(deploymentAvailable(deployment('d', 2))).toEqual({
      ok: true,
      reason: 'DeploymentAvailable',
      message: 'Deployment d: 2 of 2 replicas available',
    });
    expect(deploymentAvailable(deployment('d', 0))).toMatchObject({ ok: true, reason: 'ScaledToZero' });
  });

  it.each<[string, V1Deployment | undefined, string, RegExp]>([
    ['absent', undefined, 'DeploymentNotFound', /not been created/],
    [
      'not yet observed',
      deployment('d', 2, { observedGeneration: 3 }),
      'Progressing',
      /observe generation 4/,
    ],
    ['rolling out', deployment('d', 2, { updatedReplicas: 1 }), 'Progressing', /1 of 2 replicas updated/],
    ['terminating old pods', deployment('d', 2, { replicas: 3 }), 'Progressing', /1 old replicas pending/],
    [
      'short of available pods',
      deployment('d', 2, { availableReplicas: 1 }),
      'DeploymentUnavailable',
      /1 of 2 replicas available/,
    ],
    [
      'without a status',
      { metadata: { name: 'd', generation: 1 }, spec: { selector: {}, template: {} } },
      'Progressing',
      /observe generation 1/,
    ],
  ])('is false when %s', (_what, d, reason, message) => {
    const health = deploymentAvailable(d);
    expect(health).toMatchObject({ ok: false, reason });
    expect(health.message).toMatch(message);
    expect(health.stalled).toBeUndefined();
  });

  it('is stalled past the progress deadline', () => {
    const d = deployment('d', 2, {
      availableReplicas: 0,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "d-1" has timed out progressing.',
        },
      ],
    });
    expect(deploymentAvailable(d)).toMatchObject({
      ok: false,
      stalled: true,
      reason: 'ProgressDeadlineExceeded',
    });
  });
});

describe('topicReady', () => {
  it('follows the Ready condition Strimzi sets for the current generation', () => {
    expect(topicReady(kafkaTopic('True'))).toMatchObject({ ok: true, reason: 'TopicReady' });
    expect(topicReady(kafkaTopic('False'))).toEqual({
      ok: false,
      reason: 'TopicNotReady',
      message:
        'KafkaTopic queuing/erb-ratings is not ready: NotSupported: Decreasing partitions not supported',
    });
    expect(topicReady(kafkaTopic(undefined))).toMatchObject({ ok: false, reason: 'TopicPending' });
    expect(topicReady(kafkaTopic('True', { observedGeneration: 0 }))).toMatchObject({
      ok: false,
      reason: 'TopicPending',
    });
    expect(topicReady(undefined)).toMatchObject({ ok: false, reason: 'TopicPending' });
  });
});

describe('topicConflict', () => {
  const mine = { namespace: 'appdev', name: 'erb' };
  const labelled = (namespace: string, name: string): KafkaTopic => ({
    metadata: {
      name: 'erb-ratings',
      namespace: 'queuing',
      labels: {
        'app.kubernetes.io/managed-by': 'ratings-operator',
        'ratings.conglombo.io/experiment-namespace': namespace,
        'ratings.conglombo.io/experiment-name': name,
      },
    },
  });
  it('allows a missing topic or one of this experiment', () => {
    expect(topicConflict(mine, undefined, experimentOfTopic)).toBeUndefined();
    expect(topicConflict(mine, labelled('appdev', 'erb'), experimentOfTopic)).toBeUndefined();
  });
  it('names the other owner', () => {
    expect(topicConflict(mine, labelled('prod', 'erb'), experimentOfTopic)).toMatch(
      /belongs to RatingExperiment prod\/erb; set spec\.topic\.name/,
    );
    expect(topicConflict(mine, { metadata: { name: 't', namespace: 'q' } }, experimentOfTopic)).toMatch(
      /not managed by this operator/,
    );
  });
});

describe('computeConditions', () => {
  it('is Ready when everything is, for the observed generation', () => {
    const conditions = computeConditions(allReady);
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Reconciled'],
      ['TopicReady', 'True', 'TopicReady'],
      ['ProducerAvailable', 'True', 'DeploymentAvailable'],
      ['ConsumerAvailable', 'True', 'DeploymentAvailable'],
      ['TotalsExact', 'True', 'Exact'],
      ['TotalsCurrent', 'True', 'CheckpointRecent'],
      ['Reconciling', 'False', 'Reconciled'],
      ['Stalled', 'False', 'Reconciled'],
    ]);
    for (const c of conditions) expect(c.observedGeneration).toBe(7);
    expect(conditions[0]?.message).toMatch(/topic is ready.*erb-producer: 1 of 1.*erb-consumer: 2 of 2/);
  });

  it('reports an invalid spec as stalled, naming the problems', () => {
    const c = byType(
      computeConditions({
        ...allReady,
        specProblems: ['spec.voices: must have 2 to 32 entries, got 1'],
        bootstrap: undefined,
      }),
    );
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: expect.stringContaining('spec.voices: must have 2'),
    });
    expect(c.Stalled).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(c.Reconciling?.status).toBe('False');
  });

  it('waits for a missing Kafka, and says what to do', () => {
    const bootstrap: BootstrapResult = {
      ok: false,
      reason: 'KafkaNotFound',
      message: 'Kafka queuing/kafka not found: create it',
    };
    const c = byType(computeConditions({ generation: 1, bootstrap }));
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'KafkaNotFound',
      message: 'Kafka queuing/kafka not found: create it',
    });
    expect(c.TopicReady).toMatchObject({ status: 'False', reason: 'KafkaNotFound' });
    expect(c.ProducerAvailable).toMatchObject({
      status: 'False',
      reason: 'Waiting',
      message: expect.stringMatching(/^the producer Deployment waits for the Kafka bootstrap address/),
    });
    expect(c.Reconciling).toMatchObject({ status: 'True', reason: 'KafkaNotFound' });
    expect(c.Stalled?.status).toBe('False');
  });

  it('follows the first child that is not ready', () => {
    const c = byType(
      computeConditions({ ...allReady, topic: kafkaTopic('False'), consumerDeployment: undefined }),
    );
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'TopicNotReady',
      message: expect.stringMatching(/^TopicReady is False: KafkaTopic queuing\/erb-ratings/),
    });
    expect(c.ConsumerAvailable).toMatchObject({
      status: 'False',
      reason: 'Waiting',
      message: expect.stringMatching(/^the consumer Deployment waits for the topic: KafkaTopic/),
    });
    expect(c.Reconciling?.status).toBe('True');
    const noConsumer = byType(computeConditions({ ...allReady, consumerDeployment: undefined }));
    expect(noConsumer.ConsumerAvailable).toMatchObject({
      status: 'False',
      reason: 'DeploymentNotFound',
      message: 'the consumer Deployment has not been created yet',
    });
  });

  it('puts a refused write before the children: Ready False with the API server message, stalled', () => {
    const c = byType(
      computeConditions({
        ...allReady,
        applyFailures: [
          {
            what: 'Deployment appdev/erb-consumer',
            message: 'denied by policy max-replicas',
            terminal: true,
          },
        ],
      }),
    );
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'ApplyRefused',
      message: 'the API server refused Deployment appdev/erb-consumer: denied by policy max-replicas',
    });
    expect(c.Stalled).toMatchObject({ status: 'True', reason: 'ApplyRefused' });
    expect(c.Stalled?.message).toContain('admission policy');
    expect(c.Reconciling?.status).toBe('False');
  });

  it('a failure that may pass is Reconciling, not Stalled', () => {
    const c = byType(
      computeConditions({
        ...allReady,
        applyFailures: [
          { what: 'Role appdev/erb-ratings', message: 'no answer within 15000 ms', terminal: false },
        ],
      }),
    );
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
    expect(c.Reconciling?.status).toBe('True');
    expect(c.Stalled?.status).toBe('False');
  });

  it('is Deleting while the finalizer runs', () => {
    const c = byType(computeConditions({ ...allReady, deleting: true }));
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'Deleting' });
    expect(c.Reconciling).toMatchObject({ status: 'True', reason: 'Deleting' });
  });

  it('keeps TotalsExact False once ratings were lost; Ready follows until the loss is acknowledged', () => {
    const lost = byType(computeConditions({ ...allReady, lost: 3 }));
    expect(lost.TotalsExact).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(lost.TotalsExact?.message).toMatch(/^3 ratings were gone/);
    expect(lost.TotalsExact?.message).toContain(`${ANNOTATION_ACKNOWLEDGED_LOST}=3`);
    expect(lost.Ready).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(lost.Stalled).toMatchObject({ status: 'True', reason: 'RatingsLost' });

    const short = byType(computeConditions({ ...allReady, lost: 3, acknowledgedLost: 2 }));
    expect(short.Ready).toMatchObject({ status: 'False', reason: 'RatingsLost' });

    const acked = byType(computeConditions({ ...allReady, lost: 3, acknowledgedLost: 3 }));
    expect(acked.Ready).toMatchObject({ status: 'True', reason: 'LossAcknowledged' });
    expect(acked.Ready?.message).toContain('3 ratings were gone');
    expect(acked.TotalsExact).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(acked.Stalled?.status).toBe('False');
  });

  it.each([
    [undefined, undefined],
    [{ a: '1' }, undefined],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: ' 12 ' }, 12],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: '0' }, 0],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: '-1' }, undefined],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: 'all' }, undefined],
    [{ [ANNOTATION_ACKNOWLEDGED_LOST]: '1e3' }, undefined],
  ])('reads the acknowledgement %j as %j', (annotations, expected) => {
    expect(acknowledgedLostOf(annotations)).toBe(expected);
  });

  it('judges checkpoints stale only when records wait and the last one is much older than the interval', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
    const stale = (lag: number | undefined, at: string | undefined, interval = 5) =>
      byType(
        computeConditions({
          ...allReady,
          checkpoints: { lag, checkpointedAt: at, intervalSeconds: interval },
          now,
        }),
      );
    expect(stale(0, ago(3600)).TotalsCurrent?.status).toBe('True');
    expect(stale(undefined, ago(3600)).TotalsCurrent?.status).toBe('True');
    expect(stale(5, undefined).TotalsCurrent?.status).toBe('True');
    expect(stale(5, ago(60)).TotalsCurrent?.status).toBe('True');
    const c = stale(5, ago(61));
    expect(c.TotalsCurrent).toMatchObject({ status: 'False', reason: 'CheckpointStale' });
    expect(c.TotalsCurrent?.message).toMatch(
      /^5 records wait and the consumers have written no checkpoint for 61 s/,
    );
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'CheckpointStale' });
    // the limit grows with a long interval: 6 intervals
    expect(stale(5, ago(500), 100).TotalsCurrent?.status).toBe('True');
    expect(stale(5, ago(601), 100).TotalsCurrent?.status).toBe('False');
    expect(staleAfterMs(5)).toBe(60_000);
    expect(msUntilStale({ lag: 5, checkpointedAt: ago(10), intervalSeconds: 5 }, now)).toBe(51_000);
    expect(msUntilStale({ lag: 0, checkpointedAt: ago(10), intervalSeconds: 5 }, now)).toBeUndefined();
  });

  it('is stalled by a Deployment past its deadline and by a topic conflict', () => {
    const stuck = deployment('erb-producer', 1, {
      availableReplicas: 0,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' },
      ],
    });
    expect(byType(computeConditions({ ...allReady, producerDeployment: stuck })).Stalled).toMatchObject({
      status: 'True',
      reason: 'ProgressDeadlineExceeded',
    });
    const conflict = byType(
      computeConditions({
        ...allReady,
        topicConflict: 'KafkaTopic queuing/t belongs to RatingExperiment prod/erb',
      }),
    );
    expect(conflict.TopicReady).toMatchObject({ status: 'False', reason: 'TopicConflict' });
    expect(conflict.Stalled).toMatchObject({ status: 'True', reason: 'TopicConflict' });
  });

  it('is not Ready while deleting', () => {
    expect(byType(computeConditions({ ...allReady, deleting: true })).Ready).toMatchObject({
      status: 'False',
      reason: 'Deleting',
    });
  });

  it('is deterministic', () => {
    expect(JSON.stringify(computeConditions(allReady))).toBe(
      JSON.stringify(computeConditions({ ...allReady })),
    );
  });
});

describe('mergeConditions', () => {
  const t0 = new Date('2026-01-01T00:00:00.123Z');
  const t1 = new Date('2026-01-01T00:05:00.000Z');
  const desired = (status: 'True' | 'False', reason = 'R', message = 'm'): DesiredCondition => ({
    type: 'Ready',
    status,
    observedGeneration: 1,
    reason,
    message,
  });

  it('stamps new conditions with now, at second precision', () => {
    expect(formatTime(t0)).toBe('2026-01-01T00:00:00Z');
    expect(mergeConditions(undefined, [desired('False')], t0)).toEqual([
      {
        type: 'Ready',
        status: 'False',
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
        reason: 'R',
        message: 'm',
      },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, even if reason or message change', () => {
    const first = mergeConditions(undefined, [desired('False')], t0);
    const second = mergeConditions(
      first,
      [{ ...desired('False', 'Other', 'other'), observedGeneration: 2 }],
      t1,
    );
    expect(second[0]).toMatchObject({
      lastTransitionTime: '2026-01-01T00:00:00Z',
      reason: 'Other',
      message: 'other',
      observedGeneration: 2,
    });
    const third = mergeConditions(second, [desired('True')], t1);
    expect(third[0]?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  });

  it('leaves conditions of other types alone', () => {
    const foreign: Condition = {
      type: 'CheckpointHealthy',
      status: 'True',
      lastTransitionTime: '2025-12-31T00:00:00Z',
      reason: 'Ok',
      message: 'x',
    };
    expect(mergeConditions([foreign], [desired('True')], t0)).toEqual([
      expect.objectContaining({ type: 'Ready' }),
      foreign,
    ]);
  });
});

describe('desiredStatus and statusNeedsUpdate', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2026-01-01T01:00:00Z');
  const consumerFields: RatingExperimentStatus = {
    produced: 10,
    counted: 10,
    totals: [{ voice: 'A', sum: 3, count: 2, mean: 1.5 }],
    partitions: [{ partition: 0, offset: 10 }],
  };

  function roundTrip(inputs: ConditionInputs, current: RatingExperimentStatus | undefined, at: Date) {
    const next = desiredStatus(
      current,
      {
        generation: inputs.generation,
        conditions: computeConditions(inputs),
        topic: 'erb-ratings',
        bootstrapServers: 'kafka:9092',
      },
      at,
    );
    return { next, stored: { ...current, ...next } };
  }

  it('writes once, then never again while nothing changes', () => {
    const { next, stored } = roundTrip(allReady, consumerFields, now);
    expect(statusNeedsUpdate(consumerFields, next)).toBe(true);
    expect(next).toMatchObject({
      observedGeneration: 7,
      topic: 'erb-ratings',
      bootstrapServers: 'kafka:9092',
    });
    expect(next).not.toHaveProperty('totals');
    const again = roundTrip(allReady, stored, later).next;
    expect(again).toEqual(next);
    expect(statusNeedsUpdate(stored, again)).toBe(false);
    // Consumer checkpoints do not make the controller write.
    expect(statusNeedsUpdate({ ...stored, counted: 99, checkpointedAt: '2026-01-01T00:30:00Z' }, again)).toBe(
      false,
    );
    // Nor does the order of the conditions as stored.
    expect(
      statusNeedsUpdate({ ...stored, conditions: [...(stored.conditions ?? [])].reverse() }, again),
    ).toBe(false);
  });

  it('writes when the generation, a condition or the topic changes', () => {
    const { stored } = roundTrip(allReady, undefined, now);
    expect(statusNeedsUpdate(stored, roundTrip({ ...allReady, generation: 8 }, stored, later).next)).toBe(
      true,
    );
    const notReady = roundTrip(
      { ...allReady, consumerDeployment: deployment('erb-consumer', 2, { availableReplicas: 1 }) },
      stored,
      later,
    ).next;
    expect(statusNeedsUpdate(stored, notReady)).toBe(true);
    expect(notReady.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe(
      '2026-01-01T01:00:00Z',
    );
    expect(notReady.conditions.find((c) => c.type === 'TopicReady')?.lastTransitionTime).toBe(
      '2026-01-01T00:00:00Z',
    );
    expect(statusNeedsUpdate({ ...stored, topic: 'other' }, roundTrip(allReady, stored, later).next)).toBe(
      true,
    );
  });

  it('keeps topic and bootstrap servers it was not given', () => {
    const next = desiredStatus(
      { topic: 't', bootstrapServers: 'b:1' },
      { generation: 2, conditions: [] },
      now,
    );
    expect(next).toEqual({ observedGeneration: 2, conditions: [], topic: 't', bootstrapServers: 'b:1' });
  });
});

describe('stagedConditions', () => {
  it('says the operator stopped managing the experiment, and keeps the last observed child conditions', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const before = desiredStatus(
      undefined,
      { generation: 3, conditions: computeConditions({ ...allReady, generation: 3 }) },
      now,
    );
    const staged = stagedConditions(3, 'KafkaTopic queuing/appdev.erb-ratings');
    const next = desiredStatus(before, { generation: 3, conditions: staged }, now);
    const c = Object.fromEntries(next.conditions.map((x) => [x.type, x]));
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'Staged', observedGeneration: 3 });
    expect(c.Ready?.message).toContain('ratings.conglombo.io/staged');
    expect(c.Ready?.message).toContain('KafkaTopic queuing/appdev.erb-ratings');
    expect(c.Reconciling).toMatchObject({ status: 'False', reason: 'Staged' });
    expect(c.Stalled).toMatchObject({ status: 'False', reason: 'Staged' });
    // The children's conditions stay as last observed (nothing observes them any more).
    expect(c.TopicReady).toEqual(before.conditions.find((x) => x.type === 'TopicReady'));
    expect(statusNeedsUpdate(next, desiredStatus(next, { generation: 3, conditions: staged }, now))).toBe(
      false,
    );
  });
});
