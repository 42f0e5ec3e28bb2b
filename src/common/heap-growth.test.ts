import { spawnSync } from 'node:child_process';
import { ConfigError } from './env.ts';
import { readHeapGrowth } from './heap-growth.ts';

describe('readHeapGrowth', () => {
  it('is off unless set, and takes a whole percentage', () => {
    expect(readHeapGrowth({})).toBeUndefined();
    expect(readHeapGrowth({ HEAP_GROWING_PERCENT: ' ' })).toBeUndefined();
    expect(readHeapGrowth({ HEAP_GROWING_PERCENT: '100' })).toBe(100);
  });

  it.each(['0', '-5', '12.5', 'lots', '1001'])('refuses %p with a clear error', (value) => {
    expect(() => readHeapGrowth({ HEAP_GROWING_PERCENT: value })).toThrow(ConfigError);
    expect(() => readHeapGrowth({ HEAP_GROWING_PERCENT: value })).toThrow(
      `HEAP_GROWING_PERCENT must be an integer in [1, 1000], got "${value}"`,
    );
  });
});

describe('applyHeapGrowth (in a process of its own)', () => {
  // A process with a small old generation that promotes garbage, under V8's own trace of the
  // factor by which it grows the old generation after each full collection.
  const script = `
    import { applyHeapGrowth } from ${JSON.stringify(new URL('./heap-growth.ts', import.meta.url).href)};
    applyHeapGrowth();
    const recent = [];
    for (let round = 0; round < 2_000; round++) {
      recent.push(Array.from({ length: 1_000 }, (_, i) => ({ id: round + '-' + i })));
      if (recent.length > 200) recent.shift();
    }
  `;
  const growthFactors = (env: Record<string, string>): Set<string> => {
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=96', '--trace-gc-verbose', '--input-type=module', '-e', script],
      { env: { ...process.env, ...env, NODE_OPTIONS: '' }, encoding: 'utf8' },
    );
    expect(child.status).toBe(0);
    return new Set([...child.stdout.matchAll(/\[HeapController\] factor (\S+)/g)].map((m) => m[1]!));
  };

  it("replaces V8's small-heap growth factor for every full collection", () => {
    // What the pods are up against: 1.3 under 256 MB, whatever the collector's speed.
    expect(growthFactors({})).toEqual(new Set(['1.3']));
    expect(growthFactors({ HEAP_GROWING_PERCENT: '100' })).toEqual(new Set(['2.0']));
  });
});
