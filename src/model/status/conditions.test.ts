import { apiLength } from '../../api/api-strings.ts';
import { loadCrd, versionSchema } from '../../api/crd.ts';
import type { Condition, RatingExperimentStatus } from '../../api/v1alpha1.ts';
import type { ConditionInputs } from './ready.ts';
import type { DesiredCondition } from './conditions.ts';
import { computeConditions } from './ready.ts';
import {
  CONDITION_MESSAGE_MAX_LENGTH,
  desiredStatus,
  formatTime,
  mergeConditions,
  statusNeedsUpdate,
} from './conditions.ts';
import { allReady, deployment } from './status.fixtures.ts';

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

  it("cuts messages to the CRD's maxLength, in characters and never inside a surrogate pair", () => {
    const crd = versionSchema(loadCrd(), 'v1alpha1');
    const message = (crd.properties?.status?.properties?.conditions?.items?.properties?.message ?? {}) as {
      maxLength?: number;
    };
    expect(CONDITION_MESSAGE_MAX_LENGTH).toBe(message.maxLength);
    const long = `x${'😀'.repeat(CONDITION_MESSAGE_MAX_LENGTH)}`;
    const [cut] = mergeConditions(undefined, [desired('False', 'R', long)], t0);
    expect(apiLength(cut!.message)).toBe(CONDITION_MESSAGE_MAX_LENGTH);
    expect(cut!.message.endsWith('😀…')).toBe(true);
    expect(long.startsWith(cut!.message.slice(0, -1))).toBe(true);
    const fits = '😀'.repeat(CONDITION_MESSAGE_MAX_LENGTH);
    expect(mergeConditions(undefined, [desired('False', 'R', fits)], t0)[0]!.message).toBe(fits);
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
