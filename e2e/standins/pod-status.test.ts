import type { V1Pod } from '@kubernetes/client-node';
import { apiTime, computePodStatus, podPhase, statusSatisfied, type ContainerRuntime } from './pod-status.ts';

const t0 = new Date('2026-01-01T00:00:00.123Z');
const t1 = new Date('2026-01-01T00:01:00.456Z');

function runtime(overrides: Partial<ContainerRuntime> = {}): ContainerRuntime {
  return {
    name: 'main',
    image: 'ratings-operator:dev',
    state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
    restartCount: 0,
    ready: true,
    started: true,
    containerID: 'process://42',
    final: false,
    ...overrides,
  };
}

const pod: V1Pod = { metadata: { name: 'p', namespace: 'n' }, spec: { containers: [{ name: 'main' }] } };

describe('apiTime', () => {
  it('drops the milliseconds the API server would drop', () => {
    expect(apiTime(t0)).toBe('2026-01-01T00:00:00Z');
  });
});

describe('podPhase', () => {
  const terminated = (exitCode: number) => ({
    terminated: { exitCode, reason: 'x', startedAt: 's', finishedAt: 'f' },
  });

  it('is Pending before any container started', () => {
    expect(podPhase([runtime({ state: { waiting: { reason: 'ContainerCreating' } } })])).toBe('Pending');
  });

  it('is Running while a container runs or waits to restart', () => {
    expect(podPhase([runtime()])).toBe('Running');
    expect(
      podPhase([
        runtime({
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: terminated(1),
          restartCount: 1,
        }),
      ]),
    ).toBe('Running');
  });

  it('ends Succeeded or Failed once every container is done for good', () => {
    expect(podPhase([runtime({ state: terminated(0), final: true })])).toBe('Succeeded');
    expect(
      podPhase([
        runtime({ state: terminated(0), final: true }),
        runtime({ state: terminated(2), final: true }),
      ]),
    ).toBe('Failed');
    expect(podPhase([runtime({ state: terminated(0), final: false })])).toBe('Running');
  });
});

describe('computePodStatus', () => {
  it('reports a ready running pod', () => {
    const status = computePodStatus({
      pod,
      containers: [runtime()],
      ip: '127.0.0.1',
      startTime: 'S',
      now: t0,
    });
    expect(status).toMatchObject({
      phase: 'Running',
      podIP: '127.0.0.1',
      hostIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      startTime: 'S',
      reason: null,
      message: null,
      containerStatuses: [
        {
          name: 'main',
          ready: true,
          started: true,
          restartCount: 0,
          containerID: 'process://42',
          state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
          lastState: {},
        },
      ],
    });
    expect((status.conditions as { type: string; status: string }[]).map((c) => [c.type, c.status])).toEqual([
      ['PodScheduled', 'True'],
      ['Initialized', 'True'],
      ['ContainersReady', 'True'],
      ['Ready', 'True'],
    ]);
  });

  it('names the unready containers and shows the problem of a pod that cannot start', () => {
    const status = computePodStatus({
      pod,
      containers: [
        runtime({
          ready: false,
          started: false,
          state: { waiting: { reason: 'UnsupportedImage', message: 'm' } },
        }),
      ],
      ip: '127.0.0.1',
      startTime: 'S',
      now: t0,
      problem: { reason: 'UnsupportedImage', message: 'only ratings-operator images' },
    });
    expect(status).toMatchObject({
      phase: 'Pending',
      reason: 'UnsupportedImage',
      message: 'only ratings-operator images',
    });
    expect(status.conditions).toContainEqual(
      expect.objectContaining({
        type: 'Ready',
        status: 'False',
        message: 'containers with unready status: [main]',
      }),
    );
  });

  it('is stable: recomputing over its own result changes nothing, even later', () => {
    const first = computePodStatus({
      pod,
      containers: [runtime()],
      ip: '127.0.0.1',
      startTime: 'S',
      now: t0,
    });
    const written: V1Pod = { ...pod, status: JSON.parse(JSON.stringify(first)) };
    const again = computePodStatus({
      pod: written,
      containers: [runtime()],
      ip: '127.0.0.1',
      startTime: 'S',
      now: t1,
    });
    expect(statusSatisfied(again, written.status)).toBe(true);
  });

  it('moves a condition lastTransitionTime only when it flips', () => {
    const first = computePodStatus({ pod, containers: [runtime()], ip: 'i', startTime: 'S', now: t0 });
    const written: V1Pod = { ...pod, status: JSON.parse(JSON.stringify(first)) };
    const unready = computePodStatus({
      pod: written,
      containers: [runtime({ ready: false })],
      ip: 'i',
      startTime: 'S',
      now: t1,
    });
    const byType = (s: typeof unready, type: string) =>
      (s.conditions as { type: string; lastTransitionTime: string }[]).find((c) => c.type === type)
        ?.lastTransitionTime;
    expect(byType(unready, 'PodScheduled')).toBe(apiTime(t0));
    expect(byType(unready, 'Ready')).toBe(apiTime(t1));
    expect(statusSatisfied(unready, written.status)).toBe(false);
  });
});

describe('statusSatisfied', () => {
  it('ignores fields only the API server sets and treats null as absent', () => {
    expect(
      statusSatisfied({ phase: 'Running', reason: null }, { phase: 'Running', qosClass: 'BestEffort' }),
    ).toBe(true);
    expect(statusSatisfied({ reason: null }, { reason: 'UnsupportedImage' })).toBe(false);
    expect(statusSatisfied({ lastState: {} }, {})).toBe(true);
  });

  it('compares arrays element by element and by length', () => {
    expect(statusSatisfied({ a: [{ x: 1 }] }, { a: [{ x: 1, y: 2 }] })).toBe(true);
    expect(statusSatisfied({ a: [{ x: 1 }] }, { a: [{ x: 1 }, { x: 2 }] })).toBe(false);
    expect(statusSatisfied({ a: [{ x: 1 }] }, { a: [{ x: 2 }] })).toBe(false);
  });

  it('reads Date values as the API server writes them', () => {
    expect(statusSatisfied({ startTime: '2026-01-01T00:00:00Z' }, { startTime: t0 })).toBe(true);
  });
});
