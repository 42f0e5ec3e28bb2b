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

/** Directory of the Kafka broker's jars (classpath `<dir>/*`). */
export function kafkaLibDir(): string {
  return join(cacheDir(), 'kafka', 'libs');
}

/** Run-time state of the stack: `<repo>/.local`. */
export const localDir: string = join(repoRoot, '.local');

export const paths = {
  local: localDir,
  logs: join(localDir, 'logs'),
  pids: join(localDir, 'pids'),
  pki: join(localDir, 'pki'),
  data: join(localDir, 'data'),
  config: join(localDir, 'config'),
  prometheusTargets: join(localDir, 'prometheus', 'targets'),
  kubeconfig: join(localDir, 'kubeconfig'),
  stackEnv: join(localDir, 'stack.env'),
  /** Written by the jest global setup when it (and not the developer) started the stack. */
  startedByTestsMarker: join(localDir, 'stack-started-by-tests'),
} as const;

export function logFile(component: string): string {
  return join(paths.logs, `${component}.log`);
}

export function pidFile(component: string): string {
  return join(paths.pids, `${component}.pid`);
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
  processKubeletHealth: number;
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
    processKubeletHealth: port('STACK_PROCESS_KUBELET_HEALTH_PORT', 20302),
  };
}
