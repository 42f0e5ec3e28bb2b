// The install step of the local stack: builds or fetches each program into the cache outside
// the repository, keyed by the pins that decide it (a stamp file holding a hash of them), so
// that it does real work only when a pin changes.
//
//   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
//       `go build` of e2e/stack/modules/kubernetes (its go.mod pins k8s.io/kubernetes and etcd); the Go
//       build cache makes an unchanged rebuild take seconds, the stamp makes it take none.
//   Kafka broker + tools
//       jars from Maven Central through e2e/stack/kafka/pom.xml (`kafka.version`).
//   kubelet, kube-proxy
//       built with the above from the same pin.
//   containerd, CNI plugins, CoreDNS, crictl, pause
//       `go build` of one small module each under e2e/stack/modules (its go.mod pins the version).
//   Prometheus (and promtool), runc, buildah, mmdebstrap, conntrack, iptables, …
//       Debian's packages (e2e/stack/debian-packages.txt), installed with apt-get when missing.
//   the Prometheus Operator's CRDs (monitoring.coreos.com)
//       the files of its Go module, `go mod download` into Go's own module cache.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  openSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { codedError } from '../../src/common/errors.ts';
import { binDir, cacheDir, kafkaLibDir, logFile, nodeBinDir, paths, repoRoot } from './paths.ts';

const modulesDir = join(repoRoot, 'e2e', 'stack', 'modules');
/** The Go module that pins and builds Kubernetes and etcd. */
export const kubernetesModuleDir = join(modulesDir, 'kubernetes');
const kafkaPomDir = join(repoRoot, 'e2e', 'stack', 'kafka');

/** Programs built from e2e/stack/modules/kubernetes, by the name they get in the cache's bin/. */
export const goPrograms: Record<string, string> = {
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
  kubelet: 'k8s.io/kubernetes/cmd/kubelet',
  'kube-proxy': 'k8s.io/kubernetes/cmd/kube-proxy',
  // `go build` names the binary of go.etcd.io/etcd/server/v3 "server"; renamed to etcd below.
  etcd: 'go.etcd.io/etcd/server/v3',
};

/** The message says what failed and ends with the tail of its log. */
export class InstallError extends codedError('RATINGS_STACK_INSTALL_FAILED', {
  errorClass: 'terminal',
  userFacing: true,
}) {}

export function which(program: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  const found = result.stdout.trim();
  return result.status === 0 && found !== '' ? found : undefined;
}

export function hashOf(parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

export function readStamp(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs a command with its output in a log file; on failure throws with the log's last lines. */
export async function runLogged(
  what: string,
  command: string,
  args: string[],
  cwd: string,
  log: string,
): Promise<void> {
  mkdirSync(paths.logs, { recursive: true });
  const fd = openSync(log, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(command, args, { cwd, stdio: ['ignore', fd, fd] });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0) {
      throw new InstallError(
        `${what} failed (exit ${code}): ${command} ${args.join(' ')}\n  in ${cwd}\n--- last lines of ${log} ---\n${tail(log)}`,
      );
    }
  } finally {
    closeSync(fd);
  }
}

function note(message: string): void {
  process.stdout.write(`[stack] ${message}\n`);
}

/**
 * The version stamps a Kubernetes release build gets from its Makefile, so that the API server
 * reports the pinned release (clients and charts check `kubeVersion`) instead of v0.0.0.
 */
export function kubernetesVersionFlags(goMod: string): string {
  const match = /^\s*k8s\.io\/kubernetes (v(\d+)\.(\d+)\.\d+)\s*$/m.exec(goMod);
  if (match === null)
    throw new InstallError('e2e/stack/modules/kubernetes/go.mod does not pin k8s.io/kubernetes');
  const [, gitVersion, major, minor] = match;
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
    .flatMap((pkg) => [
      `-X ${pkg}.gitVersion=${gitVersion}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
    ])
    .join(' ');
}

/** Builds the Kubernetes and etcd programs unless the stamp says they match the pins. */
export async function ensureGoPrograms(): Promise<boolean> {
  const goPath = which('go');
  if (goPath === undefined) {
    throw new InstallError(
      'Go is not on PATH: the local stack builds etcd and Kubernetes from e2e/stack/modules/kubernetes with `go build` (Go >= the version in go.mod)',
    );
  }
  const goVersion = spawnSync(goPath, ['version'], { encoding: 'utf8' }).stdout.trim();
  const ldflags = `-s -w ${kubernetesVersionFlags(readFileSync(join(kubernetesModuleDir, 'go.mod'), 'utf8'))}`;
  // Named for this program set: a checkout without the node's programs (same Kubernetes pin)
  // keeps its own stamp beside this one instead of rebuilding over it.
  const stampFile = join(binDir(), '.stamp-with-node');
  const stamp = hashOf([
    goVersion,
    ldflags,
    ...['go.mod', 'go.sum', 'tools.go'].map((f) => readFileSync(join(kubernetesModuleDir, f))),
  ]);
  const allPresent = Object.keys(goPrograms).every((name) => existsSync(join(binDir(), name)));
  if (allPresent && readStamp(stampFile) === stamp) return false;

  note(
    `building ${Object.keys(goPrograms).join(', ')} with ${goVersion} (cold: several minutes on 2 cores; log ${logFile('build-go')})`,
  );
  const started = Date.now();
  // Built beside bin/ and renamed into it: a running stack keeps executing the old files
  // (writing over a running executable fails with ETXTBSY) and picks the new ones up on restart.
  // A staging directory of its own, so that two installs at once (two terminals) cannot collide.
  mkdirSync(binDir(), { recursive: true });
  const staging = mkdtempSync(join(binDir(), '.build-'));
  try {
    await runLogged(
      'go build of the Kubernetes and etcd programs',
      goPath,
      ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', `${staging}/`, ...Object.values(goPrograms)],
      kubernetesModuleDir,
      logFile('build-go'),
    );
    renameSync(join(staging, 'server'), join(staging, 'etcd'));
    for (const name of Object.keys(goPrograms)) renameSync(join(staging, name), join(binDir(), name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  writeFileSync(stampFile, `${stamp}\n`);
  note(`built the Go programs in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return true;
}

/** Copies the Kafka jars from Maven Central into the cache unless the stamp matches the pom. */
export async function ensureKafkaJars(): Promise<boolean> {
  const pom = join(kafkaPomDir, 'pom.xml');
  const stampFile = join(kafkaLibDir(), '.stamp');
  const stamp = hashOf([readFileSync(pom)]);
  if (readStamp(stampFile) === stamp) return false;
  const java = which('java');
  const mvn = which('mvn');
  if (java === undefined || mvn === undefined) {
    throw new InstallError(
      `${java === undefined ? 'java' : 'mvn'} is not on PATH: the local Kafka broker needs Java 17+ and Maven (Debian: apt-get install -y openjdk-17-jre-headless maven)`,
    );
  }
  note(`fetching the Kafka jars from Maven Central (log ${logFile('build-kafka')})`);
  const started = Date.now();
  const staging = `${kafkaLibDir()}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await runLogged(
    'mvn dependency:copy-dependencies for the Kafka broker',
    mvn,
    [
      '-B',
      '-q',
      '-f',
      pom,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${staging}`,
    ],
    kafkaPomDir,
    logFile('build-kafka'),
  );
  writeFileSync(join(staging, '.stamp'), `${stamp}\n`);
  rmSync(kafkaLibDir(), { recursive: true, force: true });
  renameSync(staging, kafkaLibDir());
  note(`fetched the Kafka jars in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return true;
}

/** `<command> <package>` pairs of e2e/stack/debian-packages.txt. */
export function debianPackages(): { command: string; pkg: string }[] {
  return readFileSync(join(repoRoot, 'e2e', 'stack', 'debian-packages.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [command = '', pkg = ''] = line.split(/\s+/);
      return { command, pkg };
    });
}

/** Installs the Debian packages whose command is missing (as root; otherwise says what to run). */
export async function ensureDebianPackages(): Promise<void> {
  const missing = debianPackages().filter(({ command }) => which(command) === undefined);
  if (missing.length === 0) return;
  const names = [...new Set(missing.map((m) => m.pkg))];
  if (process.getuid?.() !== 0) {
    throw new InstallError(
      `${missing.map((m) => m.command).join(', ')} not on PATH and this is not root: run \`sudo apt-get install -y ${names.join(' ')}\` (Debian packages)`,
    );
  }
  note(`installing Debian packages ${names.join(' ')} (log ${logFile('build-apt')})`);
  const log = logFile('build-apt');
  await runLogged('apt-get update', 'apt-get', ['-q', 'update'], repoRoot, log);
  await runLogged(
    `apt-get install ${names.join(' ')}`,
    'env',
    ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...names],
    repoRoot,
    `${log}.install`,
  );
  const still = missing.filter(({ command }) => which(command) === undefined);
  if (still.length > 0)
    throw new InstallError(
      `apt-get installed ${names.join(' ')} but ${still.map((m) => m.command).join(', ')} is not on PATH`,
    );
}

/** The node's programs: module directory under e2e/stack/modules → packages → build flags. */
const nodeModules: { dir: string; packages: string[]; cgo?: boolean; tags?: string }[] = [
  {
    dir: 'containerd',
    packages: ['cmd/containerd', 'cmd/containerd-shim-runc-v2', 'cmd/ctr'].map(
      (c) => `github.com/containerd/containerd/v2/${c}`,
    ),
    tags: 'no_btrfs no_devmapper no_zfs',
  },
  {
    dir: 'cni-plugins',
    packages: ['ipam/host-local', 'main/bridge', 'main/loopback', 'meta/portmap'].map(
      (p) => `github.com/containernetworking/plugins/plugins/${p}`,
    ),
  },
  { dir: 'coredns', packages: ['.'] },
  { dir: 'cri-tools', packages: ['sigs.k8s.io/cri-tools/cmd/crictl'] },
  { dir: 'pause', packages: ['.'] },
];

/** Names of the node's programs in nodeBinDir(). */
export const nodePrograms = [
  'containerd',
  'containerd-shim-runc-v2',
  'ctr',
  'host-local',
  'bridge',
  'loopback',
  'portmap',
  'coredns',
  'crictl',
  'pause',
];

/** Builds each module of e2e/stack/modules whose stamp (Go version + go.mod/go.sum/sources) changed. */
export async function ensureNodePrograms(): Promise<boolean> {
  const goPath = which('go');
  if (goPath === undefined) throw new InstallError('Go is not on PATH: the node programs are built with it');
  const goVersion = spawnSync(goPath, ['version'], { encoding: 'utf8' }).stdout.trim();
  mkdirSync(nodeBinDir(), { recursive: true });
  let built = false;
  for (const module of nodeModules) {
    const dir = join(modulesDir, module.dir);
    const files = readdirSync(dir)
      .filter((f) => /\.(go|mod|sum)$/.test(f))
      .sort();
    const stamp = hashOf([
      goVersion,
      JSON.stringify(module),
      ...files.flatMap((f) => [f, readFileSync(join(dir, f))]),
    ]);
    const stampFile = join(nodeBinDir(), `.stamp-${module.dir}`);
    if (readStamp(stampFile) === stamp) continue;
    note(`building ${module.dir} (log ${logFile(`build-${module.dir}`)})`);
    const started = Date.now();
    const staging = mkdtempSync(join(nodeBinDir(), '.build-'));
    try {
      const output = module.packages[0] === '.' ? join(staging, module.dir) : `${staging}/`;
      await runLogged(
        `go build of ${module.dir}`,
        'env',
        [
          `CGO_ENABLED=${module.cgo === true ? 1 : 0}`,
          goPath,
          'build',
          '-trimpath',
          '-ldflags=-s -w',
          ...(module.tags === undefined ? [] : ['-tags', module.tags]),
          '-o',
          output,
          ...module.packages,
        ],
        dir,
        logFile(`build-${module.dir}`),
      );
      for (const name of readdirSync(staging)) renameSync(join(staging, name), join(nodeBinDir(), name));
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    writeFileSync(stampFile, `${stamp}\n`);
    note(`built ${module.dir} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    built = true;
  }
  return built;
}

export function ensureOpenssl(): string {
  const found = which('openssl');
  if (found === undefined)
    throw new InstallError('openssl is not on PATH (Debian: apt-get install -y openssl)');
  return found;
}

/**
 * The Prometheus Operator release whose CRDs the monitoring objects (config/prometheus, the chart)
 * are checked against. Its Go module carries them under example/prometheus-operator-crd/.
 */
export const PROMETHEUS_OPERATOR_MODULE = {
  path: 'github.com/prometheus-operator/prometheus-operator',
  version: 'v0.85.0',
} as const;

/** Package traffic may pass a TLS proxy whose CA only the host trusts. */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The directory of the Prometheus Operator's CRDs: its module downloaded from the Go module proxy
 * into Go's module cache (outside the repository; a no-op once there), verified against the
 * checksum database as every `go mod download` is.
 */
export async function ensurePrometheusOperatorCrds(): Promise<string> {
  const goPath = which('go');
  if (goPath === undefined)
    throw new InstallError('Go is not on PATH: the Prometheus Operator CRDs come from its Go module');
  const { path, version } = PROMETHEUS_OPERATOR_MODULE;
  mkdirSync(cacheDir(), { recursive: true });
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(goPath, ['mod', 'download', '-json', `${path}@${version}`], {
      // Outside any module, so that no go.mod of the repository is involved.
      cwd: cacheDir(),
      env: { ...process.env, ...(existsSync(HOST_CA_BUNDLE) && { SSL_CERT_FILE: HOST_CA_BUNDLE }) },
      maxBuffer: 1 << 20,
    }));
  } catch (err) {
    const { stdout: out, stderr } = err as { stdout?: string; stderr?: string };
    throw new InstallError(`go mod download ${path}@${version} failed: ${[out, stderr].join('\n').trim()}`);
  }
  const { Dir: dir, Error: error } = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (error !== undefined || dir === undefined)
    throw new InstallError(`go mod download ${path}@${version}: ${error ?? 'no directory reported'}`);
  const crds = join(dir, 'example', 'prometheus-operator-crd');
  if (!existsSync(crds)) throw new InstallError(`${path}@${version} has no example/prometheus-operator-crd`);
  return crds;
}

export type Installed = { prometheus: string; openssl: string; java: string };

/** Everything the stack runs, installed (in parallel where that helps). */
export async function installAll(): Promise<Installed> {
  mkdirSync(cacheDir(), { recursive: true });
  const openssl = ensureOpenssl();
  // apt-get first (it holds the dpkg lock), then the CPU-bound Go builds (one after the other:
  // two at once only fight over 2 cores) beside the network-bound Maven fetch.
  await ensureDebianPackages();
  const prometheus = which('prometheus');
  if (prometheus === undefined) throw new InstallError('prometheus is not on PATH');
  await Promise.all([
    ensureGoPrograms().then(() => ensureNodePrograms()),
    ensureKafkaJars(),
    ensurePrometheusOperatorCrds(),
  ]);
  const java = which('java');
  if (java === undefined) throw new InstallError('java is not on PATH: the Kafka broker needs Java 17+');
  return { prometheus, openssl, java };
}
