// The status the process kubelet reports for a pod, computed from what its processes are
// doing. Pure. Times are whole seconds, as the API server stores them, so that an unchanged
// pod computes an identical status and causes no write.
import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        reason: string;
        message?: string;
        startedAt: string;
        finishedAt: string;
      };
    };

export interface ContainerRuntime {
  name: string;
  image: string;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  ready: boolean;
  started: boolean;
  /** process://<pid> of the current or last process. */
  containerID?: string;
  /** Terminated and not going to be started again (restartPolicy). */
  final: boolean;
}

export interface PodStatusInput {
  pod: V1Pod;
  containers: ContainerRuntime[];
  ip: string;
  startTime: string;
  now: Date;
  /** Set while the pod cannot start (e.g. UnsupportedImage); shown by kubectl. */
  problem?: { reason: string; message: string };
}

/** The status fields the stand-in owns, in the shape of V1PodStatus as JSON. */
export type PodStatusJson = Record<string, unknown>;

export function apiTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function podPhase(
  containers: readonly ContainerRuntime[],
): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  if (containers.length > 0 && containers.every((c) => c.final && 'terminated' in c.state)) {
    return containers.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0)
      ? 'Succeeded'
      : 'Failed';
  }
  const everStarted = containers.some((c) => !('waiting' in c.state) || c.lastState !== undefined);
  return everStarted ? 'Running' : 'Pending';
}

export function computePodStatus(input: PodStatusInput): PodStatusJson {
  const { pod, containers, ip, startTime, now, problem } = input;
  const phase = podPhase(containers);
  const allReady = containers.length > 0 && containers.every((c) => c.ready);
  const notReady = containers.filter((c) => !c.ready).map((c) => c.name);
  const notReadyMessage =
    notReady.length > 0 ? `containers with unready status: [${notReady.join(' ')}]` : undefined;
  const conditions = withTransitionTimes(pod.status?.conditions, now, [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Initialized', status: 'True' },
    allReady
      ? { type: 'ContainersReady', status: 'True' }
      : { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: notReadyMessage },
    allReady
      ? { type: 'Ready', status: 'True' }
      : { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: notReadyMessage },
  ]);
  return {
    phase,
    conditions,
    hostIP: ip,
    hostIPs: [{ ip }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime,
    reason: problem?.reason ?? null,
    message: problem?.message ?? null,
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: `standin://${c.image}`,
      ...(c.containerID !== undefined ? { containerID: c.containerID } : {}),
      state: c.state,
      lastState: c.lastState ?? {},
      ready: c.ready,
      started: c.started,
      restartCount: c.restartCount,
    })),
  };
}

type WantedCondition = { type: string; status: 'True' | 'False'; reason?: string; message?: string };

/** Conditions keep their lastTransitionTime unless their status changes. */
function withTransitionTimes(
  previous: readonly V1PodCondition[] | undefined,
  now: Date,
  wanted: WantedCondition[],
): Record<string, unknown>[] {
  return wanted.map((condition) => {
    const before = previous?.find((p) => p.type === condition.type);
    const time =
      before !== undefined && before.status === condition.status && before.lastTransitionTime !== undefined
        ? jsonTime(before.lastTransitionTime)
        : apiTime(now);
    return {
      type: condition.type,
      status: condition.status,
      lastProbeTime: null,
      lastTransitionTime: time,
      ...(condition.reason !== undefined ? { reason: condition.reason } : {}),
      ...(condition.message !== undefined ? { message: condition.message } : {}),
    };
  });
}

function jsonTime(value: Date | string): string {
  return value instanceof Date ? apiTime(value) : value;
}

/**
 * True when `current` already says everything `desired` says (fields the API server adds on
 * its own, such as qosClass, do not count; null in `desired` means "absent").
 */
export function statusSatisfied(desired: unknown, current: unknown): boolean {
  if (desired === null || desired === undefined) return current === null || current === undefined;
  if (current instanceof Date) return statusSatisfied(desired, apiTime(current));
  if (Array.isArray(desired)) {
    return (
      Array.isArray(current) &&
      current.length === desired.length &&
      desired.every((item, i) => statusSatisfied(item, current[i]))
    );
  }
  if (typeof desired === 'object') {
    const entries = Object.entries(desired as Record<string, unknown>);
    // An empty object (lastState: {}) matches an absent one.
    if (entries.length === 0 && (current === null || current === undefined)) return true;
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return false;
    return entries.every(([key, value]) => statusSatisfied(value, (current as Record<string, unknown>)[key]));
  }
  return desired === current;
}
