import { NODE_NAME, STANDIN_ANNOTATION, leaseObject, nodeObject, nodeStatus } from './node-object.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:00:20Z');

describe('nodeObject', () => {
  it('is labelled with its hostname and marked as a stand-in', () => {
    const node = nodeObject(NODE_NAME);
    expect(node.metadata?.labels?.['kubernetes.io/hostname']).toBe('local-process-node');
    expect(node.metadata?.annotations?.[STANDIN_ANNOTATION]).toMatch(/STAND-IN/);
  });
});

describe('nodeStatus', () => {
  it('declares the capacity and loopback address pods are scheduled against', () => {
    const status = nodeStatus(undefined, t0, '127.0.0.1', 'v1.34.0');
    expect(status.allocatable).toEqual({ cpu: '8', memory: '16Gi', pods: '110' });
    expect(status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(status.conditions[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
      lastHeartbeatTime: '2026-01-01T00:00:00Z',
    });
  });

  it('moves the heartbeat but keeps the transition time while Ready', () => {
    const first = nodeStatus(undefined, t0, '127.0.0.1', 'v');
    const next = nodeStatus({ conditions: first.conditions }, t1, '127.0.0.1', 'v');
    expect(next.conditions[0]).toMatchObject({
      lastHeartbeatTime: '2026-01-01T00:00:20Z',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
  });
});

describe('leaseObject', () => {
  it('is held by the node, owned by it, and renewed with microsecond precision', () => {
    const lease = leaseObject(NODE_NAME, 'uid-1', t0);
    expect(lease.metadata).toMatchObject({ name: NODE_NAME, namespace: 'kube-node-lease' });
    expect(lease.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Node', uid: 'uid-1' });
    expect(lease.spec?.holderIdentity).toBe(NODE_NAME);
    expect(JSON.stringify(lease.spec?.renewTime)).toBe('"2026-01-01T00:00:00.000000Z"');
  });
});
