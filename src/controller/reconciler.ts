// One reconcile of one experiment: level-triggered (everything is read again from the caches,
// whatever event caused it) and idempotent (in steady state it writes nothing).
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { FINALIZER } from '../api/v1alpha1.ts';
import type { Logger } from '../common/logger.ts';
import {
  LABEL_EXPERIMENT_NAME,
  LABEL_EXPERIMENT_NAMESPACE,
  LABEL_MANAGED_BY,
  computeConditions,
  intakeReviewerBindingName,
  desiredStatus,
  kafkaTopicResourceName,
  resolveSpec,
  stagedConditions,
  statusNeedsUpdate,
  topicNameOf,
  usesRecordedLegacyTopic,
  type ApplyFailure,
  type Kafka,
} from '../model/index.ts';
import type { ControllerConfig } from './config.ts';
import type { EventRecorder } from './events.ts';
import { FIELD_MANAGER } from './field-manager.ts';
import { stripManagedFields, type Informer } from './informer.ts';
import { isTransient } from '../common/errors.ts';
import { errorMessage, isNotFound } from '../common/kube-errors.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { metricLabels, type ControllerMetrics } from './metrics.ts';
import { afterLeaving, labelledExperimentKey } from './mapping.ts';
import {
  childEvents,
  planStatus,
  planSync,
  type ChildWrite,
  type Observed,
  type SyncOutcome,
} from './plan.ts';
import { objectKey, resources, splitKey, typeOf, type KubeObject } from '../common/kube-resources.ts';

/** The informers the reconciler reads from. */
export interface Caches {
  experiments: Informer<RatingExperiment & KubeObject>;
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

/**
 * Some writes of a reconcile failed. The status already says so (Ready=False with the API
 * server's message); `transient` says whether retrying with backoff can help.
 */
export class ApplyFailuresError extends Error {
  readonly failures: readonly ApplyFailure[];
  readonly transient: boolean;
  constructor(failures: readonly ApplyFailure[]) {
    super(`could not apply ${failures.map((f) => `${f.what}: ${f.message}`).join('; ')}`);
    this.name = 'ApplyFailuresError';
    this.failures = failures;
    this.transient = failures.some((f) => !f.terminal);
  }
}

export class Reconciler {
  private readonly options: ReconcilerOptions;
  /** Keys of managed experiments that left the cache without being deleted: staged, or gone. */
  private readonly left = new Set<string>();

  constructor(options: ReconcilerOptions) {
    this.options = options;
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
      await this.finalize(cached);
      return {};
    }
    const exp = await this.ensureFinalizer(cached);
    return this.sync(exp);
  }

  private async sync(exp: RatingExperiment & KubeObject): Promise<ReconcileResult> {
    const { client, recorder, logger, image, metrics, networkPolicy } = this.options;
    const kafkaRef = exp.spec?.kafka;
    const kafka = kafkaRef && this.options.caches.kafkas.get(kafkaRef.namespace, kafkaRef.cluster);
    const uncachedTopics = new Map((await this.uncachedTopics(exp)).map((t) => [objectKey(t), t]));
    const observed: Observed = {
      experiment: exp,
      kafka,
      live: (desired) =>
        desired.kind === resources.kafkaTopic.kind && uncachedTopics.has(objectKey(desired))
          ? uncachedTopics.get(objectKey(desired))
          : this.cached(desired),
    };
    const plan = planSync(observed, image, {
      networkPolicy,
      intakeReviewerClusterRole: this.options.intakeReviewerClusterRole,
    });

    // Every write is attempted, so that one failing child does not hold back the others. In the
    // plan's order, one after the other: a RoleBinding is refused while its Role does not exist
    // yet (the API server checks the binder holds the Role's permissions), and pods must not start
    // before their ServiceAccount.
    const outcome: SyncOutcome = { written: [], deleted: [], failures: [] };
    const applied: ChildWrite[] = [];
    for (const write of plan.writes) {
      const what = `${write.type.kind} ${write.object.metadata?.namespace}/${write.object.metadata?.name}`;
      try {
        const live = await client.apply(write.type, write.object, FIELD_MANAGER);
        this.informerFor(write.object)?.assume(live);
        outcome.written.push(stripManagedFields(live));
        applied.push(write);
        logger.info({ experiment: objectKey(exp), change: write.change }, `applied ${what}`);
      } catch (err) {
        outcome.failures.push(this.failure(what, err));
      }
    }
    for (const removal of plan.deletes) {
      const what = `${removal.type.kind} ${removal.namespace}/${removal.name}`;
      try {
        await client.delete(removal.type, removal.namespace, removal.name);
        outcome.deleted.push(removal);
        logger[removal.routine === true ? 'info' : 'warn'](
          { experiment: objectKey(exp), why: removal.why },
          `deleted ${what}`,
        );
        await recorder.record(exp, {
          type: removal.routine === true ? 'Normal' : 'Warning',
          reason: 'Deleted',
          action: 'Delete',
          note: `deleted ${what}: ${removal.why}`,
        });
      } catch (err) {
        outcome.failures.push(this.failure(what, err));
      }
    }

    const next = planStatus(observed, plan, outcome, new Date());
    // Events are best effort (record() never throws): sent alongside the status write, not before it.
    const recorded = Promise.all(
      [...childEvents(applied), ...next.events].map((event) => recorder.record(exp, event)),
    );
    if (next.topicRecreated !== undefined) metrics.topicRecreations.inc(metricLabels(exp));
    if (next.status !== undefined) {
      // A merge patch keeps fields it does not name: clear a topicId the new status no longer has.
      const clearTopicId = next.status.topicId === undefined && exp.status?.topicId !== undefined;
      try {
        const written = await client.mergePatch<RatingExperiment & KubeObject>(
          resources.ratingExperiment,
          exp.metadata?.namespace ?? '',
          exp.metadata?.name ?? '',
          { status: { ...next.status, ...(clearTopicId && { topicId: null }) } },
          FIELD_MANAGER,
          'status',
        );
        this.options.caches.experiments.assume(written);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    await recorded;
    metrics.observeExperiment(exp, next.status?.conditions ?? exp.status?.conditions ?? []);
    if (outcome.failures.length > 0) throw new ApplyFailuresError(outcome.failures);
    return next.requeueAfterMs === undefined ? {} : { requeueAfterMs: next.requeueAfterMs };
  }

  private failure(what: string, err: unknown): ApplyFailure {
    const terminal = !isTransient(err);
    this.options.metrics.applyFailures.inc({ class: terminal ? 'terminal' : 'transient' });
    return { what, message: errorMessage(err), terminal };
  }

  /** Adds our finalizer before anything is created, so that the topic is never left behind. */
  private async ensureFinalizer(exp: RatingExperiment & KubeObject): Promise<RatingExperiment & KubeObject> {
    const finalizers = exp.metadata?.finalizers ?? [];
    if (finalizers.includes(FINALIZER)) return exp;
    // Conditional on resourceVersion: a 409 means our cache is stale, and the retry re-reads it.
    const patched = await this.options.client.mergePatch<RatingExperiment & KubeObject>(
      resources.ratingExperiment,
      exp.metadata?.namespace ?? '',
      exp.metadata?.name ?? '',
      {
        metadata: { finalizers: [...finalizers, FINALIZER], resourceVersion: exp.metadata?.resourceVersion },
      },
      FIELD_MANAGER,
    );
    this.options.caches.experiments.assume(patched);
    return stripManagedFields(patched);
  }

  /**
   * A managed experiment was labelled staged: nothing will reconcile or finalize it any more, so
   * its status says so (Ready=False, reason Staged, naming what stays behind), an Event too, and
   * our finalizer goes (otherwise deleting it would hang). Its children stay as they are. One
   * being deleted as well is finalized as usual. Staged objects never enter the cache.
   */
  private async releaseIfStaged(namespace: string, name: string): Promise<void> {
    const { client, recorder, caches } = this.options;
    const read = await client.get<RatingExperiment & KubeObject>(resources.ratingExperiment, namespace, name);
    const live = read && stripManagedFields(read);
    const action = afterLeaving(live);
    if (live === undefined || action === 'none') return;
    if (action === 'finalize') {
      await this.finalize(live, { cache: false });
      return;
    }
    const key = objectKey(live);
    const topics = caches.kafkaTopics.list().filter((t) => labelledExperimentKey(t) === key);
    const kept =
      topics.length === 0
        ? 'its KafkaTopic'
        : topics.map((t) => `KafkaTopic ${t.metadata?.namespace}/${t.metadata?.name}`).join(', ');
    const generation = live.metadata?.generation ?? 0;
    const status = desiredStatus(
      live.status,
      { generation, conditions: stagedConditions(generation, kept) },
      new Date(),
    );
    let exp = live;
    if (statusNeedsUpdate(live.status, status)) {
      exp = await client.mergePatch<RatingExperiment & KubeObject>(
        resources.ratingExperiment,
        namespace,
        name,
        { status },
        FIELD_MANAGER,
        'status',
      );
    }
    await recorder.record(live, {
      type: 'Normal',
      reason: 'Staged',
      action: 'Release',
      note: status.conditions[0]?.message ?? '',
    });
    // Conditional on resourceVersion: a change in between makes this fail, and the retry reads again.
    await client.mergePatch(
      resources.ratingExperiment,
      namespace,
      name,
      {
        metadata: {
          finalizers: (exp.metadata?.finalizers ?? []).filter((f) => f !== FINALIZER),
          resourceVersion: exp.metadata?.resourceVersion,
        },
      },
      FIELD_MANAGER,
    );
  }

  /**
   * Deletion: the KafkaTopic is deleted (deletionPolicy Delete) or kept with its data and
   * released (Retain: the labels tying it to the experiment are removed, so the operator
   * never touches it again and a new experiment of the same name does not adopt it silently;
   * `strimzi.io/cluster` stays, so Strimzi keeps managing the topic). Then the finalizer goes.
   */
  private async finalize(
    cached: RatingExperiment & KubeObject,
    options: { cache: boolean } = { cache: true },
  ): Promise<void> {
    const finalizers = cached.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return;
    const { client, recorder } = this.options;
    const exp = await this.reportDeleting(cached, options);
    const resolved = resolveSpec(exp);
    const policy = resolved.ok ? resolved.spec.deletionPolicy : (exp.spec?.deletionPolicy ?? 'Delete');
    for (const topic of await this.topicsOf(exp)) {
      const { namespace = '', name = '' } = topic.metadata ?? {};
      if (policy === 'Retain') {
        const labels = {
          [LABEL_MANAGED_BY]: null,
          [LABEL_EXPERIMENT_NAMESPACE]: null,
          [LABEL_EXPERIMENT_NAME]: null,
        };
        await client.mergePatch(
          resources.kafkaTopic,
          namespace,
          name,
          { metadata: { labels } },
          FIELD_MANAGER,
        );
        await recorder.record(exp, {
          type: 'Normal',
          reason: 'TopicRetained',
          action: 'Delete',
          note: `kept KafkaTopic ${namespace}/${name} and its data (deletionPolicy Retain); it is no longer managed`,
        });
      } else if (await client.delete(resources.kafkaTopic, namespace, name)) {
        await recorder.record(exp, {
          type: 'Normal',
          reason: 'TopicDeleted',
          action: 'Delete',
          note: `deleted KafkaTopic ${namespace}/${name} (deletionPolicy Delete)`,
        });
      }
    }
    // A cluster-scoped binding cannot be owned by a namespaced experiment: removed here too.
    const binding = intakeReviewerBindingName({
      namespace: exp.metadata?.namespace ?? '',
      name: exp.metadata?.name ?? '',
    });
    if (await client.delete(resources.clusterRoleBinding, '', binding)) {
      await recorder.record(exp, {
        type: 'Normal',
        reason: 'Deleted',
        action: 'Delete',
        note: `deleted ClusterRoleBinding ${binding}`,
      });
    }
    await client.mergePatch(
      resources.ratingExperiment,
      exp.metadata?.namespace ?? '',
      exp.metadata?.name ?? '',
      {
        metadata: {
          finalizers: finalizers.filter((f) => f !== FINALIZER),
          resourceVersion: exp.metadata?.resourceVersion,
        },
      },
      FIELD_MANAGER,
    );
  }

  /**
   * Ready=False, reason Deleting, while the finalizer runs (until the experiment is gone). Returns
   * the experiment as written, whose resourceVersion the finalizer's removal must name.
   */
  private async reportDeleting(
    exp: RatingExperiment & KubeObject,
    options: { cache: boolean },
  ): Promise<RatingExperiment & KubeObject> {
    const generation = exp.metadata?.generation ?? 0;
    const status = desiredStatus(
      exp.status,
      { generation, conditions: computeConditions({ generation, deleting: true }) },
      new Date(),
    );
    if (!statusNeedsUpdate(exp.status, status)) return exp;
    const written = await this.options.client.mergePatch<RatingExperiment & KubeObject>(
      resources.ratingExperiment,
      exp.metadata?.namespace ?? '',
      exp.metadata?.name ?? '',
      { status },
      FIELD_MANAGER,
      'status',
    );
    if (options.cache) this.options.caches.experiments.assume(written);
    return stripManagedFields(written);
  }

  /** The experiment's KafkaTopics: by label from the cache, plus its desired one read directly in case the cache lags. */
  private async topicsOf(exp: RatingExperiment & KubeObject): Promise<KubeObject[]> {
    const key = objectKey(exp);
    const topics = this.options.caches.kafkaTopics.list().filter((t) => labelledExperimentKey(t) === key);
    for (const desired of await this.uncachedTopics(exp)) {
      if (labelledExperimentKey(desired) === key && !topics.some((t) => objectKey(t) === objectKey(desired))) {
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
  private async uncachedTopics(exp: RatingExperiment & KubeObject): Promise<KubeObject[]> {
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
    if (usesRecordedLegacyTopic(exp) && current !== undefined && labelledExperimentKey(current) !== objectKey(exp)) {
      await lookup(topicNameOf(exp, { keepRecordedTopic: false }));
    }
    return fetched;
  }

  private cached(desired: KubeObject): KubeObject | undefined {
    const { namespace = '', name = '' } = desired.metadata ?? {};
    const informer = this.informerFor(desired);
    if (informer === undefined) throw new Error(`no cache for ${desired.kind}`);
    return informer.get(namespace, name);
  }

  private informerFor(obj: KubeObject): Informer<KubeObject> | undefined {
    return typeOf(obj) === resources.kafkaTopic
      ? this.options.caches.kafkaTopics
      : this.options.caches.children.get(obj.kind ?? '');
  }
}
