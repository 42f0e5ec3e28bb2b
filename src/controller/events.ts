// Kubernetes Events (events.k8s.io/v1) about experiments. The reconciler only asks for Events
// on transitions; this recorder also drops repeats of the same Event within a window, so that
// a retried failure does not flood `kubectl describe`. Events are best effort: a failure to
// record one is logged, never fails the reconcile.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../common/logger.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';
import { FIELD_MANAGER } from './field-manager.ts';

/** An Event to record about an experiment, as the reconcile decided it. */
export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

const REPORTING_CONTROLLER = 'ratings.conglombo.io/ratings-operator';
/** events.k8s.io/v1 limits `note` to 1 KiB. */
const MAX_NOTE = 1024;

export interface EventRecorderOptions {
  client: KubeClient;
  logger: Logger;
  /** reportingInstance: the pod name. */
  instance: string;
  dedupWindowMs?: number;
  maxRemembered?: number;
}

export class EventRecorder {
  private readonly options: EventRecorderOptions;
  /** Last time each (object, type, reason, note) was recorded; oldest first. */
  private readonly recent = new Map<string, number>();

  constructor(options: EventRecorderOptions) {
    this.options = options;
  }

  async record(regarding: KubeObject, event: EventSpec, now = new Date()): Promise<void> {
    const { client, logger, instance, dedupWindowMs = 600_000, maxRemembered = 4096 } = this.options;
    const meta = regarding.metadata ?? {};
    const key = [meta.uid, event.type, event.reason, event.note].join('\u0000');
    const last = this.recent.get(key);
    if (last !== undefined && now.getTime() - last < dedupWindowMs) return;
    this.recent.delete(key);
    this.recent.set(key, now.getTime());
    if (this.recent.size > maxRemembered) this.recent.delete(this.recent.keys().next().value as string);

    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${meta.name}.${randomBytes(8).toString('hex')}`, namespace: meta.namespace },
      eventTime: now.toISOString().replace(/(\.\d{3})Z$/, '$1000Z'), // MicroTime
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: instance,
      action: event.action,
      reason: event.reason,
      type: event.type,
      note: event.note.length > MAX_NOTE ? `${event.note.slice(0, MAX_NOTE - 1)}…` : event.note,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    };
    try {
      await client.create(resources.event, body, FIELD_MANAGER);
    } catch (err) {
      logger.warn(
        { err, reason: event.reason, object: `${meta.namespace}/${meta.name}` },
        'could not record event',
      );
    }
  }
}
