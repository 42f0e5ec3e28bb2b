// Everything the process kubelet does for one pod: starts its containers as processes,
// probes them, restarts them per restartPolicy, reports the pod's status (only when it
// changed), and on deletion stops them within the grace period and removes the pod.
import { join } from 'node:path';
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Api,
  type V1Container,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from '../../src/common/logger.ts';
import { ContainerProcess } from './container-process.ts';
import {
  PORTS_ANNOTATION,
  containerCommand,
  localPortResolver,
  servedPort,
  unsupportedReason,
} from './container-plan.ts';
import { freePort } from './free-port.ts';
import { PodCredentials, type ClusterAccess } from './pod-credentials.ts';
import { referencedSources, resolveEnv, type EnvSources } from './pod-env.ts';
import {
  apiTime,
  computePodStatus,
  statusSatisfied,
  type ContainerRuntime,
  type ContainerState,
} from './pod-status.ts';
import { ProbeLoop } from './probe-loop.ts';
import { probeSettings, type ProbeKind } from './probes.ts';
import { BACKOFF_RESET_MS, restartDelayMs, shouldRestart } from './restart-policy.ts';
import { removeTargetFile, scrapeTarget, targetFile, writeTargetFile } from './scrape-target.ts';
import { describeError } from './describe-error.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** How long to wait before retrying a pod whose configuration could not be prepared. */
const PREPARE_RETRY_MS = 5_000;

export interface PodWorkerOptions {
  api: CoreV1Api;
  access: ClusterAccess;
  logger: Logger;
  repoRoot: string;
  ip: string;
  ourImageName: string;
  targetsDir: string;
  credentialsDir: string;
  logsDir: string;
}

interface Slot {
  container: V1Container;
  localPort: number;
  process?: ContainerProcess;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  /** Consecutive quick exits, for the back-off. */
  crashes: number;
  final: boolean;
  probes: Partial<Record<ProbeKind, ProbeLoop>>;
  restartTimer?: NodeJS.Timeout;
}

export class PodWorker {
  private pod: V1Pod;
  private readonly options: PodWorkerOptions;
  private readonly logger: Logger;
  private readonly slots = new Map<string, Slot>();
  private readonly startTime = apiTime(new Date());
  private credentials: PodCredentials | undefined;
  private problem: { reason: string; message: string } | undefined;
  private started = false;
  private terminating = false;
  private finished = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private syncing = false;
  private syncAgain = false;

  constructor(pod: V1Pod, options: PodWorkerOptions) {
    this.pod = pod;
    this.options = options;
    this.logger = options.logger.child({ namespace: pod.metadata?.namespace, pod: pod.metadata?.name });
  }

  /** A newer version of the pod from the watch. */
  update(pod: V1Pod): void {
    if (olderThan(pod, this.pod)) return;
    this.pod = pod;
    if (this.finished) return;
    if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) {
      void this.terminate(true);
      return;
    }
    if (!this.started) {
      this.started = true;
      void this.start();
      return;
    }
    this.syncStatus();
  }

  /** The pod object is gone from the API (force-deleted): stop its processes and clean up. */
  gone(): void {
    void this.terminate(false);
  }

  /** Kubelet shutdown: stop the processes, keep the pod (a restarted kubelet takes it up again). */
  async shutdown(graceCapMs: number): Promise<void> {
    this.finished = true;
    await this.stopContainers(graceCapMs);
    this.cleanup();
  }

  private get key(): string {
    return `${this.pod.metadata?.namespace}_${this.pod.metadata?.name}`;
  }

  private async start(): Promise<void> {
    const phase = this.pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return; // terminal: nothing left to run
    const spec = this.pod.spec!;
    const previous = new Map((this.pod.status?.containerStatuses ?? []).map((s) => [s.name, s.restartCount]));
    for (const container of spec.containers) {
      this.slots.set(container.name, {
        container,
        localPort: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        restartCount: previous.get(container.name) ?? 0,
        crashes: 0,
        final: false,
        probes: {},
      });
    }
    const unsupported = unsupportedReason(this.pod, this.options.ourImageName);
    if (unsupported !== undefined) {
      this.logger.warn({ reason: unsupported }, 'leaving pod Pending: not a ratings-operator image');
      this.setProblem('UnsupportedImage', unsupported);
      return;
    }
    await this.prepareAndRun();
  }

  /** Ports, credentials, environment; then the processes. Retried while something is missing. */
  private async prepareAndRun(): Promise<void> {
    this.retryTimer = undefined;
    if (this.finished || this.terminating) return;
    try {
      await this.assignPorts();
      if (this.credentials === undefined) {
        const credentials = new PodCredentials({
          api: this.options.api,
          access: this.options.access,
          pod: this.pod,
          baseDir: this.options.credentialsDir,
          onRefreshError: (err) =>
            this.logger.error({ err: describeError(err) }, 'service account token refresh failed'),
        });
        await credentials.issue();
        this.credentials = credentials;
      }
      const envs = new Map<string, Record<string, string>>();
      for (const slot of this.slots.values()) {
        envs.set(slot.container.name, await this.containerEnv(slot.container));
      }
      this.problem = undefined;
      for (const slot of this.slots.values()) {
        await this.run(slot, envs.get(slot.container.name)!);
      }
      this.writeScrapeTarget();
    } catch (err) {
      const message = err instanceof ConfigProblem ? err.message : describeError(err);
      if (this.finished || this.terminating) return;
      this.logger.warn({ err: message, retryInMs: PREPARE_RETRY_MS }, 'cannot start the pod yet');
      this.setProblem('CreateContainerConfigError', message);
      this.retryTimer = setTimeout(() => void this.prepareAndRun(), PREPARE_RETRY_MS);
    }
  }

  private setProblem(reason: string, message: string): void {
    this.problem = { reason, message };
    for (const slot of this.slots.values()) {
      if (slot.process === undefined) slot.state = { waiting: { reason, message } };
    }
    this.syncStatus();
  }

  /** One free local port per container (kept across restarts), recorded on the pod. */
  private async assignPorts(): Promise<void> {
    if ([...this.slots.values()].every((s) => s.localPort !== 0)) return;
    const mapping: Record<string, Record<string, number>> = {};
    for (const slot of this.slots.values()) {
      slot.localPort = await freePort(this.options.ip);
      mapping[slot.container.name] = { [String(servedPort(slot.container).number)]: slot.localPort };
    }
    await this.options.api.patchNamespacedPod(
      {
        name: this.pod.metadata?.name ?? '',
        namespace: this.pod.metadata?.namespace ?? '',
        body: { metadata: { annotations: { [PORTS_ANNOTATION]: JSON.stringify(mapping) } } },
      },
      mergePatch,
    );
  }

  /** The container's environment, or a ConfigProblem naming what is missing. */
  private async containerEnv(container: V1Container): Promise<Record<string, string>> {
    const result = resolveEnv(this.pod, container, await this.fetchSources(container), this.options.ip);
    if (!result.ok) throw new ConfigProblem(result.error);
    return result.env;
  }

  private async fetchSources(container: V1Container): Promise<EnvSources> {
    const namespace = this.pod.metadata?.namespace ?? '';
    const { configMaps, secrets } = referencedSources(container);
    const sources = {
      configMaps: new Map<string, Record<string, string> | undefined>(),
      secrets: new Map<string, Record<string, string> | undefined>(),
    };
    for (const name of configMaps) {
      sources.configMaps.set(
        name,
        await readOrUndefined(
          () => this.options.api.readNamespacedConfigMap({ name, namespace }),
          (cm) => cm.data ?? {},
        ),
      );
    }
    for (const name of secrets) {
      sources.secrets.set(
        name,
        await readOrUndefined(
          () => this.options.api.readNamespacedSecret({ name, namespace }),
          (secret) =>
            Object.fromEntries(
              Object.entries(secret.data ?? {}).map(([k, v]) => [
                k,
                Buffer.from(v, 'base64').toString('utf8'),
              ]),
            ),
        ),
      );
    }
    return sources;
  }

  private async run(slot: Slot, podEnv: Record<string, string>): Promise<void> {
    if (this.finished || this.terminating) return;
    const command = containerCommand(this.pod, slot.container, this.options.repoRoot);
    if (typeof command === 'string') throw new ConfigProblem(command);
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOSTNAME: this.pod.metadata?.name ?? '',
      ...podEnv,
      PORT: String(slot.localPort),
      KUBECONFIG: this.credentials!.kubeconfigPath,
    };
    const logFile = join(this.options.logsDir, `${this.key}_${slot.container.name}.log`);
    const child = await ContainerProcess.start(command, env, this.options.repoRoot, logFile);
    const startedAt = apiTime(new Date());
    slot.process = child;
    slot.state = { running: { startedAt } };
    this.logger.info(
      { container: slot.container.name, pid: child.pid, port: slot.localPort, logFile },
      'container started',
    );
    this.startProbes(slot);
    this.syncStatus();
    void child.exited.then((exit) => this.onExit(slot, child, startedAt, exit.exitCode));
  }

  private startProbes(slot: Slot): void {
    const resolve = localPortResolver(slot.container, slot.localPort);
    const definitions: [ProbeKind, typeof slot.container.readinessProbe][] = [
      ['startup', slot.container.startupProbe],
      ['readiness', slot.container.readinessProbe],
      ['liveness', slot.container.livenessProbe],
    ];
    for (const [kind, probe] of definitions) {
      if (probe === undefined) continue;
      const settings = probeSettings(probe, resolve);
      if (typeof settings === 'string') {
        this.logger.warn({ container: slot.container.name, probe: kind, reason: settings }, 'probe not run');
        continue;
      }
      const loop = new ProbeLoop(kind, settings, this.options.ip, (passing) =>
        this.onProbe(slot, kind, passing),
      );
      slot.probes[kind] = loop;
      // Readiness and liveness wait for the startup probe, as in the kubelet.
      if (kind === 'startup' || slot.probes.startup === undefined) loop.start();
    }
  }

  private onProbe(slot: Slot, kind: ProbeKind, passing: boolean): void {
    this.logger.info({ container: slot.container.name, probe: kind, passing }, 'probe result changed');
    if (kind === 'startup' && passing) {
      slot.probes.startup?.stop();
      slot.probes.readiness?.start();
      slot.probes.liveness?.start();
    }
    if ((kind === 'liveness' || kind === 'startup') && !passing) {
      this.logger.warn(
        { container: slot.container.name, probe: kind },
        'container failed its probe, killing it',
      );
      void slot.process?.stop(this.graceMs());
    }
    this.syncStatus();
  }

  private onExit(slot: Slot, child: ContainerProcess, startedAt: string, exitCode: number): void {
    if (slot.process !== child) return;
    Object.values(slot.probes).forEach((probe) => probe.stop());
    slot.probes = {};
    const finishedAt = new Date();
    slot.state = {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt,
        finishedAt: apiTime(finishedAt),
      },
    };
    if (this.terminating || this.finished) return;
    this.logger.info({ container: slot.container.name, pid: child.pid, exitCode }, 'container exited');
    if (!shouldRestart(this.pod.spec?.restartPolicy, exitCode)) {
      slot.final = true;
      this.syncStatus();
      return;
    }
    const ranMs = finishedAt.getTime() - new Date(startedAt).getTime();
    slot.crashes = ranMs >= BACKOFF_RESET_MS ? 1 : slot.crashes + 1;
    const delay = restartDelayMs(slot.crashes);
    slot.lastState = slot.state;
    slot.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(delay / 1000)}s restarting container`,
      },
    };
    this.syncStatus();
    slot.restartTimer = setTimeout(() => void this.restart(slot), delay);
  }

  private async restart(slot: Slot): Promise<void> {
    slot.restartTimer = undefined;
    if (this.terminating || this.finished) return;
    try {
      const env = await this.containerEnv(slot.container);
      slot.restartCount += 1;
      await this.run(slot, env);
    } catch (err) {
      this.logger.warn(
        { container: slot.container.name, err: describeError(err) },
        'restart failed, retrying',
      );
      slot.restartTimer = setTimeout(() => void this.restart(slot), PREPARE_RETRY_MS);
    }
  }

  private graceMs(): number {
    const seconds =
      this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    return seconds * 1000;
  }

  /** Graceful deletion (deleteFromApi) as a kubelet does it, or cleanup after a forced one. */
  private async terminate(deleteFromApi: boolean): Promise<void> {
    if (this.terminating || this.finished) return;
    this.terminating = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.logger.info({ graceMs: this.graceMs() }, 'pod deleted: stopping its containers');
    await this.stopContainers(this.graceMs());
    this.cleanup();
    if (deleteFromApi) {
      try {
        await this.options.api.deleteNamespacedPod({
          name: this.pod.metadata?.name ?? '',
          namespace: this.pod.metadata?.namespace ?? '',
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: this.pod.metadata?.uid } },
        });
      } catch (err) {
        if ((err as { code?: number }).code !== 404 && (err as { code?: number }).code !== 409) {
          this.logger.error({ err: describeError(err) }, 'could not remove the deleted pod');
        }
      }
    }
    this.finished = true;
  }

  private async stopContainers(graceMs: number): Promise<void> {
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
        Object.values(slot.probes).forEach((probe) => probe.stop());
        slot.probes = {};
        await slot.process?.stop(graceMs);
      }),
    );
  }

  private cleanup(): void {
    this.credentials?.revoke();
    const { namespace = '', name = '' } = this.pod.metadata ?? {};
    removeTargetFile(targetFile(this.options.targetsDir, namespace, name));
  }

  private writeScrapeTarget(): void {
    const { namespace = '', name = '' } = this.pod.metadata ?? {};
    const slots = [...this.slots.values()];
    const group = scrapeTarget(this.pod, this.options.ip, (port) => {
      if (port === undefined) return slots[0]?.localPort;
      for (const slot of slots) {
        const local = localPortResolver(slot.container, slot.localPort)(port);
        if (local !== undefined) return local;
      }
      return undefined;
    });
    if (group !== undefined) writeTargetFile(targetFile(this.options.targetsDir, namespace, name), group);
  }

  private runtimes(): ContainerRuntime[] {
    return [...this.slots.values()].map((slot) => {
      const running = 'running' in slot.state;
      const started = running && (slot.probes.startup === undefined || slot.probes.startup.passing);
      const ready = started && (slot.probes.readiness === undefined || slot.probes.readiness.passing);
      return {
        name: slot.container.name,
        image: slot.container.image ?? '',
        state: slot.state,
        lastState: slot.lastState,
        restartCount: slot.restartCount,
        ready,
        started,
        containerID: slot.process !== undefined ? `process://${slot.process.pid}` : undefined,
        final: slot.final,
      };
    });
  }

  /** Writes the status when it differs from what the API server has; one write at a time. */
  private syncStatus(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    void (async () => {
      do {
        this.syncAgain = false;
        if (this.finished || this.slots.size === 0) break;
        const desired = computePodStatus({
          pod: this.pod,
          containers: this.runtimes(),
          ip: this.options.ip,
          startTime:
            this.pod.status?.startTime !== undefined ? jsonTime(this.pod.status.startTime) : this.startTime,
          now: new Date(),
          problem: this.problem,
        });
        if (statusSatisfied(desired, this.pod.status)) continue;
        try {
          this.pod = await this.options.api.patchNamespacedPodStatus(
            {
              name: this.pod.metadata?.name ?? '',
              namespace: this.pod.metadata?.namespace ?? '',
              body: { status: desired },
            },
            mergePatch,
          );
        } catch (err) {
          if ((err as { code?: number }).code === 404) break;
          this.logger.warn({ err: describeError(err) }, 'pod status update failed, retrying');
          await new Promise((resolve) => setTimeout(resolve, 1000));
          this.syncAgain = true;
        }
      } while (this.syncAgain);
      this.syncing = false;
    })();
  }
}

class ConfigProblem extends Error {}

async function readOrUndefined<T, R>(read: () => Promise<T>, extract: (obj: T) => R): Promise<R | undefined> {
  try {
    return extract(await read());
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Resource versions are etcd revisions here; comparing them drops stale watch events. */
function olderThan(a: V1Pod, b: V1Pod): boolean {
  const va = Number(a.metadata?.resourceVersion);
  const vb = Number(b.metadata?.resourceVersion);
  return Number.isFinite(va) && Number.isFinite(vb) && va < vb;
}

function jsonTime(value: Date | string): string {
  return value instanceof Date ? apiTime(value) : value;
}
