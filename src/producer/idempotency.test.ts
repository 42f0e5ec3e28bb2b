import { fingerprint, IdempotencyWindow, keyProblem } from './idempotency.ts';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('keyProblem', () => {
  it('accepts 1 to 128 visible ASCII characters', () => {
    expect(keyProblem('3f1c9a2e-8d7b-4c61-9e0a-5b2d7f4e1a90')).toBeUndefined();
    expect(keyProblem('x'.repeat(128))).toBeUndefined();
    for (const bad of ['', 'x'.repeat(129), 'with space', 'é', 'tab\t', 7, null]) {
      expect(keyProblem(bad)).toMatch(/^id must be/);
    }
  });
});

describe('IdempotencyWindow', () => {
  const window = (now = { t: 0 }, maxKeys = 100) =>
    new IdempotencyWindow({ ttlMs: 1000, maxKeys, now: () => now.t });

  it('answers a retry of an acknowledged rating as a duplicate, a different rating as a conflict', async () => {
    const w = window();
    const first = await w.claim('k', 'rating A');
    expect(first.kind).toBe('new');
    if (first.kind === 'new') first.settle(true);
    expect(await w.claim('k', 'rating A')).toEqual({ kind: 'duplicate' });
    expect(await w.claim('k', 'rating B')).toEqual({ kind: 'conflict' });
  });

  it('lets a retry publish when the first publication failed', async () => {
    const w = window();
    const first = await w.claim('k', 'A');
    if (first.kind === 'new') first.settle(false);
    expect((await w.claim('k', 'A')).kind).toBe('new');
  });

  it('makes a retry that arrives while the first is in flight wait for its outcome', async () => {
    const w = window();
    const first = await w.claim('k', 'A');
    let retried: string | undefined;
    void w.claim('k', 'A').then((c) => (retried = c.kind));
    await settle();
    expect(retried).toBeUndefined();
    if (first.kind === 'new') first.settle(true);
    await settle();
    expect(retried).toBe('duplicate');

    // The same, when the first fails: the waiting retry gets to publish.
    const other = await w.claim('j', 'A');
    let retriedOther: string | undefined;
    void w.claim('j', 'A').then((c) => (retriedOther = c.kind));
    if (other.kind === 'new') other.settle(false);
    await settle();
    expect(retriedOther).toBe('new');
  });

  it('forgets an acknowledged key after its time', async () => {
    const now = { t: 0 };
    const w = window(now);
    const first = await w.claim('k', 'A');
    now.t = 500;
    if (first.kind === 'new') first.settle(true);
    now.t = 1499;
    expect((await w.claim('k', 'A')).kind).toBe('duplicate');
    now.t = 1500;
    expect((await w.claim('k', 'A')).kind).toBe('new');
  });

  it('holds at most maxKeys, forgetting the oldest acknowledged first and never one in flight', async () => {
    let evicted = 0;
    const w = new IdempotencyWindow({ ttlMs: 1000, maxKeys: 3, now: () => 0, onEvict: () => evicted++ });
    const inFlight = await w.claim('pending', 'A');
    for (const key of ['a', 'b', 'c']) {
      const c = await w.claim(key, 'A');
      if (c.kind === 'new') c.settle(true);
    }
    expect(w.size).toBe(3);
    expect(evicted).toBe(1);
    expect((await w.claim('a', 'A')).kind).toBe('new'); // 'a' was forgotten, the oldest acknowledged
    expect(w.size).toBe(3);
    expect(inFlight.kind).toBe('new');
    let waited = false;
    void w.claim('pending', 'A').then(() => (waited = true));
    await settle();
    expect(waited).toBe(false); // still remembered while in flight
  });
});

describe('fingerprint', () => {
  const good = {
    battle: 'Zeus vs Thor',
    voices: ['Beyoncé', 'Joan of Arc'],
    rating: 2,
    researcher: 'Dr. Ada',
  };
  it('differs whenever the rating does', () => {
    const base = fingerprint(good as never);
    expect(fingerprint({ ...good } as never)).toBe(base);
    for (const change of [
      { rating: 1 },
      { researcher: 'Dr. Bo' },
      { battle: 'Adam vs Eve' },
      { voices: ['Joan of Arc', 'Beyoncé'] },
    ]) {
      expect(fingerprint({ ...good, ...change } as never)).not.toBe(base);
    }
  });
});
