// Leader election on a coordination.k8s.io/v1 Lease, so that of several replicas exactly one
// runs the reconcile workers. A leader that cannot renew within the renew deadline stops
// leading (and the process exits, as controller-runtime's managers do) before its lease can
// expire and another replica take over: every request of a renewal gets only the time left
// until the renew deadline (a hung connection cannot hold it past that), and renewDeadline <
// leaseDuration (checked by the configuration). Another replica takes over no sooner than
// leaseDuration after it saw the last renewal, which was written after our lastRenew.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger.ts';
import { FIELD_MANAGER } from './field-manager.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { isConflict } from '../common/kube-errors.ts';
import { decide, nextSpec, observe, type LeaseObservation, type LeaseSpec } from './lease.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  client: KubeClient;
  logger: Logger;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private readonly options: Required<LeaderElectorOptions>;
  private readonly abort = new AbortController();
  private observation: LeaseObservation | undefined;
  private leading = false;
  private lastRenew = 0;
  private loop: Promise<void> | undefined;

  constructor(options: LeaderElectorOptions) {
    this.options = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2, ...options };
    if (this.options.renewDeadlineSeconds >= this.options.leaseDurationSeconds) {
      throw new Error('the renew deadline must be shorter than the lease duration');
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; when leading, gives the lease up so that another replica need not wait for it to expire. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (this.leading) await this.release();
  }

  private async run(): Promise<void> {
    const { logger, retryPeriodSeconds, client } = this.options;
    while (!this.abort.signal.aborted) {
      // Leading: the attempt must end by the renew deadline. Not leading: one request deadline.
      const attemptEnd = this.leading ? this.renewDeadline() : Date.now() + client.requestTimeoutMs;
      try {
        await this.tryAcquireOrRenew(attemptEnd);
      } catch (err) {
        logger.warn({ err, lease: this.leaseName() }, 'could not acquire or renew the lease');
      }
      if (this.leading && Date.now() >= this.renewDeadline()) {
        logger.error({ lease: this.leaseName() }, 'lost the lease: not renewed within the renew deadline');
        this.leading = false;
        this.options.onStoppedLeading();
        return;
      }
      // Wake up by the renew deadline at the latest, so that a failing leader stops on time.
      const pause = this.leading
        ? Math.min(retryPeriodSeconds * 1000, this.renewDeadline() - Date.now())
        : retryPeriodSeconds * 1000;
      await sleep(pause, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }

  private renewDeadline(): number {
    return this.lastRenew + this.options.renewDeadlineSeconds * 1000;
  }

  private async tryAcquireOrRenew(attemptEnd: number): Promise<void> {
    const { client, namespace, name, identity, leaseDurationSeconds } = this.options;
    const timeLeft = (): { timeoutMs: number } => ({ timeoutMs: Math.max(1, attemptEnd - Date.now()) });
    const lease = await client.get<Lease>(resources.lease, namespace, name, timeLeft());
    const now = Date.now();
    this.observation = observe(this.observation, lease?.spec, now);
    const action = decide(
      lease?.spec,
      lease !== undefined,
      identity,
      this.observation,
      now,
      leaseDurationSeconds,
    );
    if (action === 'wait') return;
    const spec = nextSpec(lease?.spec, action, identity, now, leaseDurationSeconds);
    try {
      if (lease === undefined) {
        await client.create(resources.lease, this.leaseObject(spec), FIELD_MANAGER, timeLeft());
      } else {
        const updated = {
          ...this.leaseObject(spec),
          metadata: { ...lease.metadata, managedFields: undefined },
        };
        await client.update(resources.lease, updated, FIELD_MANAGER, timeLeft());
      }
    } catch (err) {
      if (isConflict(err)) return; // someone else wrote first
      throw err;
    }
    this.lastRenew = now;
    if (!this.leading) {
      this.leading = true;
      this.options.logger.info({ lease: this.leaseName(), identity }, 'became the leader');
      this.options.onStartedLeading();
    }
  }

  private async release(): Promise<void> {
    const { client, namespace, name, identity, logger } = this.options;
    this.leading = false;
    try {
      const lease = await client.get<Lease>(resources.lease, namespace, name);
      if (lease?.spec?.holderIdentity !== identity) return;
      const released: Lease = {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
      };
      await client.update(resources.lease, released, FIELD_MANAGER);
      logger.info({ lease: this.leaseName() }, 'released the lease');
    } catch (err) {
      logger.warn({ err, lease: this.leaseName() }, 'could not release the lease; it will expire');
    }
  }

  private leaseObject(spec: LeaseSpec): Lease {
    const { namespace, name } = this.options;
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { namespace, name }, spec };
  }

  private leaseName(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }
}
