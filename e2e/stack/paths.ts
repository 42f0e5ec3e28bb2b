// Where the local stack keeps things, and which ports it uses. Everything the stack writes at
// run time lives under <repo>/.local (git-ignored); everything it installs lives in the cache
// outside the repository, so a fresh clone reuses what an earlier one built.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (two levels above this file). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The install cache: `$RATINGS_CACHE`, else `~/.cache/ratings-operator`. */
export function cacheDir(): string {
  const fromEnv = process.env.RATINGS_CACHE?.trim();
  return fromEnv !== undefined && fromEnv !== ''
    ? resolve(fromEnv)
    : join(homedir(), '.cache', 'ratings-operator');
}

/** Directory of the Go-built programs (etcd, kube-*, kubectl). */
export function binDir(): string {
  return join(cacheDir(), 'bin');
}

export function kubectlPath(): string {
  return join(binDir(), 'kubectl');
}

/** Directory of the node's programs built from e2e/stack/modules (containerd, CNI plugins, CoreDNS, crictl, pause). */
export function nodeBinDir(): string {
  return join(cacheDir(), 'node-bin');
}

/** Directory of the Kafka broker's jars (classpath `<dir>/*`). */
export function kafkaLibDir(): string {
  return join(cacheDir(), 'kafka', 'libs');
}

/**
 * Run-time state of the stack: `$STACK_LOCAL_DIR`, else `<repo>/.local`. Checkouts that name the
 * same directory (and the same ports) share one running stack, as they must share the one node.
 */
export const localDir: string = process.env.STACK_LOCAL_DIR?.trim()
  ? resolve(process.env.STACK_LOCAL_DIR.trim())
  : join(repoRoot, '.local');

export const paths = {
  local: localDir,
  logs: join(localDir, 'logs'),
  pids: join(localDir, 'pids'),
  pki: join(localDir, 'pki'),
  data: join(localDir, 'data'),
  config: join(localDir, 'config'),
  prometheusTargets: join(localDir, 'prometheus', 'targets'),
  /** The node's state (containerd, the kubelet, CNI); see node.ts for the few fixed paths outside it. */
  node: join(localDir, 'node'),
  kubeconfig: join(localDir, 'kubeconfig'),
  stackEnv: join(localDir, 'stack.env'),
  /** Written by the jest global setup when it (and not the developer) started the stack. */
  startedByTestsMarker: join(localDir, 'stack-started-by-tests'),
} as const;

export function logFile(name: string): string {
  return join(paths.logs, `${name}.log`);
}

export function pidFile(name: string): string {
  return join(paths.pids, `${name}.pid`);
}

/** A port from the environment variable `name`, else `fallback`. */
export function port(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port number`);
  }
  return value;
}

export type Ports = {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kafka: number;
  kafkaController: number;
  prometheus: number;
  topicOperatorHealth: number;
  podDiscoveryHealth: number;
  /** The broker's listener for pods, on the pod network's gateway. */
  kafkaPods: number;
  kubelet: number;
  kubeletHealthz: number;
  kubeProxyMetrics: number;
  kubeProxyHealthz: number;
  corednsHealth: number;
  corednsReady: number;
};

/** Ports of the stack (defaults below), each overridable by the STACK_*_PORT variable named beside it. */
export function ports(): Ports {
  return {
    etcdClient: port('STACK_ETCD_PORT', 23790),
    etcdPeer: port('STACK_ETCD_PEER_PORT', 23800),
    apiserver: port('STACK_APISERVER_PORT', 16443),
    controllerManager: port('STACK_CONTROLLER_MANAGER_PORT', 20257),
    scheduler: port('STACK_SCHEDULER_PORT', 20259),
    kafka: port('STACK_KAFKA_PORT', 19092),
    kafkaController: port('STACK_KAFKA_CONTROLLER_PORT', 19093),
    prometheus: port('STACK_PROMETHEUS_PORT', 19090),
    topicOperatorHealth: port('STACK_TOPIC_OPERATOR_HEALTH_PORT', 20301),
    podDiscoveryHealth: port('STACK_POD_DISCOVERY_HEALTH_PORT', 20303),
    kafkaPods: port('STACK_KAFKA_PODS_PORT', 19094),
    // A kubelet's and kube-proxy's ports are fixed unless set: set, so that nothing else clashes.
    kubelet: port('STACK_KUBELET_PORT', 20250),
    kubeletHealthz: port('STACK_KUBELET_HEALTHZ_PORT', 20248),
    kubeProxyMetrics: port('STACK_KUBE_PROXY_METRICS_PORT', 20249),
    kubeProxyHealthz: port('STACK_KUBE_PROXY_HEALTHZ_PORT', 20256),
    corednsHealth: port('STACK_COREDNS_HEALTH_PORT', 20253),
    corednsReady: port('STACK_COREDNS_READY_PORT', 20254),
  };
}

/**
 * The node's network: one bridge the stack creates, with the pod range behind it. The API
 * server, the broker's pod listener and CoreDNS bind to its gateway address, which pods reach
 * and nothing outside the machine does. Only one real node runs per machine (it owns the
 * bridge, the iptables chains and the kubelet's fixed paths).
 */
export const nodeNetwork = {
  bridge: process.env.STACK_BRIDGE?.trim() || 'ratings0',
  podCidr: '10.244.0.0/24',
  gateway: '10.244.0.1',
  serviceCidr: '10.0.0.0/24',
  kubernetesServiceIp: '10.0.0.1',
  dnsServiceIp: '10.0.0.10',
  nodeName: 'ratings-node',
  clusterDomain: 'cluster.local',
} as const;
