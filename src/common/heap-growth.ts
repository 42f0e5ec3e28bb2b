// How often V8 collects a bounded heap. V8 sizes its collection schedule from the heap's cap, as
// if the cap were the machine's: under 256 MB of old generation it lets the heap grow by at most
// 30% over what survived the last full collection (its setting for small devices), so a busy
// process in a 256Mi pod spends its time in full collections. Node refuses V8's growth factor in
// NODE_OPTIONS, so the pod passes it as HEAP_GROWING_PERCENT (src/model/children.ts, heapEnv)
// and the process applies it before any mode starts.
import { setFlagsFromString } from 'node:v8';
import { EnvReader } from './env.ts';

const VARIABLE = 'HEAP_GROWING_PERCENT';

/** HEAP_GROWING_PERCENT, if set: how far, in percent, the old generation may grow between full collections. */
export function readHeapGrowth(source: Record<string, string | undefined> = process.env): number | undefined {
  const env = new EnvReader(source);
  if (env.optionalString(VARIABLE) === undefined) return undefined;
  const percent = env.integer(VARIABLE, 0, { min: 1, max: 1000 });
  env.done();
  return percent;
}

/** Applies HEAP_GROWING_PERCENT to every isolate of this process (V8 flags are process-wide). */
export function applyHeapGrowth(source: Record<string, string | undefined> = process.env): void {
  const percent = readHeapGrowth(source);
  if (percent !== undefined) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
