import type { V1Deployment } from '@kubernetes/client-node';
import type { BootstrapResult } from '../bootstrap.ts';
import type { ConditionInputs } from './ready.ts';
import type { DesiredCondition } from './conditions.ts';
import type { KafkaTopic } from '../strimzi.ts';

// Observed children and inputs shared by the status model's tests.
export function deployment(
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

export function kafkaTopic(
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

export const bootstrapOk: BootstrapResult = {
  ok: true,
  bootstrapServers: 'kafka:9092',
  source: 'listener',
  listener: 'plain',
};

export const allReady: ConditionInputs = {
  generation: 7,
  specProblems: [],
  bootstrap: bootstrapOk,
  topic: kafkaTopic('True'),
  producerDeployment: deployment('erb-producer', 1),
  consumerDeployment: deployment('erb-consumer', 2),
};

export const byType = (conditions: DesiredCondition[]) =>
  Object.fromEntries(conditions.map((c) => [c.type, c]));
