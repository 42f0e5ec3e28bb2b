// `npm run bench`: every benchmark of bench/, one after the other (they share the machine and the
// stack, so never at once), each in its own process with its output shown as it comes; then the
// invocation's entry for bench/results/<date>.md: its time, command, commit and load, and one
// Markdown table of the BENCH-RESULT lines (bench/results.ts), each figure marked met or NOT MET.
// A benchmark that does not exist in this checkout is skipped with a note; one that fails is
// listed as failed and makes the exit code 1. BENCH_ONLY=dataplane,intake runs a subset.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.ts';
import {
  commandLine,
  invocationHeading,
  loadAverage,
  parseResults,
  resultsFile,
  summaryTable,
  type SummaryRow,
} from './results.ts';
import { describeFailure } from '../src/common/errors.ts';

/** The benchmarks, in the order they run. */
export const BENCHES = ['controller.ts', 'dataplane.ts', 'intake.ts', 'intake-pod.ts', 'intake-auth.ts'];

/** How long a benchmark may take to clean up after SIGTERM before it is killed. */
const CLEANUP_GRACE_MS = 120_000;

export interface Plan {
  run: string[];
  skipped: SummaryRow[];
}

/** Which benchmarks run: those that exist (and are selected by `only`, names without .ts). */
export function planBenches(exists: (file: string) => boolean, only?: string): Plan {
  const selected =
    only === undefined || only.trim() === ''
      ? BENCHES
      : only.split(',').map((name) => `${name.trim().replace(/\.ts$/, '')}.ts`);
  const unknown = selected.filter((file) => !BENCHES.includes(file));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown benchmarks: ${unknown.join(', ')}`);
  return {
    run: selected.filter(exists),
    skipped: selected
      .filter((file) => !exists(file))
      .map((file) => ({ bench: file, note: `skipped: bench/${file} does not exist in this checkout` })),
  };
}

/** Runs one benchmark, passing its output through; resolves with its stdout and exit status. */
function runBench(path: string, cleanup: ReturnType<typeof onCleanup>) {
  // Its own process group: a Ctrl-C reaches the runner only, which then asks the benchmark to
  // clean up with exactly one SIGTERM (a second signal would cut its cleanup short).
  const child: ChildProcess = spawn(process.execPath, [path], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    process.stdout.write(chunk);
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const stop = cleanup.add(`benchmark process ${path} (pid ${child.pid})`, async () => {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), CLEANUP_GRACE_MS);
    await closed;
    clearTimeout(killer);
  });
  return closed.then((status) => {
    stop();
    return { ...status, stdout };
  });
}

/** The checkout's commit, marked `-dirty` when it has uncommitted changes; undefined outside git. */
function checkoutCommit(dir: string): string | undefined {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--exclude=*'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = loadAverage();
  const here = dirname(fileURLToPath(import.meta.url));
  const plan = planBenches((file) => existsSync(join(here, file)), process.env.BENCH_ONLY);
  const cleanup = onCleanup();
  const rows: SummaryRow[] = [];
  let failed = false;
  try {
    for (const file of plan.run) {
      process.stdout.write(`\n=== bench/${file}\n`);
      const { code, signal, stdout } = await runBench(join(here, file), cleanup);
      const { results, problems } = parseResults(stdout);
      rows.push(...results.map((result) => ({ bench: file, result })));
      for (const problem of problems) rows.push({ bench: file, note: `unreadable BENCH-RESULT: ${problem}` });
      if (code !== 0) {
        failed = true;
        rows.push({ bench: file, note: `FAILED (${signal ?? `exit ${code}`})` });
      } else if (results.length === 0) {
        rows.push({ bench: file, note: 'printed no BENCH-RESULT line' });
      }
    }
  } finally {
    await cleanup.run();
  }
  rows.push(...plan.skipped);
  const heading = invocationHeading({
    command: commandLine(process.env, 'npm run bench'),
    started,
    ended: new Date(),
    commit: checkoutCommit(here),
    loadAtStart,
    loadAtEnd: loadAverage(),
  });
  process.stdout.write(`\n=== summary, for ${resultsFile(started)}\n\n${heading}\n\n${summaryTable(rows)}\n`);
  if (failed) process.exitCode = 1;
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`${describeFailure(err)}\n`);
    process.exit(1);
  });
}
