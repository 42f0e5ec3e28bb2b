import { describe, expect, it } from '@jest/globals';
import { BENCHES, planBenches } from './all.ts';

describe('planBenches', () => {
  it('runs every benchmark that exists, in order, and notes the missing ones', () => {
    const plan = planBenches((file) => file !== 'intake-auth.ts');
    expect(plan.run).toEqual(BENCHES.filter((file) => file !== 'intake-auth.ts'));
    expect(plan.skipped).toEqual([
      { bench: 'intake-auth.ts', note: 'skipped: bench/intake-auth.ts does not exist in this checkout' },
    ]);
  });

  it('runs only the selected ones with BENCH_ONLY, with or without .ts', () => {
    expect(planBenches(() => true, 'dataplane, intake.ts').run).toEqual(['dataplane.ts', 'intake.ts']);
  });

  it('refuses a selection naming no benchmark it knows', () => {
    expect(() => planBenches(() => true, 'dataplan')).toThrow(/unknown benchmarks: dataplan\.ts/);
  });
});
