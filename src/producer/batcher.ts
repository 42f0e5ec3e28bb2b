// Group commit for produce requests: while a request is with the broker, new submissions queue
// up and leave together in the next one. The idempotent producer sends one request per broker
// at a time anyway, so throughput comes from the size of each request, not from their number.

export interface BatcherOptions<M> {
  /** Sends one request; resolves when the broker acknowledged every message of it. */
  send: (messages: M[]) => Promise<void>;
  /** Messages per request; a single larger submission still goes alone, whole. */
  maxBatchSize: number;
  /** Requests handed to `send` without waiting for earlier ones. */
  maxInFlight: number;
  now?: () => number;
}

interface Submission<M> {
  messages: M[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Batcher<M> {
  private readonly options: Required<BatcherOptions<M>>;
  private queue: Submission<M>[] = [];
  private queuedMessages = 0;
  private inFlightMessages = 0;
  /** Start times of the requests with the broker, for telling a stalled broker apart. */
  private readonly inFlight = new Set<{ startedAt: number }>();
  private drainScheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: BatcherOptions<M>) {
    this.options = { now: Date.now, ...options };
  }

  /** Queues messages; resolves when all were acknowledged, rejects with the send error. */
  submit(messages: M[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      this.queuedMessages += messages.length;
      this.scheduleDrain();
    });
  }

  /** Messages queued or with the broker. */
  get pending(): number {
    return this.queuedMessages + this.inFlightMessages;
  }

  /** Milliseconds the oldest unacknowledged request has waited, 0 when none is out. */
  oldestInFlightMs(): number {
    const now = this.options.now();
    let oldest = 0;
    for (const request of this.inFlight) oldest = Math.max(oldest, now - request.startedAt);
    return oldest;
  }

  /** Resolves once everything submitted so far has been acknowledged or has failed. */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    // Wait for the current turn of the event loop, so that what it submits shares a request.
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight.size < this.options.maxInFlight) {
      const batch = this.takeBatch();
      this.dispatch(batch);
    }
  }

  private takeBatch(): Submission<M>[] {
    const batch: Submission<M>[] = [];
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && size + next.messages.length > this.options.maxBatchSize) break;
      batch.push(next);
      size += next.messages.length;
      this.queue.shift();
    }
    this.queuedMessages -= size;
    return batch;
  }

  private dispatch(batch: Submission<M>[]): void {
    const messages = batch.length === 1 ? batch[0]!.messages : batch.flatMap((s) => s.messages);
    const request = { startedAt: this.options.now() };
    this.inFlight.add(request);
    this.inFlightMessages += messages.length;
    const settle = (): void => {
      this.inFlight.delete(request);
      this.inFlightMessages -= messages.length;
    };
    this.options.send(messages).then(
      () => {
        settle();
        for (const s of batch) s.resolve();
        this.afterRequest();
      },
      (err: unknown) => {
        settle();
        for (const s of batch) s.reject(err);
        this.afterRequest();
      },
    );
  }

  private afterRequest(): void {
    if (this.queue.length > 0) this.drain();
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}
