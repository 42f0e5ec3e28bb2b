// One reconcile of one experiment: level-triggered (everything is read again from the caches,
// whatever event caused it) and idempotent (in steady state it writes nothing).
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { FINALIZER } from '../api/v1alpha1.ts';
import type { Logger } from '../common/logger.ts';
import {
  LABEL_EXPERIMENT_NAME,
  LABEL_EXPERIMENT_NAMESPACE,
  LABEL_MANAGED_BY,
  kafkaTopicResourceName,
  resolveSpec,
  type Kafka,
} from '../model/index.ts';
import type { EventRecorder } from './events.ts';
import { FIELD_MANAGER } from './field-manager.ts';
import { stripManagedFields, type Informer } from './informer.ts';
import { isNotFound, type KubeClient } from '../common/kube-client.ts';
import { topicOwnerKey } from './mapping.ts';
import { childEvents, planSync, type ChildWrite } from './plan.ts';
import { objectKey, resources, splitKey, typeOf, type KubeObject } from '../common/kube-resources.ts';

/** The informers the reconciler reads from. */
export interface Caches {
  experiments: Informer<RatingExperiment & KubeObject>;
  kafkas: Informer<Kafka & KubeObject>;
  kafkaTopics: Informer<KubeObject>;
  /** Namespaced children by kind: Deployment, Service, ServiceAccount, Role, RoleBinding. */
  children: Map<string, Informer<KubeObject>>;
}

export interface ReconcilerOptions {
  client: KubeClient;
  caches: Caches;
  recorder: EventRecorder;
  logger: Logger;
  image: string;
}

export class Reconciler {
  private readonly options: ReconcilerOptions;

  constructor(options: ReconcilerOptions) {
    this.options = options;
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cached = this.options.caches.experiments.get(namespace, name);
    // Gone: the garbage collector removes the owned children; the finalizer handled the topic.
    if (cached === undefined) return;
    if (cached.metadata?.deletionTimestamp) {
      await this.finalize(cached);
      return;
    }
    const exp = await this.ensureFinalizer(cached);
    await this.sync(exp);
  }

  private async sync(exp: RatingExperiment & KubeObject): Promise<void> {
    const { client, recorder, logger, image } = this.options;
    const kafkaRef = exp.spec?.kafka;
    const kafka = kafkaRef && this.options.caches.kafkas.get(kafkaRef.namespace, kafkaRef.cluster);
    const uncachedTopic = await this.uncachedTopic(exp);
    const plan = planSync(
      {
        experiment: exp,
        kafka,
        live: (desired) =>
          desired.kind === resources.kafkaTopic.kind &&
          uncachedTopic?.metadata?.name === desired.metadata?.name
            ? uncachedTopic
            : this.cached(desired),
      },
      image,
      new Date(),
    );

    // Every write is attempted, so that one failing child does not hold back the others.
    const failures: string[] = [];
    const applied: ChildWrite[] = [];
    for (const write of plan.writes) {
      const what = `${write.type.kind} ${write.object.metadata?.namespace}/${write.object.metadata?.name}`;
      try {
        const live = await client.apply(write.type, write.object, FIELD_MANAGER);
        this.informerFor(write.object)?.assume(live);
        applied.push(write);
        logger.info({ experiment: objectKey(exp), change: write.change }, `applied ${what}`);
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    }
    for (const event of [...childEvents(applied), ...plan.events]) await recorder.record(exp, event);
    if (plan.status !== undefined) {
      try {
        const written = await client.mergePatch<RatingExperiment & KubeObject>(
          resources.ratingExperiment,
          exp.metadata?.namespace ?? '',
          exp.metadata?.name ?? '',
          { status: plan.status },
          FIELD_MANAGER,
          'status',
        );
        this.options.caches.experiments.assume(written);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (failures.length > 0) throw new Error(`could not apply ${failures.join('; ')}`);
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
   * Deletion: the KafkaTopic is deleted (deletionPolicy Delete) or kept with its data and
   * released (Retain: the labels tying it to the experiment are removed, so the operator
   * never touches it again and a new experiment of the same name does not adopt it silently;
   * `strimzi.io/cluster` stays, so Strimzi keeps managing the topic). Then the finalizer goes.
   */
  private async finalize(exp: RatingExperiment & KubeObject): Promise<void> {
    const finalizers = exp.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return;
    const { client, recorder } = this.options;
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

  /** The experiment's KafkaTopics: by label from the cache, plus its desired one read directly in case the cache lags. */
  private async topicsOf(exp: RatingExperiment & KubeObject): Promise<KubeObject[]> {
    const key = objectKey(exp);
    const topics = this.options.caches.kafkaTopics.list().filter((t) => topicOwnerKey(t) === key);
    const desired = await this.uncachedTopic(exp);
    if (
      desired !== undefined &&
      topicOwnerKey(desired) === key &&
      !topics.some((t) => objectKey(t) === objectKey(desired))
    ) {
      topics.push(desired);
    }
    return topics;
  }

  /**
   * The KafkaTopic the experiment wants, read from the API server when the cache lacks it: the
   * cache holds only managed topics, and an unmanaged one of the same name must not be taken over.
   */
  private async uncachedTopic(exp: RatingExperiment): Promise<KubeObject | undefined> {
    const resolved = resolveSpec(exp);
    if (!resolved.ok) return undefined;
    const namespace = resolved.spec.kafka.namespace;
    const name = kafkaTopicResourceName(resolved.spec.topic.name);
    if (this.options.caches.kafkaTopics.get(namespace, name) !== undefined) return undefined;
    const live = await this.options.client.get<KubeObject>(resources.kafkaTopic, namespace, name);
    return live === undefined ? undefined : stripManagedFields(live);
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
