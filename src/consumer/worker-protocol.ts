// Calls between the consumer's main thread and its counting workers over a MessagePort (or a
// Worker, which has the same surface): a request carries an id, its answer (a value or an
// error's message) comes back with the same id; a notification has no answer. Arguments and
// values cross by structured clone, so they are plain data, Maps and Sets: no class instances,
// no functions.
import type { PartitionCheckpoint as StoredCheckpoint } from '../api/v1alpha1.ts';
import type { PartitionCheckpoint } from '../ratings/checkpoint.ts';
import type { CatalogView } from '../ratings/judge.ts';
import type { BatchResult } from './partitions.ts';

/** What a written checkpoint tells the members: which state of which partition it covered. */
export type WrittenCheckpoint = Pick<PartitionCheckpoint, 'partition' | 'topicId' | 'offset'>;

/** How far a member has counted each partition it owns. */
export interface Position {
  partition: number;
  offset: number;
}

/** A member's place in the consumer group. */
export interface Membership {
  /** Joined the group (possibly standing by without partitions). */
  joined: boolean;
  assigned: number[];
}

/** What a worker needs to become a group member (its workerData). */
export interface WorkerSetup {
  /** 0-based; logged as `worker` on every line and part of the Kafka client id. */
  index: number;
  topic: string;
  groupId: string;
  brokers: string[];
  clientId: string;
  /** The catalog when the worker starts; newer ones follow with `catalog`. */
  view: CatalogView;
}

/** Requests the main thread makes of a worker (the RatingConsumer's surface). */
// Type aliases, not interfaces: only those satisfy the index signature of Api.
export type WorkerApi = {
  /** Joins the group and starts counting. */
  start(): void;
  /** An exact snapshot of every partition this member holds (see partitions.ts). */
  checkpoints(catalog: ReadonlySet<string>): PartitionCheckpoint[];
  written(checkpoints: WrittenCheckpoint[]): void;
  /** RatingConsumer.observe: returns the records found lost. */
  observe(topicId: string | undefined, logStarts: Map<number, number>): number;
  commit(checkpoints: WrittenCheckpoint[]): void;
  drain(): void;
  disconnect(): void;
  /** A newer copy of the catalog. */
  catalog(view: CatalogView): void;
};

/** Requests and notifications a worker makes of the main thread. */
export type MainApi = {
  /** The checkpoints stored in the status now (a fresh read). */
  loadCheckpoints(): StoredCheckpoint[];
  /** Reads the experiment again: whether that worked, and the catalog as it stands now. */
  refreshCatalog(): { refreshed: boolean; view: CatalogView };
  /** Notification: the group is rebalancing. */
  rebalancing(): void;
  /** Notification: a batch was counted; `positions` is where the member stands after it. */
  batch(result: BatchResult, positions: Position[]): void;
  /** Notification: the member's place in the group changed. */
  membership(membership: Membership): void;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function shape; narrowed per method
type Api = { [method: string]: (...args: any[]) => unknown };
type Handlers<A extends Api> = {
  [K in keyof A]: (...args: Parameters<A[K]>) => ReturnType<A[K]> | Promise<ReturnType<A[K]>>;
};

/** One message on the wire. */
export type Message =
  | { type: 'call'; id: number; method: string; args: unknown[] }
  | { type: 'notify'; method: string; args: unknown[] }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; message: string };

/** The part of a MessagePort, a Worker or a worker's parentPort that a Peer uses. */
export interface Port {
  postMessage(message: Message): void;
  on(event: 'message', listener: (message: Message) => void): unknown;
}

/**
 * One side of the conversation: answers the other side's requests with `handlers` and makes
 * requests of it. `onError` hears what cannot be answered (a failed notification, a stray message).
 */
export class Peer<Local extends Api, Remote extends Api> {
  private readonly port: Port;
  private readonly handlers: Handlers<Local>;
  private readonly onError: (err: Error) => void;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closedBy: Error | undefined;

  constructor(port: Port, handlers: Handlers<Local>, onError: (err: Error) => void) {
    this.port = port;
    this.handlers = handlers;
    this.onError = onError;
    port.on('message', (message) => void this.receive(message));
  }

  call<K extends keyof Remote & string>(
    method: K,
    ...args: Parameters<Remote[K]>
  ): Promise<Awaited<ReturnType<Remote[K]>>> {
    if (this.closedBy !== undefined) return Promise.reject(this.closedBy);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ type: 'call', id, method, args });
    });
  }

  notify<K extends keyof Remote & string>(method: K, ...args: Parameters<Remote[K]>): void {
    if (this.closedBy === undefined) this.port.postMessage({ type: 'notify', method, args });
  }

  /** The other side is gone: requests waiting for it fail with `reason`, and so do later ones. */
  close(reason: Error): void {
    this.closedBy ??= reason;
    for (const { reject } of this.pending.values()) reject(reason);
    this.pending.clear();
  }

  private async receive(message: Message): Promise<void> {
    switch (message.type) {
      case 'result':
      case 'error': {
        const waiting = this.pending.get(message.id);
        if (waiting === undefined) return this.onError(new Error(`answer to unknown request ${message.id}`));
        this.pending.delete(message.id);
        if (message.type === 'result') waiting.resolve(message.value);
        else waiting.reject(new Error(message.message));
        return;
      }
      case 'call':
        try {
          const value = await this.handle(message.method, message.args);
          this.port.postMessage({ type: 'result', id: message.id, value });
        } catch (err) {
          this.port.postMessage({ type: 'error', id: message.id, message: (err as Error).message });
        }
        return;
      case 'notify':
        try {
          await this.handle(message.method, message.args);
        } catch (err) {
          this.onError(err as Error);
        }
        return;
      default:
        this.onError(new Error(`unknown message ${JSON.stringify(message)}`));
    }
  }

  private handle(method: string, args: unknown[]): unknown {
    const handler = Object.hasOwn(this.handlers, method) ? this.handlers[method] : undefined;
    if (handler === undefined) throw new Error(`no such request: ${method}`);
    return (handler as (...a: unknown[]) => unknown)(...args);
  }
}
