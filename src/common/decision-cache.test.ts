import { DecisionCache } from './decision-cache.ts';

describe('DecisionCache', () => {
  let now = 0;
  const cache = (maxEntries = 3) =>
    new DecisionCache<string>({ maxEntries, ttlMs: (v) => (v === 'yes' ? 1000 : 100), now: () => now });

  beforeEach(() => {
    now = 0;
  });

  it('answers from the cache until the TTL of the value passes', async () => {
    const c = cache();
    let loads = 0;
    const load = (value: string) => async () => {
      loads++;
      return value;
    };
    expect(await c.get('a', load('yes'))).toBe('yes');
    now = 999;
    expect(await c.get('a', load('no'))).toBe('yes');
    now = 1000;
    expect(await c.get('a', load('no'))).toBe('no');
    now = 1099;
    expect(await c.get('a', load('yes'))).toBe('no');
    now = 1100;
    expect(await c.get('a', load('yes'))).toBe('yes');
    expect(loads).toBe(3);
  });

  it('shares one load among concurrent lookups of a key', async () => {
    const c = cache();
    let loads = 0;
    let release: (v: string) => void = () => {};
    const load = () => {
      loads++;
      return new Promise<string>((resolve) => (release = resolve));
    };
    const answers = Promise.all([c.get('k', load), c.get('k', load), c.get('k', load)]);
    release('yes');
    expect(await answers).toEqual(['yes', 'yes', 'yes']);
    expect(loads).toBe(1);
  });

  it('does not remember a failed load', async () => {
    const c = cache();
    await expect(c.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(c.size).toBe(0);
    expect(await c.get('k', async () => 'yes')).toBe('yes');
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const c = cache(2);
    await c.get('a', async () => 'yes');
    await c.get('b', async () => 'yes');
    await c.get('a', async () => 'unused'); // a is now the most recent
    await c.get('c', async () => 'yes');
    expect(c.size).toBe(2);
    expect(await c.get('a', async () => 'reloaded')).toBe('yes');
    expect(await c.get('b', async () => 'reloaded')).toBe('reloaded');
  });
});
