// Runs the controller as a real process on the local stack, under its own ServiceAccount bound
// to the ClusterRole that config/rbac ships (never as admin), for the controller's integration
// tests and benchmark.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { loadCrd, versionSchema } from '../src/api/crd.ts';
import type { Condition, RatingExperiment } from '../src/api/v1alpha1.ts';
import { KubeClient } from '../src/common/kube-client.ts';
import { loadCredentials } from '../src/common/kube-credentials.ts';
import { resources, type KubeObject, type ResourceType } from '../src/common/kube-resources.ts';
import { KAFKA_NAME, KAFKA_NAMESPACE } from '../e2e/stack/fixtures.ts';
import { useStack, type StackHandle } from '../e2e/stack/harness.ts';
import { paths, repoRoot } from '../e2e/stack/stack.ts';

export const FIELD_MANAGER = 'ratings-operator-tests';

/**
 * The default catalog as crds/ declares it, for specs that must not depend on the defaults of
 * the CRD installed in the shared stack (other suites apply their own copies).
 */
export const catalog = (() => {
  const spec = versionSchema(loadCrd(), 'v1alpha1').properties?.spec?.properties ?? {};
  const list = (field: string) => spec[field]?.default as string[];
  return { voices: list('voices'), battles: list('battles'), scale: list('scale') };
})();
/**
 * The image config/manager deploys: should an operator installed from config/ (or the chart)
 * also run in the shared stack, it then wants the same children as the one under test rather
 * than fighting over them.
 */
export const TEST_IMAGE = 'ghcr.io/conglombo/ratings-operator:0.1.0';

const cluster = (group: string, version: string, plural: string, kind: string): ResourceType => ({
  group,
  version,
  plural,
  kind,
  namespaced: false,
});
const namespaced = (group: string, version: string, plural: string, kind: string): ResourceType => ({
  ...cluster(group, version, plural, kind),
  namespaced: true,
});

export const adminTypes = {
  crd: cluster('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition'),
  namespace: cluster('', 'v1', 'namespaces', 'Namespace'),
  clusterRole: cluster('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole'),
  clusterRoleBinding: cluster('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding'),
  role: namespaced('rbac.authorization.k8s.io', 'v1', 'roles', 'Role'),
  roleBinding: namespaced('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
  serviceAccount: namespaced('', 'v1', 'serviceaccounts', 'ServiceAccount'),
};

export function readYamlDocuments(path: string): KubeObject[] {
  return loadAll(readFileSync(join(repoRoot, path), 'utf8')).filter((d) => d !== null) as KubeObject[];
}

/**
 * The lifetime of the tokens the bench hands out. The kubeconfig holds the token itself, which no
 * kubelet rotates: with an hour, a controller still converging the largest size was refused (401)
 * once it expired (bench/results/2026-11-29.md, 23:22).
 */
const TOKEN_SECONDS = 24 * 3600;

/**
 * The controller's identity in `namespace`: ServiceAccount `ratings-operator`, the ClusterRole of
 * config/rbac bound to it, the leader-election Role of config/rbac; returns a kubeconfig file
 * holding a TokenRequest token of that ServiceAccount. Beside it, metricsTokenFile(kubeconfig)
 * holds a token of a `metrics-scraper` ServiceAccount bound to config/rbac's metrics-reader (as
 * Prometheus' would be), with which ControllerProcess.metrics() reads the HTTPS /metrics.
 */
export async function controllerKubeconfig(
  adminConfig: KubeConfig,
  admin: KubeClient,
  namespace: string,
): Promise<string> {
  for (const doc of readYamlDocuments('config/rbac/service_account.yaml')) {
    await admin.apply(adminTypes.serviceAccount, inNamespace(doc, namespace), FIELD_MANAGER);
  }
  // The controller's own, and the one it binds the ServiceAccounts of authenticating intakes to.
  for (const doc of [
    ...readYamlDocuments('config/rbac/cluster_role.yaml'),
    ...readYamlDocuments('config/rbac/intake_reviewer_role.yaml'),
  ]) {
    await admin.apply(adminTypes.clusterRole, doc, FIELD_MANAGER);
  }
  for (const doc of readYamlDocuments('config/rbac/cluster_role_binding.yaml')) {
    const binding = {
      ...doc,
      metadata: { ...doc.metadata, name: `ratings-operator-${namespace}` },
      subjects: [{ kind: 'ServiceAccount', name: 'ratings-operator', namespace }],
    };
    await admin.apply(adminTypes.clusterRoleBinding, binding, FIELD_MANAGER);
  }
  for (const doc of readYamlDocuments('config/rbac/leader_election_role.yaml')) {
    const local = inNamespace(doc, namespace) as KubeObject & { subjects?: { namespace?: string }[] };
    if (local.subjects !== undefined) local.subjects = local.subjects.map((s) => ({ ...s, namespace }));
    await admin.apply(doc.kind === 'Role' ? adminTypes.role : adminTypes.roleBinding, local, FIELD_MANAGER);
  }
  const core = adminConfig.makeApiClient(CoreV1Api);
  const token = await core.createNamespacedServiceAccountToken({
    namespace,
    name: 'ratings-operator',
    body: { spec: { audiences: [], expirationSeconds: TOKEN_SECONDS } },
  });
  const scraperToken = await metricsScraper(adminConfig, admin, namespace);
  const server = adminConfig.getCurrentCluster();
  if (server === null || token.status?.token === undefined) throw new Error('no cluster or no token');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'local',
        server: server.server,
        caData: server.caData,
        caFile: server.caFile,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'ratings-operator', token: token.status.token }],
    contexts: [{ name: 'controller', cluster: 'local', user: 'ratings-operator' }],
    currentContext: 'controller',
  });
  const dir = join(paths.local, 'controller');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${namespace}.kubeconfig`);
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  writeFileSync(metricsTokenFile(file), scraperToken, { mode: 0o600 });
  return file;
}

/**
 * Where controllerKubeconfig leaves the token that may read the controller's /metrics, beside a
 * kubeconfig named `*.kubeconfig` (a copy of one must keep that ending to find its token).
 */
export function metricsTokenFile(kubeconfig: string): string {
  if (!kubeconfig.endsWith('.kubeconfig')) throw new Error(`${kubeconfig} is not named *.kubeconfig`);
  return `${kubeconfig.slice(0, -'.kubeconfig'.length)}.metrics-token`;
}

/**
 * A ServiceAccount `metrics-scraper` in `namespace` bound to the metrics-reader ClusterRole of
 * config/rbac; returns a token of it. The binding is owned by the Namespace (cluster-scoped), so
 * it goes when the test's namespace does.
 */
async function metricsScraper(
  adminConfig: KubeConfig,
  admin: KubeClient,
  namespace: string,
): Promise<string> {
  const [readerRole] = readYamlDocuments('config/rbac/metrics_reader_role.yaml');
  await admin.apply(adminTypes.clusterRole, readerRole!, FIELD_MANAGER);
  const core = adminConfig.makeApiClient(CoreV1Api);
  await admin.apply(
    adminTypes.serviceAccount,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'metrics-scraper', namespace } },
    FIELD_MANAGER,
  );
  const ns = await core.readNamespace({ name: namespace });
  await admin.apply(
    adminTypes.clusterRoleBinding,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: {
        name: `ratings-operator-metrics-reader-${namespace}`,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: namespace, uid: ns.metadata!.uid! }],
      },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: readerRole!.metadata!.name!,
      },
      subjects: [{ kind: 'ServiceAccount', name: 'metrics-scraper', namespace }],
    } as KubeObject,
    FIELD_MANAGER,
  );
  const token = await core.createNamespacedServiceAccountToken({
    namespace,
    name: 'metrics-scraper',
    body: { spec: { audiences: [], expirationSeconds: TOKEN_SECONDS } },
  });
  if (token.status?.token === undefined) throw new Error('no token for metrics-scraper');
  return token.status.token;
}

function inNamespace(doc: KubeObject, namespace: string): KubeObject {
  return { ...doc, metadata: { ...doc.metadata, namespace } };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Compiles src/ into dist/ (what `fromDist` controllers run; pods run the image stack:up builds from the Dockerfile). */
export function buildDist(): void {
  execFileSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: repoRoot,
    },
  );
}

export interface ControllerProcessOptions {
  kubeconfig: string;
  /** Run dist/cli.js (as the image does; build first) rather than src/cli.ts. */
  fromDist?: boolean;
  podName: string;
  leaseNamespace: string;
  watchNamespace?: string;
  env?: Record<string, string>;
}

/** A controller running as `node src/cli.ts controller` (or dist/cli.js), logging to .local/logs/controller-<pod>.log. */
export class ControllerProcess {
  readonly port: number;
  /** The HTTPS /metrics port. */
  readonly metricsPort: number;
  readonly podName: string;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly metricsToken: string | undefined;
  /** false when started with METRICS_SECURE=false: /metrics is plain HTTP without authentication. */
  secureMetrics = true;

  private constructor(
    child: ChildProcess,
    port: number,
    metricsPort: number,
    podName: string,
    token?: string,
  ) {
    this.child = child;
    this.port = port;
    this.metricsPort = metricsPort;
    this.podName = podName;
    this.metricsToken = token;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(options: ControllerProcessOptions): Promise<ControllerProcess> {
    const port = await freePort();
    const metricsPort = await freePort();
    const log = createWriteStream(join(paths.logs, `controller-${options.podName}.log`), { flags: 'a' });
    const entry =
      options.fromDist === true ? join(repoRoot, 'dist', 'cli.js') : join(repoRoot, 'src', 'cli.ts');
    const child = spawn(join(repoRoot, 'node_modules', '.bin', 'node'), [entry, 'controller'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: options.kubeconfig,
        OPERATOR_IMAGE: TEST_IMAGE,
        POD_NAME: options.podName,
        LEADER_ELECTION_NAMESPACE: options.leaseNamespace,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        ...(options.watchNamespace !== undefined && { WATCH_NAMESPACE: options.watchNamespace }),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    // A kubeconfig of controllerKubeconfig has a metrics token beside it; another (the stack's
    // admin one, with METRICS_SECURE=false) has none.
    const tokenFile = options.kubeconfig.endsWith('.kubeconfig')
      ? metricsTokenFile(options.kubeconfig)
      : undefined;
    const token =
      tokenFile !== undefined && existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8') : undefined;
    const proc = new ControllerProcess(child, port, metricsPort, options.podName, token);
    proc.secureMetrics = options.env?.METRICS_SECURE !== 'false';
    try {
      await waitFor(`controller ${options.podName} to be ready`, async () => {
        if (child.exitCode !== null) return true;
        return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true;
      });
    } catch (err) {
      await proc.stop('SIGKILL'); // not left running behind the caller, who never got it
      throw err;
    }
    if (child.exitCode !== null)
      throw new Error(`controller ${options.podName} exited with ${child.exitCode}; see its log`);
    return proc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM (graceful) or SIGKILL (a crash); resolves with the exit code. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  async metrics(): Promise<Metrics> {
    if (!this.secureMetrics) {
      return parseMetrics(await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text());
    }
    const res = await this.getMetrics(this.metricsToken);
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${res.body}`);
    return parseMetrics(res.body);
  }

  /** GET https://127.0.0.1:<metrics port>/metrics with this bearer token (none when undefined); the certificate is self-signed. */
  getMetrics(
    token: string | undefined,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      httpsRequest(
        {
          host: '127.0.0.1',
          port: this.metricsPort,
          path: '/metrics',
          rejectUnauthorized: false,
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
          res.on('error', reject);
        },
      )
        .on('error', reject)
        .end();
    });
  }
}

/** Samples by metric name and label set, e.g. get('x_total', { verb: 'apply' }) sums the matching samples. */
export class Metrics {
  readonly samples: { name: string; labels: Record<string, string>; value: number }[];

  constructor(samples: Metrics['samples']) {
    this.samples = samples;
  }

  get(name: string, match: Record<string, string> = {}, exclude: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name)
      .filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v))
      .filter((s) => Object.entries(exclude).every(([k, v]) => s.labels[k] !== v))
      .reduce((sum, s) => sum + s.value, 0);
  }
}

export function parseMetrics(text: string): Metrics {
  const samples: Metrics['samples'] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return new Metrics(samples);
}

/** Polls `check` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A KubeClient with the stack's admin credentials (the kubeconfig file of .local/stack.env). */
export function adminClient(kubeconfigPath: string): KubeClient {
  return new KubeClient(loadCredentials({ KUBECONFIG: kubeconfigPath }), {
    userAgent: 'ratings-operator-tests',
  });
}

/** A RatingExperiment as the API server returns it. */
export type Experiment = RatingExperiment & KubeObject;

/** The experiment's condition of `type`, if it has one. */
export function conditionOf(exp: Experiment | undefined, type: string): Condition | undefined {
  return exp?.status?.conditions?.find((c) => c.type === type);
}

/** The stack's Strimzi `Kafka` the experiments of the controller's suites name. */
export const KAFKA = { cluster: KAFKA_NAME, namespace: KAFKA_NAMESPACE };

/**
 * A RatingExperiment on KAFKA with one partition and the first four voices and battles of the
 * catalog, spelled out rather than left to the CRD's defaults (other suites re-apply the shared
 * CRD); `spec` adds to or replaces those fields.
 */
export function experimentObject(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
  labels?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'ratings.conglombo.io/v1alpha1',
    kind: 'RatingExperiment',
    metadata: { name, namespace, ...(labels !== undefined && { labels }) },
    spec: {
      kafka: KAFKA,
      topic: { partitions: 1, replicas: 1 },
      voices: catalog.voices.slice(0, 4),
      battles: catalog.battles.slice(0, 4),
      scale: catalog.scale,
      ...spec,
    },
  } as KubeObject;
}

/** What a controller suite starts from (controllerSuite). */
export interface ControllerSuite {
  stack: StackHandle;
  /** The stack's admin; stack.cleanup() closes it, last. */
  admin: KubeClient;
  /** `<prefix>-controller-<random>`: the controller's ServiceAccount and lease. */
  controllerNs: string;
  /** The controller's credentials there (controllerKubeconfig). */
  kubeconfig: string;
}

/**
 * The stack prepared for a suite that runs the controller as a process: the ratings CRD, the
 * controller's identity in a namespace of its own; stack.cleanup() deletes the namespace and the
 * ClusterRoleBinding controllerKubeconfig made.
 */
export async function controllerSuite(prefix: string): Promise<ControllerSuite> {
  const stack = await useStack();
  const admin = adminClient(stack.env.KUBECONFIG);
  stack.onCleanup(() => admin.close());
  try {
    await stack.installRatingsCrd();
    const controllerNs = await stack.newNamespace(`${prefix}-controller`);
    stack.onCleanup(async () => {
      await admin.delete(adminTypes.clusterRoleBinding, '', `ratings-operator-${controllerNs}`);
    });
    const kubeconfig = await controllerKubeconfig(stack.kubeConfig, admin, controllerNs);
    return { stack, admin, controllerNs, kubeconfig };
  } catch (err) {
    // The suite never gets the stack to clean up: what was made so far goes now.
    await stack.cleanup().catch(() => undefined);
    throw err;
  }
}

/**
 * Deletes every experiment of the namespaces and waits (a minute at most, then gives up quietly)
 * until they are gone. Call it while a controller runs, so that its finalizer does not hold the
 * namespaces when they are deleted.
 */
export async function deleteExperiments(admin: KubeClient, namespaces: readonly string[]): Promise<void> {
  for (const ns of namespaces) {
    const { items } = await admin.list(resources.ratingExperiment, { namespace: ns });
    await Promise.all(items.map((e) => admin.delete(resources.ratingExperiment, ns, e.metadata?.name ?? '')));
  }
  await waitFor('experiments to be finalized', async () => {
    for (const ns of namespaces) {
      if ((await admin.list(resources.ratingExperiment, { namespace: ns })).items.length > 0) return false;
    }
    return true;
  }).catch(() => undefined);
}
