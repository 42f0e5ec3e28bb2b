import type { RatingExperiment } from '../api/v1alpha1.ts';
import { API_VERSION, KIND } from '../api/v1alpha1.ts';
import { planStatus, readyTransition } from './status.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const EARLIER = '2026-11-21T11:00:00Z';

/** An experiment whose status was last written by a sync that found it Ready. */
function readyExperiment(): RatingExperiment {
  const condition = (type: string, status: 'True' | 'False', reason: string) => ({
    type,
    status,
    reason,
    message: `${type} message`,
    observedGeneration: 2,
    lastTransitionTime: EARLIER,
  });
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'erb', namespace: 'appdev', uid: 'uid-1', generation: 2 },
    spec: {} as RatingExperiment['spec'],
    status: {
      observedGeneration: 2,
      topic: 'appdev.erb-ratings',
      topicId: 'id-1',
      conditions: [
        condition('Ready', 'True', 'Reconciled'),
        condition('TopicReady', 'True', 'TopicReady'),
        condition('ProducerAvailable', 'True', 'DeploymentAvailable'),
        condition('ConsumerAvailable', 'True', 'DeploymentAvailable'),
        condition('TotalsExact', 'False', 'RatingsLost'),
        condition('TotalsCurrent', 'True', 'CheckpointRecent'),
        condition('Reconciling', 'False', 'Reconciled'),
        condition('Stalled', 'False', 'Reconciled'),
      ],
    },
  } as unknown as RatingExperiment;
}

const byType = (conditions: readonly { type: string }[] = []) =>
  Object.fromEntries(conditions.map((c) => [c.type, c])) as Record<string, Record<string, unknown>>;

describe('planStatus while deleting', () => {
  it('reports Deleting and keeps what the children and the totals last were, with the topic', () => {
    const next = planStatus(readyExperiment(), { phase: 'deleting' }, NOW);
    const c = byType(next.status?.conditions);
    expect(c.Ready).toMatchObject({
      status: 'False',
      reason: 'Deleting',
      lastTransitionTime: '2026-11-21T12:00:00Z',
    });
    expect(c.Reconciling).toMatchObject({ status: 'True', reason: 'Deleting' });
    expect(c.TopicReady).toMatchObject({ status: 'True', reason: 'TopicReady', lastTransitionTime: EARLIER });
    expect(c.TotalsExact).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(next.status).toMatchObject({ topic: 'appdev.erb-ratings', topicId: 'id-1' });
    expect(next.events).toEqual([]);
  });

  it('writes nothing the second time', () => {
    const exp = readyExperiment();
    const first = planStatus(exp, { phase: 'deleting' }, NOW);
    const again = planStatus(
      { ...exp, status: { ...exp.status, ...first.status } },
      { phase: 'deleting' },
      NOW,
    );
    expect(again.status).toBeUndefined();
  });
});

describe('planStatus when staged', () => {
  it('reports Staged, naming what stays behind, and says so in an Event every time it is released', () => {
    const exp = readyExperiment();
    const next = planStatus(exp, { phase: 'staged', kept: 'KafkaTopic queuing/appdev.erb-ratings' }, NOW);
    const c = byType(next.status?.conditions);
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'Staged' });
    expect(String(c.Ready?.message)).toContain('will not delete KafkaTopic queuing/appdev.erb-ratings');
    expect(c.Stalled).toMatchObject({ status: 'False', reason: 'Staged' });
    expect(next.events).toEqual([
      { type: 'Normal', reason: 'Staged', action: 'Release', note: c.Ready?.message },
    ]);
    const again = planStatus(
      { ...exp, status: { ...exp.status, ...next.status } },
      { phase: 'staged', kept: 'x' },
      NOW,
    );
    expect(again.events).toHaveLength(1);
  });
});

describe('readyTransition', () => {
  const ready = (status: 'True' | 'False', reason: string) => ({
    type: 'Ready',
    status,
    reason,
    message: 'm',
    observedGeneration: 1,
    lastTransitionTime: '2026-01-01T00:00:00Z',
  });

  it('says nothing while Ready keeps its status and reason', () => {
    expect(readyTransition([ready('False', 'Progressing')], [ready('False', 'Progressing')])).toEqual([]);
  });

  it('says nothing while Ready is False for reasons that only need time', () => {
    expect(readyTransition(undefined, [ready('False', 'TopicPending')])).toEqual([]);
    expect(readyTransition([ready('False', 'TopicPending')], [ready('False', 'Progressing')])).toEqual([]);
  });

  it('is Normal when Ready turns True or stops being True, Warning when a person must act', () => {
    expect(readyTransition([ready('False', 'Progressing')], [ready('True', 'Reconciled')])[0]?.type).toBe(
      'Normal',
    );
    expect(readyTransition([ready('True', 'Reconciled')], [ready('False', 'Progressing')])[0]?.type).toBe(
      'Normal',
    );
    expect(
      readyTransition([ready('True', 'Reconciled')], [ready('False', 'ProgressDeadlineExceeded')])[0],
    ).toEqual({
      type: 'Warning',
      reason: 'ProgressDeadlineExceeded',
      action: 'Reconcile',
      note: 'm',
    });
  });
});
