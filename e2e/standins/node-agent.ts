// The node side of the process kubelet: registers the Node, renews its Lease in
// kube-node-lease (what the node-lifecycle controller watches) and posts the Ready heartbeat.
import {
  PatchStrategy,
  setHeaderOptions,
  type CoordinationV1Api,
  type CoreV1Api,
  type V1Node,
} from '@kubernetes/client-node';
import type { Logger } from '../../src/common/logger.ts';
import {
  LEASE_DURATION_SECONDS,
  NODE_LEASE_NAMESPACE,
  leaseObject,
  nodeObject,
  nodeStatus,
} from './node-object.ts';
import { describeError } from './describe-error.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const LEASE_RENEW_MS = (LEASE_DURATION_SECONDS / 4) * 1000;
const STATUS_HEARTBEAT_MS = 20_000;

export interface NodeAgentOptions {
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  nodeName: string;
  ip: string;
  kubeletVersion: string;
  logger: Logger;
}

export class NodeAgent {
  private readonly options: NodeAgentOptions;
  private timers: NodeJS.Timeout[] = [];
  private nodeUid: string | undefined;

  constructor(options: NodeAgentOptions) {
    this.options = options;
  }

  /** Creates (or adopts) the Node and posts a first Ready status and lease. */
  async register(): Promise<void> {
    const { core, nodeName, logger } = this.options;
    const desired = nodeObject(nodeName);
    let node: V1Node;
    try {
      node = await core.createNode({ body: desired });
      logger.info('registered node');
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      node = await core.patchNode(
        {
          name: nodeName,
          body: {
            metadata: { labels: desired.metadata?.labels, annotations: desired.metadata?.annotations },
          },
        },
        mergePatch,
      );
      logger.info('adopted existing node');
    }
    this.nodeUid = node.metadata?.uid;
    await this.postStatus(node);
    await this.renewLease();
    this.timers.push(
      setInterval(() => void this.guard('lease renewal', () => this.renewLease()), LEASE_RENEW_MS),
    );
    this.timers.push(
      setInterval(() => void this.guard('status heartbeat', () => this.postStatus()), STATUS_HEARTBEAT_MS),
    );
  }

  stop(): void {
    this.timers.forEach((t) => clearInterval(t));
    this.timers = [];
  }

  private async guard(what: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (err) {
      this.options.logger.warn({ err: describeError(err) }, `${what} failed`);
    }
  }

  private async postStatus(current?: V1Node): Promise<void> {
    const { core, nodeName, ip, kubeletVersion } = this.options;
    const node = current ?? (await core.readNode({ name: nodeName }));
    await core.patchNodeStatus(
      { name: nodeName, body: { status: nodeStatus(node.status, new Date(), ip, kubeletVersion) } },
      mergePatch,
    );
  }

  private async renewLease(): Promise<void> {
    const { coordination, nodeName } = this.options;
    const lease = leaseObject(nodeName, this.nodeUid, new Date());
    try {
      // A merge patch needs no resourceVersion: we are the lease's only writer.
      await coordination.patchNamespacedLease(
        { name: nodeName, namespace: NODE_LEASE_NAMESPACE, body: { spec: lease.spec } },
        mergePatch,
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await coordination.createNamespacedLease({ namespace: NODE_LEASE_NAMESPACE, body: lease });
    }
  }
}
