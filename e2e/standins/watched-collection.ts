// A list+watch cache of one kind of object (the client's ListWatch), kept alive: the client
// relists by itself when the API server answers 410 Gone (watch expiry), but stops on any
// other error, so we restart it with a backoff and report when it is first in sync.
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from '../../src/common/logger.ts';
import { describeError } from './describe-error.ts';
import { retryDelayMs } from './keyed-queue.ts';

export interface WatchedCollectionOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** API path to watch, e.g. /api/v1/pods. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  fieldSelector?: string;
  logger: Logger;
  /** Called with every added, updated or deleted object (and on relists). */
  onChange: (obj: T, deleted: boolean) => void;
}

export class WatchedCollection<T extends KubernetesObject> {
  private readonly listWatch: ListWatch<T>;
  private failures = 0;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private synced = false;

  constructor(options: WatchedCollectionOptions<T>) {
    const { kubeConfig, path, list, fieldSelector, logger, onChange } = options;
    this.listWatch = new ListWatch<T>(path, new Watch(kubeConfig), list, false, undefined, fieldSelector);
    this.listWatch.on('add', (obj) => onChange(obj, false));
    this.listWatch.on('update', (obj) => onChange(obj, false));
    this.listWatch.on('delete', (obj) => onChange(obj, true));
    this.listWatch.on('connect', () => {
      // A connect follows a successful list or watch reconnection.
      this.failures = 0;
    });
    this.listWatch.on('error', (err: unknown) => {
      if (this.stopped) return;
      this.failures += 1;
      const delay = retryDelayMs(this.failures, 500, 30_000);
      logger.warn({ err: describeError(err), path, retryInMs: delay }, 'watch failed, restarting');
      this.restartTimer = setTimeout(() => void this.start(), delay);
    });
  }

  /** Lists (firing onChange for every object) and starts watching. */
  async start(): Promise<void> {
    this.restartTimer = undefined;
    await this.listWatch.start();
    // start() reports a failed list through the error callback; a resource version means it worked.
    if (this.listWatch.latestResourceVersion() !== '') this.synced = true;
  }

  /** True once the first list has been delivered. */
  isSynced(): boolean {
    return this.synced;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace);
  }

  list(): readonly T[] {
    return this.listWatch.list();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    await this.listWatch.stop();
  }
}
