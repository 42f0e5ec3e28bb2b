import { KeyedQueue, retryDelayMs } from './keyed-queue.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('retryDelayMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 100, 1000))).toEqual([100, 200, 400, 800, 1000]);
  });
});

describe('KeyedQueue', () => {
  it('never runs one key twice at once and coalesces a burst into one more run', async () => {
    const gate = deferred();
    const runs: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = new KeyedQueue({
      handle: async (key) => {
        runs.push(key);
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        if (runs.length === 1) await gate.promise;
        concurrent -= 1;
      },
      onError: () => undefined,
    });
    queue.add('a');
    queue.add('a');
    queue.add('a');
    queue.add('b');
    await tick();
    gate.resolve();
    await tick();
    await queue.stop();
    expect(runs.sort()).toEqual(['a', 'a', 'b']);
    expect(maxConcurrent).toBe(2); // a and b in parallel, never a with a
  });

  it('retries a failing key with backoff until it succeeds', async () => {
    let attempts = 0;
    const errors: number[] = [];
    const done = deferred();
    const queue = new KeyedQueue({
      handle: async () => {
        attempts += 1;
        if (attempts < 3) throw new Error('boom');
        done.resolve();
      },
      onError: (_key, _err, retryInMs) => errors.push(retryInMs),
      baseRetryMs: 5,
    });
    queue.add('k');
    await done.promise;
    await queue.stop();
    expect(attempts).toBe(3);
    expect(errors).toEqual([5, 10]);
  });

  it('stop() waits for runs in progress and accepts no more', async () => {
    const gate = deferred();
    let finished = false;
    let runs = 0;
    const queue = new KeyedQueue({
      handle: async () => {
        runs += 1;
        await gate.promise;
        finished = true;
      },
      onError: () => undefined,
    });
    queue.add('k');
    const stopped = queue.stop();
    queue.add('k');
    gate.resolve();
    await stopped;
    expect(finished).toBe(true);
    expect(runs).toBe(1);
  });

  it('runs at most maxConcurrent keys at once, the others in arrival order as slots free', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const started: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = new KeyedQueue({
      handle: async (key) => {
        started.push(key);
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        const gate = deferred();
        gates.set(key, gate);
        await gate.promise;
        concurrent -= 1;
      },
      onError: () => undefined,
      maxConcurrent: 2,
    });
    for (const key of ['a', 'b', 'c', 'd', 'c', 'e']) queue.add(key);
    await tick();
    expect(started).toEqual(['a', 'b']);
    gates.get('b')!.resolve();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < 10 && started.length < 5; i++) {
      for (const gate of gates.values()) gate.resolve();
      await tick();
    }
    for (const gate of gates.values()) gate.resolve();
    await queue.stop();
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']); // c waited once, though added twice
    expect(maxConcurrent).toBe(2);
  });
});
