// One reconcile of one experiment: level-triggered (everything is read again from the caches,
// whatever event caused it) and idempotent (in steady state it writes nothing). Each path is a
// short chain of named steps; docs/design.md lists them in order.
//
//   sync      observe → planSync (→ uncachedChildren → planSync) → applyPlan → planStatus → report
//             → (throw the failures)
//   staged    read → planStatus(staged) → report → removeFinalizer
//   deleting  planStatus(deleting) → report → removeTopics → removeIntakeBinding → removeFinalizer
import type { RatingExperiment } from '../api/v1alpha1.ts';
import type { Logger } from '../common/logger.ts';
import {
  ApplyFailuresError,
  kafkaTopicResourceName,
  resolveSpec,
  topicNameOf,
  usesRecordedLegacyTopic,
  type Kafka,
} from '../model/index.ts';
import type { ControllerConfig } from './config.ts';
import type { EventRecorder, EventSpec } from './events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from './finalizer.ts';
import { stripManagedFields, type Informer } from './informer.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { metricLabels, type ControllerMetrics } from './metrics.ts';
import { afterLeaving, labelledExperimentKey } from './mapping.ts';
import { applyPlan, type ApplyContext } from './apply.ts';
import { childEvents, planSync, type Observed, type SyncPlan } from './plan.ts';
import { planStatus, type StatusPlan } from './status.ts';
import { writeStatus } from './status-writer.ts';
import { removeIntakeBinding, removeTopics } from './teardown.ts';
import { objectKey, resources, splitKey, typeOf, type KubeObject } from '../common/kube-resources.ts';

type Experiment = RatingExperiment & KubeObject;

const liveKey = (obj: KubeObject): string => `${obj.kind}/${objectKey(obj)}`;

/** The informers the reconciler reads from. */
export interface Caches {
  experiments: Informer<Experiment>;
  kafkas: Informer<Kafka & KubeObject>;
  kafkaTopics: Informer<KubeObject>;
  /** Children by kind: Deployment, Service, ServiceAccount, Role, RoleBinding, ClusterRoleBinding (NetworkPolicy). */
  children: Map<string, Informer<KubeObject>>;
}

export interface ReconcilerOptions {
  client: KubeClient;
  caches: Caches;
  recorder: EventRecorder;
  logger: Logger;
  metrics: ControllerMetrics;
  image: string;
  /** See ControllerConfig.networkPolicy. */
  networkPolicy?: ControllerConfig['networkPolicy'];
  /** See ChildrenOptions.intakeReviewerClusterRole. */
  intakeReviewerClusterRole?: string;
}

/** What the work loop does after a reconcile that succeeded. */
export interface ReconcileResult {
  /** Reconcile again after this long even without an event. */
  requeueAfterMs?: number;
}

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly applyContext: ApplyContext;
  /** Keys of managed experiments that left the cache without being deleted: staged, or gone. */
  private readonly left = new Set<string>();

  constructor(options: ReconcilerOptions) {
    this.options = options;
    this.applyContext = { ...options, cacheOf: (obj) => this.cacheOf(obj) };
  }

  /** A managed experiment left the cache while not being deleted (see mayHaveBeenStaged). */
  noteLeft(key: string): void {
    this.left.add(key);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.options.caches.experiments.get(namespace, name);
    if (cached === undefined) {
      // Staged (out of the watch's selection) or gone: the garbage collector removes the owned
      // children; the finalizer handled the topic.
      if (this.left.has(key)) await this.releaseIfStaged(namespace, name);
      this.left.delete(key);
      this.options.metrics.forgetExperiment(namespace, name);
      return {};
    }
    this.left.delete(key);
    if (cached.metadata?.deletionTimestamp) {
      await this.finalize(cached, { cached: true });
      return {};
    }
    const exp = await addFinalizer(this.options.client, cached);
    if (exp !== cached) this.options.caches.experiments.assume(exp);
    return this.sync(exp);
  }

  private async sync(exp: Experiment): Promise<ReconcileResult> {
    const { image, networkPolicy, intakeReviewerClusterRole } = this.options;
    const options = { networkPolicy, intakeReviewerClusterRole };
    const observed = await this.observe(exp);
    let plan = planSync(observed, image, options);
    const unseen = await this.uncachedChildren(plan);
    if (unseen.size > 0) {
      plan = planSync(
        { ...observed, live: (d) => unseen.get(liveKey(d)) ?? observed.live(d) },
        image,
        options,
      );
    }
    const { outcome, applied } = await applyPlan(this.applyContext, exp, plan);
    const next = planStatus(exp, { phase: 'sync', plan, outcome }, new Date());
    await this.report(exp, next, { cached: true, childEvents: childEvents(applied) });
    if (outcome.failures.length > 0) throw new ApplyFailuresError(outcome.failures);
    return next.requeueAfterMs === undefined ? {} : { requeueAfterMs: next.requeueAfterMs };
  }

  /** What planSync judges: the experiment, its Kafka, and each desired child's live state. */
  private async observe(exp: Experiment): Promise<Observed> {
    const kafkaRef = exp.spec?.kafka;
    const kafka = kafkaRef && this.options.caches.kafkas.get(kafkaRef.namespace, kafkaRef.cluster);
    const uncachedTopics = new Map((await this.uncachedTopics(exp)).map((t) => [objectKey(t), t]));
    return {
      experiment: exp,
      kafka,
      live: (desired) =>
        desired.kind === resources.kafkaTopic.kind && uncachedTopics.has(objectKey(desired))
          ? uncachedTopics.get(objectKey(desired))
          : this.cached(desired),
    };
  }

  /**
   * The children the plan would create, read from the API server: the caches hold only objects
   * labelled as managed, so an unlabelled object of a child's name is invisible to them. The
   * create (a POST) would fail on it with a 409 and take nothing over; reading it lets this
   * reconcile judge whose it is: someone else's (ChildConflict, naming it), an earlier
   * experiment's of the same name (a wait), or ours with its label removed (applied again).
   */
  private async uncachedChildren(plan: SyncPlan): Promise<Map<string, KubeObject>> {
    const found = new Map<string, KubeObject>();
    for (const write of plan.writes) {
      if (write.change !== 'create' || write.type === resources.kafkaTopic) continue;
      const { namespace = '', name = '' } = write.object.metadata ?? {};
      const live = await this.options.client.get<KubeObject>(write.type, namespace, name);
      if (live !== undefined) found.set(liveKey(write.object), stripManagedFields(live));
    }
    return found;
  }

  /**
   * Tells what planStatus decided: its Events (best effort: record() never throws) alongside the
   * status write, the metrics, and the experiment as written (undefined when it is gone).
   */
  private async report(
    exp: Experiment,
    next: StatusPlan,
    options: { cached: boolean; childEvents?: EventSpec[] },
  ): Promise<Experiment | undefined> {
    const { client, recorder, metrics, caches } = this.options;
    const events = [...(options.childEvents ?? []), ...next.events];
    const recorded = Promise.all(events.map((event) => recorder.record(exp, event)));
    if (next.topicRecreated !== undefined) metrics.topicRecreations.inc(metricLabels(exp));
    const written =
      next.status === undefined
        ? exp
        : await writeStatus(client, exp, next.status, options.cached ? caches.experiments : undefined);
    await recorded;
    metrics.observeExperiment(exp, next.status?.conditions ?? exp.status?.conditions ?? []);
    return written;
  }

  /**
   * A managed experiment was labelled staged: nothing will reconcile or finalize it any more, so
   * its status says so (Ready=False, reason Staged, naming what stays behind), an Event too, and
   * our finalizer goes (otherwise deleting it would hang). Its children stay as they are. One
   * being deleted as well is finalized as usual. Staged objects never enter the cache.
   */
  private async releaseIfStaged(namespace: string, name: string): Promise<void> {
    const read = await this.options.client.get<Experiment>(resources.ratingExperiment, namespace, name);
    const live = read && stripManagedFields(read);
    const action = afterLeaving(live);
    if (live === undefined || action === 'none') return;
    if (action === 'finalize') return this.finalize(live, { cached: false });
    const topics = this.labelledTopics(live);
    const kept =
      topics.length === 0
        ? 'its KafkaTopic'
        : topics.map((t) => `KafkaTopic ${t.metadata?.namespace}/${t.metadata?.name}`).join(', ');
    const next = planStatus(live, { phase: 'staged', kept }, new Date());
    const exp = await this.report(live, next, { cached: false });
    if (exp !== undefined) await removeFinalizer(this.options.client, exp);
  }

  /**
   * Deletion: Ready=False (Deleting) while the finalizer runs, then the KafkaTopic by its
   * deletionPolicy and the intake's ClusterRoleBinding, then the finalizer goes. The removal of
   * the finalizer names the resourceVersion of the status just written.
   */
  private async finalize(cached: Experiment, options: { cached: boolean }): Promise<void> {
    if (!hasFinalizer(cached)) return;
    const exp = await this.report(cached, planStatus(cached, { phase: 'deleting' }, new Date()), options);
    if (exp === undefined) return;
    await removeTopics(this.options, exp, await this.topicsOf(exp));
    await removeIntakeBinding(this.options, exp);
    await removeFinalizer(this.options.client, exp);
  }

  private labelledTopics(exp: Experiment): KubeObject[] {
    const key = objectKey(exp);
    return this.options.caches.kafkaTopics.list().filter((t) => labelledExperimentKey(t) === key);
  }

  /** The experiment's KafkaTopics: by label from the cache, plus its desired one read directly in case the cache lags. */
  private async topicsOf(exp: Experiment): Promise<KubeObject[]> {
    const key = objectKey(exp);
    const topics = this.labelledTopics(exp);
    for (const desired of await this.uncachedTopics(exp)) {
      if (
        labelledExperimentKey(desired) === key &&
        !topics.some((t) => objectKey(t) === objectKey(desired))
      ) {
        topics.push(desired);
      }
    }
    return topics;
  }

  /**
   * The KafkaTopics the experiment may use, read from the API server when the cache lacks them:
   * the cache holds only managed topics, and an unmanaged one of the same name must not be taken
   * over. For a legacy experiment whose topic another experiment holds, also its namespaced default,
   * which the plan then moves to.
   */
  private async uncachedTopics(exp: Experiment): Promise<KubeObject[]> {
    const resolved = resolveSpec(exp);
    if (!resolved.ok) return [];
    const namespace = resolved.spec.kafka.namespace;
    const fetched: KubeObject[] = [];
    const lookup = async (topicName: string): Promise<KubeObject | undefined> => {
      const name = kafkaTopicResourceName(topicName);
      const cached = this.options.caches.kafkaTopics.get(namespace, name);
      if (cached !== undefined) return cached;
      const live = await this.options.client.get<KubeObject>(resources.kafkaTopic, namespace, name);
      if (live === undefined) return undefined;
      fetched.push(stripManagedFields(live));
      return live;
    };
    const current = await lookup(topicNameOf(exp));
    if (
      usesRecordedLegacyTopic(exp) &&
      current !== undefined &&
      labelledExperimentKey(current) !== objectKey(exp)
    ) {
      await lookup(topicNameOf(exp, { keepRecordedTopic: false }));
    }
    return fetched;
  }

  private cached(desired: KubeObject): KubeObject | undefined {
    const { namespace = '', name = '' } = desired.metadata ?? {};
    const informer = this.cacheOf(desired);
    if (informer === undefined) throw new Error(`no cache for ${desired.kind}`);
    return informer.get(namespace, name);
  }

  private cacheOf(obj: KubeObject): Informer<KubeObject> | undefined {
    return typeOf(obj) === resources.kafkaTopic
      ? this.options.caches.kafkaTopics
      : this.options.caches.children.get(obj.kind ?? '');
  }
}
