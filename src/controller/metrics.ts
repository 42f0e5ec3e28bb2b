// The controller's Prometheus metrics, on their own registry (served by src/common/http.ts).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { WRITE_VERBS, type Verb } from '../common/kube-client.ts';
import type { ResourceType } from '../common/kube-resources.ts';

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
    help: 'Reconciles that failed and were retried with backoff.',
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'ratings_operator_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
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
  }

  /** The queue depth is read when scraped. */
  trackQueueDepth(depth: () => number): void {
    this.depth = depth;
  }

  /** For KubeClient's onRequest. */
  countRequest = (verb: Verb, type: ResourceType): void => {
    this.apiRequests.inc({ verb, kind: type.kind });
    if (WRITE_VERBS.has(verb)) this.apiWrites.inc({ verb, kind: type.kind });
  };
}
