import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { emptyCheckpoint } from '../ratings/checkpoint.ts';
import { catalogFromSpec } from '../ratings/catalog.ts';
import type { CatalogView } from '../ratings/judge.ts';
import type { BatchResult, WrittenCheckpoint } from './partitions.ts';
import { CountingPool, countingWorkerEntry, type CountingPoolOptions } from './counting-pool.ts';
import { Peer, type WorkerThread } from '../common/worker-peer.ts';
import { closeFakeThreads, fakeThread, type FakeThread } from '../common/worker-peer.fixtures.ts';
import type { MainApi, WorkerApi, WorkerSetup } from './worker-protocol.ts';

const logger = pino({ level: 'silent' });
const catalog = catalogFromSpec({ voices: ['A', 'B'], battles: ['A vs B'], scale: ['0', '1'] }, 3);
const view = (readAt: number): CatalogView => ({ catalog, generation: 3, readAt });

afterEach(closeFakeThreads);

/** A thread of this test's own: the worker side answers from an in-memory state, no Kafka. */
class FakeWorker {
  readonly thread: WorkerThread;
  readonly main: Peer<WorkerApi, MainApi>;
  readonly received: FakeThread['received'];
  readonly calls: FakeThread['calls'];
  partitions: number[] = [];
  lost = 0;
  /** The thread ends on its own (a crash, process.exit in the worker). */
  readonly exit: (code: number) => void;

  readonly setup: WorkerSetup;

  constructor(setup: WorkerSetup) {
    this.setup = setup;
    const fake = fakeThread();
    this.thread = fake.thread;
    this.exit = fake.exit;
    this.received = fake.received;
    this.calls = fake.calls;
    const record = fake.record;
    this.main = new Peer<WorkerApi, MainApi>(
      fake.port,
      {
        start: record('start'),
        checkpoints: (voices) => {
          record('checkpoints')(voices);
          return this.partitions.map((p) => emptyCheckpoint(p, 'T', 10 * (setup.index + 1)));
        },
        written: record('written'),
        observe: (topicId, logStarts) => {
          record('observe')(topicId, logStarts);
          return this.lost;
        },
        commit: record('commit'),
        drain: record('drain'),
        disconnect: record('disconnect'),
        catalog: record('catalog'),
      },
      (err) => {
        throw err;
      },
    );
  }
}

function setup(workers: number, overrides: Partial<CountingPoolOptions> = {}) {
  const spawned: FakeWorker[] = [];
  const fatal: Error[] = [];
  const batches: BatchResult[] = [];
  let rebalances = 0;
  let readAt = 1000;
  const pool = new CountingPool({
    workers,
    logger,
    setup: { topic: 't', groupId: 'g', brokers: ['k:9092'], clientId: 'c', view: view(readAt) },
    loadCheckpoints: async () => [{ partition: 1, offset: 42, sums: {}, counts: {}, rejected: 0 }],
    refreshCatalog: async () => {
      readAt = 2000;
      return true;
    },
    catalogView: () => view(readAt),
    onRebalancing: () => rebalances++,
    onBatch: (result) => batches.push(result),
    onFatal: (err) => fatal.push(err),
    spawn: (workerSetup) => {
      const worker = new FakeWorker(workerSetup);
      spawned.push(worker);
      return worker.thread;
    },
    ...overrides,
  });
  return { pool, spawned, fatal, batches, rebalances: () => rebalances };
}

/** Until every message sent so far was handled (a request round trip on the same port). */
const settle = async (worker: FakeWorker) => {
  await worker.main.call('refreshCatalog');
};

describe('CountingPool', () => {
  it('starts one member per worker, each told its index, and is ready only once every one has joined', async () => {
    const { pool, spawned } = setup(3);
    expect(pool.notReadyReason()).toBe('counting workers not started');
    await pool.start();
    expect(spawned.map((w) => w.setup.index)).toEqual([0, 1, 2]);
    expect(spawned.every((w) => w.calls('start').length === 1)).toBe(true);
    expect(spawned[0]!.setup).toMatchObject({ topic: 't', groupId: 'g', brokers: ['k:9092'] });
    expect(pool.notReadyReason()).toBe('counting worker 0, 1, 2 not a member of the consumer group yet');

    spawned[0]!.main.notify('membership', { joined: true, assigned: [2, 0] });
    spawned[2]!.main.notify('membership', { joined: true, assigned: [] }); // stands by
    await Promise.all(spawned.map(settle));
    expect(pool.notReadyReason()).toBe('counting worker 1 not a member of the consumer group yet');
    spawned[1]!.main.notify('membership', { joined: true, assigned: [1] });
    await settle(spawned[1]!);
    expect(pool.notReadyReason()).toBeUndefined();
    expect(pool.assigned).toEqual([0, 1, 2]);

    // A member that crashed and is restarting by kafkajs is out of the group until it rejoins.
    spawned[1]!.main.notify('membership', { joined: false, assigned: [1] });
    await settle(spawned[1]!);
    expect(pool.notReadyReason()).toBe('counting worker 1 not a member of the consumer group yet');
  });

  it('concatenates every member snapshot and tells every member what was written, without voice maps', async () => {
    const { pool, spawned } = setup(2);
    await pool.start();
    spawned[0]!.partitions = [0, 2];
    spawned[1]!.partitions = [1];
    const snapshot = await pool.checkpoints(catalog.voiceSet);
    expect(snapshot.map((cp) => [cp.partition, cp.offset])).toEqual([
      [0, 10],
      [2, 10],
      [1, 20],
    ]);
    // A Map of the worker's realm (structured clone), not of this test's.
    expect(Object.prototype.toString.call(snapshot[0]!.sums)).toBe('[object Map]');
    expect(spawned.map((w) => w.calls('checkpoints'))).toEqual([[[catalog.voiceSet]], [[catalog.voiceSet]]]);

    await pool.written(snapshot);
    await pool.commit(snapshot);
    const slim: WrittenCheckpoint[] = [
      { partition: 0, topicId: 'T', offset: 10 },
      { partition: 2, topicId: 'T', offset: 10 },
      { partition: 1, topicId: 'T', offset: 20 },
    ];
    for (const worker of spawned) {
      expect(worker.calls('written')).toEqual([[slim]]);
      expect(worker.calls('commit')).toEqual([[slim]]);
    }
  });

  it('asks every member to observe Kafka and adds up the records they found lost', async () => {
    const { pool, spawned } = setup(2);
    await pool.start();
    spawned[0]!.lost = 3;
    spawned[1]!.lost = 4;
    const logStarts = new Map([
      [0, 5],
      [1, 0],
    ]);
    expect(await pool.observe('T', logStarts)).toBe(7);
    for (const worker of spawned) expect(worker.calls('observe')).toEqual([['T', logStarts]]);
  });

  it('answers what workers ask of the main thread: the status, a fresh catalog, rebalances, batches', async () => {
    const { pool, spawned, batches, rebalances } = setup(2);
    await pool.start();
    const worker = spawned[1]!;
    expect(await worker.main.call('loadCheckpoints')).toEqual([
      { partition: 1, offset: 42, sums: {}, counts: {}, rejected: 0 },
    ]);
    const refreshed = await worker.main.call('refreshCatalog');
    expect(refreshed).toEqual({ refreshed: true, view: view(2000) });
    expect(refreshed.view.catalog.voiceSet).toEqual(new Set(['A', 'B']));

    worker.main.notify('rebalancing');
    const result: BatchResult = { counted: 5, rejected: [], skipped: 0, lost: 0, byStamp: 0 };
    worker.main.notify('membership', { joined: true, assigned: [1, 3] });
    worker.main.notify('batch', result, [
      { partition: 1, offset: 17 },
      { partition: 3, offset: 2 },
    ]);
    await settle(worker);
    expect(rebalances()).toBe(1);
    expect(batches).toEqual([result]);
    expect(pool.positions()).toEqual([
      { partition: 1, offset: 17 },
      { partition: 3, offset: 2 },
    ]);
    // Revoked partitions leave the positions with the next membership.
    worker.main.notify('membership', { joined: true, assigned: [3] });
    await settle(worker);
    expect(pool.positions()).toEqual([{ partition: 3, offset: 2 }]);
    // A snapshot moves them too (a partition restored and not counted since has no batch).
    worker.partitions = [3];
    await pool.checkpoints(catalog.voiceSet);
    expect(pool.positions()).toEqual([{ partition: 3, offset: 20 }]);
  });

  it('sends a newer catalog to every worker', async () => {
    const { pool, spawned } = setup(2);
    await pool.start();
    pool.catalogChanged(view(5000));
    await Promise.all(spawned.map(settle));
    for (const worker of spawned) expect(worker.calls('catalog')).toEqual([[view(5000)]]);
  });

  it('makes a worker that exits on its own fatal, and fails what waited for it', async () => {
    const { pool, spawned, fatal } = setup(2);
    await pool.start();
    spawned[1]!.main.notify('membership', { joined: true, assigned: [0] });
    await settle(spawned[1]!);
    spawned[1]!.exit(1);
    expect(fatal.map((e) => e.message)).toEqual(['counting worker 1 exited with code 1']);
    expect(pool.assigned).toEqual([]);
    await expect(pool.checkpoints(catalog.voiceSet)).rejects.toThrow('counting worker 1 exited with code 1');
  });

  it('drains and disconnects every member on shutdown; the exits that follow are expected', async () => {
    const { pool, spawned, fatal } = setup(2);
    await pool.start();
    await pool.drain();
    expect(pool.notReadyReason()).toBe('shutting down');
    await pool.disconnect();
    for (const worker of spawned) {
      expect(worker.received.map((r) => r.method)).toEqual(['start', 'drain', 'disconnect']);
    }
    expect(fatal).toEqual([]);
  });

  it('refuses fewer than one worker', () => {
    expect(() => setup(0).pool).toThrow('a counting pool needs at least one worker, got 0');
  });
});

describe('countingWorkerEntry', () => {
  it('names the worker beside the module, with the module’s own extension', () => {
    expect(countingWorkerEntry('file:///app/dist/consumer/counting-pool.js').href).toBe(
      'file:///app/dist/consumer/counting-worker.js',
    );
    expect(countingWorkerEntry('file:///repo/src/consumer/counting-pool.ts').href).toBe(
      'file:///repo/src/consumer/counting-worker.ts',
    );
    expect(existsSync(fileURLToPath(countingWorkerEntry()))).toBe(true);
  });

  it('starts the real worker, which answers without Kafka until it is asked to join', async () => {
    const worker = new Worker(countingWorkerEntry(), {
      workerData: {
        index: 0,
        topic: 't',
        groupId: 'g',
        brokers: ['127.0.0.1:9'],
        clientId: 'unit',
        view: view(1000),
      } satisfies WorkerSetup,
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const main = new Peer<MainApi, WorkerApi>(
      worker,
      {
        loadCheckpoints: () => [],
        refreshCatalog: () => ({ refreshed: true, view: view(1000) }),
        rebalancing: () => {},
        batch: () => {},
        membership: () => {},
      },
      (err) => {
        throw err;
      },
    );
    try {
      main.notify('catalog', view(2000));
      expect(await main.call('checkpoints', catalog.voiceSet)).toEqual([]);
      expect(await main.call('observe', 'T', new Map([[0, 0]]))).toBe(0);
      // Errors come back as rejections with the worker's message.
      await expect(main.call('drain')).rejects.toThrow('consumer#run must be called first');
      await main.call('disconnect');
    } finally {
      await worker.terminate();
    }
    expect(await exited).toBe(1);
  }, 30_000);
});
