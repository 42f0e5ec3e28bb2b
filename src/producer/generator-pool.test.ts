import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Peer, type WorkerThread } from '../common/worker-peer.ts';
import { closeFakeThreads, fakeThread, type FakeThread } from '../common/worker-peer.fixtures.ts';
import { catalogFromSpec } from '../ratings/catalog.ts';
import { createRating } from '../ratings/rating.ts';
import type {
  GenerationReport,
  GeneratorMainApi,
  GeneratorSetup,
  GeneratorWorkerApi,
} from './generator-protocol.ts';
import { GeneratorPool, generatorWorkerEntry, shareOfRate } from './generator-pool.ts';
import { createProducerMetrics } from './metrics.ts';
import { RecentRatings } from './page.ts';

const logger = pino({ level: 'silent' });
const catalog = catalogFromSpec({ voices: ['A', 'B'], battles: ['A vs B'], scale: ['0', '1'] }, 3);

afterEach(closeFakeThreads);

/** A thread of this test's own: the worker side records what it is asked, no Kafka. */
class FakeGenerator {
  readonly thread: WorkerThread;
  readonly main: Peer<GeneratorWorkerApi, GeneratorMainApi>;
  readonly calls: FakeThread['calls'];
  readonly setup: GeneratorSetup;
  /** The thread ends on its own (a crash, process.exit in the worker). */
  readonly exit: (code: number) => void;

  constructor(setup: GeneratorSetup) {
    this.setup = setup;
    const fake = fakeThread();
    this.thread = fake.thread;
    this.exit = fake.exit;
    this.calls = fake.calls;
    const record = fake.record;
    this.main = new Peer<GeneratorWorkerApi, GeneratorMainApi>(
      fake.port,
      {
        start: record('start'),
        setRate: record('setRate'),
        catalog: record('catalog'),
        stop: record('stop'),
      },
      (err) => {
        throw err;
      },
    );
  }

  /** Reports and waits until the pool handled it, and everything the pool sent before (one port, in order). */
  async report(overrides: Partial<GenerationReport> = {}): Promise<void> {
    await this.main.call('report', report(overrides));
  }
}

function setup(workers: number, ratePerSecond: number) {
  const spawned: FakeGenerator[] = [];
  const fatal: Error[] = [];
  const registry = new Registry();
  const metrics = createProducerMetrics(registry);
  const recent = new RecentRatings(3);
  const pool = new GeneratorPool({
    workers,
    ratePerSecond,
    logger,
    setup: { brokers: ['k:9092'], topic: 't', clientId: 'c', catalog, sessions: 2, maxBatchSize: 100 },
    metrics,
    recent,
    onFatal: (err) => fatal.push(err),
    spawn: (threadSetup) => {
      const thread = new FakeGenerator(threadSetup);
      spawned.push(thread);
      return thread.thread;
    },
  });
  return { pool, spawned, fatal, registry, recent };
}

const report = (overrides: Partial<GenerationReport> = {}): GenerationReport => ({
  produced: 0,
  failed: 0,
  skipped: 0,
  sendSeconds: [],
  recent: [],
  stalledMs: 0,
  ...overrides,
});

const value = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const match = metric?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return match?.value;
};

describe('shareOfRate', () => {
  it('splits a rate into whole shares that add up to it, differing by at most one', () => {
    for (const [rate, workers] of [
      [0, 3],
      [5, 3],
      [100_000, 16],
      [7, 16],
      [99_999, 4],
    ] as const) {
      const shares = Array.from({ length: workers }, (_, i) => shareOfRate(rate, workers, i));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(rate);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      expect(shares.every(Number.isInteger)).toBe(true);
    }
  });
});

describe('GeneratorPool', () => {
  it('starts one thread per worker with its index and share of the rate, and waits until each generates', async () => {
    const { pool, spawned } = setup(3, 10);
    await pool.start();
    expect(spawned.map((t) => [t.setup.index, t.setup.ratePerSecond])).toEqual([
      [0, 4],
      [1, 3],
      [2, 3],
    ]);
    expect(spawned[0]!.setup).toMatchObject({
      brokers: ['k:9092'],
      topic: 't',
      sessions: 2,
      maxBatchSize: 100,
    });
    expect(spawned[0]!.setup.catalog.voiceSet).toEqual(new Set(['A', 'B']));
    expect(spawned.every((t) => t.calls('start').length === 1)).toBe(true);
  });

  it('passes a new rate on as shares, and a new catalog as it is', async () => {
    const { pool, spawned } = setup(2, 10);
    await pool.start();
    pool.setRate(5);
    const next = catalogFromSpec({ voices: ['A', 'B', 'C'], battles: ['x'], scale: ['0', '1'] }, 4);
    pool.catalogChanged(next);
    await spawned[1]!.report();
    await spawned[0]!.report();
    expect(pool.ratePerSecond).toBe(5);
    expect(spawned.map((t) => t.calls('setRate')[0])).toEqual([[3], [2]]);
    expect(spawned[1]!.calls('catalog')[0]![0]).toMatchObject({ voices: ['A', 'B', 'C'], generation: 4 });
  });

  it("records the threads' reports in the pod's metrics and page, as if generated on the main thread", async () => {
    const { pool, spawned, registry, recent } = setup(2, 10);
    await pool.start();
    const rating = (battle: string) =>
      createRating(
        { battle, voices: ['A', 'B'], rating: 1, researcher: 'sim-1' },
        undefined,
        '2026-11-29T00:00:00.000Z',
      );
    await spawned[0]!.report({
      produced: 1000,
      failed: 3,
      skipped: 7,
      sendSeconds: [0.002, 0.004],
      recent: [rating('r1')],
    });
    await spawned[1]!.report({ produced: 500, recent: [rating('r2'), rating('r3'), rating('r4')] });
    expect(await value(registry, 'ratings_producer_produced_total', { source: 'generated' })).toBe(1500);
    expect(await value(registry, 'ratings_producer_failed_total', { source: 'generated' })).toBe(3);
    expect(await value(registry, 'ratings_producer_generator_skipped_total')).toBe(7);
    expect(await registry.metrics()).toMatch(/^ratings_producer_send_duration_seconds_count 2$/m);
    // Newest first, three kept.
    expect(recent.list().map((r) => r.battle)).toEqual(['r4', 'r3', 'r2']);
  });

  it('tells how long the oldest request of any thread has waited, growing while no report comes', async () => {
    const { pool, spawned } = setup(2, 10);
    await pool.start();
    expect(pool.stalledMs()).toBe(0);
    await spawned[1]!.report({ stalledMs: 4000 });
    const now = Date.now();
    expect(pool.stalledMs(now)).toBeGreaterThanOrEqual(4000);
    expect(pool.stalledMs(now + 10_000)).toBeGreaterThanOrEqual(14_000);
    await spawned[1]!.report({ stalledMs: 0 });
    expect(pool.stalledMs()).toBe(0);
  });

  it('ends the process when a thread exits on its own, but not when it was stopped', async () => {
    const { pool, spawned, fatal } = setup(2, 10);
    await pool.start();
    spawned[0]!.exit(1);
    expect(fatal.map((e) => e.message)).toEqual(['generating thread 0 exited with code 1']);
    await pool.stop();
    expect(spawned[1]!.calls('stop')).toHaveLength(1);
    expect(fatal).toHaveLength(1);
  });

  it('refuses fewer than one worker', () => {
    expect(() => setup(0, 10)).toThrow(/at least one worker/);
  });

  it('finds the real worker entry beside it', () => {
    expect(existsSync(fileURLToPath(generatorWorkerEntry()))).toBe(true);
    expect(generatorWorkerEntry('file:///app/dist/producer/generator-pool.js').pathname).toBe(
      '/app/dist/producer/generator-pool.js'.replace('generator-pool', 'generator-worker'),
    );
  });
});
