// The Flux controllers and the git server as processes of the local stack: started on demand
// (a test suite, `npm run local -- --flux`), recorded by pid like the stack's other processes,
// stopped by pid. They reach the API server through KUBECONFIG (they have no flag for it) with
// the stack's admin credentials, run for the flux-system namespace, and keep no leader lease.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpGet } from '../stack/probes.ts';
import { kubectlPath, paths } from '../stack/paths.ts';
import { livePid, portInUse, startDetached, stopProcess, tailFile } from '../stack/processes.ts';
import type { ProcessSpec } from '../stack/processes.ts';
import { logFile } from '../stack/paths.ts';
import { ensureFluxPrograms, FLUX_CONTROLLERS, fluxCrdFiles } from './install.ts';
import { FLUX_NAMESPACE, fluxBinDir, fluxPaths, fluxPorts } from './paths.ts';
import type { FluxPorts } from './paths.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type FluxProcess = {
  /** Name of its pid and log files under .local (prefixed so they cannot collide with the stack's). */
  name: string;
  spec: ProcessSpec;
  ports: number[];
  readyUrl: string;
};

/** Flags every controller gets: probes and metrics on fixed local ports, no leader election. */
function controllerArgs(metrics: number, health: number): string[] {
  return [
    `--metrics-addr=127.0.0.1:${metrics}`,
    `--health-addr=127.0.0.1:${health}`,
    '--enable-leader-election=false',
    '--log-encoding=json',
  ];
}

/** The processes, in start order (source-controller first: the others fetch its artifacts). */
export function fluxProcesses(p: FluxPorts = fluxPorts()): FluxProcess[] {
  const env = { KUBECONFIG: paths.kubeconfig, RUNTIME_NAMESPACE: FLUX_NAMESPACE };
  const bin = (name: string) => join(fluxBinDir(), name);
  const controller = (name: string, args: string[], metrics: number, health: number): FluxProcess => ({
    name: `flux-${name}`,
    spec: {
      command: bin(name),
      args: [...controllerArgs(metrics, health), ...args],
      env,
      identity: bin(name),
    },
    ports: [metrics, health, ...(name === 'source-controller' ? [p.sourceStorage] : [])],
    readyUrl: `http://127.0.0.1:${health}/readyz`,
  });
  return [
    {
      name: 'flux-git-server',
      spec: {
        command: bin('git-server'),
        args: ['-addr', `127.0.0.1:${p.gitServer}`, '-root', fluxPaths.gitRoot],
        identity: bin('git-server'),
      },
      ports: [p.gitServer],
      readyUrl: `http://127.0.0.1:${p.gitServer}/healthz`,
    },
    controller(
      'source-controller',
      [
        `--storage-path=${fluxPaths.storage}`,
        `--storage-addr=127.0.0.1:${p.sourceStorage}`,
        // The address artifact URLs name: the other controllers download from it.
        `--storage-adv-addr=127.0.0.1:${p.sourceStorage}`,
      ],
      p.sourceMetrics,
      p.sourceHealth,
    ),
    controller('kustomize-controller', [], p.kustomizeMetrics, p.kustomizeHealth),
    controller('helm-controller', [], p.helmMetrics, p.helmHealth),
  ];
}

async function ready(process: FluxProcess): Promise<boolean> {
  return (await httpGet(process.readyUrl, { timeoutMs: 1_000 }))?.status === 200;
}

function kubectl(...args: string[]): Promise<string> {
  return run(kubectlPath(), ['--kubeconfig', paths.kubeconfig, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout }) => stdout,
    (err: { stderr?: string; message: string }) => {
      throw new Error(`kubectl ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
    },
  );
}

/** Server-side applies the controllers' CRDs and the flux-system namespace, waits until served. */
export async function installFluxCrds(): Promise<void> {
  const files = fluxCrdFiles().flatMap((f) => ['-f', f]);
  await kubectl(
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=ratings-local-flux',
    ...files,
  );
  await kubectl('wait', '--for=condition=Established', '--timeout=60s', ...files);
  const namespaces = await kubectl('get', 'namespaces', '-o', 'name');
  if (!namespaces.split('\n').includes(`namespace/${FLUX_NAMESPACE}`)) {
    await kubectl('create', 'namespace', FLUX_NAMESPACE);
  }
}

/**
 * Installs (builds on first use) and starts whatever of the Flux processes is not running and
 * ready, then the CRDs. Returns the names of the processes it started.
 */
export async function ensureFlux(): Promise<{ started: string[] }> {
  // The programs it starts; the CLI is built where it is first used.
  await ensureFluxPrograms(['git-server', ...FLUX_CONTROLLERS]);
  mkdirSync(fluxPaths.gitRoot, { recursive: true });
  mkdirSync(fluxPaths.storage, { recursive: true });
  await installFluxCrds();
  const started: string[] = [];
  for (const process of fluxProcesses()) {
    if (livePid(process.name, process.spec.identity) !== undefined && (await ready(process))) continue;
    await stopProcess(process.name, process.spec.identity, 5_000);
    for (const port of process.ports) {
      if (await portInUse(port)) {
        throw new Error(
          `${process.name}: port ${port} on 127.0.0.1 is in use by a process the stack did not start (set the STACK_*_PORT variables of e2e/flux/paths.ts)`,
        );
      }
    }
    const pid = startDetached(process.name, process.spec);
    const deadline = Date.now() + 60_000;
    while (!(await ready(process))) {
      if (livePid(process.name, process.spec.identity) === undefined || Date.now() > deadline) {
        throw new Error(
          `${process.name} (pid ${pid}) did not become ready; last lines of ${logFile(process.name)}:\n${tailFile(logFile(process.name))}`,
        );
      }
      await sleep(250);
    }
    started.push(process.name);
  }
  return { started };
}

/** Stops the Flux processes (all, or those named), last started first. Returns what was running. */
export async function stopFlux(only?: string[]): Promise<string[]> {
  const stopped: string[] = [];
  for (const process of fluxProcesses().reverse()) {
    if (only !== undefined && !only.includes(process.name)) continue;
    if (await stopProcess(process.name, process.spec.identity, 10_000)) stopped.push(process.name);
  }
  return stopped;
}
