// Readiness, liveness and startup probes as the kubelet runs them: settings with the API's
// defaults, and the counting of consecutive results against the thresholds. Pure.
import type { V1Probe } from '@kubernetes/client-node';

export type ProbeKind = 'readiness' | 'liveness' | 'startup';

export interface ProbeSettings {
  action: { http: { port: number; path: string; scheme: 'HTTP' | 'HTTPS' } } | { tcp: { port: number } };
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/**
 * Settings of a probe whose port is resolved through `localPort` (the container's port as
 * the stand-in remapped it). A string result says why the stand-in cannot run the probe.
 */
export function probeSettings(
  probe: V1Probe,
  localPort: (port: number | string) => number | undefined,
): ProbeSettings | string {
  const target = probe.httpGet ?? probe.tcpSocket;
  if (target === undefined) return 'only httpGet and tcpSocket probes are supported by the stand-in';
  const port = localPort(target.port as number | string);
  if (port === undefined) return `probe port ${String(target.port)} is not the container's declared port`;
  const action: ProbeSettings['action'] =
    probe.httpGet !== undefined
      ? {
          http: {
            port,
            path: probe.httpGet.path ?? '/',
            scheme: probe.httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
          },
        }
      : { tcp: { port } };
  return {
    action,
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

export interface ProbeState {
  /** What the probe currently says: ready / alive / started. */
  passing: boolean;
  successes: number;
  failures: number;
}

/** Before the first result, readiness and startup are failing while liveness is assumed. */
export function initialProbeState(kind: ProbeKind): ProbeState {
  return { passing: kind === 'liveness', successes: 0, failures: 0 };
}

export function recordProbe(state: ProbeState, settings: ProbeSettings, succeeded: boolean): ProbeState {
  const successes = succeeded ? state.successes + 1 : 0;
  const failures = succeeded ? 0 : state.failures + 1;
  let passing = state.passing;
  if (succeeded && successes >= settings.successThreshold) passing = true;
  if (!succeeded && failures >= settings.failureThreshold) passing = false;
  return { passing, successes, failures };
}
