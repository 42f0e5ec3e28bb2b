// Jest helper for suites that run the real Flux controllers on the local stack:
//
//   const stack = await useStack();
//   const flux = await useFlux(stack, { path: './ops/clusters/local' });
//   const commit = await flux.workingCopy.commit('add an experiment', (dir) => { ... });
//   await flux.client.requestReconcile('GitRepository', ROOT);
//   afterAll(() => stack.cleanup());   // deletes the Flux objects, then stops what useFlux started
//
// useFlux builds the Flux programs on first use (minutes), starts the controllers and the git
// server unless they run, publishes this working tree's HEAD as the served repository's main and
// bootstraps Flux on the cluster directory `path` of it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { StackHandle } from '../stack/harness.ts';
import { FluxClient, ROOT } from './cluster.ts';
import { ensureFlux, stopFlux } from './controllers.ts';
import { BRANCH, cloneRepository, publishRepository, repositoryUrl } from './git.ts';
import { ensureFluxPrograms } from './install.ts';
import type { WorkingCopy } from './git.ts';
import { fluxPath } from './paths.ts';

const run = promisify(execFile);

/** The repository the git server serves this working tree as. */
export const REPOSITORY = 'ratings-operator';

export type FluxHandle = {
  client: FluxClient;
  /** A clone of the served repository: commits pushed from it are what Flux sees. */
  workingCopy: WorkingCopy;
  /** The commit the served repository started at (this working tree's HEAD). */
  initialCommit: string;
  /** Runs the built flux CLI against the stack; resolves to its standard output. */
  cli(...args: string[]): Promise<string>;
};

/** Runs the flux CLI (built on first use) with the given kubeconfig; resolves to its standard output. */
export async function fluxCli(kubeconfig: string, args: string[]): Promise<string> {
  await ensureFluxPrograms(['flux']);
  return run(fluxPath(), args, { env: { ...process.env, KUBECONFIG: kubeconfig } }).then(
    ({ stdout }) => stdout,
    (err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(
        `flux ${args.join(' ')} failed: ${[err.stdout, err.stderr].join('\n').trim() || err.message}`,
      );
    },
  );
}

export async function useFlux(
  stack: StackHandle,
  options: { path: string; interval?: string },
): Promise<FluxHandle> {
  const { started } = await ensureFlux();
  // Registered first so that it runs last: the controllers must outlive the Flux objects.
  stack.onCleanup(async () => {
    if (started.length > 0 && process.env.KEEP_STACK !== '1') await stopFlux(started);
  });
  const client = new FluxClient(stack.kubeConfig);
  // Objects a previous run left (say, killed midway) would sync another repository's state.
  await client.teardown();
  const initialCommit = await publishRepository(REPOSITORY);
  const workingCopy = await cloneRepository(REPOSITORY);
  stack.onCleanup(() => workingCopy.remove());
  stack.onCleanup(() => client.teardown());
  await client.bootstrap({
    url: repositoryUrl(REPOSITORY),
    branch: BRANCH,
    path: options.path,
    interval: options.interval ?? '10s',
  });
  await client.requestReconcile('GitRepository', ROOT);
  return {
    client,
    workingCopy,
    initialCommit,
    cli: (...args) => fluxCli(stack.env.KUBECONFIG, args),
  };
}
