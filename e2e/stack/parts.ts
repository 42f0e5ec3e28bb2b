// Every part of the local stack, each declared once: what it is (a process or a step), what it
// needs, and how it becomes ready. The `needs` here are the stack's whole dependency graph;
// stack.ts starts the parts in that order (each as soon as what it needs is ready) and stops the
// processes in the reverse order.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureClusterDns, ensureStrimziFixtures } from './fixtures.ts';
import { buildPauseImage, buildProjectImage, importImages } from './image.ts';
import type { Installed } from './install.ts';
import {
  containerdSocket,
  crictl,
  nodeDirs,
  writeContainerdConfig,
  writeCorefile,
  writeKubeProxyConfig,
  writeKubeletConfig,
} from './node.ts';
import type { StackPart, StackProcess, StackStep } from './part.ts';
import { binDir, kafkaLibDir, nodeBinDir, nodeNetwork, paths, repoRoot } from './paths.ts';
import type { Ports } from './paths.ts';
import { pkiFiles, writeIfChanged } from './pki.ts';
import { httpGet, httpOk, kafkaHealthy, nodeReady, socketAnswers, warmUpKafka } from './probes.ts';

const execFileAsync = promisify(execFile);

/** What the declarations need to know: the ports, the installed programs, the kubeconfigs by client. */
export interface PartsContext {
  ports: Ports;
  installed: Installed;
  kubeconfigs: Record<string, string>;
}

/** The parts in the order they are declared (stack.ts orders them by their needs). */
export function stackParts(context: PartsContext): StackPart[] {
  const { ports: p } = context;
  return [
    etcd(context),
    kafka(context),
    prometheus(context),
    apiserver(context),
    controllerManager(context),
    scheduler(context),
    strimziFixtures(p),
    clusterDns(),
    ...images(),
    // The real node: containerd (with runc and the CNI plugins), the kubelet, kube-proxy, and
    // CoreDNS for cluster names. Host networking and teardown are in node.ts.
    containerd(),
    kubelet(context),
    kubeProxy(context),
    coredns(context),
    standIn('topic-operator', 'topic-operator.ts', p.topicOperatorHealth, p),
    standIn('pod-discovery', 'pod-discovery.ts', p.podDiscoveryHealth, p),
  ];
}

/** The objects Strimzi would have made: its CRDs and the Kafka the broker stands for. */
function strimziFixtures(p: Ports): StackStep {
  return {
    kind: 'step',
    name: 'strimzi-fixtures',
    needs: ['kube-apiserver'],
    ensure: () => ensureStrimziFixtures(p.kafkaPods),
  };
}

/** The cluster DNS Service, backed by CoreDNS on the gateway. */
function clusterDns(): StackStep {
  return {
    kind: 'step',
    name: 'cluster-dns',
    needs: ['kube-apiserver'],
    ensure: async () => {
      await ensureClusterDns();
      return false;
    },
  };
}

/**
 * The pause image and the project's image: built as soon as the stack comes up (they need no
 * running part; one after the other, as they share buildah's store), imported once containerd runs.
 */
function images(): StackStep[] {
  const pauseBuilt = once(buildPauseImage);
  const projectBuilt = once(buildProjectImage);
  const step = (name: string, needs: string[], work: () => Promise<unknown>): StackStep => ({
    kind: 'step',
    name,
    needs,
    ensure: async () => {
      await work();
      return false;
    },
  });
  return [
    step('pause-image-build', [], pauseBuilt),
    step('image-build', ['pause-image-build'], projectBuilt),
    step('pause-image', ['containerd', 'pause-image-build'], async () => importImages(await pauseBuilt())),
    step('image', ['containerd', 'image-build'], async () => importImages(await projectBuilt())),
  ];
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}

const bin = (name: string) => join(binDir(), name);
const nodeBin = (name: string) => join(nodeBinDir(), name);
const dataDir = (name: string) => {
  const dir = join(paths.data, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};

function nodeBinary(): string {
  // The project's own Node (the npm devDependency) when present, so stand-ins run on Node 24.
  const local = join(repoRoot, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
}

const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

function etcd({ ports: p }: PartsContext): StackProcess {
  return {
    kind: 'process',
    name: 'etcd',
    identity: `--data-dir=${join(paths.data, 'etcd')}`,
    needs: [],
    ports: [p.etcdClient, p.etcdPeer],
    startTimeoutMs: 60_000,
    stopGraceMs: 10_000,
    prepare: () => ({
      command: bin('etcd'),
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
}

function apiserver({ ports: p }: PartsContext): StackProcess {
  return {
    kind: 'process',
    name: 'kube-apiserver',
    identity: bin('kube-apiserver'),
    needs: ['etcd'],
    ports: [p.apiserver],
    startTimeoutMs: 120_000,
    stopGraceMs: 15_000,
    prepare: () => ({
      command: bin('kube-apiserver'),
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
      httpOk(`https://${nodeNetwork.gateway}:${p.apiserver}/readyz`, { ca: readFileSync(pkiFiles.caCert) }),
  };
}

function controllerManager({ ports: p, kubeconfigs }: PartsContext): StackProcess {
  return {
    kind: 'process',
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
          // Above the default client rate (20/s, burst 30): with thousands of experiments, the
          // Deployment controller's own rate limiter held their Deployments back for a long time
          // (bench/README.md, "bench:controller").
          '--kube-api-qps=100',
          '--kube-api-burst=200',
          '--leader-elect=false',
          '--v=1',
        ],
      };
    },
    healthy: () => httpOk(`https://127.0.0.1:${p.controllerManager}/healthz`, { insecure: true }),
  };
}

function scheduler({ ports: p, kubeconfigs }: PartsContext): StackProcess {
  return {
    kind: 'process',
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
    healthy: () => httpOk(`https://127.0.0.1:${p.scheduler}/healthz`, { insecure: true }),
  };
}

function kafka({ ports: p, installed }: PartsContext): StackProcess {
  return {
    kind: 'process',
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
          '# Single-node KRaft Kafka of the local stack (written by e2e/stack/parts.ts).',
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
        args: [...jvm, '-cp', classpath, 'kafka.Kafka', properties],
      };
    },
    healthy: () => kafkaHealthy(p.kafka),
    warmUp: () => warmUpKafka(p.kafka),
  };
}

function prometheus({ ports: p, installed }: PartsContext): StackProcess {
  return {
    kind: 'process',
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
          '# Prometheus of the local stack (written by e2e/stack/parts.ts). Targets come from',
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
    healthy: () => httpOk(`http://127.0.0.1:${p.prometheus}/-/ready`),
  };
}

function containerd(): StackProcess {
  return {
    kind: 'process',
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
        args: ['--config', nodeDirs.containerdConfig, '--log-level', 'warn'],
        // The shims it starts find runc and the CNI plugins through PATH.
        env: { PATH: `${nodeBinDir()}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` },
      };
    },
    healthy: () => socketAnswers(containerdSocket()),
    beforeStop: () => {
      // Its dependents (the kubelet) are stopped by now: stop and remove the pods through the
      // CRI, so that their network (veths, IP leases) and mounts are released properly.
      crictl(['rmp', '--all', '--force']);
    },
  };
}

function kubelet({ ports: p, kubeconfigs }: PartsContext): StackProcess {
  return {
    kind: 'process',
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
    healthy: async () =>
      (await httpOk(`http://127.0.0.1:${p.kubeletHealthz}/healthz`)) && (await nodeReady()),
  };
}

function kubeProxy({ ports: p, kubeconfigs }: PartsContext): StackProcess {
  return {
    kind: 'process',
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
        args: [`--config=${nodeDirs.kubeProxyConfig}`, '--v=1'],
      };
    },
    healthy: () => httpOk(`http://127.0.0.1:${p.kubeProxyHealthz}/healthz`),
    afterStop: () => {
      // Removes the KUBE-* rules and chains it made (node.ts's teardown catches any it misses).
      spawnSync(bin('kube-proxy'), [`--config=${nodeDirs.kubeProxyConfig}`, '--cleanup'], {
        stdio: 'ignore',
      });
    },
  };
}

function coredns({ ports: p }: PartsContext): StackProcess {
  return {
    kind: 'process',
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
        args: ['-conf', nodeDirs.corefile],
      };
    },
    healthy: () => httpOk(`http://127.0.0.1:${p.corednsReady}/ready`),
  };
}
/** A stand-in (e2e/standins) of what a real cluster would run. */
function standIn(name: string, file: string, healthPort: number, p: Ports): StackProcess {
  const script = join(repoRoot, 'e2e', 'standins', file);
  // Relative, so that a checkout sharing the stack (STACK_LOCAL_DIR) recognises the stand-in
  // another checkout started instead of taking its port for a stranger's.
  const identity = join('e2e', 'standins', file);
  return {
    kind: 'process',
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
      args: [script],
      cwd: repoRoot,
      env: {
        KUBECONFIG: paths.kubeconfig,
        KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${p.kafka}`,
        PROMETHEUS_TARGETS_DIR: paths.prometheusTargets,
        HEALTH_PORT: String(healthPort),
        REPO_ROOT: repoRoot,
      },
    }),
    healthy: () => httpOk(`http://127.0.0.1:${healthPort}/healthz`),
  };
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
