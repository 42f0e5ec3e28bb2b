// What `npm run local -- --flux` does once the stack is up: instead of applying the operator and
// the sample with kubectl, it hands ops/clusters/local to the real Flux controllers. This working
// tree's HEAD is served over HTTP as the repository's main branch, Flux is bootstrapped on it,
// and the command returns when Flux reports everything Ready, with how to watch it work.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { eventually } from '../stack/eventually.ts';
import { say, step } from '../stack/local.ts';
import { kubectlPath, logFile, repoRoot } from '../stack/paths.ts';
import type { StackEnv } from '../stack/stack.ts';
import { FluxClient, isReady, revisionOf, ROOT } from './cluster.ts';
import { ensureFlux } from './controllers.ts';
import { BRANCH, publishRepository, repositoryUrl } from './git.ts';
import { fluxCli, REPOSITORY } from './harness.ts';
import { fluxPath } from './paths.ts';

const run = promisify(execFile);

/** The cluster directory of ops/ that the local stack is bootstrapped on. */
export const LOCAL_CLUSTER_PATH = './ops/clusters/local';

export async function runLocalFlux(env: StackEnv): Promise<void> {
  await step('built dist/ (npm run build)', () =>
    run(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: repoRoot }),
  );
  const { started } = await step('Flux controllers and git server running (built on first use)', () =>
    ensureFlux(),
  );
  if (started.length > 0) say(`started ${started.join(', ')}`);
  const commit = await step(
    `served HEAD of this working tree as ${repositoryUrl(REPOSITORY)} (${BRANCH})`,
    () => publishRepository(REPOSITORY),
  );
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.KUBECONFIG);
  const client = new FluxClient(kubeConfig);
  await step(`bootstrapped Flux on ${LOCAL_CLUSTER_PATH}`, async () => {
    await client.bootstrap({
      url: repositoryUrl(REPOSITORY),
      branch: BRANCH,
      path: LOCAL_CLUSTER_PATH,
      interval: '30s',
    });
    await client.requestReconcile('GitRepository', ROOT);
  });
  for (const name of [ROOT, 'apps', 'experiments']) {
    await step(`Kustomization ${name} Ready at ${commit.slice(0, 12)}`, () =>
      eventually(
        `Kustomization ${name} to apply ${commit} and be Ready`,
        async () => {
          const k = await client.get('Kustomization', name);
          return k?.status?.lastAppliedRevision === revisionOf(BRANCH, commit) && isReady(k);
        },
        { timeoutMs: 600_000, intervalMs: 1_000 },
      ),
    );
  }
  const fluxLine = `KUBECONFIG=${env.KUBECONFIG} ${fluxPath()}`;
  const kubectlLine = `KUBECONFIG=${env.KUBECONFIG} ${kubectlPath()}`;
  process.stdout.write(
    [
      '',
      `$ flux get kustomizations --all-namespaces`,
      await fluxCli(env.KUBECONFIG, ['get', 'kustomizations', '--all-namespaces']),
      `$ flux get helmreleases --all-namespaces`,
      await fluxCli(env.KUBECONFIG, ['get', 'helmreleases', '--all-namespaces']),
      'Flux reconciles ops/clusters/local on the local stack. Watch it work:',
      '',
      `  git clone ${repositoryUrl(REPOSITORY)} /tmp/ratings-flux && cd /tmp/ratings-flux`,
      '  # edit ops/experiments/…, commit, git push; then, or wait for the 30 s poll:',
      `  ${fluxLine} reconcile kustomization experiments --with-source`,
      `  ${fluxLine} get kustomizations --all-namespaces --watch`,
      `  ${kubectlLine} get ratingexperiments -A -w`,
      '',
      `Logs: ${logFile('flux-kustomize-controller')} (and flux-source-controller, flux-helm-controller, flux-git-server)`,
      "A new `npm run local -- --flux` serves this working tree's HEAD again (commits pushed to the served repository are dropped).",
      'Stop everything: npm run stack:down',
      '',
    ].join('\n'),
  );
}
