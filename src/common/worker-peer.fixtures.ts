// A worker thread for pool tests: the pool's side is a WorkerThread, the worker's side a
// MessagePort the test answers on, in the same thread, recording what it was asked; no worker
// code runs.
import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Message, WorkerThread } from './worker-peer.ts';

const open: MessagePort[] = [];

/** Closes the ports of every fake thread made so far (call it in afterEach). */
export function closeFakeThreads(): void {
  for (const port of open.splice(0)) port.close();
}

export interface FakeThread {
  /** What the pool holds. */
  thread: WorkerThread;
  /** The worker's end, for a Peer of the test's own. */
  port: MessagePort;
  /** The thread ends on its own (a crash, process.exit in the worker). */
  exit(code: number): void;
  /** Every request and notification the worker's side handled, in order. */
  received: { method: string; args: unknown[] }[];
  /** A handler for `method` that records its arguments. */
  record(method: string): (...args: unknown[]) => void;
  /** The arguments of every call of `method` so far. */
  calls(method: string): unknown[][];
}

export function fakeThread(): FakeThread {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const events = new EventEmitter();
  const thread = {
    postMessage: (message: Message) => port1.postMessage(message),
    on: (event: string, listener: (...args: unknown[]) => void) =>
      event === 'message' ? port1.on('message', listener) : events.on(event, listener),
    terminate: async () => {
      port1.close();
      events.emit('exit', 1);
      return 1;
    },
  } as WorkerThread;
  const received: FakeThread['received'] = [];
  return {
    thread,
    port: port2,
    exit: (code) => events.emit('exit', code),
    received,
    record:
      (method) =>
      (...args) => {
        received.push({ method, args });
      },
    calls: (method) => received.filter((r) => r.method === method).map((r) => r.args),
  };
}
