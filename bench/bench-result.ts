// The one line per target every benchmark prints at its end, for `npm run bench` to tabulate.
import { loadavg } from 'node:os';

export interface BenchResult {
  benchmark: string;
  figure: string;
  /** The figure of every run, in order. */
  runs: number[];
  /** The figure reported against the target (the median of the runs unless stated). */
  value: number;
  target: string;
  met: boolean;
}

export function printBenchResult(result: BenchResult): void {
  process.stdout.write(`BENCH-RESULT ${JSON.stringify(result)}\n`);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The machine's load average, printed beside every run: the machine is shared. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export const round = (n: number, digits = 0): number => Number(n.toFixed(digits));

const cleanups = new Set<() => Promise<unknown>>();
let handlingSignal = false;

/**
 * Runs `cleanup` if the benchmark is interrupted (SIGINT, SIGTERM) before it unregisters it, so
 * that what it created is deleted even then; `finally` blocks cover errors.
 */
export function cleanupOnSignal(cleanup: () => Promise<unknown>): () => void {
  if (cleanups.size === 0 && !handlingSignal) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        handlingSignal = true;
        process.stderr.write(`${signal}: deleting what the benchmark created\n`);
        void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
      });
    }
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
