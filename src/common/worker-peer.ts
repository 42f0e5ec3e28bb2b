// Calls between a process's main thread and its worker threads over a MessagePort (or a Worker,
// which has the same surface): a request carries an id, its answer (a value or an error's
// message) comes back with the same id; a notification has no answer. Arguments and values cross
// by structured clone, so they are plain data, Maps and Sets: no class instances, no functions.
// Used by the consumer's counting threads and the producer's generating threads alike, with the
// supervision both pools share (a thread that exits unasked ends the process).

import type { Logger } from './logger.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function shape; narrowed per method
export type Api = { [method: string]: (...args: any[]) => unknown };
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

/** The part of a Worker a pool uses (tests give threads of their own). */
export interface WorkerThread extends Port {
  on(event: 'message', listener: (message: Message) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

/** The worker module `name` beside `moduleUrl`, with its extension (.ts in development, .js when built). */
export function workerEntryBeside(moduleUrl: string, name: string): URL {
  const extension = moduleUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, moduleUrl);
}

/** One thread of a pool, as the pool's supervision sees it. */
export interface PoolThread {
  index: number;
  thread: WorkerThread;
  peer: { close(reason: Error): void };
}

/**
 * Watches a thread of a pool: a crash is logged; an exit fails the requests waiting for it and,
 * unless the pool is closing, is fatal (`onFatal`: the process exits, so that a thread is never
 * lost silently). `what` names the threads in messages ("counting worker 2 exited with code 1").
 */
export function superviseThread(
  member: PoolThread,
  options: {
    what: string;
    logger: Logger;
    closing: () => boolean;
    onFatal: (err: Error) => void;
    onExit?: () => void;
  },
): void {
  const { index, thread, peer } = member;
  thread.on('error', (err) => {
    options.logger.error({ worker: index, err: err.message }, `${options.what} crashed`);
  });
  thread.on('exit', (code) => {
    const reason = new Error(`${options.what} ${index} exited with code ${code}`);
    peer.close(reason);
    options.onExit?.();
    if (!options.closing()) options.onFatal(reason);
  });
}

/** Asks every thread to finish (`finish`), logging `failure` when it cannot, then ends it. */
export async function endThreads<M extends PoolThread>(
  members: readonly M[],
  finish: (member: M) => Promise<unknown>,
  logger: Logger,
  failure: string,
): Promise<void> {
  await Promise.allSettled(
    members.map(async (m) => {
      try {
        await finish(m);
      } catch (err) {
        logger.warn({ worker: m.index, err: (err as Error).message }, failure);
      }
      await m.thread.terminate();
    }),
  );
}
