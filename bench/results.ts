// The one line every benchmark prints per figure that has a target, for `npm run bench`
// (bench/all.ts) to collect into one summary:
//   BENCH-RESULT {"benchmark":"consumer","figure":"ours/ConsumerPerformance","runs":[0.41,0.44,0.39],
//                 "value":0.41,"target":">= 0.9","met":false}
// `runs` holds every run's figure, `value` the one compared with the target (the median unless
// the benchmark says otherwise in its figure), `target` a comparison as text (or a number, read
// as ">= number"), `met` whether value meets it.

import { loadavg } from 'node:os';

export const RESULT_PREFIX = 'BENCH-RESULT ';

export interface BenchResult {
  benchmark: string;
  figure: string;
  runs: number[];
  value: number;
  target: string | number;
  met: boolean;
}

/** The line to print for a result. */
export function formatResult(result: BenchResult): string {
  const { benchmark, figure, runs, value, target, met } = result;
  return `${RESULT_PREFIX}${JSON.stringify({ benchmark, figure, runs, value, target, met })}`;
}

/** A result whose `met` follows from value and target, the way every bench here decides it. */
export function result(
  benchmark: string,
  figure: string,
  runs: number[],
  target: { atLeast: number } | { below: number } | { atMost: number },
  value: number = median(runs),
): BenchResult {
  const [text, met] =
    'atLeast' in target
      ? [`>= ${target.atLeast}`, value >= target.atLeast]
      : 'below' in target
        ? [`< ${target.below}`, value < target.below]
        : [`<= ${target.atMost}`, value <= target.atMost];
  return { benchmark, figure, runs, value, target: text, met };
}

/** Prints the line of a result on standard output. */
export function printResult(result: BenchResult): void {
  process.stdout.write(`${formatResult(result)}\n`);
}

/** The machine's load averages (1, 5, 15 min), printed beside every run: a busy machine skews figures. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export const round = (n: number, digits = 0): number => Number(n.toFixed(digits));

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface ParsedOutput {
  results: BenchResult[];
  /** BENCH-RESULT lines that could not be read, with why. */
  problems: string[];
}

/** The results in a benchmark's output; other lines are ignored, malformed result lines reported. */
export function parseResults(output: string): ParsedOutput {
  const results: BenchResult[] = [];
  const problems: string[] = [];
  for (const line of output.split('\n')) {
    const at = line.indexOf(RESULT_PREFIX);
    if (at < 0) continue;
    const json = line.slice(at + RESULT_PREFIX.length).trim();
    let doc: unknown;
    try {
      doc = JSON.parse(json);
    } catch {
      problems.push(`not JSON: ${json.slice(0, 120)}`);
      continue;
    }
    const problem = resultProblem(doc);
    if (problem === undefined) results.push(doc as BenchResult);
    else problems.push(`${problem}: ${json.slice(0, 120)}`);
  }
  return { results, problems };
}

function resultProblem(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not an object';
  const r = doc as Record<string, unknown>;
  if (typeof r.benchmark !== 'string' || r.benchmark === '') return 'benchmark must be a non-empty string';
  if (typeof r.figure !== 'string' || r.figure === '') return 'figure must be a non-empty string';
  if (!Array.isArray(r.runs) || !r.runs.every((v) => typeof v === 'number' || v === null))
    return 'runs must be an array of numbers';
  // JSON has no NaN: a figure that could not be measured arrives as null.
  if (typeof r.value !== 'number' && r.value !== null) return 'value must be a number';
  if (typeof r.target !== 'string' && typeof r.target !== 'number')
    return 'target must be a string or a number';
  if (typeof r.met !== 'boolean') return 'met must be true or false';
  return undefined;
}

/** One row per benchmark outcome for the summary. */
export interface SummaryRow {
  bench: string;
  result?: BenchResult;
  /** Instead of a result: skipped, failed, printed nothing. */
  note?: string;
}

const number = (v: number | null): string =>
  v === null || !Number.isFinite(v)
    ? '–'
    : Math.abs(v) >= 1000
      ? Math.round(v).toLocaleString('en-US')
      : String(Number(v.toPrecision(3)));

/** A table cell: a pipe inside it would end the cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/**
 * The summary table, in Markdown as bench/results/<date>.md holds it: one row per figure, marked
 * met or NOT MET, and one per bench without results. Columns are padded so it reads in a terminal.
 */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const header = ['bench', 'figure', 'runs', 'value', 'target', 'met'];
  const cells = rows.map((row) =>
    (row.result === undefined
      ? [row.bench, row.note ?? '', '', '', '', '']
      : [
          row.bench,
          `${row.result.benchmark}: ${row.result.figure}`,
          row.result.runs.map(number).join(', '),
          number(row.result.value),
          String(row.result.target),
          row.result.met ? 'met' : 'NOT MET',
        ]
    ).map(cell),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((text, i) => text.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** The variables that change what a benchmark measures, as they prefix its command line. */
const SHAPING_VARIABLES = /^(BENCH_[A-Z_]+|NODE_OPTIONS|HEAP_GROWING_PERCENT|INTAKE_MAX_PENDING)$/;

/** The command as it was run: the shaping variables that were set, in name order, then `script`. */
export function commandLine(env: Readonly<Record<string, string | undefined>>, script: string): string {
  const assignments = Object.entries(env)
    .filter(([name, value]) => SHAPING_VARIABLES.test(name) && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${/^[\w.,:=/+-]*$/.test(value!) ? value : JSON.stringify(value)}`);
  return [...assignments, script].join(' ');
}

/** One invocation of a runner: what bench/results/<date>.md records beside its runs. */
export interface Invocation {
  command: string;
  started: Date;
  ended: Date;
  /** The checkout's commit (`-dirty` with uncommitted changes), if known. */
  commit?: string;
  loadAtStart: string;
  loadAtEnd: string;
}

const utcTime = (d: Date): string => d.toISOString().slice(11, 16);

/** Where an invocation's entry goes: the results file of the UTC day it started. */
export function resultsFile(started: Date): string {
  return `bench/results/${started.toISOString().slice(0, 10)}.md`;
}

/** The entry's heading and its command, commit and machine lines, in the form of bench/results/. */
export function invocationHeading(invocation: Invocation): string {
  const { command, started, ended, commit, loadAtStart, loadAtEnd } = invocation;
  return [
    `## ${utcTime(started)}–${utcTime(ended)} · ${command}`,
    '',
    `- Command: \`${command}\`.`,
    `- Commit: ${commit === undefined ? 'unknown' : `\`${commit}\``}.`,
    `- Machine: load average ${loadAtStart} at the start, ${loadAtEnd} at the end.`,
  ].join('\n');
}
