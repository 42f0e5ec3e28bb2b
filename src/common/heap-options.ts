// V8 heap settings that Node refuses in NODE_OPTIONS, so a pod passes them as variables of their
// own and the process hands them to V8 before any mode starts (src/cli.ts). Both flags are read
// by V8's collector as it runs, not only when the heap is set up, so setting them this late works
// (the tests below watch V8's own trace to prove it).
//
// HEAP_GROWING_PERCENT: how often V8 collects a bounded heap. V8 sizes its collection schedule
// from the heap's cap, as if the cap were the machine's: under 256 MB of old generation it lets
// the heap grow by at most 30% over what survived the last full collection (its setting for small
// devices), so a busy process in a 256Mi pod spends its time in full collections. The data-plane
// pods get it (src/model/heap.ts, heapEnv, which owns the variables' names and the pods' sizing).
//
// HEAP_OPTIMIZE_FOR_SIZE: V8's --optimize-for-size, which trades CPU for memory: a young
// generation kept small and every full collection one that compacts to give memory back. The
// controller gets it (config/manager): it holds a cache that grows with the experiments and
// spends its time waiting for the API server, not computing (what it saves: bench/README.md,
// “bench:controller”).
import { setFlagsFromString } from 'node:v8';
import { HEAP_VARIABLES } from '../model/heap.ts';
import { EnvReader } from './env.ts';

export interface HeapOptions {
  /** How far, in percent, the old generation may grow between full collections; V8's own if unset. */
  growingPercent?: number;
  optimizeForSize: boolean;
}

export function readHeapOptions(source: Record<string, string | undefined> = process.env): HeapOptions {
  const env = new EnvReader(source);
  const growingPercent =
    env.optionalString(HEAP_VARIABLES.growingPercent) === undefined
      ? undefined
      : env.integer(HEAP_VARIABLES.growingPercent, 0, { min: 1, max: 1000 });
  const optimizeForSize = env.boolean(HEAP_VARIABLES.optimizeForSize, false);
  env.done();
  return { ...(growingPercent !== undefined ? { growingPercent } : {}), optimizeForSize };
}

/** Applies the variables to every isolate of this process (V8 flags are process-wide). */
export function applyHeapOptions(source: Record<string, string | undefined> = process.env): void {
  const { growingPercent, optimizeForSize } = readHeapOptions(source);
  if (growingPercent !== undefined) setFlagsFromString(`--heap-growing-percent=${growingPercent}`);
  if (optimizeForSize) setFlagsFromString('--optimize-for-size');
}
