import type { V1Deployment } from '@kubernetes/client-node';
import { deploymentAvailable, topicReady } from './health.ts';
import { deployment, kafkaTopic } from './status.fixtures.ts';

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
