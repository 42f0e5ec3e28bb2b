// The Node and node Lease the process kubelet registers, labelled as a stand-in. Pure.
import { V1MicroTime, type V1Lease, type V1Node } from '@kubernetes/client-node';
import { apiTime } from './pod-status.ts';

export const NODE_NAME = 'local-process-node';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
export const STANDIN_ANNOTATION = 'standin.ratings.conglombo.io/description';
export const STANDIN_LABEL = 'standin.ratings.conglombo.io/process-kubelet';

const CAPACITY = { cpu: '8', memory: '16Gi', pods: '110' };

export function nodeObject(name: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        [STANDIN_LABEL]: 'true',
      },
      annotations: {
        [STANDIN_ANNOTATION]:
          'STAND-IN kubelet of the local stack (e2e/standins/process-kubelet.ts): runs ratings-operator pods as local node processes',
      },
    },
    spec: {},
  };
}

/** Node status as JSON; the Ready heartbeat moves, lastTransitionTime only when Ready flips. */
interface PreviousStatus {
  conditions?: { type: string; status: string; lastTransitionTime?: Date | string }[];
}

export function nodeStatus(
  previous: PreviousStatus | undefined,
  now: Date,
  ip: string,
  kubeletVersion: string,
) {
  const before = previous?.conditions?.find((c) => c.type === 'Ready');
  const transition =
    before?.status === 'True' && before.lastTransitionTime !== undefined
      ? apiTime(new Date(before.lastTransitionTime))
      : apiTime(now);
  return {
    capacity: CAPACITY,
    allocatable: CAPACITY,
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: NODE_NAME },
    ],
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'process-kubelet stand-in is posting ready status',
        lastHeartbeatTime: apiTime(now),
        lastTransitionTime: transition,
      },
    ],
    nodeInfo: {
      machineID: 'standin',
      systemUUID: 'standin',
      bootID: 'standin',
      kernelVersion: '',
      osImage: 'process-kubelet stand-in',
      containerRuntimeVersion: 'standin://node-processes',
      kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
}

export function leaseObject(nodeName: string, nodeUid: string | undefined, now: Date): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: NODE_LEASE_NAMESPACE,
      // As the kubelet does, so that the lease goes with the node.
      ...(nodeUid !== undefined
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] }
        : {}),
    },
    spec: {
      holderIdentity: nodeName,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      // MicroTime: the API server wants microseconds in this field.
      renewTime: new V1MicroTime(now.getTime()),
    },
  };
}
