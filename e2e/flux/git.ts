// The git side of the local Flux setup: a bare repository made from this working tree's commits
// (only committed content reaches Flux, as on a real cluster), served by the git server, and
// working copies cloned from it over HTTP that tests commit to and push from.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../stack/paths.ts';
import { fluxPaths, fluxPorts } from './paths.ts';

const run = promisify(execFile);

/** The branch Flux follows. */
export const BRANCH = 'main';

// Commits made by tests and tools, never by a person's configured identity.
const identity = ['-c', 'user.name=ratings local flux', '-c', 'user.email=flux@ratings.local'];

export async function git(cwd: string, ...args: string[]): Promise<string> {
  try {
    return (await run('git', [...identity, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${stderr?.trim() || message}`);
  }
}

/** The URL the git server serves the repository `name` at. */
export function repositoryUrl(name: string): string {
  return `http://127.0.0.1:${fluxPorts().gitServer}/${name}.git`;
}

/**
 * (Re)creates the bare repository `name` from the commit HEAD of this working tree, as branch
 * main, open to pushes over HTTP. Returns the commit it holds.
 */
export async function publishRepository(name: string): Promise<string> {
  const bare = join(fluxPaths.gitRoot, `${name}.git`);
  rmSync(bare, { recursive: true, force: true });
  mkdirSync(bare, { recursive: true });
  await git(bare, 'init', '--quiet', '--bare', `--initial-branch=${BRANCH}`);
  await git(bare, 'config', 'http.receivepack', 'true');
  await git(repoRoot, 'push', '--quiet', bare, `HEAD:refs/heads/${BRANCH}`);
  return git(bare, 'rev-parse', BRANCH);
}

export type WorkingCopy = {
  dir: string;
  /** Stages everything that `change` did in the working copy, commits, pushes; returns the commit. */
  commit(message: string, change: (dir: string) => void): Promise<string>;
  remove(): void;
};

/** A clone of the served repository over HTTP, in a temporary directory. */
export async function cloneRepository(name: string): Promise<WorkingCopy> {
  const dir = mkdtempSync(join(tmpdir(), `flux-${name}-`));
  await git(dir, 'clone', '--quiet', '--branch', BRANCH, repositoryUrl(name), '.');
  return {
    dir,
    async commit(message, change) {
      change(dir);
      await git(dir, 'add', '--all');
      await git(dir, 'commit', '--quiet', '--message', message);
      await git(dir, 'push', '--quiet', 'origin', BRANCH);
      return git(dir, 'rev-parse', 'HEAD');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
