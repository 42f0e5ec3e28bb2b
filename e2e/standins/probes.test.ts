import { initialProbeState, probeSettings, recordProbe, type ProbeSettings } from './probes.ts';

const resolve = (port: number | string) => (port === 8080 || port === 'http' ? 41000 : undefined);

describe('probeSettings', () => {
  it('applies the API defaults and remaps the port', () => {
    expect(probeSettings({ httpGet: { path: '/readyz', port: 8080 } }, resolve)).toEqual({
      action: { http: { port: 41000, path: '/readyz', scheme: 'HTTP' } },
      initialDelayMs: 0,
      periodMs: 10_000,
      timeoutMs: 1_000,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it('honours the probe timings and named ports', () => {
    const settings = probeSettings(
      {
        tcpSocket: { port: 'http' },
        initialDelaySeconds: 2,
        periodSeconds: 1,
        failureThreshold: 5,
        timeoutSeconds: 3,
      },
      resolve,
    );
    expect(settings).toMatchObject({
      action: { tcp: { port: 41000 } },
      initialDelayMs: 2000,
      periodMs: 1000,
      failureThreshold: 5,
    });
  });

  it('says why it cannot run exec probes or probes on other ports', () => {
    expect(probeSettings({ exec: { command: ['true'] } }, resolve)).toMatch(/only httpGet and tcpSocket/);
    expect(probeSettings({ httpGet: { port: 9090 } }, resolve)).toMatch(/9090/);
  });
});

describe('recordProbe', () => {
  const settings = probeSettings(
    { httpGet: { port: 8080 }, failureThreshold: 3, successThreshold: 2 },
    resolve,
  ) as ProbeSettings;

  it('starts unready but alive', () => {
    expect(initialProbeState('readiness').passing).toBe(false);
    expect(initialProbeState('startup').passing).toBe(false);
    expect(initialProbeState('liveness').passing).toBe(true);
  });

  it('passes after successThreshold consecutive successes', () => {
    let state = initialProbeState('readiness');
    state = recordProbe(state, settings, true);
    expect(state.passing).toBe(false);
    state = recordProbe(state, settings, true);
    expect(state.passing).toBe(true);
  });

  it('fails only after failureThreshold consecutive failures; a success in between resets the count', () => {
    let state = { passing: true, successes: 5, failures: 0 };
    for (const result of [false, false, true, false, false]) state = recordProbe(state, settings, result);
    expect(state.passing).toBe(true);
    state = recordProbe(state, settings, false);
    expect(state).toEqual({ passing: false, successes: 0, failures: 3 });
  });
});
