import { ExponentialBackoff } from './rate-limiter.ts';
import { WorkQueue, type Timers } from './workqueue.ts';

/** Timers driven by hand: advance(ms) fires what is due. */
function manualTimers(): Timers & { advance(ms: number): void; now: () => number } {
  let now = 0;
  let next = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      pending.set(++next, { at: now + ms, fn });
      return next;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, t] of [...pending].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now) {
          pending.delete(id);
          t.fn();
        }
      }
    },
  };
}

describe('WorkQueue', () => {
  it('hands out keys in order and queues a key only once', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never gives a key to a second worker while the first processes it', async () => {
    const q = new WorkQueue();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.depth).toBe(0); // held back while processing

    let second: string | undefined = 'none yet';
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBe('none yet');

    q.done('a'); // the re-adds coalesce into one more round
    await Promise.resolve();
    expect(second).toBe('a');
    q.done('a');
    expect(q.depth).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue();
    const next = q.get();
    q.add('x');
    expect(await next).toBe('x');
    expect(q.inFlight).toBe(1);
  });

  it('delays adds, keeping the earliest', () => {
    const timers = manualTimers();
    const q = new WorkQueue({ timers });
    q.addAfter('a', 100, timers.now());
    q.addAfter('a', 50, timers.now());
    q.addAfter('a', 500, timers.now());
    timers.advance(49);
    expect(q.depth).toBe(0);
    timers.advance(1);
    expect(q.depth).toBe(1);
    timers.advance(1000);
    expect(q.depth).toBe(1);
  });

  it('backs off a failing key exponentially and resets after forget', () => {
    const timers = manualTimers();
    const q = new WorkQueue({ timers, rateLimiter: new ExponentialBackoff(10, 1000) });
    q.addRateLimited('a'); // 10 ms
    timers.advance(9);
    expect(q.depth).toBe(0);
    timers.advance(1);
    expect(q.depth).toBe(1);
    expect(q.retries('a')).toBe(1);
    q.forget('a');
    expect(q.retries('a')).toBe(0);
  });

  it('on shutdown releases idle workers, drops queued keys and waits for in-flight ones', async () => {
    const q = new WorkQueue();
    q.add('busy');
    expect(await q.get()).toBe('busy');
    const idle = q.get();
    q.add('queued-later');
    expect(await idle).toBe('queued-later');
    q.add('never');
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    expect(await q.get()).toBeUndefined();
    q.done('busy');
    await Promise.resolve();
    expect(drained).toBe(false);
    q.done('queued-later');
    await drain;
    expect(drained).toBe(true);
    q.add('after');
    expect(q.depth).toBe(0);
  });
});
