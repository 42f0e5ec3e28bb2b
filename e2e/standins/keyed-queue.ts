// A work queue that runs at most one handler per key at a time and coalesces bursts: events
// arriving while a key is being handled cause exactly one more run afterwards, with the state
// current at that moment. Failed runs are retried with exponential backoff. At most
// `maxConcurrent` keys run at once, the others wait in arrival order: Kafka answers a connection's
// requests one at a time, so thousands of reconciles at once would time each other out.

export interface KeyedQueueOptions {
  handle: (key: string) => Promise<void>;
  onError: (key: string, err: unknown, retryInMs: number) => void;
  baseRetryMs?: number;
  maxRetryMs?: number;
  maxConcurrent?: number;
}

/** Backoff after `failures` consecutive failures: base·2^(failures-1), capped. */
export function retryDelayMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}

export class KeyedQueue {
  private readonly options: Required<KeyedQueueOptions>;
  private readonly running = new Set<string>();
  private readonly pending = new Set<string>();
  /** Keys due to run once a slot is free, oldest first. */
  private readonly waiting = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(options: KeyedQueueOptions) {
    this.options = { baseRetryMs: 500, maxRetryMs: 30_000, maxConcurrent: 16, ...options };
  }

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.retryTimers.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.retryTimers.delete(key);
    }
    if (this.running.has(key)) {
      this.pending.add(key);
      return;
    }
    if (this.running.size >= this.options.maxConcurrent) {
      this.waiting.add(key);
      return;
    }
    void this.run(key);
  }

  /** Stops scheduling; resolves when the runs in progress have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    this.pending.clear();
    this.waiting.clear();
    if (this.running.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(key: string): Promise<void> {
    this.running.add(key);
    try {
      await this.options.handle(key);
      this.failures.delete(key);
    } catch (err) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delay = retryDelayMs(failures, this.options.baseRetryMs, this.options.maxRetryMs);
      this.options.onError(key, err, delay);
      if (!this.stopped) {
        const timer = setTimeout(() => {
          this.retryTimers.delete(key);
          this.add(key);
        }, delay);
        timer.unref();
        this.retryTimers.set(key, timer);
      }
    } finally {
      this.running.delete(key);
    }
    if (this.pending.delete(key) && !this.stopped) this.add(key);
    for (const next of this.waiting) {
      if (this.running.size >= this.options.maxConcurrent) break;
      this.waiting.delete(next);
      void this.run(next);
    }
    if (this.running.size === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }
}
