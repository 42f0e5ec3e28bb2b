// The local stack as a module: bring it up (reusing whatever already runs and is healthy), stop
// it, read its environment, and add Prometheus scrape targets. cli.ts and the jest harness use it.
//
//   ensureStack()          → { started, env }   installs, starts what is missing, waits for all
//   stopStack()            stops every recorded process by pid, verifies the ports are free
//   readStackEnv()         the values of .local/stack.env
//   addScrapeTarget(job, targets, labels?) / removeScrapeTarget(job)   file_sd JSON for Prometheus
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codedError } from '../../src/common/errors.ts';
import { removeBuildContainers } from './image.ts';
import { installAll } from './install.ts';
import { cacheDir, kubectlPath, localDir, logFile, paths, ports, repoRoot } from './paths.ts';
import { ensureNodeNetwork, keepContainmentFirst, nodeLeftovers, teardownNode } from './node.ts';
import { dependencyOrder, type StackPart, type StackProcess, type StackStep } from './part.ts';
import { stackParts } from './parts.ts';
import { ensurePki, writeKubeconfigs } from './pki.ts';
import {
  commandLine,
  livePid,
  portInUse,
  processAlive,
  recordedCommand,
  startDetached,
  stopProcess,
  tailFile,
  withFileLock,
} from './processes.ts';
import type { ProcessSpec } from './processes.ts';

export { cacheDir, kubectlPath, paths, ports, repoRoot };

export type StackEnv = {
  KUBECONFIG: string;
  KAFKA_BOOTSTRAP_SERVERS: string;
  PROMETHEUS_URL: string;
};

/** The message says which part of the stack failed and where its log is. */
export class StackError extends codedError('RATINGS_STACK_FAILED', {
  errorClass: 'terminal',
  userFacing: true,
}) {}

export type PartReport = {
  name: string;
  state: 'reused' | 'started' | 'skipped' | 'applied';
  seconds: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function log(message: string): void {
  process.stdout.write(`[stack] ${message}\n`);
}

function stackEnvFor(): StackEnv {
  const p = ports();
  return {
    KUBECONFIG: paths.kubeconfig,
    KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${p.kafka}`,
    PROMETHEUS_URL: `http://127.0.0.1:${p.prometheus}`,
  };
}

/** Reads .local/stack.env (written by a successful stack:up). */
export function readStackEnv(): StackEnv {
  if (!existsSync(paths.stackEnv)) {
    throw new StackError(`${paths.stackEnv} does not exist: run \`npm run stack:up\` first`);
  }
  const values: Record<string, string> = {};
  for (const line of readFileSync(paths.stackEnv, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values[match[1]] = match[2];
  }
  const { KUBECONFIG, KAFKA_BOOTSTRAP_SERVERS, PROMETHEUS_URL } = values;
  if (KUBECONFIG === undefined || KAFKA_BOOTSTRAP_SERVERS === undefined || PROMETHEUS_URL === undefined) {
    throw new StackError(`${paths.stackEnv} lacks KUBECONFIG, KAFKA_BOOTSTRAP_SERVERS or PROMETHEUS_URL`);
  }
  return { KUBECONFIG, KAFKA_BOOTSTRAP_SERVERS, PROMETHEUS_URL };
}

function writeStackEnv(env: StackEnv): void {
  const content = `KUBECONFIG=${env.KUBECONFIG}\nKAFKA_BOOTSTRAP_SERVERS=${env.KAFKA_BOOTSTRAP_SERVERS}\nPROMETHEUS_URL=${env.PROMETHEUS_URL}\n`;
  writeFileSync(`${paths.stackEnv}.tmp`, content);
  renameSync(`${paths.stackEnv}.tmp`, paths.stackEnv);
}

/** A lock so that two stack:up (say two jest runs) do not start the same process twice. */
function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(paths.local, { recursive: true });
  return withFileLock(join(paths.local, 'stack.lock'), 20 * 60_000, fn);
}

function failure(part: StackProcess, spec: ProcessSpec | undefined, why: string): StackError {
  const lines = [
    `${part.name} failed to start: ${why}`,
    `  command: ${spec === undefined ? '(not started)' : commandLine(spec)}`,
    `  log: ${logFile(part.name)}`,
    `--- last lines of ${logFile(part.name)} ---`,
    tailFile(logFile(part.name), 30),
    '---',
  ];
  return new StackError(lines.join('\n'));
}

export async function waitHealthy(
  part: StackProcess,
  pid: number,
  spec: ProcessSpec,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await part.healthy()) return;
    // The process this start is about, not whatever the pid file names by now: a concurrent
    // start that lost the race for the port overwrites it with a pid that exits at once.
    if (!processAlive(pid, spec.identity)) {
      throw failure(part, spec, `the process (pid ${pid}) exited`);
    }
    if (Date.now() > deadline) {
      throw failure(part, spec, `not healthy after ${Math.round(timeoutMs / 1000)}s`);
    }
    await sleep(250);
  }
}

/** Brings one process to healthy: reuses a healthy recorded process, else (re)starts it. */
async function bringUp(part: StackProcess): Promise<PartReport> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  if (part.present !== undefined && !part.present()) {
    return { name: part.name, state: 'skipped', seconds: 0 };
  }
  const spec: ProcessSpec = { ...(await part.prepare()), identity: part.identity };
  let existing = livePid(part.name, spec.identity);
  const recorded = recordedCommand(part.name);
  // A stack whose state lives outside this checkout is shared with others (STACK_LOCAL_DIR).
  const sharedStack = localDir !== join(repoRoot, '.local');
  const startedByAnotherCheckout = part.fromCheckout === true && sharedStack;
  if (
    existing !== undefined &&
    recorded !== undefined &&
    recorded !== commandLine(spec) &&
    !startedByAnotherCheckout
  ) {
    // Started with other flags, ports or environment (e.g. the stack's code changed): restart it.
    log(`${part.name} (pid ${existing}) runs with a different command line: restarting it`);
    await stopProcess(part.name, spec.identity, part.stopGraceMs);
    existing = undefined;
  }
  if (existing !== undefined) {
    if (await part.healthy()) return { name: part.name, state: 'reused', seconds: seconds() };
    // Still starting (another stack:up) or wedged: give it a moment, then restart it.
    try {
      await waitHealthy(part, existing, spec, 10_000);
      return { name: part.name, state: 'reused', seconds: seconds() };
    } catch {
      log(`${part.name} (pid ${existing}) is running but not healthy: restarting it`);
      await stopProcess(part.name, spec.identity, part.stopGraceMs);
    }
  }
  for (const port of part.ports) {
    if (await portInUse(port)) {
      throw failure(
        part,
        spec,
        `port ${port} on 127.0.0.1 is already in use by a process the stack did not start (set the STACK_*_PORT variables to move the stack)`,
      );
    }
  }
  const pid = startDetached(part.name, spec);
  await waitHealthy(part, pid, spec, part.startTimeoutMs);
  if (part.warmUp !== undefined) {
    await part.warmUp().catch((err: unknown) => {
      throw failure(part, spec, `warm-up failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
  return { name: part.name, state: 'started', seconds: seconds() };
}

/** Makes sure of one step; `applied` when it had to change something. */
async function ensureStep(step: StackStep): Promise<PartReport> {
  const started = Date.now();
  const changed = await step.ensure();
  return { name: step.name, state: changed ? 'applied' : 'reused', seconds: (Date.now() - started) / 1000 };
}

function describe(part: StackPart, report: PartReport): string {
  if (report.state === 'skipped') return `${report.name.padEnd(24)} skipped (not present)`;
  const how = {
    started: 'started, ready in',
    reused: part.kind === 'step' ? 'in place, checked in' : 'already running, checked in',
    applied: 'applied in',
  }[report.state];
  return `${report.name.padEnd(24)} ${how} ${report.seconds.toFixed(1)}s`;
}

export type EnsureResult = {
  /** Whether any process was started (rather than all reused). */
  started: boolean;
  /** The names of the processes this call started. */
  startedProcesses: string[];
  env: StackEnv;
  reports: PartReport[];
};

/**
 * Brings the stack up: installs what is missing, then brings up every part (parts.ts) as soon as
 * what it needs is ready, reusing the processes that run and are healthy, and writes
 * .local/stack.env. `started` is true when at least one process was started.
 */
export async function ensureStack(options: { quiet?: boolean } = {}): Promise<EnsureResult> {
  // Quiet: report only what had to be started or applied (the jest harness calls this per suite).
  const say = (message: string, always = false) => {
    if (always || options.quiet !== true) log(message);
  };
  return withLock(async () => {
    const t0 = Date.now();
    const installed = await installAll();
    const p = ports();
    // The bridge first: the API server, the broker's pod listener and CoreDNS bind to its gateway.
    ensureNodeNetwork();
    ensurePki();
    const kubeconfigs = writeKubeconfigs(p.apiserver);
    for (const dir of [paths.logs, paths.pids, paths.data, paths.prometheusTargets])
      mkdirSync(dir, { recursive: true });
    const parts = dependencyOrder(stackParts({ ports: p, installed, kubeconfigs }));

    const reports: PartReport[] = [];
    const ready = new Map<string, Promise<void>>();
    for (const part of parts) {
      const promise = (async () => {
        // In dependency order, so every part it needs is in `ready` already.
        for (const need of part.needs) await ready.get(need);
        const report = await (part.kind === 'process' ? bringUp(part) : ensureStep(part));
        reports.push(report);
        say(describe(part, report), report.state === 'started' || report.state === 'applied');
      })();
      // Failures surface through Promise.allSettled below; avoid unhandled-rejection noise.
      promise.catch(() => undefined);
      ready.set(part.name, promise);
    }
    const results = await Promise.allSettled([...ready.values()]);
    // A part that failed also fails everything that needs it: report each error once.
    const errors = [
      ...new Set(results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))),
    ];
    if (errors.length > 0) {
      const message = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n\n');
      throw new StackError(
        `${message}\n\nThe parts that did start are left running; \`npm run stack:down\` stops them.`,
      );
    }
    keepContainmentFirst();
    const env = stackEnvFor();
    writeStackEnv(env);
    const startedProcesses = reports.filter((r) => r.state === 'started').map((r) => r.name);
    say(
      `stack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s; environment in ${paths.stackEnv}`,
      startedProcesses.length > 0,
    );
    return { started: startedProcesses.length > 0, startedProcesses, env, reports };
  });
}

/** The stack's processes, in dependency order (stopping needs no installed program). */
function stackProcesses(): StackProcess[] {
  const installed = { prometheus: 'prometheus', openssl: 'openssl', java: 'java' };
  return dependencyOrder(stackParts({ ports: ports(), installed, kubeconfigs: {} })).filter(
    (part) => part.kind === 'process',
  );
}

/**
 * Stops every process the stack recorded (or only the processes named in `only`), dependents
 * first, and checks that their ports are free.
 */
export async function stopStack(only?: string[]): Promise<{ stopped: string[]; busyPorts: number[] }> {
  return withLock(async () => {
    const all = stackProcesses();
    const list = all.filter((part) => only === undefined || only.includes(part.name));
    const stopped: string[] = [];
    for (const part of [...list].reverse()) {
      if (part.beforeStop !== undefined && livePid(part.name, part.identity) !== undefined) part.beforeStop();
      if (await stopProcess(part.name, part.identity, part.stopGraceMs)) {
        stopped.push(part.name);
        log(`stopped ${part.name}`);
      }
      part.afterStop?.();
    }
    if (all.every((part) => livePid(part.name, part.identity) === undefined)) {
      // Nothing of the stack runs: the host gets back what the node changed.
      await removeBuildContainers();
      teardownNode();
      const left = nodeLeftovers();
      if (left.length > 0) log(`the node left behind: ${left.join(', ')}`);
    }
    const busyPorts: number[] = [];
    for (const port of list.flatMap((part) => part.ports)) {
      if (await portInUse(port)) busyPorts.push(port);
    }
    if (only === undefined) rmSync(paths.stackEnv, { force: true });
    return { stopped, busyPorts };
  });
}

function targetsFile(job: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(job))
    throw new StackError(`scrape job name ${JSON.stringify(job)} must match [A-Za-z0-9_.-]+`);
  return join(paths.prometheusTargets, `${job}.json`);
}

/**
 * Makes Prometheus scrape `targets` (host:port) under job `job`; labels may set `__metrics_path__`
 * or `__scheme__`. Prometheus picks the file up within a few seconds.
 */
export function addScrapeTarget(job: string, targets: string[], labels: Record<string, string> = {}): void {
  mkdirSync(paths.prometheusTargets, { recursive: true });
  const file = targetsFile(job);
  const content = `${JSON.stringify([{ targets, labels: { ...labels, job } }], null, 2)}\n`;
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
}

export function removeScrapeTarget(job: string): void {
  rmSync(targetsFile(job), { force: true });
}
