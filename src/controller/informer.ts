// List, then watch from the list's resourceVersion, keeping a local cache up to date and
// telling handlers about every change. Bookmarks advance the resourceVersion; a 410 Gone
// (the version fell out of the server's window) makes it list again; any other failure is
// retried with capped exponential backoff, forever, until stop().
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { isGone } from '../common/kube-errors.ts';
import type { WatchEvent } from '../common/kube-watch.ts';
import type { KubeObject, ResourceType } from '../common/kube-resources.ts';
import { Store, type Change } from './store.ts';

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  type: ResourceType;
  logger: Logger;
  namespace?: string;
  labelSelector?: string;
  /**
   * Whether an object belongs in the cache: the labelSelector as a predicate, for the answers to
   * our own writes (assume), which the API server does not filter.
   */
  matches?: (obj: T) => boolean;
  /** Applied to every object before it is cached (e.g. to drop managedFields and save memory). */
  transform?: (obj: T) => T;
  /** Bounds of the random server-side watch timeout, so that watches do not all renew at once. */
  watchTimeoutSeconds?: [number, number];
  maxBackoffMs?: number;
}

export class Informer<T extends KubeObject> {
  private readonly options: InformerOptions<T>;
  private readonly store = new Store<T>();
  private readonly handlers: ((change: Change<T>) => void)[] = [];
  private readonly abort = new AbortController();
  private resourceVersion = '';
  private synced = false;
  private running: Promise<void> | undefined;
  private syncWaiters: (() => void)[] = [];

  constructor(options: InformerOptions<T>) {
    this.options = options;
  }

  get type(): ResourceType {
    return this.options.type;
  }

  onChange(handler: (change: Change<T>) => void): void {
    this.handlers.push(handler);
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(namespace, name);
  }

  list(namespace?: string): T[] {
    return this.store.list(namespace);
  }

  /**
   * Caches the server's answer to our own write at once (see Store.assume); no handler runs. An
   * answer outside the selection (say, labelled staged since we read it) is not cached: it left
   * the selection, which is reported as its deletion, as the watch does (whose event may have
   * come first, and would otherwise be undone by this answer for good).
   */
  assume(obj: T): void {
    if (this.options.matches !== undefined && !this.options.matches(obj)) {
      const change = this.store.remove(this.transform(obj));
      if (change !== undefined) this.emit([change]);
      return;
    }
    this.store.assume(this.transform(obj));
  }

  /** True once the first list is in the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  start(): void {
    this.running ??= this.run();
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { logger, type } = this.options;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        if (this.resourceVersion === '') await this.relist();
        await this.watchOnce();
        failures = 0;
      } catch (err) {
        if (this.abort.signal.aborted) break;
        if (isGone(err)) {
          logger.info({ kind: type.kind }, 'watch expired, listing again');
          this.resourceVersion = '';
          continue;
        }
        failures++;
        const delay = Math.min(this.options.maxBackoffMs ?? 30_000, 500 * 2 ** Math.min(failures - 1, 10));
        logger.warn({ kind: type.kind, err, retryInMs: delay }, 'list/watch failed');
        await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }

  private async relist(): Promise<void> {
    const { client, type, namespace, labelSelector } = this.options;
    const { items, resourceVersion } = await client.list<T>(type, { namespace, labelSelector });
    const changes = this.store.replace(items.map((item) => this.transform(item)));
    this.resourceVersion = resourceVersion;
    this.emit(changes);
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters) resolve();
      this.syncWaiters = [];
    }
  }

  private async watchOnce(): Promise<void> {
    const { client, type, namespace, labelSelector, watchTimeoutSeconds = [300, 600] } = this.options;
    const [min, max] = watchTimeoutSeconds;
    await client.watch(
      type,
      {
        namespace,
        labelSelector,
        resourceVersion: this.resourceVersion,
        timeoutSeconds: Math.round(min + Math.random() * (max - min)),
        signal: this.abort.signal,
      },
      (event) => this.handle(event),
    );
  }

  private handle(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      // The server reports an expired resourceVersion in-band; list again after the stream ends.
      if (event.object.code === 410) this.resourceVersion = '';
      else
        this.options.logger.warn({ kind: this.options.type.kind, status: event.object }, 'watch error event');
      return;
    }
    const rv = event.object.metadata?.resourceVersion;
    if (event.type !== 'BOOKMARK') {
      const object = this.transform(event.object as T);
      const change = event.type === 'DELETED' ? this.store.remove(object) : this.store.upsert(object);
      if (change !== undefined) this.emit([change]);
    }
    if (rv !== undefined && this.resourceVersion !== '') this.resourceVersion = rv;
  }

  private transform(obj: T): T {
    return this.options.transform?.(obj) ?? obj;
  }

  private emit(changes: Change<T>[]): void {
    for (const change of changes) {
      for (const handler of this.handlers) {
        try {
          handler(change);
        } catch (err) {
          this.options.logger.error({ kind: this.options.type.kind, err }, 'informer handler failed');
        }
      }
    }
  }
}

/** Drops managedFields, which the controller never reads and which dominate object size. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
