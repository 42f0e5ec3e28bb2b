import type { RatingExperiment } from '../api/v1alpha1.ts';
import { API_VERSION, KIND } from '../api/v1alpha1.ts';
import type { Kafka } from '../model/index.ts';
import { topicLabels } from '../model/names.ts';
import {
  ANNOTATION_APPLIED_HASH,
  childEvents,
  childWrite,
  planSync,
  readyTransition,
  type Observed,
} from './plan.ts';
import type { KubeObject } from '../common/kube-resources.ts';

const IMAGE = 'ghcr.io/conglombo/ratings-operator:test';
const NOW = new Date('2026-11-21T12:00:00Z');

function experiment(spec: Record<string, unknown> = {}): RatingExperiment {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'erb', namespace: 'appdev', uid: 'uid-1', generation: 1, resourceVersion: '1' },
    spec: {
      kafka: { cluster: 'kafka', namespace: 'queuing' },
      voices: ['Darth Vader', 'Joan of Arc'],
      battles: ['Darth Vader vs Adolf Hitler'],
      scale: ['Hated', 'Meh', 'Liked'],
      ...spec,
    },
  } as unknown as RatingExperiment;
}

const kafka: Kafka = {
  metadata: { name: 'kafka', namespace: 'queuing' },
  status: { listeners: [{ name: 'plain', bootstrapServers: 'kafka-bootstrap.queuing:9092' }] },
};

/** A cluster's objects by kind/namespace/name, as the informers' caches hold them. */
class FakeCluster {
  readonly objects = new Map<string, KubeObject>();
  key = (o: KubeObject) => `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`;
  /** `kafkaObject` null: the Kafka resource does not exist. */
  observed(exp: RatingExperiment, kafkaObject: Kafka | null = kafka): Observed {
    return { experiment: exp, kafka: kafkaObject ?? undefined, live: (d) => this.objects.get(this.key(d)) };
  }
  /** What the API server holds after an apply: the object plus defaults and status. */
  store(obj: KubeObject, extra: Record<string, unknown> = {}): void {
    this.objects.set(this.key(obj), {
      ...structuredClone(obj),
      ...extra,
      metadata: { ...obj.metadata, resourceVersion: '7' },
    });
  }
  ready(): void {
    for (const [key, obj] of this.objects) {
      const o = obj as KubeObject & { spec?: { replicas?: number } };
      if (obj.kind === 'Deployment') {
        const n = o.spec?.replicas ?? 1;
        const status = {
          observedGeneration: 1,
          replicas: n,
          updatedReplicas: n,
          availableReplicas: n,
          readyReplicas: n,
        };
        this.objects.set(key, { ...obj, metadata: { ...obj.metadata, generation: 1 }, status } as KubeObject);
      }
      if (obj.kind === 'KafkaTopic') {
        const status = { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] };
        this.objects.set(key, { ...obj, metadata: { ...obj.metadata, generation: 1 }, status } as KubeObject);
      }
    }
  }
}

function converge(cluster: FakeCluster, exp: RatingExperiment): RatingExperiment {
  const plan = planSync(cluster.observed(exp), IMAGE, NOW);
  for (const w of plan.writes) cluster.store(w.object, { status: {} });
  return plan.status === undefined ? exp : { ...exp, status: { ...exp.status, ...plan.status } };
}

describe('planSync', () => {
  it('creates every child of a new experiment and reports it not ready yet', () => {
    const cluster = new FakeCluster();
    const plan = planSync(cluster.observed(experiment()), IMAGE, NOW);
    expect(plan.writes.map((w) => `${w.type.kind} ${w.object.metadata?.name}`)).toEqual([
      'ServiceAccount erb-ratings',
      'Role erb-ratings',
      'RoleBinding erb-ratings',
      'Service erb-producer',
      'Service erb-consumer',
      'Deployment erb-producer',
      'Deployment erb-consumer',
      'KafkaTopic erb-ratings',
    ]);
    expect(plan.writes.every((w) => w.change === 'create')).toBe(true);
    expect(plan.writes[0]?.object.metadata?.annotations?.[ANNOTATION_APPLIED_HASH]).toMatch(/^[0-9a-f]{16}$/);
    expect(plan.status).toMatchObject({
      observedGeneration: 1,
      topic: 'erb-ratings',
      bootstrapServers: 'kafka-bootstrap.queuing:9092',
    });
    expect(plan.status?.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    expect(plan.events).toEqual([]); // not ready yet is no news
    expect(childEvents(plan.writes.slice(0, 2))).toEqual([
      {
        type: 'Normal',
        reason: 'Created',
        action: 'Apply',
        note: 'created ServiceAccount appdev/erb-ratings, Role appdev/erb-ratings',
      },
    ]);
  });

  it('writes nothing and says nothing once converged', () => {
    const cluster = new FakeCluster();
    let exp = converge(cluster, experiment());
    cluster.ready();
    exp = converge(cluster, exp);
    expect(exp.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    const plan = planSync(cluster.observed(exp), IMAGE, new Date(NOW.getTime() + 60_000));
    expect(plan).toEqual({ writes: [], status: undefined, events: [], conflict: undefined });
  });

  it('repairs an edited child and names the field that drifted', () => {
    const cluster = new FakeCluster();
    const exp = converge(cluster, experiment());
    const deployment = cluster.objects.get('Deployment/appdev/erb-consumer') as {
      spec: { replicas: number };
    };
    deployment.spec.replicas = 7;
    const plan = planSync(cluster.observed(exp), IMAGE, NOW);
    expect(plan.writes).toHaveLength(1);
    expect(plan.writes[0]?.change).toEqual({ field: 'spec.replicas' });
    expect(childEvents(plan.writes)).toEqual([
      expect.objectContaining({
        reason: 'Updated',
        note: 'updated Deployment appdev/erb-consumer (spec.replicas differed)',
      }),
    ]);
  });

  it('applies a spec change to the children it affects and observes the new generation', () => {
    const cluster = new FakeCluster();
    const exp = converge(cluster, experiment());
    const edited = { ...experiment({ producer: { replicas: 3 } }), status: exp.status };
    edited.metadata!.generation = 2;
    const plan = planSync(cluster.observed(edited), IMAGE, NOW);
    expect(plan.writes.map((w) => w.object.metadata?.name)).toEqual(['erb-producer']);
    expect(plan.status?.observedGeneration).toBe(2);
  });

  it('re-applies when the desired state drops a field, so that server-side apply removes it', () => {
    const cluster = new FakeCluster();
    const withResources = experiment({ resources: { limits: { memory: '512Mi' } } });
    const exp = converge(cluster, withResources);
    const without = { ...experiment(), status: exp.status };
    const plan = planSync(cluster.observed(without), IMAGE, NOW);
    expect(plan.writes.map((w) => w.object.metadata?.name)).toEqual(['erb-producer', 'erb-consumer']);
    expect(plan.writes[0]?.change).toEqual({ field: `metadata.annotations.${ANNOTATION_APPLIED_HASH}` });
  });

  it('creates nothing without a Kafka to point the pods at, and warns once', () => {
    const cluster = new FakeCluster();
    const plan = planSync(cluster.observed(experiment(), null), IMAGE, NOW);
    expect(plan.writes).toEqual([]);
    expect(plan.status?.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'KafkaNotFound',
    });
    expect(plan.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'KafkaNotFound' })]);

    const again = { ...experiment(), status: plan.status };
    expect(planSync(cluster.observed(again, null), IMAGE, NOW)).toMatchObject({
      status: undefined,
      events: [],
    });
  });

  it('uses the bootstrap override without a Kafka resource', () => {
    const cluster = new FakeCluster();
    const exp = experiment({
      kafka: { cluster: 'kafka', namespace: 'queuing', bootstrapServers: 'broker:9092' },
    });
    const plan = planSync(cluster.observed(exp, null), IMAGE, NOW);
    expect(plan.writes).toHaveLength(8);
    expect(plan.status?.bootstrapServers).toBe('broker:9092');
  });

  it('reports an invalid spec and touches no child', () => {
    const cluster = new FakeCluster();
    const plan = planSync(cluster.observed(experiment({ voices: ['solo'] })), IMAGE, NOW);
    expect(plan.writes).toEqual([]);
    const ready = plan.status?.conditions.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(ready?.message).toContain('spec.voices');
    expect(plan.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidSpec' })]);
  });

  it('leaves a KafkaTopic of another experiment alone and reports the conflict', () => {
    const cluster = new FakeCluster();
    cluster.store({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: {
        name: 'erb-ratings',
        namespace: 'queuing',
        labels: topicLabels({ namespace: 'other', name: 'x' }, 'kafka'),
      },
    });
    const plan = planSync(cluster.observed(experiment()), IMAGE, NOW);
    expect(plan.writes.map((w) => w.type.kind)).not.toContain('KafkaTopic');
    expect(plan.conflict).toContain('belongs to RatingExperiment other/x');
    expect(plan.status?.conditions.find((c) => c.type === 'TopicReady')).toMatchObject({
      reason: 'TopicConflict',
    });
  });
});

describe('childWrite', () => {
  it('refuses an object of a kind the controller does not manage', () => {
    expect(() =>
      childWrite({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }, undefined),
    ).toThrow('no resource type for v1/Secret');
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
