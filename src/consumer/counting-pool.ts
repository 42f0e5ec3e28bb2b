// The main thread's side of the counting workers (counting-worker.ts): starts `workers` of them,
// each a consumer group member of its own, and offers main.ts what one RatingConsumer offered,
// over all of them: a snapshot is every member's snapshot, concatenated, for ONE conditional
// status write (merging by highest offset copes with several members, and with a partition
// moving from one worker to another). What workers ask of the main thread (the status, a fresh
// catalog) is answered with the callbacks given. A worker that exits or crashes ends the process
// (onFatal): a member is never lost silently, and its partitions go to the next process's members.
import { Worker } from 'node:worker_threads';
import type { PartitionCheckpoint } from '../api/v1alpha1.ts';
import type { Logger } from '../common/logger.ts';
import type { InMemoryCheckpoint } from '../ratings/checkpoint.ts';
import type { CatalogView } from '../ratings/judge.ts';
import type { BatchResult, Position, WrittenCheckpoint } from './partitions.ts';
import {
  Peer,
  endThreads,
  superviseThread,
  workerEntryBeside,
  type WorkerThread,
} from '../common/worker-peer.ts';
import type { MainApi, Membership, WorkerApi, WorkerSetup } from './worker-protocol.ts';

export interface CountingPoolOptions {
  workers: number;
  logger: Logger;
  /** What every worker needs to join the group; `index` is added per worker. */
  setup: Omit<WorkerSetup, 'index'>;
  /** The checkpoints stored in the status now (a fresh read). */
  loadCheckpoints: () => Promise<readonly PartitionCheckpoint[]>;
  /** Reads the experiment again; false if that failed. */
  refreshCatalog: () => Promise<boolean>;
  /** The catalog as the main thread holds it now. */
  catalogView: () => CatalogView;
  /** A member's group is rebalancing: a good moment to checkpoint. */
  onRebalancing?: () => void;
  onBatch?: (result: BatchResult) => void;
  /** A worker exited or crashed: the process should exit. */
  onFatal: (err: Error) => void;
  /** Starts a worker thread (default: counting-worker beside this module). */
  spawn?: (setup: WorkerSetup) => WorkerThread;
}

/** The worker entry beside this module (.ts in development, .js when built). */
export const countingWorkerEntry = (moduleUrl: string = import.meta.url): URL =>
  workerEntryBeside(moduleUrl, 'counting-worker');

const spawnWorker = (setup: WorkerSetup): WorkerThread =>
  new Worker(countingWorkerEntry(), { workerData: setup, name: `counting-worker-${setup.index}` });

interface Member {
  index: number;
  thread: WorkerThread;
  peer: Peer<MainApi, WorkerApi>;
  membership: Membership;
  positions: Position[];
}

export class CountingPool {
  private readonly options: CountingPoolOptions;
  private readonly members: Member[] = [];
  private draining = false;
  /** Set once the workers are told to leave: their exits are expected from then on. */
  private closing = false;

  constructor(options: CountingPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new Error(`a counting pool needs at least one worker, got ${options.workers}`);
    }
    this.options = options;
  }

  /** Starts every worker; resolves when each has subscribed (joining the group follows). */
  async start(): Promise<void> {
    const spawn = this.options.spawn ?? spawnWorker;
    for (let index = 0; index < this.options.workers; index++) {
      this.members.push(this.member(index, spawn({ ...this.options.setup, index })));
    }
    await this.all((m) => m.peer.call('start'));
  }

  /** undefined when every worker has joined the group (possibly standing by without partitions). */
  notReadyReason(): string | undefined {
    if (this.draining) return 'shutting down';
    if (this.members.length === 0) return 'counting workers not started';
    const waiting = this.members.filter((m) => !m.membership.joined).map((m) => m.index);
    return waiting.length === 0
      ? undefined
      : `counting worker ${waiting.join(', ')} not a member of the consumer group yet`;
  }

  /** The partitions this process's members own. */
  get assigned(): number[] {
    return this.members.flatMap((m) => m.membership.assigned).sort((a, b) => a - b);
  }

  /** How far each partition owned was counted, as of the members' last batches or snapshots. */
  positions(): Position[] {
    return this.members
      .flatMap((m) => m.positions.filter((p) => m.membership.assigned.includes(p.partition)))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Every member's exact snapshot, concatenated. */
  async checkpoints(catalog: ReadonlySet<string>): Promise<InMemoryCheckpoint[]> {
    const snapshots = await this.all(async (m) => {
      const snapshot = await m.peer.call('checkpoints', catalog);
      // A snapshot tells positions too, also of partitions restored without a batch since.
      m.positions = positionsOf(snapshot);
      return snapshot;
    });
    return snapshots.flat();
  }

  async written(checkpoints: readonly InMemoryCheckpoint[]): Promise<void> {
    const covered = slim(checkpoints);
    await this.all((m) => m.peer.call('written', covered));
  }

  /** Every member restores waiting partitions and counts records gone; returns the records lost. */
  async observe(topicId: string | undefined, logStarts: ReadonlyMap<number, number>): Promise<number> {
    const starts = new Map(logStarts);
    const lost = await this.all((m) => m.peer.call('observe', topicId, starts));
    return lost.reduce((a, b) => a + b, 0);
  }

  async commit(checkpoints: readonly InMemoryCheckpoint[]): Promise<void> {
    const covered = slim(checkpoints);
    await this.all((m) => m.peer.call('commit', covered));
  }

  /** Sends a newer catalog to every worker. */
  catalogChanged(view: CatalogView): void {
    for (const m of this.members) m.peer.notify('catalog', view);
  }

  /** Every member stops counting and finishes its batch; they stay in the group. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.all((m) => m.peer.call('drain'));
  }

  /** Every member leaves the group, then its thread ends. */
  async disconnect(): Promise<void> {
    this.closing = true;
    await endThreads(
      this.members,
      (m) => m.peer.call('disconnect'),
      this.options.logger,
      'counting worker did not leave the group cleanly',
    );
  }

  private member(index: number, thread: WorkerThread): Member {
    const { logger } = this.options;
    const member: Member = {
      index,
      thread,
      membership: { joined: false, assigned: [] },
      positions: [],
      peer: new Peer<MainApi, WorkerApi>(
        thread,
        {
          loadCheckpoints: async () => [...(await this.options.loadCheckpoints())],
          refreshCatalog: async () => {
            const refreshed = await this.options.refreshCatalog();
            return { refreshed, view: this.options.catalogView() };
          },
          rebalancing: () => this.options.onRebalancing?.(),
          batch: (result, positions) => {
            member.positions = positions;
            this.options.onBatch?.(result);
          },
          membership: (membership) => {
            member.membership = membership;
          },
        },
        (err) => logger.error({ worker: index, err: err.message }, 'message from a counting worker failed'),
      ),
    };
    superviseThread(member, {
      what: 'counting worker',
      logger,
      closing: () => this.closing,
      onFatal: this.options.onFatal,
      onExit: () => {
        member.membership = { joined: false, assigned: [] };
      },
    });
    return member;
  }

  private all<T>(request: (m: Member) => Promise<T>): Promise<T[]> {
    return Promise.all(this.members.map(request));
  }
}

/** Where a snapshot stands per partition; a partition's current state follows its retired ones. */
function positionsOf(snapshot: readonly InMemoryCheckpoint[]): Position[] {
  const offsets = new Map(snapshot.map((cp) => [cp.partition, cp.offset]));
  return [...offsets].map(([partition, offset]) => ({ partition, offset }));
}

/** What members need of written checkpoints: which state of which partition (no voice maps). */
function slim(checkpoints: readonly InMemoryCheckpoint[]): WrittenCheckpoint[] {
  return checkpoints.map(({ partition, topicId, offset }) => ({ partition, topicId, offset }));
}
