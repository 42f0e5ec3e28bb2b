// Group commit for produce requests: while a request is with the broker, new submissions queue
// up and leave together in the next one. An idempotent kafkajs producer sends one request per
// broker at a time, so throughput comes from the size of each request and from the number of
// producers sending side by side (kafka.ts), not from pipelining one producer.

export interface BatcherOptions<M> {
  /** Sends one request; resolves when the broker acknowledged every message of it. */
  send: (messages: M[]) => Promise<void>;
  /** Messages per request; a larger submission is split over several requests. */
  maxBatchSize: number;
  /**
   * Bytes per request as `sizeOf` counts them (a message larger on its own goes alone): the broker
   * refuses a partition's record batch above its message.max.bytes, for good.
   */
  maxBatchBytes?: number;
  sizeOf?: (message: M) => number;
  /** Requests handed to `send` without waiting for earlier ones. */
  maxInFlight: number;
  now?: () => number;
}

interface Submission {
  /** Parts not acknowledged yet. */
  remaining: number;
  settled: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A slice of one submission that fits in a request. */
interface Part<M> {
  messages: M[];
  bytes: number;
  owner: Submission;
}

export class Batcher<M> {
  private readonly options: Required<BatcherOptions<M>>;
  private queue: Part<M>[] = [];
  private queuedMessages = 0;
  private inFlightMessages = 0;
  /** Start times of the requests with the broker, for telling a stalled broker apart. */
  private readonly inFlight = new Set<{ startedAt: number }>();
  private drainScheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: BatcherOptions<M>) {
    this.options = { now: Date.now, maxBatchBytes: Infinity, sizeOf: () => 0, ...options };
  }

  /** Queues messages; resolves when all were acknowledged, rejects with the first send error. */
  submit(messages: M[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const owner: Submission = { remaining: 0, settled: false, resolve, reject };
      for (const part of this.split(messages, owner)) {
        owner.remaining += 1;
        this.queue.push(part);
      }
      this.queuedMessages += messages.length;
      this.scheduleDrain();
    });
  }

  private split(messages: M[], owner: Submission): Part<M>[] {
    const { maxBatchSize, maxBatchBytes, sizeOf } = this.options;
    if (messages.length <= maxBatchSize && maxBatchBytes === Infinity) {
      return [{ messages, bytes: 0, owner }];
    }
    const parts: Part<M>[] = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      const size = sizeOf(messages[i]!);
      if (i > start && (i - start >= maxBatchSize || bytes + size > maxBatchBytes)) {
        parts.push({ messages: messages.slice(start, i), bytes, owner });
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    parts.push({ messages: start === 0 ? messages : messages.slice(start), bytes, owner });
    return parts;
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

  private takeBatch(): Part<M>[] {
    const batch: Part<M>[] = [];
    let size = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (
        batch.length > 0 &&
        (size + next.messages.length > this.options.maxBatchSize ||
          bytes + next.bytes > this.options.maxBatchBytes)
      ) {
        break;
      }
      batch.push(next);
      size += next.messages.length;
      bytes += next.bytes;
      this.queue.shift();
    }
    this.queuedMessages -= size;
    return batch;
  }

  private dispatch(batch: Part<M>[]): void {
    const messages = batch.length === 1 ? batch[0]!.messages : batch.flatMap((p) => p.messages);
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
        for (const { owner } of batch) {
          owner.remaining -= 1;
          if (owner.remaining === 0 && !owner.settled) {
            owner.settled = true;
            owner.resolve();
          }
        }
        this.afterRequest();
      },
      (err: unknown) => {
        settle();
        for (const { owner } of batch) {
          if (owner.settled) continue;
          owner.settled = true;
          owner.reject(err);
        }
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
