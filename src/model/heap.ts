// How a data-plane container's V8 heaps are bounded by its memory limit: the pod's half of the
// heap settings (the process applies the variables that Node refuses in NODE_OPTIONS itself, in
// src/common/heap-options.ts).
import { parseQuantity } from './quantity.ts';

/**
 * The variables that carry the V8 settings Node refuses in NODE_OPTIONS: written into the pods
 * here (and into config/manager and the chart for the controller), read and applied by every
 * process at start (src/common/heap-options.ts).
 */
export const HEAP_VARIABLES = {
  growingPercent: 'HEAP_GROWING_PERCENT',
  optimizeForSize: 'HEAP_OPTIMIZE_FOR_SIZE',
} as const;

/** Of a container's memory limit, the share all V8 old generations together may fill. */
const HEAP_SHARE_OF_MEMORY_LIMIT = 0.5;
/** No isolate is given less old generation than this, however small the limit. */
const MIN_OLD_SPACE_MIB = 32;
/**
 * An isolate's semi-space (its young generation holds three) is this share of its old one: smaller
 * semi-spaces cost bulk imports no throughput and save peak RSS (bench/results/2026-11-30.md,
 * 01:43 bench:intake)...
 */
const SEMI_SPACE_SHARE_OF_OLD = 1 / 16;
/** ...within these bounds (V8 alone would allow 64 MiB). */
const MIN_SEMI_SPACE_MIB = 4;
const MAX_SEMI_SPACE_MIB = 16;

/**
 * NODE_OPTIONS that keep a data-plane process's JavaScript heaps within its memory limit, or
 * undefined when the container has none. Node sizes its heap from the cgroup limit as if the heap
 * could have all of it, so a busy process would be OOM-killed before V8 collected its garbage
 * (bench/results/2026-11-29.md, 12:51 npm run bench). Each isolate (the consumer's main thread and
 * every counting thread) has an old generation of its own, so the share is divided among them.
 * The semi-space is set with it: given only an old generation, V8 still sizes a young one larger
 * than the old, which costs both memory and throughput under bulk imports
 * (bench/results/2026-11-29.md, 14:30 bench:intake). How often V8 collects such a heap is set
 * beside it (HEAP_GROWING_PERCENT, heapEnv).
 */
function heapOptions(memoryLimit: unknown, isolates: number): string | undefined {
  const bytes = parseQuantity(memoryLimit);
  if (bytes === undefined || bytes <= 0) return undefined;
  const oldSpace = Math.max(
    MIN_OLD_SPACE_MIB,
    Math.floor((bytes * HEAP_SHARE_OF_MEMORY_LIMIT) / isolates / 2 ** 20),
  );
  const semiSpace = Math.min(
    MAX_SEMI_SPACE_MIB,
    Math.max(MIN_SEMI_SPACE_MIB, Math.floor(oldSpace * SEMI_SPACE_SHARE_OF_OLD)),
  );
  return `--max-old-space-size=${oldSpace} --max-semi-space-size=${semiSpace}`;
}

/**
 * How far, in percent over its live size, V8 lets an old generation grow before its next full
 * collection. Below 256 MB of old generation V8 allows at most 30% (its setting for small devices),
 * so a producer bounded to a 256Mi pod spends its time in full collections under bulk imports
 * (bench/results/2026-11-30.md, 01:43 bench:intake). The old-space cap still bounds the heap: only
 * how often it is collected changes.
 */
const HEAP_GROWING_PERCENT = 100;

/**
 * The environment that bounds a data-plane container's heaps: NODE_OPTIONS (heapOptions) and
 * HEAP_GROWING_PERCENT, which Node refuses in NODE_OPTIONS and the process applies itself
 * (src/common/heap-options.ts). Empty when the container has no memory limit.
 */
export function heapEnv(memoryLimit: unknown, isolates: number): Record<string, string> {
  const nodeOptions = heapOptions(memoryLimit, isolates);
  if (nodeOptions === undefined) return {};
  return { NODE_OPTIONS: nodeOptions, [HEAP_VARIABLES.growingPercent]: String(HEAP_GROWING_PERCENT) };
}
