// The controller: informers feed a work queue with the keys of experiments to reconcile;
// while this replica leads, workers take keys from the queue and reconcile them.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import type { Logger } from '../common/logger.ts';
import { MANAGED_SELECTOR, UNSTAGED_SELECTOR, isStaged, type Kafka } from '../model/index.ts';
import type { ControllerConfig } from './config.ts';
import type { EventRecorder } from './events.ts';
import { Informer, stripManagedFields } from './informer.ts';
import { StringPool } from './string-pool.ts';
import type { KubeClient } from '../common/kube-client.ts';
import {
  experimentNeedsReconcile,
  experimentsUsingKafka,
  mayHaveBeenStaged,
  ownerKey,
  labelledExperimentKey,
} from './mapping.ts';
import type { ControllerMetrics } from './metrics.ts';
import { Reconciler, type Caches } from './reconciler.ts';
import { isTransient } from '../common/errors.ts';
import { objectKey, resources, type KubeObject, type ResourceType } from '../common/kube-resources.ts';
import type { Change } from './store.ts';
import { WorkQueue } from './workqueue.ts';
import { sweepIntakeBindings } from './binding-sweep.ts';

export interface ControllerOptions {
  client: KubeClient;
  config: ControllerConfig;
  logger: Logger;
  metrics: ControllerMetrics;
  recorder: EventRecorder;
}

const OWNED_KINDS: ResourceType[] = [
  resources.serviceAccount,
  resources.role,
  resources.roleBinding,
  resources.service,
  resources.podDisruptionBudget,
  resources.deployment,
];

export class Controller {
  private readonly options: ControllerOptions;
  private readonly caches: Caches;
  private readonly informers: Informer<KubeObject>[];
  private readonly queue = new WorkQueue();
  private readonly reconciler: Reconciler;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(options: ControllerOptions) {
    this.options = options;
    const { client, config, logger } = options;
    this.caches = createCaches(client, config, logger);
    this.informers = [
      this.caches.experiments,
      this.caches.kafkaTopics,
      this.caches.kafkas,
      ...this.caches.children.values(),
    ] as Informer<KubeObject>[];
    this.reconciler = new Reconciler({
      client,
      caches: this.caches,
      recorder: options.recorder,
      logger,
      metrics: options.metrics,
      image: config.image,
      networkPolicy: config.networkPolicy,
      intakeReviewerClusterRole: config.intakeReviewerClusterRole,
    });
    this.enqueueOnChanges();
    options.metrics.trackQueueDepth(() => this.queue.depth);
  }

  /** Maps every change in the caches to the keys of the experiments it concerns. */
  private enqueueOnChanges(): void {
    this.caches.experiments.onChange((change) => {
      if (change.type === 'delete') {
        const key = objectKey(change.object);
        this.queue.forget(key);
        // Leaving the selection (staged) looks like a deletion: the reconciler looks again.
        if (mayHaveBeenStaged(change.object)) {
          this.reconciler.noteLeft(key);
          this.queue.add(key);
        }
      } else if (change.type === 'add' || experimentNeedsReconcile(change.old, change.object)) {
        this.queue.add(objectKey(change.object));
      }
    });
    for (const child of this.caches.children.values())
      // Labels name the experiment of a cluster-scoped child, as of a KafkaTopic.
      child.onChange((c) => this.enqueue(ownerKey(c.object) ?? labelledExperimentKey(c.object)));
    this.caches.kafkaTopics.onChange((c) => this.enqueue(labelledExperimentKey(c.object)));
    this.caches.kafkas.onChange((c: Change<Kafka & KubeObject>) => {
      for (const key of experimentsUsingKafka(c.object, this.caches.experiments.list())) this.queue.add(key);
    });
  }

  /** Starts the informers; keys accumulate in the queue until startWorkers(). */
  startInformers(): void {
    for (const informer of this.informers) informer.start();
  }

  /** Why the controller is not ready yet (for /readyz), or undefined. */
  notReadyReason(): string | undefined {
    const pending = this.informers.filter((i) => !i.hasSynced()).map((i) => i.type.plural);
    return pending.length === 0 ? undefined : `waiting for the caches of ${pending.join(', ')}`;
  }

  /** Runs the workers (once leading): only after every cache is filled, so that nothing is judged missing by mistake. */
  async startWorkers(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    const { config, logger } = this.options;
    for (const exp of this.caches.experiments.list()) this.queue.add(objectKey(exp));
    this.sweepBindings();
    this.workers = Array.from({ length: config.maxConcurrentReconciles }, () => this.work());
    if (config.resyncSeconds > 0) {
      // A safety net for missed events; in steady state it causes no writes.
      this.resyncTimer = setInterval(() => {
        for (const exp of this.caches.experiments.list()) this.queue.add(objectKey(exp));
        this.sweepBindings();
      }, config.resyncSeconds * 1000);
      this.resyncTimer.unref();
    }
    logger.info({ workers: config.maxConcurrentReconciles }, 'workers started');
  }

  /** Removes the intakes' bindings whose experiment is gone (binding-sweep.ts); best effort, retried on resync. */
  private sweepBindings(): void {
    const { client, logger, config } = this.options;
    const bindings = this.caches.children.get(resources.clusterRoleBinding.kind)?.list() ?? [];
    const experiments = this.caches.experiments.list();
    sweepIntakeBindings({
      client,
      logger,
      bindings,
      experiments,
      watchNamespace: config.watchNamespace,
    }).catch((err: unknown) => logger.warn({ err }, 'could not sweep the intake ClusterRoleBindings'));
  }

  /** Stops handing out keys and waits for the reconciles in flight. */
  async stopWorkers(): Promise<void> {
    clearInterval(this.resyncTimer);
    await this.queue.shutDownWithDrain();
    await Promise.all(this.workers);
  }

  async stopInformers(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** KafkaTopics are watched in every namespace: keep only keys of experiments we watch. */
  private enqueue(key: string | undefined): void {
    const namespace = this.options.config.watchNamespace;
    if (key !== undefined && (namespace === undefined || key.startsWith(`${namespace}/`)))
      this.queue.add(key);
  }

  private async work(): Promise<void> {
    const { metrics, logger } = this.options;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const stopTimer = metrics.reconcileDuration.startTimer();
      try {
        const result = await metrics.countReconcile(() => this.reconciler.reconcile(key));
        this.queue.forget(key);
        metrics.reconciles.inc({ result: 'success' });
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        metrics.reconciles.inc({ result: 'error' });
        const transient = isTransient(err);
        metrics.reconcileErrors.inc({ class: transient ? 'transient' : 'terminal' });
        if (transient) {
          metrics.retries.inc();
          logger.warn(
            { experiment: key, err, retries: this.queue.retries(key) },
            'reconcile failed, retrying',
          );
          this.queue.addRateLimited(key);
        } else {
          // Repeating a refused request at once changes nothing: the status reports it; check
          // again after a fixed delay (or at the next change of the experiment or a child).
          const delayMs = this.options.config.terminalRetrySeconds * 1000;
          logger.error({ experiment: key, err, retryInMs: delayMs }, 'reconcile refused');
          this.queue.forget(key);
          this.queue.addAfter(key, delayMs);
        }
      } finally {
        stopTimer();
        this.queue.done(key);
      }
    }
  }
}

/** The informers of everything the controller reads, each cached object stripped and interned. */
function createCaches(client: KubeClient, config: ControllerConfig, logger: Logger): Caches {
  // Cached objects keep what the controller reads, each repeated string once.
  const strings = new StringPool();
  const transform = <T extends KubeObject>(obj: T): T => strings.intern(stripManagedFields(obj));
  const informer = <T extends KubeObject>(
    type: ResourceType,
    scope: { namespace?: string; labelSelector?: string },
  ) => new Informer<T>({ client, type, logger, transform, ...scope });
  const namespace = config.watchNamespace;
  const owned = (type: ResourceType) =>
    [type.kind, informer(type, { namespace, labelSelector: MANAGED_SELECTOR })] as const;
  return {
    // Staged experiments are filtered out by the API server: never cached, never reconciled.
    experiments: new Informer<RatingExperiment & KubeObject>({
      client,
      type: resources.ratingExperiment,
      logger,
      transform,
      namespace,
      labelSelector: UNSTAGED_SELECTOR,
      matches: (exp) => !isStaged(exp),
    }),
    // Topics and Kafka clusters live in the Kafka namespace, wherever the experiments are.
    kafkaTopics: informer(resources.kafkaTopic, { labelSelector: MANAGED_SELECTOR }),
    kafkas: informer<Kafka & KubeObject>(resources.kafka, {}),
    children: new Map([
      ...OWNED_KINDS.map(owned),
      // NetworkPolicies are watched (and need RBAC) only when the option makes them children.
      ...(config.networkPolicy !== undefined ? [owned(resources.networkPolicy)] : []),
      // Cluster-scoped: the intakes' TokenReview bindings, whatever the watched namespace.
      [
        resources.clusterRoleBinding.kind,
        informer(resources.clusterRoleBinding, { labelSelector: MANAGED_SELECTOR }),
      ] as const,
    ]),
  };
}
