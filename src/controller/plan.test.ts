import type { RatingExperiment } from '../api/v1alpha1.ts';
import { ANNOTATION_ACKNOWLEDGED_LOST, API_VERSION, KIND } from '../api/v1alpha1.ts';
import type { Kafka } from '../model/index.ts';
import { topicLabels } from '../model/names.ts';
import {
  ANNOTATION_APPLIED_HASH,
  childEvents,
  childWrite,
  planSync,
  type ChildWrite,
  type SyncOutcome,
  type SyncPlan,
} from './plan.ts';
import { planStatus, type StatusPlan } from './status.ts';
import type { ApplyFailure } from '../model/index.ts';
import type { KubeObject } from '../common/kube-resources.ts';

const IMAGE = 'ghcr.io/conglombo/ratings-operator:test';
const NOW = new Date('2026-11-21T12:00:00Z');
const nothingWritten: SyncOutcome = { written: [], deleted: [], failures: [] };

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
  key = (o: KubeObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
  /** `kafkaObject` null: the Kafka resource does not exist. */
  observed(exp: RatingExperiment, kafkaObject: Kafka | null = kafka): Parameters<typeof planSync>[0] {
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

interface Reconciled extends StatusPlan {
  plan: SyncPlan;
}

/** One reconcile against the fake cluster: the plan, the writes (failing where `refuse` says), the status. */
function reconcile(
  cluster: FakeCluster,
  exp: RatingExperiment,
  now = NOW,
  refuse: (w: ChildWrite) => ApplyFailure | undefined = () => undefined,
): Reconciled {
  const observed = cluster.observed(exp);
  const plan = planSync(observed, IMAGE);
  const outcome: SyncOutcome = { written: [], deleted: [], failures: [] };
  for (const w of plan.writes) {
    const failure = refuse(w);
    if (failure !== undefined) {
      outcome.failures.push(failure);
      continue;
    }
    cluster.store(w.object, { status: {} });
    outcome.written.push(cluster.objects.get(cluster.key(w.object))!);
  }
  for (const d of plan.deletes) {
    cluster.objects.delete(`${d.type.kind}/${d.namespace}/${d.name}`);
    outcome.deleted.push(d);
  }
  return { plan, ...planStatus(exp, { phase: 'sync', plan, outcome }, now) };
}

function converge(cluster: FakeCluster, exp: RatingExperiment, now = NOW): RatingExperiment {
  const { status } = reconcile(cluster, exp, now);
  return status === undefined ? exp : { ...exp, status: { ...exp.status, ...status } };
}

/** Until nothing changes: the topic becomes Ready, the Deployments follow and become available. */
function convergeReady(cluster: FakeCluster, exp: RatingExperiment): RatingExperiment {
  let current = converge(cluster, exp);
  cluster.ready();
  current = converge(cluster, current);
  cluster.ready();
  return converge(cluster, current);
}

const condition = (r: { status?: { conditions?: { type: string; message?: string }[] } }, type: string) =>
  r.status?.conditions?.find((c) => c.type === type);
const names = (r: Reconciled) => r.plan.writes.map((w) => `${w.type.kind} ${w.object.metadata?.name}`);

/** A KafkaTopic labelled for another experiment. */
const foreignTopic = (name: string): KubeObject =>
  ({
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaTopic',
    metadata: {
      name,
      namespace: 'queuing',
      labels: topicLabels({ namespace: 'other', name: 'x' }, 'kafka'),
    },
    status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] },
  }) as KubeObject;

describe('planSync and planStatus', () => {
  it('creates the topic and the access objects of a new experiment first, no pods, and reports it not ready yet', () => {
    const cluster = new FakeCluster();
    const r = reconcile(cluster, experiment());
    expect(names(r)).toEqual([
      'ServiceAccount erb-ratings',
      'Role erb-ratings',
      'RoleBinding erb-ratings',
      'Service erb-producer',
      'Service erb-consumer',
      'PodDisruptionBudget erb-producer',
      'PodDisruptionBudget erb-consumer',
      'KafkaTopic appdev.erb-ratings',
    ]);
    expect(r.plan.writes.every((w) => w.change === 'create')).toBe(true);
    expect(r.plan.writes[0]?.object.metadata?.annotations?.[ANNOTATION_APPLIED_HASH]).toMatch(
      /^[0-9a-f]{16}$/,
    );
    expect(r.status).toMatchObject({
      observedGeneration: 1,
      topic: 'appdev.erb-ratings',
      bootstrapServers: 'kafka-bootstrap.queuing:9092',
    });
    expect(condition(r, 'Ready')).toMatchObject({ status: 'False', reason: 'TopicPending' });
    expect(condition(r, 'ConsumerAvailable')).toMatchObject({ status: 'False', reason: 'Waiting' });
    expect(r.events).toEqual([]); // not ready yet is no news
    expect(childEvents(r.plan.writes.slice(0, 2))).toEqual([
      {
        type: 'Normal',
        reason: 'Created',
        action: 'Apply',
        note: 'created ServiceAccount appdev/erb-ratings, Role appdev/erb-ratings',
      },
    ]);
  });

  it('creates the Deployments once the topic is Ready', () => {
    const cluster = new FakeCluster();
    const exp = converge(cluster, experiment());
    cluster.ready();
    const r = reconcile(cluster, exp);
    expect(names(r)).toEqual(['Deployment erb-producer', 'Deployment erb-consumer']);
    expect(condition(r, 'TopicReady')).toMatchObject({ status: 'True' });
    // judged as the writes left them: created, not yet available
    expect(condition(r, 'ConsumerAvailable')).toMatchObject({ status: 'False' });
  });

  it('writes nothing and says nothing once converged', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment());
    expect(exp.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const r = reconcile(cluster, exp, new Date(NOW.getTime() + 60_000));
    expect(r.plan.writes).toEqual([]);
    expect(r.plan.deletes).toEqual([]);
    expect(r.status).toBeUndefined();
    expect(r.events).toEqual([]);
  });

  it('repairs an edited child and names the field that drifted', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment());
    const deployment = cluster.objects.get('Deployment/appdev/erb-consumer') as {
      spec: { replicas: number };
    };
    deployment.spec.replicas = 7;
    const r = reconcile(cluster, exp);
    expect(r.plan.writes).toHaveLength(1);
    expect(r.plan.writes[0]?.change).toEqual({ field: 'spec.replicas' });
    expect(childEvents(r.plan.writes)).toEqual([
      expect.objectContaining({
        reason: 'Updated',
        note: 'updated Deployment appdev/erb-consumer (spec.replicas differed)',
      }),
    ]);
  });

  it('judges Ready from what the writes achieved, not from the cache before them', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment());
    const edited = { ...experiment({ consumer: { replicas: 3 } }), status: exp.status };
    edited.metadata!.generation = 2;
    const r = reconcile(cluster, edited);
    expect(names(r)).toEqual(['Deployment erb-consumer']);
    expect(r.status?.observedGeneration).toBe(2);
    // the cache still held an available Deployment at 2 replicas; the write's answer has 3 desired
    expect(condition(r, 'Ready')).toMatchObject({ status: 'False' });
  });

  it('reports an apply the API server refused as Ready=False with its message, Stalled, and a Warning', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment());
    const edited = { ...experiment({ consumer: { replicas: 3 } }), status: exp.status };
    edited.metadata!.generation = 2;
    const message = 'deployments.apps "erb-consumer" is forbidden: ValidatingAdmissionPolicy denied request';
    const r = reconcile(cluster, edited, NOW, (w) =>
      w.type.kind === 'Deployment'
        ? { what: 'Deployment appdev/erb-consumer', message, terminal: true }
        : undefined,
    );
    expect(condition(r, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ApplyRefused',
      message: `the API server refused Deployment appdev/erb-consumer: ${message}`,
    });
    expect(condition(r, 'Stalled')).toMatchObject({ status: 'True', reason: 'ApplyRefused' });
    expect(condition(r, 'Reconciling')).toMatchObject({ status: 'False' });
    expect(r.status?.observedGeneration).toBe(2);
    expect(r.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'ApplyRefused' })]);
  });

  it('reports a transient failure as Reconciling, not Stalled', () => {
    const cluster = new FakeCluster();
    const r = reconcile(cluster, experiment(), NOW, (w) =>
      w.type.kind === 'Role'
        ? { what: 'Role appdev/erb-ratings', message: 'timeout', terminal: false }
        : undefined,
    );
    expect(condition(r, 'Ready')).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
    expect(condition(r, 'Reconciling')).toMatchObject({ status: 'True' });
    expect(condition(r, 'Stalled')).toMatchObject({ status: 'False' });
  });

  it('re-applies when the desired state drops a field, so that server-side apply removes it', () => {
    const cluster = new FakeCluster();
    const withResources = experiment({ resources: { limits: { memory: '512Mi' } } });
    const exp = convergeReady(cluster, withResources);
    const without = { ...experiment(), status: exp.status };
    const r = reconcile(cluster, without);
    expect(r.plan.writes.map((w) => w.object.metadata?.name)).toEqual(['erb-producer', 'erb-consumer']);
    expect(r.plan.writes[0]?.change).toEqual({ field: `metadata.annotations.${ANNOTATION_APPLIED_HASH}` });
  });

  it('creates nothing without a Kafka to point the pods at, and warns once', () => {
    const cluster = new FakeCluster();
    const observed = cluster.observed(experiment(), null);
    const plan = planSync(observed, IMAGE);
    expect(plan.writes).toEqual([]);
    const r = planStatus(observed.experiment, { phase: 'sync', plan, outcome: nothingWritten }, NOW);
    expect(condition(r, 'Ready')).toMatchObject({ status: 'False', reason: 'KafkaNotFound' });
    expect(r.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'KafkaNotFound' })]);

    const again = { ...experiment(), status: r.status };
    const observedAgain = cluster.observed(again, null);
    expect(
      planStatus(
        again,
        { phase: 'sync', plan: planSync(observedAgain, IMAGE), outcome: nothingWritten },
        NOW,
      ),
    ).toEqual({ status: undefined, events: [] });
  });

  it('uses the bootstrap override without a Kafka resource', () => {
    const cluster = new FakeCluster();
    const exp = experiment({
      kafka: { cluster: 'kafka', namespace: 'queuing', bootstrapServers: 'broker:9092' },
    });
    const observed = cluster.observed(exp, null);
    const plan = planSync(observed, IMAGE);
    expect(plan.writes).toHaveLength(8);
    expect(
      planStatus(exp, { phase: 'sync', plan, outcome: nothingWritten }, NOW).status?.bootstrapServers,
    ).toBe('broker:9092');
  });

  it('reports an invalid spec and touches no child', () => {
    const cluster = new FakeCluster();
    const r = reconcile(cluster, experiment({ voices: ['solo'] }));
    expect(r.plan.writes).toEqual([]);
    const ready = condition(r, 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(ready?.message).toContain('spec.voices');
    expect(r.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidSpec' })]);
  });

  it('leaves a KafkaTopic of another experiment alone, runs no pods against it and reports the conflict', () => {
    const cluster = new FakeCluster();
    cluster.store(foreignTopic('erb-ratings'));
    const r = reconcile(cluster, experiment({ topic: { name: 'erb-ratings' } }));
    expect(r.plan.writes.map((w) => w.type.kind)).not.toContain('KafkaTopic');
    expect(r.plan.writes.map((w) => w.type.kind)).not.toContain('Deployment');
    expect(r.plan.conflict).toContain('belongs to RatingExperiment other/x');
    expect(condition(r, 'TopicReady')).toMatchObject({ reason: 'TopicConflict' });
    expect(condition(r, 'Ready')).toMatchObject({ status: 'False', reason: 'TopicConflict' });
  });

  it('deletes Deployments that a conflict finds running', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment({ topic: { name: 'shared' } }));
    // the KafkaTopic now belongs to another experiment (say ours was deleted and theirs took the name)
    cluster.store(foreignTopic('shared'));
    const r = reconcile(cluster, exp);
    expect(r.plan.deletes.map((d) => `${d.type.kind} ${d.name}`)).toEqual([
      'Deployment erb-producer',
      'Deployment erb-consumer',
    ]);
    expect(cluster.objects.has('Deployment/appdev/erb-consumer')).toBe(false);
    expect(condition(r, 'ConsumerAvailable')).toMatchObject({ status: 'False' });
  });

  it('keeps a legacy default topic the experiment owns, and leaves one it does not own for its namespaced default', () => {
    const owned = new FakeCluster();
    const legacy = { ...experiment(), status: { topic: 'erb-ratings' } };
    const r = reconcile(owned, legacy);
    expect(names(r)).toContain('KafkaTopic erb-ratings');
    expect(r.status?.topic).toBe('erb-ratings');

    const taken = new FakeCluster();
    taken.store(foreignTopic('erb-ratings'));
    const moved = reconcile(taken, legacy);
    expect(moved.plan.conflict).toBeUndefined();
    expect(names(moved)).toContain('KafkaTopic appdev.erb-ratings');
    expect(moved.status?.topic).toBe('appdev.erb-ratings');
  });

  it("copies the KafkaTopic's topicId and reports a recreated topic with a Warning", () => {
    const cluster = new FakeCluster();
    let exp = convergeReady(cluster, experiment());
    const topicKey = 'KafkaTopic/queuing/appdev.erb-ratings';
    const withId = (id: string) => {
      const kt = cluster.objects.get(topicKey) as KubeObject & { status: Record<string, unknown> };
      cluster.objects.set(topicKey, { ...kt, status: { ...kt.status, topicId: id } } as KubeObject);
    };
    withId('AAAAAAAAAAAAAAAAAAAAAA');
    const first = reconcile(cluster, exp);
    expect(first.status?.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(first.topicRecreated).toBeUndefined();
    exp = { ...exp, status: { ...exp.status, ...first.status } };

    withId('BBBBBBBBBBBBBBBBBBBBBB');
    const second = reconcile(cluster, exp);
    expect(second.status?.topicId).toBe('BBBBBBBBBBBBBBBBBBBBBB');
    expect(second.topicRecreated).toEqual({ from: 'AAAAAAAAAAAAAAAAAAAAAA', to: 'BBBBBBBBBBBBBBBBBBBBBB' });
    expect(second.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'TopicRecreated' })]);
  });

  it('turns TotalsExact and Ready False on lost ratings, with a Warning, until acknowledged', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment());
    const losing = { ...exp, status: { ...exp.status, lost: 7 } } as RatingExperiment;
    const r = reconcile(cluster, losing);
    expect(condition(r, 'TotalsExact')).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(condition(r, 'Ready')).toMatchObject({ status: 'False', reason: 'RatingsLost' });
    expect(condition(r, 'Ready')?.message).toContain('7 ratings');
    expect(r.events.map((e) => `${e.type} ${e.reason}`)).toEqual([
      'Warning RatingsLost',
      'Warning RatingsLost',
    ]);

    const acknowledged = {
      ...losing,
      metadata: { ...losing.metadata, annotations: { [ANNOTATION_ACKNOWLEDGED_LOST]: '7' } },
      status: { ...losing.status, ...r.status },
    } as RatingExperiment;
    const after = reconcile(cluster, acknowledged);
    expect(condition(after, 'Ready')).toMatchObject({ status: 'True', reason: 'LossAcknowledged' });
    expect(condition(after, 'TotalsExact')).toMatchObject({ status: 'False', reason: 'RatingsLost' });

    // more lost than acknowledged: Ready False again
    const more = {
      ...acknowledged,
      status: { ...acknowledged.status, ...after.status, lost: 9 },
    } as RatingExperiment;
    expect(condition(reconcile(cluster, more), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'RatingsLost',
    });
  });

  it('reports checkpoints stale when records wait and none was written for long, and asks to be checked in time', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment());
    const at = (ms: number) => ({
      ...exp,
      status: { ...exp.status, lag: 12, checkpointedAt: new Date(NOW.getTime() - ms).toISOString() },
    });
    const fresh = reconcile(cluster, at(5_000) as RatingExperiment);
    expect(fresh.status).toBeUndefined(); // nothing changed: nothing to write
    expect(fresh.requeueAfterMs).toBe(56_000);
    const stale = reconcile(cluster, at(61_000) as RatingExperiment);
    expect(condition(stale, 'TotalsCurrent')).toMatchObject({ status: 'False', reason: 'CheckpointStale' });
    expect(condition(stale, 'Ready')).toMatchObject({ status: 'False', reason: 'CheckpointStale' });
    expect(stale.requeueAfterMs).toBeUndefined();
  });
});

describe('planSync: the intake reviewer binding', () => {
  const authenticating = { producer: { intake: { authentication: 'Kubernetes' } } };

  it('binds the ServiceAccount to the TokenReview ClusterRole while the intake authenticates, then removes it', () => {
    const cluster = new FakeCluster();
    const on = experiment(authenticating);
    const first = reconcile(cluster, on);
    expect(names(first)).toContain('ClusterRoleBinding ratings-intake-reviewer.appdev.erb');
    const binding = first.plan.writes.find((w) => w.type.kind === 'ClusterRoleBinding')!
      .object as KubeObject & {
      roleRef: unknown;
      subjects: unknown;
    };
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'ratings-operator-intake-reviewer',
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'erb-ratings', namespace: 'appdev' }]);
    const converged = convergeReady(cluster, on);
    expect(reconcile(cluster, converged).plan.writes).toEqual([]);

    const off = {
      ...converged,
      spec: { ...converged.spec, producer: { intake: { authentication: 'None' } } },
    };
    const r = reconcile(cluster, off as RatingExperiment);
    expect(r.plan.deletes).toEqual([
      expect.objectContaining({ name: 'ratings-intake-reviewer.appdev.erb', namespace: '', routine: true }),
    ]);
    expect(cluster.objects.has('ClusterRoleBinding//ratings-intake-reviewer.appdev.erb')).toBe(false);
    expect(reconcile(cluster, off as RatingExperiment).plan.deletes).toEqual([]);
  });

  it('uses the ClusterRole it is told (the chart prefixes its release name)', () => {
    const plan = planSync(new FakeCluster().observed(experiment(authenticating)), IMAGE, {
      intakeReviewerClusterRole: 'rel-intake-reviewer',
    });
    const binding = plan.writes.find((w) => w.type.kind === 'ClusterRoleBinding')!.object as {
      roleRef: { name: string };
    };
    expect(binding.roleRef.name).toBe('rel-intake-reviewer');
  });

  it('never deletes a binding of that name that is not its own', () => {
    const cluster = new FakeCluster();
    cluster.store({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ratings-intake-reviewer.appdev.erb', labels: { team: 'other' } },
    });
    expect(reconcile(cluster, experiment()).plan.deletes).toEqual([]);
  });
});

describe('planSync: children it does not own', () => {
  const role = (metadata: Record<string, unknown>): KubeObject =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'erb-ratings', namespace: 'appdev', ...metadata },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    }) as KubeObject;
  const controlledBy = (uid: string, name = 'erb', kind = KIND) => ({
    ownerReferences: [{ apiVersion: API_VERSION, kind, name, uid, controller: true }],
  });

  it('never writes a Role of its name that it does not control, nor binds it, and reports ChildConflict, stalled, with a Warning', () => {
    const cluster = new FakeCluster();
    cluster.store(role({ labels: { team: 'admins' } }));
    const r = reconcile(cluster, experiment());
    expect(names(r)).not.toContain('Role erb-ratings');
    expect(names(r)).not.toContain('RoleBinding erb-ratings');
    expect(names(r)).toContain('ServiceAccount erb-ratings');
    expect((cluster.objects.get('Role/appdev/erb-ratings') as { rules: unknown }).rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    expect(condition(r, 'Ready')).toMatchObject({ status: 'False', reason: 'ChildConflict' });
    expect(condition(r, 'Ready')?.message).toContain('Role appdev/erb-ratings already exists');
    expect(condition(r, 'Stalled')).toMatchObject({ status: 'True', reason: 'ChildConflict' });
    expect(condition(r, 'Reconciling')).toMatchObject({ status: 'False' });
    expect(r.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'ChildConflict' })]);
    expect(r.requeueAfterMs).toBeGreaterThan(0);
  });

  it('judges by the controller owner reference, not by labels or name', () => {
    for (const metadata of [
      controlledBy('uid-1', 'erb', 'Deployment'),
      { ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: 'erb', uid: 'uid-1' }] },
      controlledBy('uid-9', 'other'),
    ]) {
      const cluster = new FakeCluster();
      cluster.store(role(metadata));
      const r = reconcile(cluster, experiment());
      expect(names(r)).not.toContain('Role erb-ratings');
      expect(condition(r, 'Ready')).toMatchObject({ reason: 'ChildConflict' });
    }
  });

  it('repairs a child it controls, whatever its labels', () => {
    const cluster = new FakeCluster();
    cluster.store(role({ labels: { team: 'admins' }, ...controlledBy('uid-1') }));
    const r = reconcile(cluster, experiment());
    expect(r.plan.writes.find((w) => w.type.kind === 'Role')?.change).toEqual({
      field: expect.any(String),
    });
    expect(r.plan.childConflicts).toEqual([]);
  });

  it('waits, without writing, for a child of an earlier experiment of the same name to be garbage-collected', () => {
    const cluster = new FakeCluster();
    cluster.store(role(controlledBy('uid-0')));
    const r = reconcile(cluster, experiment());
    expect(names(r)).not.toContain('Role erb-ratings');
    expect(r.plan.childConflicts).toEqual([]);
    expect(condition(r, 'Ready')).toMatchObject({ status: 'False', reason: 'Waiting' });
    expect(condition(r, 'Ready')?.message).toContain('earlier RatingExperiment appdev/erb (uid uid-0)');
    expect(condition(r, 'Stalled')).toMatchObject({ status: 'False' });
    expect(condition(r, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Waiting' });
    expect(r.events.filter((e) => e.type === 'Warning')).toEqual([]);
    expect(r.requeueAfterMs).toBeLessThanOrEqual(5_000);
  });

  it('neither counts nor deletes a Deployment of its name that it does not control, and runs no pods of its own beside it', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment());
    const producer = cluster.objects.get('Deployment/appdev/erb-producer')!;
    cluster.store({ ...producer, metadata: { ...producer.metadata, ownerReferences: [] } });
    cluster.ready();
    const r = reconcile(cluster, exp);
    expect(names(r)).not.toContain('Deployment erb-producer');
    expect(r.plan.deletes.map((d) => `${d.type.kind} ${d.name}`)).toEqual(['Deployment erb-consumer']);
    expect(cluster.objects.has('Deployment/appdev/erb-producer')).toBe(true);
    expect(condition(r, 'ProducerAvailable')).toMatchObject({ status: 'False' });
    expect(condition(r, 'Ready')).toMatchObject({ reason: 'ChildConflict' });

    cluster.store(foreignTopic('erb-ratings'));
    const conflicted = reconcile(cluster, {
      ...exp,
      spec: { ...exp.spec, topic: { name: 'erb-ratings' } },
    } as RatingExperiment);
    expect(conflicted.plan.deletes).toEqual([]);
    expect(cluster.objects.has('Deployment/appdev/erb-producer')).toBe(true);
  });

  it('deletes its RoleBinding once the ServiceAccount of its name is not its own', () => {
    const cluster = new FakeCluster();
    const exp = convergeReady(cluster, experiment());
    const account = cluster.objects.get('ServiceAccount/appdev/erb-ratings')!;
    cluster.store({ ...account, metadata: { ...account.metadata, ownerReferences: [] } });
    const r = reconcile(cluster, exp);
    expect(r.plan.deletes.map((d) => `${d.type.kind} ${d.name}`)).toEqual([
      'RoleBinding erb-ratings',
      'Deployment erb-producer',
      'Deployment erb-consumer',
    ]);
    expect(r.plan.deletes[0]?.why).toContain('ServiceAccount appdev/erb-ratings already exists');
  });

  it('never writes an intake ClusterRoleBinding of its name that is not labelled for it', () => {
    const cluster = new FakeCluster();
    cluster.store({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ratings-intake-reviewer.appdev.erb', labels: { team: 'other' } },
    });
    const r = reconcile(cluster, experiment({ producer: { intake: { authentication: 'Kubernetes' } } }));
    expect(names(r)).not.toContain('ClusterRoleBinding ratings-intake-reviewer.appdev.erb');
    expect(condition(r, 'Ready')?.message).toContain(
      'ClusterRoleBinding ratings-intake-reviewer.appdev.erb already exists and is not labelled for this experiment',
    );
  });
});

describe('childWrite', () => {
  it('refuses an object of a kind the controller does not manage', () => {
    expect(() =>
      childWrite({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }, undefined),
    ).toThrow('no resource type for v1/Secret');
  });
});
