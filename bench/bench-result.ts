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
