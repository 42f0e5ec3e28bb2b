// The main thread's side of the generating threads (generator-worker.ts): starts `workers` of
// them, splits the pod's rate among them, passes catalog changes on, and records what they
// report into the pod's metrics and page of recent ratings, so that the pod reads the same with
// threads as without. Each thread's Kafka producers are idempotent sessions of their own, as the
// sessions of one thread are (kafka.ts): an acknowledged rating is written exactly once whichever
// thread sent it. A thread that exits or crashes ends the process (onFatal): the Deployment
// restarts the pod rather than let it generate below its rate unnoticed.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../common/logger.ts';
import {
  Peer,
  endThreads,
  superviseThread,
  workerEntryBeside,
  type WorkerThread,
} from '../common/worker-peer.ts';
import type { Catalog } from '../ratings/catalog.ts';
import type {
  GenerationReport,
  GeneratorMainApi,
  GeneratorSetup,
  GeneratorWorkerApi,
} from './generator-protocol.ts';
import type { ProducerMetrics } from './metrics.ts';
import type { RecentRatings } from './page.ts';

export interface GeneratorPoolOptions {
  workers: number;
  ratePerSecond: number;
  logger: Logger;
  /** What every thread needs; `index` and its share of the rate are added per thread. */
  setup: Omit<GeneratorSetup, 'index' | 'ratePerSecond'>;
  metrics: Pick<ProducerMetrics, 'produced' | 'failed' | 'sendDuration' | 'generatorSkipped'>;
  recent: RecentRatings;
  /** A thread exited or crashed: the process should exit. */
  onFatal: (err: Error) => void;
  /** Starts a thread (default: generator-worker beside this module). */
  spawn?: (setup: GeneratorSetup) => WorkerThread;
}

/** Thread `index`'s share of `ratePerSecond` over `workers` threads: whole ratings, summing to the rate. */
export function shareOfRate(ratePerSecond: number, workers: number, index: number): number {
  return Math.floor(ratePerSecond / workers) + (index < ratePerSecond % workers ? 1 : 0);
}

/** The worker entry beside this module (.ts in development, .js when built). */
export const generatorWorkerEntry = (moduleUrl: string = import.meta.url): URL =>
  workerEntryBeside(moduleUrl, 'generator-worker');

const spawnWorker = (setup: GeneratorSetup): WorkerThread =>
  new Worker(generatorWorkerEntry(), { workerData: setup, name: `generator-worker-${setup.index}` });

interface Member {
  index: number;
  thread: WorkerThread;
  peer: Peer<GeneratorMainApi, GeneratorWorkerApi>;
  /** The last report's stall and when it came. */
  stalledMs: number;
  reportedAt: number;
}

export class GeneratorPool {
  private readonly options: GeneratorPoolOptions;
  private readonly members: Member[] = [];
  private rate: number;
  /** Set once the threads are told to stop: their exits are expected from then on. */
  private closing = false;

  constructor(options: GeneratorPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new Error(`a generator pool needs at least one worker, got ${options.workers}`);
    }
    this.options = options;
    this.rate = options.ratePerSecond;
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  /** Starts every thread; resolves when each generates (or was stopped before it could connect). */
  async start(): Promise<void> {
    const { workers, setup } = this.options;
    const spawn = this.options.spawn ?? spawnWorker;
    for (let index = 0; index < workers; index++) {
      const ratePerSecond = shareOfRate(this.rate, workers, index);
      this.members.push(this.member(index, spawn({ ...setup, index, ratePerSecond })));
    }
    await Promise.all(this.members.map((m) => m.peer.call('start')));
  }

  setRate(ratePerSecond: number): void {
    this.rate = ratePerSecond;
    for (const m of this.members)
      m.peer.notify('setRate', shareOfRate(ratePerSecond, this.members.length, m.index));
  }

  catalogChanged(catalog: Catalog): void {
    for (const m of this.members) m.peer.notify('catalog', catalog);
  }

  /** How long the oldest request of any thread has waited for Kafka, as of the threads' reports. */
  stalledMs(now: number = Date.now()): number {
    return Math.max(0, ...this.members.map((m) => (m.stalledMs > 0 ? m.stalledMs + now - m.reportedAt : 0)));
  }

  /** Every thread stops generating and flushes what it handed to Kafka, then ends. */
  async stop(): Promise<void> {
    this.closing = true;
    await endThreads(
      this.members,
      (m) => m.peer.call('stop'),
      this.options.logger,
      'generating thread did not stop cleanly',
    );
  }

  private record(member: Member, report: GenerationReport): void {
    const { metrics, recent } = this.options;
    metrics.produced.inc({ source: 'generated' }, report.produced);
    metrics.failed.inc({ source: 'generated' }, report.failed);
    if (report.skipped > 0) metrics.generatorSkipped.inc(report.skipped);
    for (const seconds of report.sendSeconds) metrics.sendDuration.observe(seconds);
    recent.add(report.recent);
    member.stalledMs = report.stalledMs;
    member.reportedAt = Date.now();
  }

  private member(index: number, thread: WorkerThread): Member {
    const { logger } = this.options;
    const member: Member = {
      index,
      thread,
      stalledMs: 0,
      reportedAt: Date.now(),
      peer: new Peer<GeneratorMainApi, GeneratorWorkerApi>(
        thread,
        { report: (report) => this.record(member, report) },
        (err) => logger.error({ worker: index, err: err.message }, 'message from a generating thread failed'),
      ),
    };
    superviseThread(member, {
      what: 'generating thread',
      logger,
      closing: () => this.closing,
      onFatal: this.options.onFatal,
    });
    return member;
  }
}
