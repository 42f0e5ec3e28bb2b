import { spawnSync } from 'node:child_process';
import { ConfigError } from './env.ts';
import { readHeapOptions } from './heap-options.ts';

describe('readHeapOptions', () => {
  it("leaves V8's own settings unless told", () => {
    expect(readHeapOptions({})).toEqual({ optimizeForSize: false });
    expect(readHeapOptions({ HEAP_GROWING_PERCENT: ' ', HEAP_OPTIMIZE_FOR_SIZE: '' })).toEqual({
      optimizeForSize: false,
    });
  });

  it('takes a whole percentage and a boolean', () => {
    expect(readHeapOptions({ HEAP_GROWING_PERCENT: '100' })).toEqual({
      growingPercent: 100,
      optimizeForSize: false,
    });
    expect(readHeapOptions({ HEAP_OPTIMIZE_FOR_SIZE: 'true' })).toEqual({ optimizeForSize: true });
    expect(readHeapOptions({ HEAP_OPTIMIZE_FOR_SIZE: 'false' })).toEqual({ optimizeForSize: false });
  });

  it.each(['0', '-5', '12.5', 'lots', '1001'])('refuses a growth of %p with a clear error', (value) => {
    expect(() => readHeapOptions({ HEAP_GROWING_PERCENT: value })).toThrow(ConfigError);
    expect(() => readHeapOptions({ HEAP_GROWING_PERCENT: value })).toThrow(
      `HEAP_GROWING_PERCENT must be an integer in [1, 1000], got "${value}"`,
    );
  });

  it('names every bad variable in one error', () => {
    const read = () => readHeapOptions({ HEAP_GROWING_PERCENT: 'lots', HEAP_OPTIMIZE_FOR_SIZE: 'yes' });
    expect(read).toThrow('HEAP_GROWING_PERCENT must be an integer in [1, 1000], got "lots"');
    expect(read).toThrow('HEAP_OPTIMIZE_FOR_SIZE must be true or false, got "yes"');
  });
});

describe('applyHeapOptions (in a process of its own, under V8’s own GC trace)', () => {
  // A process with a small old generation that promotes garbage, so that V8 runs full collections.
  const script = `
    import { applyHeapOptions } from ${JSON.stringify(new URL('./heap-options.ts', import.meta.url).href)};
    applyHeapOptions();
    const recent = [];
    for (let round = 0; round < 2_000; round++) {
      recent.push(Array.from({ length: 1_000 }, (_, i) => ({ id: round + '-' + i })));
      if (recent.length > 200) recent.shift();
    }
  `;
  const trace = (traceFlag: string, env: Record<string, string>): string => {
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=96', '--max-semi-space-size=4', traceFlag, '--input-type=module', '-e', script],
      { env: { ...process.env, ...env, NODE_OPTIONS: '' }, encoding: 'utf8' },
    );
    expect(child.status).toBe(0);
    return child.stdout;
  };

  it("replaces V8's small-heap growth factor for every full collection", () => {
    const growthFactors = (env: Record<string, string>) =>
      new Set(
        [...trace('--trace-gc-verbose', env).matchAll(/\[HeapController\] factor (\S+)/g)].map((m) => m[1]!),
      );
    // What the pods are up against: 1.3 under 256 MB, whatever the collector's speed.
    expect(growthFactors({})).toEqual(new Set(['1.3']));
    expect(growthFactors({ HEAP_GROWING_PERCENT: '100' })).toEqual(new Set(['2.0']));
  });

  it('makes every full collection one that gives memory back', () => {
    // --trace-gc-nvp prints a line per collection: gc=mc for a full one, with reduce_memory=0|1.
    const fullCollections = (env: Record<string, string>) =>
      [...trace('--trace-gc-nvp', env).matchAll(/gc=mc\b.*?reduce_memory=(\d)/g)].map((m) => m[1]!);
    const own = fullCollections({});
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own)).toEqual(new Set(['0']));
    const forSize = fullCollections({ HEAP_OPTIMIZE_FOR_SIZE: 'true' });
    expect(forSize.length).toBeGreaterThan(0);
    expect(new Set(forSize)).toEqual(new Set(['1']));
  });
});
