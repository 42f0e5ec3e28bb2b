// The parts of the local stack: how each one is started, how its health is checked, and what it
// needs before it can start. stack.ts brings them up in dependency order.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { Installed } from './install.ts';
import { binDir, kafkaLibDir, nodeBinDir, nodeNetwork, paths, repoRoot } from './paths.ts';
import type { Ports } from './paths.ts';
import {
  containerdSocket,
  nodeDirs,
  writeContainerdConfig,
  writeCorefile,
  writeKubeProxyConfig,
  writeKubeletConfig,
} from './node.ts';
import { pkiFiles, writeIfChanged } from './pki.ts';
import type { ProcessSpec } from './processes.ts';

export type Component = {
  name: string;
  /** A string the process's command line contains (guards against a recycled pid). */
  identity: string;
  /** Components that must be ready first. */
  needs: string[];
  /** Ports it listens on (checked free before it starts, and after the stack stops). */
  ports: number[];
  /** Prepares config and data, returns the process to start. */
  prepare: () => ProcessSpec | Promise<ProcessSpec>;
  healthy: () => Promise<boolean>;
  /** How long a fresh start may take to become healthy. */
  startTimeoutMs: number;
  /** Runs once after a fresh start became healthy (e.g. to create internal state lazily made on first use). */
  warmUp?: () => Promise<void>;
  /** How long SIGTERM may take before SIGKILL. */
  stopGraceMs: number;
  /** Runs after the process stopped (e.g. to remove what it left, such as iptables rules). */
  afterStop?: () => void;
  /** Optional components are skipped when `present()` is false (e.g. a stand-in not written yet). */
  present?: () => boolean;
  /**
   * Its command line names the checkout that started it (a script of the repository). A checkout
   * sharing the stack through STACK_LOCAL_DIR reuses the one running rather than restarting it
   * from its own files (and its test teardown stopping it under the others).
   */
  fromCheckout?: boolean;
};

const execFileAsync = promisify(execFile);

type HttpResult = { status: number; body: string };

/** GET with a short timeout; https requests trust the stack's CA or, for self-signed ports, anything. */
export function httpGet(
  url: string,
  options: { ca?: Buffer | string; insecure?: boolean; timeoutMs?: number } = {},
): Promise<HttpResult | undefined> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      u,
      {
        method: 'GET',
        timeout: options.timeoutMs ?? 2_000,
        ...(u.protocol === 'https:' ? { ca: options.ca, rejectUnauthorized: options.insecure !== true } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

async function ok(url: string, options: Parameters<typeof httpGet>[1] = {}): Promise<boolean> {
  const result = await httpGet(url, options);
  return result !== undefined && result.status === 200;
}

// kafkajs 2.2.4 schedules a timer with a negative delay when it is not throttled, which Node 24
// reports as a TimeoutNegativeWarning (harmless: Node uses 1 ms instead). The stack's health
// checks would print it on every stack:up; drop that one warning, print every other one.
let warningFilterInstalled = false;
function dropKafkajsTimerWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const previous = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    if (previous.length === 0)
      process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
    for (const listener of previous) listener(warning);
  });
}

/** Whether the broker answers metadata requests through kafkajs (the client this project uses). */
export async function kafkaHealthy(port: number): Promise<boolean> {
  dropKafkajsTimerWarning();
  const kafka = new Kafka({
    clientId: 'stack-health',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Makes the broker create its consumer-offsets and transaction-state topics now rather than on
 * the first consumer group or transactional producer (kafkajs logs "coordinator is not
 * available / loading" errors and retries while that happens).
 */
export async function warmUpKafka(port: number, timeoutMs = 60_000): Promise<void> {
  dropKafkajsTimerWarning();
  const kafka = new Kafka({
    clientId: 'stack-warm-up',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 }, // an idempotent producer needs retries
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        // DescribeGroups first finds the group's coordinator, which needs __consumer_offsets.
        await admin.describeGroups(['stack-warm-up']);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  // An empty transaction, begun and aborted, finds (and so creates) the transaction coordinator.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const producer = kafka.producer({
      transactionalId: 'stack-warm-up',
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      await producer.connect();
      const transaction = await producer.transaction();
      await transaction.abort();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }
}

function nodeBinary(): string {
  // The project's own Node (the npm devDependency) when present, so stand-ins run on Node 24.
  const local = join(repoRoot, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
}

const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function components(p: Ports, installed: Installed, kubeconfigs: Record<string, string>): Component[] {
  const bin = (name: string) => join(binDir(), name);
  const dataDir = (name: string) => {
    const dir = join(paths.data, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const kafkaBootstrap = `127.0.0.1:${p.kafka}`;

  const etcd: Component = {
    name: 'etcd',
    identity: `--data-dir=${join(paths.data, 'etcd')}`,
    needs: [],
    ports: [p.etcdClient, p.etcdPeer],
    startTimeoutMs: 60_000,
    stopGraceMs: 10_000,
    prepare: () => ({
      command: bin('etcd'),
      identity: `--data-dir=${join(paths.data, 'etcd')}`,
      args: [
        '--name=local',
        `--data-dir=${dataDir('etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${p.etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${p.etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${p.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${p.etcdPeer}`,
        `--initial-cluster=local=http://127.0.0.1:${p.etcdPeer}`,
        // A disposable development store: durability is traded for speed on small machines.
        '--unsafe-no-fsync=true',
        '--quota-backend-bytes=2147483648',
        '--log-level=warn',
      ],
    }),
    healthy: async () => {
      const result = await httpGet(`http://127.0.0.1:${p.etcdClient}/health`);
      return result !== undefined && result.status === 200 && result.body.includes('"health":"true"');
    },
  };

  const apiserver: Component = {
    name: 'kube-apiserver',
    identity: bin('kube-apiserver'),
    needs: ['etcd'],
    ports: [p.apiserver],
    startTimeoutMs: 120_000,
    stopGraceMs: 15_000,
    prepare: () => ({
      command: bin('kube-apiserver'),
      identity: bin('kube-apiserver'),
      args: [
        `--etcd-servers=http://127.0.0.1:${p.etcdClient}`,
        // The pod network's gateway: pods reach it (through the `kubernetes` Service, whose
        // endpoint the default reconciler keeps), nothing outside the machine does.
        `--bind-address=${nodeNetwork.gateway}`,
        `--advertise-address=${nodeNetwork.gateway}`,
        `--secure-port=${p.apiserver}`,
        `--kubelet-client-certificate=${join(paths.pki, 'kube-apiserver-kubelet-client.crt')}`,
        `--kubelet-client-key=${join(paths.pki, 'kube-apiserver-kubelet-client.key')}`,
        '--kubelet-preferred-address-types=InternalIP',
        `--tls-cert-file=${pkiFiles.apiserverCert}`,
        `--tls-private-key-file=${pkiFiles.apiserverKey}`,
        `--client-ca-file=${pkiFiles.caCert}`,
        '--authorization-mode=Node,RBAC',
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${pkiFiles.serviceAccountPub}`,
        `--service-account-signing-key-file=${pkiFiles.serviceAccountKey}`,
        `--service-cluster-ip-range=${nodeNetwork.serviceCidr}`,
        '--profiling=false',
        '--v=1',
      ],
    }),
    healthy: () =>
      ok(`https://${nodeNetwork.gateway}:${p.apiserver}/readyz`, { ca: readFileSync(pkiFiles.caCert) }),
  };

  const controllerManager: Component = {
    name: 'kube-controller-manager',
    identity: bin('kube-controller-manager'),
    needs: ['kube-apiserver'],
    ports: [p.controllerManager],
    startTimeoutMs: 90_000,
    stopGraceMs: 10_000,
    prepare: () => {
      const kubeconfig = kubeconfigs['kube-controller-manager'] ?? '';
      return {
        command: bin('kube-controller-manager'),
        identity: bin('kube-controller-manager'),
        args: [
          `--kubeconfig=${kubeconfig}`,
          `--authentication-kubeconfig=${kubeconfig}`,
          `--authorization-kubeconfig=${kubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${p.controllerManager}`,
          `--cert-dir=${dataDir('kube-controller-manager')}`,
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pkiFiles.serviceAccountKey}`,
          `--root-ca-file=${pkiFiles.caCert}`,
          `--cluster-signing-cert-file=${pkiFiles.caCert}`,
          `--cluster-signing-key-file=${pkiFiles.caKey}`,
          '--cluster-name=ratings-local',
          // Above the default client rate (20/s, burst 30): at 6,000 Deployments (bench/controller.ts
          // at 3,000 experiments) the Deployment controller's own rate limiter held it back for most
          // of an hour (bench/README.md).
          '--kube-api-qps=100',
          '--kube-api-burst=200',
          '--leader-elect=false',
          '--v=1',
        ],
      };
    },
    healthy: () => ok(`https://127.0.0.1:${p.controllerManager}/healthz`, { insecure: true }),
  };

  const scheduler: Component = {
    name: 'kube-scheduler',
    identity: bin('kube-scheduler'),
    needs: ['kube-apiserver'],
    ports: [p.scheduler],
    startTimeoutMs: 90_000,
    stopGraceMs: 10_000,
    prepare: () => {
      const kubeconfig = kubeconfigs['kube-scheduler'] ?? '';
      return {
        command: bin('kube-scheduler'),
        identity: bin('kube-scheduler'),
        args: [
          `--kubeconfig=${kubeconfig}`,
          `--authentication-kubeconfig=${kubeconfig}`,
          `--authorization-kubeconfig=${kubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${p.scheduler}`,
          `--cert-dir=${dataDir('kube-scheduler')}`,
          '--leader-elect=false',
          '--v=1',
        ],
      };
    },
    healthy: () => ok(`https://127.0.0.1:${p.scheduler}/healthz`, { insecure: true }),
  };

  const kafka: Component = {
    name: 'kafka',
    identity: join(paths.config, 'kafka.properties'),
    needs: [],
    ports: [p.kafka, p.kafkaController],
    startTimeoutMs: 120_000,
    stopGraceMs: 30_000,
    prepare: async () => {
      mkdirSync(paths.config, { recursive: true });
      const properties = join(paths.config, 'kafka.properties');
      const logDir = join(paths.data, 'kafka');
      writeIfChanged(
        properties,
        [
          '# Single-node KRaft Kafka of the local stack (written by e2e/stack/components.ts).',
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.bootstrap.servers=127.0.0.1:${p.kafkaController}`,
          // Host processes use 127.0.0.1; pods the gateway of their network (behind the
          // Service Strimzi would create, see fixtures.ts), each advertised as itself.
          `listeners=PLAINTEXT://127.0.0.1:${p.kafka},PODS://${nodeNetwork.gateway}:${p.kafkaPods},CONTROLLER://127.0.0.1:${p.kafkaController}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${p.kafka},PODS://${nodeNetwork.gateway}:${p.kafkaPods},CONTROLLER://127.0.0.1:${p.kafkaController}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,PODS:PLAINTEXT,CONTROLLER:PLAINTEXT',
          `log.dirs=${logDir}`,
          'num.partitions=1',
          'default.replication.factor=1',
          'min.insync.replicas=1',
          'offsets.topic.replication.factor=1',
          'offsets.topic.num.partitions=4',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          'transaction.state.log.num.partitions=4',
          'share.coordinator.state.topic.replication.factor=1',
          'share.coordinator.state.topic.min.isr=1',
          'group.initial.rebalance.delay.ms=0',
          'auto.create.topics.enable=false',
          // Retention is enforced within a second, so that tests of records lost to retention
          // (a topic with a tiny retention.ms and segment.ms) do not wait the default 5 minutes.
          'log.retention.check.interval.ms=1000',
          '',
        ].join('\n'),
        0o644,
      );
      const log4j = join(paths.config, 'kafka-log4j2.properties');
      writeIfChanged(
        log4j,
        [
          'rootLogger.level = INFO',
          'rootLogger.appenderRef.stdout.ref = STDOUT',
          'appender.stdout.type = Console',
          'appender.stdout.name = STDOUT',
          'appender.stdout.layout.type = PatternLayout',
          'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
          'logger.request.name = kafka.request.logger',
          'logger.request.level = WARN',
          '',
        ].join('\n'),
        0o644,
      );
      const classpath = `${kafkaLibDir()}/*`;
      const jvm = [
        '-Xms256m',
        '-Xmx1g',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4j}`,
      ];
      if (!existsSync(join(logDir, 'meta.properties'))) {
        // KRaft storage is formatted once, with a fresh cluster id, before the first start.
        mkdirSync(logDir, { recursive: true });
        const format = [
          ...jvm,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '--cluster-id',
          newKafkaClusterId(),
          '--config',
          properties,
          '--standalone',
        ];
        await execFileAsync(installed.java, format).catch((err: unknown) => {
          const detail = err instanceof Error ? err.message : String(err);
          throw new Error(
            `formatting the Kafka storage failed: ${installed.java} ${format.join(' ')}\n${detail}`,
          );
        });
      }
      return {
        command: installed.java,
        identity: properties,
        args: [...jvm, '-cp', classpath, 'kafka.Kafka', properties],
      };
    },
    healthy: () => kafkaHealthy(p.kafka),
    warmUp: () => warmUpKafka(p.kafka),
  };

  const prometheus: Component = {
    name: 'prometheus',
    identity: `--config.file=${join(paths.config, 'prometheus.yml')}`,
    needs: [],
    ports: [p.prometheus],
    startTimeoutMs: 60_000,
    stopGraceMs: 15_000,
    prepare: () => {
      mkdirSync(paths.prometheusTargets, { recursive: true });
      const config = join(paths.config, 'prometheus.yml');
      mkdirSync(paths.config, { recursive: true });
      writeIfChanged(
        config,
        [
          '# Prometheus of the local stack (written by e2e/stack/components.ts). Targets come from',
          '# file_sd JSON files that addScrapeTarget() writes; each file sets its own `job` label.',
          'global:',
          '  scrape_interval: 2s',
          '  scrape_timeout: 2s',
          '  evaluation_interval: 2s',
          'scrape_configs:',
          '  - job_name: stack',
          '    file_sd_configs:',
          '      - files:',
          `          - ${JSON.stringify(join(paths.prometheusTargets, '*.json'))}`,
          '        refresh_interval: 2s',
          '',
        ].join('\n'),
        0o644,
      );
      // Prometheus scrapes itself, so that a fresh stack already has one target up.
      writeIfChanged(
        join(paths.prometheusTargets, 'prometheus.json'),
        `${JSON.stringify([{ targets: [`127.0.0.1:${p.prometheus}`], labels: { job: 'prometheus' } }], null, 2)}\n`,
        0o644,
      );
      return {
        command: installed.prometheus,
        identity: `--config.file=${config}`,
        args: [
          `--config.file=${config}`,
          `--storage.tsdb.path=${dataDir('prometheus')}`,
          '--storage.tsdb.retention.time=2d',
          `--web.listen-address=127.0.0.1:${p.prometheus}`,
          `--web.external-url=http://127.0.0.1:${p.prometheus}/`,
          '--web.enable-lifecycle',
          '--log.level=warn',
        ],
      };
    },
    healthy: () => ok(`http://127.0.0.1:${p.prometheus}/-/ready`),
  };

  const standIn = (name: string, file: string, healthPort: number): Component => {
    const script = join(repoRoot, 'e2e', 'standins', file);
    // Relative, so that a checkout sharing the stack (STACK_LOCAL_DIR) recognises the stand-in
    // another checkout started instead of taking its port for a stranger's.
    const identity = join('e2e', 'standins', file);
    return {
      name,
      identity,
      fromCheckout: true,
      needs: ['kube-apiserver', 'kafka', 'prometheus', 'strimzi-fixtures'],
      ports: [healthPort],
      startTimeoutMs: 60_000,
      stopGraceMs: 15_000,
      present: () => existsSync(script),
      prepare: () => ({
        command: nodeBinary(),
        identity,
        args: [script],
        cwd: repoRoot,
        env: {
          KUBECONFIG: paths.kubeconfig,
          KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap,
          PROMETHEUS_TARGETS_DIR: paths.prometheusTargets,
          HEALTH_PORT: String(healthPort),
          REPO_ROOT: repoRoot,
        },
      }),
      healthy: () => ok(`http://127.0.0.1:${healthPort}/healthz`),
    };
  };

  return [
    etcd,
    kafka,
    prometheus,
    apiserver,
    controllerManager,
    scheduler,
    ...nodeComponents(p, kubeconfigs),
    standIn('topic-operator', 'topic-operator.ts', p.topicOperatorHealth),
    standIn('pod-discovery', 'pod-discovery.ts', p.podDiscoveryHealth),
  ];
}

/** Whether something accepts connections on a unix socket. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether the stack's Node reports Ready. */
async function nodeReady(): Promise<boolean> {
  try {
    const { stdout } = await execFileAsync(join(binDir(), 'kubectl'), [
      '--kubeconfig',
      paths.kubeconfig,
      'get',
      'node',
      nodeNetwork.nodeName,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    return stdout.trim() === 'True';
  } catch {
    return false;
  }
}

/**
 * The real node: containerd (with runc and the CNI plugins), the kubelet, kube-proxy, and
 * CoreDNS for cluster names. Host networking and teardown are in node.ts.
 */
function nodeComponents(p: Ports, kubeconfigs: Record<string, string>): Component[] {
  const bin = (name: string) => join(binDir(), name);
  const nodeBin = (name: string) => join(nodeBinDir(), name);
  const containerd: Component = {
    name: 'containerd',
    identity: nodeDirs.containerdConfig,
    needs: [],
    ports: [],
    startTimeoutMs: 60_000,
    stopGraceMs: 15_000,
    prepare: () => {
      writeContainerdConfig();
      return {
        command: nodeBin('containerd'),
        identity: nodeDirs.containerdConfig,
        args: ['--config', nodeDirs.containerdConfig, '--log-level', 'warn'],
        // The shims it starts find runc and the CNI plugins through PATH.
        env: { PATH: `${nodeBinDir()}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` },
      };
    },
    healthy: () => socketAnswers(containerdSocket()),
  };

  const kubelet: Component = {
    name: 'kubelet',
    identity: nodeDirs.kubeletConfig,
    needs: ['kube-apiserver', 'containerd', 'pause-image'],
    ports: [p.kubeletHealthz],
    startTimeoutMs: 120_000,
    stopGraceMs: 15_000,
    prepare: () => {
      writeKubeletConfig(p);
      return {
        command: bin('kubelet'),
        identity: nodeDirs.kubeletConfig,
        args: [
          `--config=${nodeDirs.kubeletConfig}`,
          `--kubeconfig=${kubeconfigs.kubelet ?? ''}`,
          `--root-dir=${nodeDirs.kubeletRoot}`,
          `--cert-dir=${nodeDirs.kubeletCerts}`,
          `--hostname-override=${nodeNetwork.nodeName}`,
          `--node-ip=${nodeNetwork.gateway}`,
          '--v=1',
        ],
        env: { PATH: `${nodeBinDir()}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` },
      };
    },
    healthy: async () => (await ok(`http://127.0.0.1:${p.kubeletHealthz}/healthz`)) && (await nodeReady()),
  };

  const kubeProxy: Component = {
    name: 'kube-proxy',
    identity: nodeDirs.kubeProxyConfig,
    needs: ['kube-apiserver'],
    ports: [p.kubeProxyHealthz, p.kubeProxyMetrics],
    startTimeoutMs: 60_000,
    stopGraceMs: 10_000,
    prepare: () => {
      writeKubeProxyConfig(p, kubeconfigs['kube-proxy'] ?? '');
      return {
        command: bin('kube-proxy'),
        identity: nodeDirs.kubeProxyConfig,
        args: [`--config=${nodeDirs.kubeProxyConfig}`, '--v=1'],
      };
    },
    healthy: () => ok(`http://127.0.0.1:${p.kubeProxyHealthz}/healthz`),
    afterStop: () => {
      // Removes the KUBE-* rules and chains it made (node.ts's teardown catches any it misses).
      spawnSync(bin('kube-proxy'), [`--config=${nodeDirs.kubeProxyConfig}`, '--cleanup'], {
        stdio: 'ignore',
      });
    },
  };

  const coredns: Component = {
    name: 'coredns',
    identity: nodeDirs.corefile,
    needs: ['kube-apiserver'],
    ports: [p.corednsHealth, p.corednsReady],
    startTimeoutMs: 60_000,
    stopGraceMs: 10_000,
    prepare: () => {
      writeCorefile(p, paths.kubeconfig);
      return {
        command: nodeBin('coredns'),
        identity: nodeDirs.corefile,
        args: ['-conf', nodeDirs.corefile],
      };
    },
    healthy: () => ok(`http://127.0.0.1:${p.corednsReady}/ready`),
  };
  return [containerd, kubelet, kubeProxy, coredns];
}

/**
 * A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (Kafka's Uuid format).
 * Like Kafka's own Uuid.randomUuid, never one starting with '-': kafka-storage would read it as
 * an option and refuse to format.
 */
export function newKafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
