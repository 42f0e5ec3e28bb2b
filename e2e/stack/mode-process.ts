// Integration-test support: the data-plane modes as real local processes (`node src/cli.ts
// consumer|producer`), the credentials their pods would have, and a TCP proxy whose established
// connections can be cut silently (a network that drops packets, not one that resets).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { eventually } from './eventually.ts';
import type { StackHandle } from './harness.ts';
import { repoRoot } from './stack.ts';
import type { RatingExperiment } from '../../src/api/v1alpha1.ts';
import { desiredChildren } from '../../src/model/children.ts';

/** A consumer or producer as a real process, its JSON log lines collected. */
export class ModeProcess {
  readonly logs: Record<string, unknown>[] = [];
  readonly port: Promise<number>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(mode: 'consumer' | 'producer', podName: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(repoRoot, 'src', 'cli.ts'), mode], {
      cwd: repoRoot,
      env: { ...process.env, POD_NAME: podName, PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    this.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.port = new Promise((resolve, reject) => {
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        this.logs.push(entry);
        if (entry.msg === 'http server listening') resolve(entry.port as number);
      });
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`${mode} ${podName} exited (${code ?? signal}) before listening: ${stderr}`)),
      );
    });
    // Only a test that asks for the port cares whether it ever listened.
    this.port.catch(() => {});
  }

  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }

  async get(path: string): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${await this.port}${path}`);
    return res.text();
  }

  async post(path: string, body: unknown): Promise<Response> {
    return fetch(`http://127.0.0.1:${await this.port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  logged(message: string): Record<string, unknown>[] {
    return this.logs.filter((l) => l.msg === message);
  }
}

/**
 * A kubeconfig file holding a token of the experiment's pod service account, with the access the
 * controller grants it (src/model), so that the process runs with no more rights than in a pod.
 * `server` replaces the API server's address (to go through a proxy).
 */
export async function podKubeconfig(
  admin: KubeConfig,
  experiment: RatingExperiment,
  bootstrapServers: string,
  server?: string,
): Promise<string> {
  const { serviceAccount, role, roleBinding, intakeReviewerBinding } = desiredChildren(experiment, {
    image: 'unused',
    bootstrapServers,
  });
  const namespace = experiment.metadata!.namespace!;
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const ignoreExisting = (err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  };
  await core.createNamespacedServiceAccount({ namespace, body: serviceAccount }).catch(ignoreExisting);
  await rbac.createNamespacedRole({ namespace, body: role }).catch(ignoreExisting);
  await rbac.createNamespacedRoleBinding({ namespace, body: roleBinding }).catch(ignoreExisting);
  if (intakeReviewerBinding !== undefined) {
    // An authenticating intake: the ClusterRole of config/rbac and the controller's binding to it,
    // owned by the Namespace here (the controller's finalizer would delete it) so that it goes with it.
    const [reviewer] = loadAll(readFileSync(join(repoRoot, 'config/rbac/intake_reviewer_role.yaml'), 'utf8'));
    await rbac.createClusterRole({ body: reviewer as V1ClusterRole }).catch(ignoreExisting);
    const { metadata } = await core.readNamespace({ name: namespace });
    const owner = { apiVersion: 'v1', kind: 'Namespace', name: namespace, uid: metadata!.uid! };
    await rbac
      .createClusterRoleBinding({
        body: {
          ...intakeReviewerBinding,
          metadata: { ...intakeReviewerBinding.metadata, ownerReferences: [owner] },
        },
      })
      .catch(ignoreExisting);
  }
  const { status } = await core.createNamespacedServiceAccountToken({
    namespace,
    name: serviceAccount.metadata!.name!,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  // The proxy listens on 127.0.0.1 as the API server does, which its certificate covers.
  const cluster = { ...admin.getCurrentCluster()!, ...(server === undefined ? {} : { server }) };
  const pod = new KubeConfig();
  pod.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'pod', token: status!.token }],
    contexts: [{ name: 'pod', cluster: cluster.name, user: 'pod' }],
    currentContext: 'pod',
  });
  const dir = await mkdtemp(join(tmpdir(), 'ratings-pod-'));
  const path = join(dir, 'kubeconfig');
  await writeFile(path, pod.exportConfig(), { mode: 0o600 });
  return path;
}

/**
 * What a pod of the experiment needs to run a mode against it, as the controller would set it:
 * its credentials (podKubeconfig), the experiment and its topic (spec.topic.name) on the broker.
 */
export async function podEnv(
  admin: KubeConfig,
  experiment: RatingExperiment,
  bootstrapServers: string,
  server?: string,
): Promise<Record<string, string>> {
  const topic = experiment.spec.topic?.name;
  if (topic === undefined) throw new Error('podEnv: the experiment names no topic');
  return {
    KUBECONFIG: await podKubeconfig(admin, experiment, bootstrapServers, server),
    EXPERIMENT_NAMESPACE: experiment.metadata!.namespace!,
    EXPERIMENT_NAME: experiment.metadata!.name!,
    KAFKA_BOOTSTRAP_SERVERS: bootstrapServers,
    KAFKA_TOPIC: topic,
  };
}

/**
 * The experiment's producer as a local process with a pod's environment and rights (podEnv),
 * `env` added; ready when returned, and stack.cleanup() kills it. `server` as for podKubeconfig.
 */
export async function startProducer(
  stack: StackHandle,
  experiment: RatingExperiment,
  podName: string,
  { server, env = {} }: { server?: string; env?: Record<string, string> } = {},
): Promise<ModeProcess> {
  const pod = await podEnv(stack.kubeConfig, experiment, stack.kafkaBootstrap, server);
  const producer = new ModeProcess('producer', podName, { ...pod, ...env });
  stack.onCleanup(async () => void (await producer.stop('SIGKILL')));
  await eventually('the producer to be ready', async () =>
    (await producer.get('/readyz')) === 'ok\n' ? true : undefined,
  );
  return producer;
}

/**
 * Forwards 127.0.0.1:<port> to a target. cut() makes every established connection a black hole
 * (bytes are swallowed both ways, nothing is closed), as a network partition does; connections
 * opened after cut() are forwarded again only after restore().
 */
export class FreezableProxy {
  private readonly server: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; cut: boolean }>();
  private refusing = false;

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(target: { host: string; port: number }): Promise<FreezableProxy> {
    const server = createServer();
    const proxy = new FreezableProxy(server);
    server.on('connection', (client) => proxy.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Established connections go silent; new ones are held silent too until restore(). */
  cut(): void {
    this.refusing = true;
    for (const pair of this.pairs) pair.cut = true;
  }

  /** New connections are forwarded again; the connections cut stay silent, as after a partition. */
  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect(target);
    const pair = { client, upstream, cut: this.refusing };
    this.pairs.add(pair);
    client.on('data', (chunk) => {
      if (!pair.cut) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.cut) client.write(chunk);
    });
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Across a cut, the server closing its end never reaches the client (its FIN is lost too):
    // only the client giving up ends a cut connection.
    const upstreamGone = () => {
      if (pair.cut) upstream.destroy();
      else drop();
    };
    client.on('close', drop);
    client.on('error', drop);
    upstream.on('close', upstreamGone);
    upstream.on('error', upstreamGone);
  }
}
