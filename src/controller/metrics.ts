// The controller's Prometheus metrics, on their own registry (served by src/common/http.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { WRITE_VERBS, type Verb } from '../common/kube-client.ts';
import type { KubeObject, ResourceType } from '../common/kube-resources.ts';
import type { Condition, RatingExperiment } from '../api/v1alpha1.ts';
import { ConditionType } from '../api/v1alpha1.ts';
import { lostOf } from '../model/index.ts';

/** The per-experiment labels. */
export function metricLabels(exp: KubeObject): { namespace: string; name: string } {
  return { namespace: exp.metadata?.namespace ?? '', name: exp.metadata?.name ?? '' };
}

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'ratings_operator_reconcile_total',
    help: 'Reconciles of RatingExperiments, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'ratings_operator_reconcile_errors_total',
    help: 'Reconciles that failed, by class: transient ones are retried with backoff, terminal ones after a fixed delay.',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });
  readonly applyFailures = new Counter({
    name: 'ratings_operator_apply_failures_total',
    help: 'Writes of children the API server did not accept, by class (terminal: refused, e.g. by admission).',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });
  readonly topicRecreations = new Counter({
    name: 'ratings_operator_topic_recreations_total',
    help: "Times an experiment's topic was found deleted and created again (a new topic ID).",
    labelNames: ['namespace', 'name'] as const,
    registers: [this.registry],
  });
  readonly ratingsLost = new Gauge({
    name: 'ratings_operator_ratings_lost',
    help: 'Acknowledged ratings gone before they were counted (status.lost), per experiment.',
    labelNames: ['namespace', 'name'] as const,
    registers: [this.registry],
  });
  readonly conditions = new Gauge({
    name: 'ratings_operator_experiment_condition',
    help: "1 when the experiment's condition of this type is True, else 0 (as last written by the controller).",
    labelNames: ['namespace', 'name', 'type'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'ratings_operator_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly reconcileRequests = new Histogram({
    name: 'ratings_operator_reconcile_api_requests',
    help: 'API requests made by one reconcile (reads, writes and Events), counted in the shared Kubernetes client.',
    buckets: [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32],
    registers: [this.registry],
  });
  /** The request count of the reconcile in whose async context a request is made. */
  private readonly reconcileScope = new AsyncLocalStorage<{ requests: number }>();
  private depth: () => number = () => 0;
  readonly queueDepth: Gauge = new Gauge({
    name: 'ratings_operator_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    registers: [this.registry],
    collect: () => this.queueDepth.set(this.depth()),
  });
  readonly retries = new Counter({
    name: 'ratings_operator_workqueue_retries_total',
    help: 'Keys re-queued with a rate-limited delay after a failure.',
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: 'ratings_operator_api_requests_total',
    help: 'Requests to the Kubernetes API server, by verb and kind (watches count when opened).',
    labelNames: ['verb', 'kind'] as const,
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: 'ratings_operator_api_writes_total',
    help: 'Writes (create, update, patch, apply, delete) to the Kubernetes API server, by verb and kind.',
    labelNames: ['verb', 'kind'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'ratings_operator_leader',
    help: '1 while this replica holds the leader-election lease, else 0.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.leader.set(0);
    // Every label value at 0 from the start, so that error rates have a series before the first error.
    for (const result of ['success', 'error']) this.reconciles.inc({ result }, 0);
    for (const errorClass of ['transient', 'terminal']) {
      this.reconcileErrors.inc({ class: errorClass }, 0);
      this.applyFailures.inc({ class: errorClass }, 0);
    }
  }

  /** The per-experiment gauges after a reconcile. */
  observeExperiment(exp: RatingExperiment & KubeObject, conditions: readonly Condition[]): void {
    const labels = metricLabels(exp);
    this.ratingsLost.set(labels, lostOf(exp.status));
    for (const c of conditions) this.conditions.set({ ...labels, type: c.type }, c.status === 'True' ? 1 : 0);
  }

  /** Drops the series of an experiment that is gone. */
  forgetExperiment(namespace: string, name: string): void {
    this.ratingsLost.remove({ namespace, name });
    this.topicRecreations.remove({ namespace, name });
    for (const type of Object.values(ConditionType)) this.conditions.remove({ namespace, name, type });
  }

  /** The queue depth is read when scraped. */
  trackQueueDepth(depth: () => number): void {
    this.depth = depth;
  }

  /** Runs one reconcile, counting the API requests made on its behalf into reconcileRequests. */
  async countReconcile<T>(reconcile: () => Promise<T>): Promise<T> {
    const scope = { requests: 0 };
    try {
      return await this.reconcileScope.run(scope, reconcile);
    } finally {
      this.reconcileRequests.observe(scope.requests);
    }
  }

  /** For KubeClient's onRequest. */
  countRequest = (verb: Verb, type: ResourceType): void => {
    this.apiRequests.inc({ verb, kind: type.kind });
    if (WRITE_VERBS.has(verb)) this.apiWrites.inc({ verb, kind: type.kind });
    const scope = this.reconcileScope.getStore();
    if (scope !== undefined) scope.requests++;
  };
}
