// The install step of the Flux part of the local stack: the controllers, the flux CLI and the
// git server, built from the Go module proxy into <cache>/flux/bin, and the controllers' CRDs
// copied out of their module zips into <cache>/flux/crds. Each program is rebuilt only when the
// stamp beside it (a hash of the Go version and its pins) changes.
//
//   source-controller, kustomize-controller, helm-controller
//       e2e/flux/modules/<name>: a scratch module that requires the controller at the version
//       flux2 pins (as a `tool`), with the controller's own non-local replace directives.
//   flux (the CLI)
//       github.com/fluxcd/flux2/v2 built from a copy of its module: cmd/flux embeds manifests
//       that upstream generates at release time, so a placeholder stands in for them (only the
//       commands that read the cluster and request reconciliations are used here).
//   git-server
//       e2e/flux/git-server: git http-backend behind net/http/cgi.
//
// The builds are heavy (minutes each, 1.5-1.8 GB per link on a cold cache) and run one at a
// time.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashOf, InstallError, readStamp, runLogged, which } from '../stack/install.ts';
import { logFile, repoRoot } from '../stack/paths.ts';
import { fluxBinDir, fluxCrdDir } from './paths.ts';

const fluxDir = join(repoRoot, 'e2e', 'flux');

/** The controllers, each built from the scratch module of the same name under e2e/flux/modules. */
export const FLUX_CONTROLLERS = ['source-controller', 'kustomize-controller', 'helm-controller'] as const;
export type FluxController = (typeof FLUX_CONTROLLERS)[number];

/** The flux CLI of the release whose controller versions e2e/flux/modules pin. */
export const FLUX_CLI = { module: 'github.com/fluxcd/flux2/v2', version: 'v2.9.5' } as const;

const PLACEHOLDER_MANIFEST =
  '# Placeholder: upstream generates cmd/flux/manifests at release time; install and bootstrap are not used here.\n';

function note(message: string): void {
  process.stdout.write(`[flux] ${message}\n`);
}

function goBinary(): string {
  const go = which('go');
  if (go === undefined) {
    throw new InstallError('Go is not on PATH: the Flux controllers and CLI are built with `go build`');
  }
  return go;
}

function goVersion(go: string): string {
  return spawnSync(go, ['version'], { encoding: 'utf8' }).stdout.trim();
}

/** `go <args>` with its output in the log; static binaries. */
function goLogged(what: string, go: string, args: string[], cwd: string, log: string): Promise<void> {
  return runLogged(what, 'env', ['CGO_ENABLED=0', go, ...args], cwd, log);
}

function goJson<T>(go: string, args: string[], cwd: string): T {
  const result = spawnSync(go, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new InstallError(`go ${args.join(' ')} failed in ${cwd}:\n${result.stderr.trim()}`);
  }
  return JSON.parse(result.stdout) as T;
}

type Program = {
  name: string;
  /** Files whose content decides the build (besides the Go version). */
  pins: () => (string | Buffer)[];
  build: (go: string, staging: string) => Promise<void>;
};

function moduleDir(controller: FluxController): string {
  return join(fluxDir, 'modules', controller);
}

const ldflags = '-s -w';

const controllerProgram = (controller: FluxController): Program => ({
  name: controller,
  pins: () => ['go.mod', 'go.sum'].map((f) => readFileSync(join(moduleDir(controller), f))),
  build: (go, staging) =>
    goLogged(
      `go build of ${controller}`,
      go,
      [
        'build',
        '-trimpath',
        `-ldflags=${ldflags}`,
        '-o',
        join(staging, controller),
        `github.com/fluxcd/${controller}`,
      ],
      moduleDir(controller),
      logFile(`build-${controller}`),
    ),
});

const fluxCliProgram: Program = {
  name: 'flux',
  pins: () => [`${FLUX_CLI.module}@${FLUX_CLI.version}`, PLACEHOLDER_MANIFEST],
  build: async (go, staging) => {
    const { Dir } = goJson<{ Dir: string }>(
      go,
      ['mod', 'download', '-json', `${FLUX_CLI.module}@${FLUX_CLI.version}`],
      staging,
    );
    // The module cache is read-only, and the placeholder must sit inside the main module.
    const source = join(staging, 'src');
    cpSync(Dir, source, { recursive: true });
    makeWritable(source);
    const manifests = join(source, 'cmd', 'flux', 'manifests');
    mkdirSync(manifests, { recursive: true });
    writeFileSync(join(manifests, 'placeholder.yaml'), PLACEHOLDER_MANIFEST);
    await goLogged(
      'go build of the flux CLI',
      go,
      [
        'build',
        '-trimpath',
        `-ldflags=${ldflags} -X main.VERSION=${FLUX_CLI.version.replace(/^v/, '')}`,
        '-o',
        join(staging, 'flux'),
        './cmd/flux',
      ],
      source,
      logFile('build-flux'),
    );
  },
};

const gitServerProgram: Program = {
  name: 'git-server',
  pins: () => ['go.mod', 'main.go'].map((f) => readFileSync(join(fluxDir, 'git-server', f))),
  build: (go, staging) =>
    goLogged(
      'go build of the git server',
      go,
      ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', join(staging, 'git-server'), '.'],
      join(fluxDir, 'git-server'),
      logFile('build-git-server'),
    ),
};

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(path);
    else chmodSync(path, 0o644);
  }
}

export const fluxPrograms: Program[] = [
  gitServerProgram,
  ...FLUX_CONTROLLERS.map(controllerProgram),
  fluxCliProgram,
];

/** Builds one program unless its stamp matches; returns whether it built. */
async function ensureProgram(program: Program, go: string, version: string): Promise<boolean> {
  const target = join(fluxBinDir(), program.name);
  const stampFile = `${target}.stamp`;
  const stamp = hashOf([version, ldflags, ...program.pins()]);
  if (existsSync(target) && readStamp(stampFile) === stamp) return false;
  note(`building ${program.name} (cold: minutes on 2 cores; log ${logFile(`build-${program.name}`)})`);
  const started = Date.now();
  mkdirSync(fluxBinDir(), { recursive: true });
  // Built beside bin/ and renamed into it, so a running controller keeps its file (as the stack does).
  const staging = mkdtempSync(join(fluxBinDir(), `.build-${program.name}-`));
  try {
    await program.build(go, staging);
    renameSync(join(staging, program.name), target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  writeFileSync(stampFile, `${stamp}\n`);
  note(`built ${program.name} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return true;
}

/** Copies each controller's CRDs (config/crd/bases of its module zip) into <cache>/flux/crds. */
function ensureCrds(go: string): void {
  const stampFile = join(fluxCrdDir(), '.stamp');
  const stamp = hashOf(FLUX_CONTROLLERS.map((c) => readFileSync(join(moduleDir(c), 'go.mod'))));
  if (readStamp(stampFile) === stamp) return;
  const staging = `${fluxCrdDir()}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const controller of FLUX_CONTROLLERS) {
    const { Dir } = goJson<{ Dir?: string }>(
      go,
      ['mod', 'download', '-json', `github.com/fluxcd/${controller}`],
      moduleDir(controller),
    );
    const bases = join(Dir ?? '', 'config', 'crd', 'bases');
    if (Dir === undefined || !existsSync(bases)) {
      throw new InstallError(`the module of ${controller} has no config/crd/bases (looked in ${bases})`);
    }
    for (const file of readdirSync(bases).filter((f) => f.endsWith('.yaml'))) {
      cpSync(join(bases, file), join(staging, file));
    }
  }
  writeFileSync(join(staging, '.stamp'), `${stamp}\n`);
  rmSync(fluxCrdDir(), { recursive: true, force: true });
  renameSync(staging, fluxCrdDir());
}

/**
 * Builds (one at a time) whatever of the Flux programs (all, or those named) is missing or
 * stale, and copies the CRDs.
 */
export async function ensureFluxPrograms(only?: string[]): Promise<{ built: string[] }> {
  const go = goBinary();
  const version = goVersion(go);
  const built: string[] = [];
  for (const program of fluxPrograms.filter((p) => only === undefined || only.includes(p.name))) {
    if (await ensureProgram(program, go, version)) built.push(program.name);
  }
  ensureCrds(go);
  return { built };
}

/** The CRD files of the Flux controllers in the cache (ensureFluxPrograms first). */
export function fluxCrdFiles(): string[] {
  return readdirSync(fluxCrdDir())
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(fluxCrdDir(), f));
}
