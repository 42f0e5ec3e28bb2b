// What the consumer's main thread and its counting workers ask of each other, over a Peer
// (src/common/worker-peer.ts).
import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import type { InMemoryCheckpoint } from '../ratings/checkpoint.ts';
import type { CatalogView } from '../ratings/judge.ts';
import type { BatchResult, Position, WrittenCheckpoint } from './partitions.ts';

/** A member's place in the consumer group. */
export interface Membership {
  /** Joined the group (possibly standing by without partitions). */
  joined: boolean;
  assigned: number[];
}

/** What a worker needs to become a group member (its workerData). */
export interface WorkerSetup {
  /** 0-based; logged as `worker` on every line and part of the Kafka client id. */
  index: number;
  topic: string;
  groupId: string;
  brokers: string[];
  clientId: string;
  /** The catalog when the worker starts; newer ones follow with `catalog`. */
  view: CatalogView;
}

/** Requests the main thread makes of a worker (the RatingConsumer's surface). */
// Type aliases, not interfaces: only those satisfy the index signature of Api.
export type WorkerApi = {
  /** Joins the group and starts counting. */
  start(): void;
  /** An exact snapshot of every partition this member holds (see partitions.ts). */
  checkpoints(catalog: ReadonlySet<string>): InMemoryCheckpoint[];
  written(checkpoints: WrittenCheckpoint[]): void;
  /** RatingConsumer.observe: returns the records found lost. */
  observe(topicId: string | undefined, logStarts: Map<number, number>): number;
  commit(checkpoints: WrittenCheckpoint[]): void;
  drain(): void;
  disconnect(): void;
  /** A newer copy of the catalog. */
  catalog(view: CatalogView): void;
};

/** Requests and notifications a worker makes of the main thread. */
export type MainApi = {
  /** The checkpoints stored in the status now (a fresh read). */
  loadCheckpoints(): PartitionCheckpoint[];
  /** Reads the experiment again: whether that worked, and the catalog as it stands now. */
  refreshCatalog(): { refreshed: boolean; view: CatalogView };
  /** Notification: the group is rebalancing. */
  rebalancing(): void;
  /** Notification: a batch was counted; `positions` is where the member stands after it. */
  batch(result: BatchResult, positions: Position[]): void;
  /** Notification: the member's place in the group changed. */
  membership(membership: Membership): void;
};
