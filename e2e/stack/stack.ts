// The local stack as a module: bring it up (reusing whatever already runs and is healthy), stop
// it, read its environment, and add Prometheus scrape targets. cli.ts and the jest harness use it.
//
//   ensureStack()          → { started, env }   installs, starts what is missing, waits for all
//   stopStack()            stops every recorded process by pid, verifies the ports are free
//   readStackEnv()         the values of .local/stack.env
//   addScrapeTarget(job, targets, labels?) / removeScrapeTarget(job)   file_sd JSON for Prometheus
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { components } from './components.ts';
import type { Component } from './components.ts';
import { ensureClusterDns, ensureStrimziFixtures } from './fixtures.ts';
import { buildPauseImage, buildProjectImage, importImages, removeBuildContainers } from './image.ts';
import { installAll } from './install.ts';
import { cacheDir, kubectlPath, localDir, logFile, paths, ports, repoRoot } from './paths.ts';
import { crictl, ensureNodeNetwork, keepContainmentFirst, nodeLeftovers, teardownNode } from './node.ts';
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

export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

export type ComponentReport = {
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

/** A lock so that two stack:up (say two jest runs) do not start the same component twice. */
function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(paths.local, { recursive: true });
  return withFileLock(join(paths.local, 'stack.lock'), 20 * 60_000, fn);
}

function failure(component: Component, spec: ProcessSpec | undefined, why: string): StackError {
  const lines = [
    `${component.name} failed to start: ${why}`,
    `  command: ${spec === undefined ? '(not started)' : commandLine(spec)}`,
    `  log: ${logFile(component.name)}`,
    `--- last lines of ${logFile(component.name)} ---`,
    tailFile(logFile(component.name), 30),
    '---',
  ];
  return new StackError(lines.join('\n'));
}

export async function waitHealthy(
  component: Component,
  pid: number,
  spec: ProcessSpec,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await component.healthy()) return;
    // The process this start is about, not whatever the pid file names by now: a concurrent
    // start that lost the race for the port overwrites it with a pid that exits at once.
    if (!processAlive(pid, spec.identity)) {
      throw failure(component, spec, `the process (pid ${pid}) exited`);
    }
    if (Date.now() > deadline) {
      throw failure(component, spec, `not healthy after ${Math.round(timeoutMs / 1000)}s`);
    }
    await sleep(250);
  }
}

/** Brings one component to healthy: reuses a healthy recorded process, else (re)starts it. */
async function bringUp(component: Component): Promise<ComponentReport> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  if (component.present !== undefined && !component.present()) {
    return { name: component.name, state: 'skipped', seconds: 0 };
  }
  const spec = await component.prepare();
  let existing = livePid(component.name, spec.identity);
  const recorded = recordedCommand(component.name);
  // A stack whose state lives outside this checkout is shared with others (STACK_LOCAL_DIR).
  const sharedStack = localDir !== join(repoRoot, '.local');
  const startedByAnotherCheckout = component.fromCheckout === true && sharedStack;
  if (
    existing !== undefined &&
    recorded !== undefined &&
    recorded !== commandLine(spec) &&
    !startedByAnotherCheckout
  ) {
    // Started with other flags, ports or environment (e.g. the stack's code changed): restart it.
    log(`${component.name} (pid ${existing}) runs with a different command line: restarting it`);
    await stopProcess(component.name, spec.identity, component.stopGraceMs);
    existing = undefined;
  }
  if (existing !== undefined) {
    if (await component.healthy()) return { name: component.name, state: 'reused', seconds: seconds() };
    // Still starting (another stack:up) or wedged: give it a moment, then restart it.
    try {
      await waitHealthy(component, existing, spec, 10_000);
      return { name: component.name, state: 'reused', seconds: seconds() };
    } catch {
      log(`${component.name} (pid ${existing}) is running but not healthy: restarting it`);
      await stopProcess(component.name, spec.identity, component.stopGraceMs);
    }
  }
  for (const port of component.ports) {
    if (await portInUse(port)) {
      throw failure(
        component,
        spec,
        `port ${port} on 127.0.0.1 is already in use by a process the stack did not start (set the STACK_*_PORT variables to move the stack)`,
      );
    }
  }
  const pid = startDetached(component.name, spec);
  await waitHealthy(component, pid, spec, component.startTimeoutMs);
  if (component.warmUp !== undefined) {
    await component.warmUp().catch((err: unknown) => {
      throw failure(component, spec, `warm-up failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
  return { name: component.name, state: 'started', seconds: seconds() };
}

export type EnsureResult = {
  /** Whether any process was started (rather than all reused). */
  started: boolean;
  /** The names of the components this call started. */
  startedComponents: string[];
  env: StackEnv;
  reports: ComponentReport[];
};

/**
 * Brings the stack up: installs what is missing, starts every part that is not running and
 * healthy (each as soon as what it needs is ready), installs the Strimzi fixtures, writes
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
    // The image builds need no running part of the stack: they start now (one after the other,
    // they share buildah's store), the imports wait for containerd.
    const pauseBuilt = buildPauseImage();
    const projectBuilt = pauseBuilt.then(() => buildProjectImage());
    for (const build of [pauseBuilt, projectBuilt]) build.catch(() => undefined);
    for (const dir of [paths.logs, paths.pids, paths.data, paths.prometheusTargets])
      mkdirSync(dir, { recursive: true });
    const list = components(p, installed, kubeconfigs);

    const reports: ComponentReport[] = [];
    const ready = new Map<string, Promise<void>>();
    const schedule = (name: string, needs: string[], work: () => Promise<ComponentReport>) => {
      const promise = (async () => {
        for (const need of needs) {
          const dependency = ready.get(need);
          if (dependency === undefined) throw new StackError(`${name} needs unknown component ${need}`);
          await dependency;
        }
        const report = await work();
        reports.push(report);
        const how = {
          started: 'started, ready in',
          reused: ['strimzi-fixtures', 'cluster-dns', 'pause-image', 'image'].includes(name)
            ? 'in place, checked in'
            : 'already running, checked in',
          applied: 'applied in',
          skipped: 'skipped',
        }[report.state];
        say(
          `${report.name.padEnd(24)} ${how}${report.state === 'skipped' ? ' (not present)' : ` ${report.seconds.toFixed(1)}s`}`,
          report.state === 'started' || report.state === 'applied',
        );
      })();
      // Failures surface through Promise.allSettled below; avoid unhandled-rejection noise.
      promise.catch(() => undefined);
      ready.set(name, promise);
    };
    for (const component of list) {
      if (component.name === 'kube-controller-manager') {
        schedule('strimzi-fixtures', ['kube-apiserver'], async () => {
          const begun = Date.now();
          const applied = await ensureStrimziFixtures(p.kafkaPods);
          return {
            name: 'strimzi-fixtures',
            state: applied ? 'applied' : 'reused',
            seconds: (Date.now() - begun) / 1000,
          };
        });
        schedule('cluster-dns', ['kube-apiserver'], async () => {
          const begun = Date.now();
          await ensureClusterDns();
          return { name: 'cluster-dns', state: 'reused', seconds: (Date.now() - begun) / 1000 };
        });
      }
      if (component.name === 'kubelet') {
        schedule('pause-image', ['containerd'], async () => {
          const begun = Date.now();
          await importImages(await pauseBuilt);
          return { name: 'pause-image', state: 'reused', seconds: (Date.now() - begun) / 1000 };
        });
        schedule('image', ['containerd'], async () => {
          const begun = Date.now();
          await importImages(await projectBuilt);
          return { name: 'image', state: 'reused', seconds: (Date.now() - begun) / 1000 };
        });
      }
      schedule(component.name, component.needs, () => bringUp(component));
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
    const startedComponents = reports.filter((r) => r.state === 'started').map((r) => r.name);
    say(
      `stack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s; environment in ${paths.stackEnv}`,
      startedComponents.length > 0,
    );
    return { started: startedComponents.length > 0, startedComponents, env, reports };
  });
}

/**
 * Stops every process the stack recorded (or only the components named in `only`), dependents
 * first, and checks that their ports are free.
 */
export async function stopStack(only?: string[]): Promise<{ stopped: string[]; busyPorts: number[] }> {
  return withLock(async () => {
    const p = ports();
    const stub = { prometheus: 'prometheus', openssl: 'openssl', java: 'java' };
    const list = components(p, stub, {}).filter((c) => only === undefined || only.includes(c.name));
    const stopped: string[] = [];
    // Dependents first: stand-ins, the node, then the control plane, then storage and the broker.
    for (const component of [...list].reverse()) {
      if (component.name === 'containerd' && livePid(component.name, component.identity) !== undefined) {
        // The kubelet is stopped by now: stop and remove the pods through the CRI, so that their
        // network (veths, IP leases) and mounts are released properly.
        crictl(['rmp', '--all', '--force']);
      }
      if (await stopProcess(component.name, component.identity, component.stopGraceMs)) {
        stopped.push(component.name);
        log(`stopped ${component.name}`);
      }
      component.afterStop?.();
    }
    const all = components(p, stub, {});
    if (all.every((c) => livePid(c.name, c.identity) === undefined)) {
      // Nothing of the stack runs: the host gets back what the node changed.
      await removeBuildContainers();
      teardownNode();
      const left = nodeLeftovers();
      if (left.length > 0) log(`the node left behind: ${left.join(', ')}`);
    }
    const busyPorts: number[] = [];
    for (const port of list.flatMap((c) => c.ports)) {
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
