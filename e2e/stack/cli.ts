// `npm run stack:up` / `stack:down` / `local`: the local stack from the command line.
//
//   node e2e/stack/cli.ts up            start what is not running and healthy, wait for all of it
//   node e2e/stack/cli.ts down          stop everything the stack started (by pid)
//   node e2e/stack/cli.ts down --purge  … and delete its data (etcd, Kafka, Prometheus)
//   node e2e/stack/cli.ts local         up, then what `npm run local` does on top (see runLocal)
//   node e2e/stack/cli.ts local --flux  up, then Flux reconciles ops/clusters/local (e2e/flux/local.ts)
//   node e2e/stack/cli.ts install       only the install step (build/fetch into the cache, Flux's too)
//   node e2e/stack/cli.ts image         build the image from the Dockerfile (and the pause image);
//                                       import them when the stack's containerd runs
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describeFailure } from '../../src/common/errors.ts';
import { stopFlux } from '../flux/controllers.ts';
import { ensureFluxPrograms } from '../flux/install.ts';
import { runLocalFlux } from '../flux/local.ts';
import { buildPauseImage, buildProjectImage, importImages } from './image.ts';
import { installAll } from './install.ts';
import { containerdSocket } from './node.ts';
import { runLocal } from './local.ts';
import { cacheDir, ensureStack, paths, stopStack } from './stack.ts';
import type { StackEnv } from './stack.ts';

const usage = 'usage: node e2e/stack/cli.ts <up|down [--purge]|local [--flux]|install|image>\n';

function printEnv(env: StackEnv): void {
  process.stdout.write(
    [
      '',
      `KUBECONFIG=${env.KUBECONFIG}`,
      `KAFKA_BOOTSTRAP_SERVERS=${env.KAFKA_BOOTSTRAP_SERVERS}`,
      `PROMETHEUS_URL=${env.PROMETHEUS_URL}`,
      '',
    ].join('\n'),
  );
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      if (rest.length > 0) break;
      const { env } = await ensureStack();
      printEnv(env);
      return 0;
    }
    case 'down': {
      const purge = rest.length === 1 && rest[0] === '--purge';
      if (rest.length > 0 && !purge) break;
      // The Flux processes first: they are clients of the API server.
      const fluxStopped = await stopFlux();
      const { stopped: stackStopped, busyPorts } = await stopStack();
      const stopped = [...fluxStopped, ...stackStopped];
      process.stdout.write(
        `[stack] stopped ${stopped.length === 0 ? 'nothing (nothing was running)' : stopped.join(', ')}\n`,
      );
      if (purge) {
        rmSync(paths.data, { recursive: true, force: true });
        process.stdout.write(`[stack] deleted ${paths.data}\n`);
      }
      if (busyPorts.length > 0) {
        process.stderr.write(`[stack] ports still in use after stopping: ${busyPorts.join(', ')}\n`);
        return 1;
      }
      return 0;
    }
    case 'install': {
      if (rest.length > 0) break;
      const started = Date.now();
      await installAll();
      // The Flux controllers, CLI and git server (e2e/flux), which only some tests start.
      await ensureFluxPrograms();
      process.stdout.write(
        `[stack] install step done in ${((Date.now() - started) / 1000).toFixed(1)}s (cache ${cacheDir()})\n`,
      );
      return 0;
    }
    case 'image': {
      if (rest.length > 0) break;
      const built = new Map([...(await buildPauseImage()), ...(await buildProjectImage())]);
      if (existsSync(containerdSocket())) await importImages(built);
      for (const [name, id] of built) process.stdout.write(`${name} ${id.slice(0, 12)}\n`);
      return 0;
    }
    case 'local': {
      const withFlux = rest.length === 1 && rest[0] === '--flux';
      if (rest.length > 0 && !withFlux) break;
      const { env } = await ensureStack();
      printEnv(env);
      await (withFlux ? runLocalFlux(env) : runLocal(env));
      return 0;
    }
    default:
      break;
  }
  process.stderr.write(usage);
  return 2;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(realpathSync(invokedPath)).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`\n${describeFailure(err)}\n`);
      process.exit(1);
    },
  );
}
