// `npm run bench:intake`: the producer's HTTP intake under autocannon, one producer process
// (`node src/cli.ts producer`, generator off) on the stack's broker, every answer after Kafka's
// acknowledgement. BENCH_RUNS (3) runs of: POST /api/ratings at 1, 64, 256 and 1,024
// connections with shedding at its default bound; 1,024 connections again with shedding off (a
// bound no load reaches), for comparison; and bulk imports (NDJSON of BENCH_BULK_SIZE ratings
// over BENCH_BULK_CONNECTIONS connections). Latency is of the accepted (2xx) answers only. Before
// each single-rating load, the same load against a bare node:http server (the machine's ceiling).
//   BENCH_CONNECTIONS (1,64,256,1024) picks the connection counts.
//   BENCH_INTAKE_SECONDS (10) per measurement; INTAKE_MAX_PENDING passes through to the producer,
//   BENCH_PRODUCER_NODE_OPTIONS becomes the producers' NODE_OPTIONS (default: the heap cap the
//   model gives a producer pod under the default memory limit); HEAP_GROWING_PERCENT, if set,
//   replaces the pod's (empty: V8's own growth factor).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import autocannon from 'autocannon';
import { createRatingExperiment } from '../e2e/stack/harness.ts';
import { ModeProcess } from '../e2e/stack/mode-process.ts';
import { readStackEnv } from '../e2e/stack/stack.ts';
import { eventually } from '../e2e/stack/eventually.ts';
import { heapEnv } from '../src/model/heap.ts';
import { DEFAULT_RESOURCES } from '../src/model/pod.ts';
import { parseQuantity } from '../src/model/quantity.ts';
import { generateRatings } from '../src/producer/generator.ts';
import { onCleanup } from './cleanup.ts';
import { STAGED_LABELS } from './operator-guard.ts';
import { loadAverage, median, printResult, round } from './results.ts';
import { bulkNdjson, defaultCatalog, withAdmin } from './producer.ts';
import { describeFailure } from '../src/common/errors.ts';

/** Figures of the intake before this work, on a quiet machine of this kind (issue 11). */
const BEFORE: Record<number, number> = { 1: 1_053, 64: 15_109, 256: 19_155, 1024: 18_189 };
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,64,256,1024').split(',').map(Number);
const P99_TARGET_MS = 50;
const BULK_TARGET = 50_000;
/** The producer runs with a pod's heap options: bounded means within that pod's memory limit. */
const RSS_BOUND_MIB = parseQuantity(DEFAULT_RESOURCES.limits.memory)! / 2 ** 20;

const seconds = Number(process.env.BENCH_INTAKE_SECONDS ?? 10);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const bulkSize = Number(process.env.BENCH_BULK_SIZE ?? 1000);
const bulkConnections = Number(process.env.BENCH_BULK_CONNECTIONS ?? 4);

interface Measure {
  acceptedPerSecond: number;
  p50: number;
  p99: number;
  shed: number;
  /** 503s that were not shedding: the producer found Kafka not acknowledging (a stall over 5 s). */
  unavailable: number;
  errors: number;
  /** Ratings still counted as pending a second after the load stopped (0: nothing leaked). */
  pendingAfter: number;
  peakRssMiB: number;
  /** CPU time of the producer process per accepted rating: less sensitive to a shared machine. */
  cpuMicrosPerRating: number;
}

async function processMetric(producer: ModeProcess, name: string): Promise<number> {
  const metrics = await producer.get('/metrics');
  // Default metrics carry the experiment's labels since the producer's registry has them.
  const value = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1];
  return value === undefined ? NaN : Number(value);
}

const rssMiB = async (producer: ModeProcess) =>
  (await processMetric(producer, 'process_resident_memory_bytes')) / 2 ** 20;
const cpuSeconds = (producer: ModeProcess) => processMetric(producer, 'process_cpu_seconds_total');
/** Requests shed (the bound), as opposed to other 503s (Kafka not acknowledging for 5 s). */
const shedRequests = async (producer: ModeProcess) => {
  const metrics = await producer.get('/metrics');
  return [...metrics.matchAll(/^ratings_producer_shed_requests_total\{[^}]*\} (\S+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
};
const pendingRatings = async (producer: ModeProcess) => {
  const metrics = await producer.get('/metrics');
  return [...metrics.matchAll(/^ratings_producer_intake_pending_ratings\{[^}]*\} (\S+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
};

/** `seconds` of POSTs of one body over `connections` connections. */
function post(url: string, options: { connections: number; body: string; contentType: string }) {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': options.contentType },
    body: options.body,
    connections: options.connections,
    duration: seconds,
    // Latency and throughput of the accepted answers only: a shed request is not a rating taken.
    excludeErrorStats: true,
  });
}

async function load(
  producer: ModeProcess,
  options: {
    path: string;
    connections: number;
    body: string;
    contentType: string;
    ratingsPerRequest: number;
  },
): Promise<Measure> {
  let peak = await rssMiB(producer);
  const cpuBefore = await cpuSeconds(producer);
  const shedBefore = await shedRequests(producer);
  const sampler = setInterval(() => {
    rssMiB(producer).then(
      (mib) => (peak = Math.max(peak, mib)),
      () => undefined,
    );
  }, 1000);
  try {
    const result = await post(`http://127.0.0.1:${await producer.port}${options.path}`, options);
    const accepted = result['2xx'];
    const all503 = result.statusCodeStats?.['503']?.count ?? 0;
    const shed = (await shedRequests(producer)) - shedBefore;
    const cpuMicrosPerRating =
      accepted === 0
        ? NaN
        : (((await cpuSeconds(producer)) - cpuBefore) * 1e6) / (accepted * options.ratingsPerRequest);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return {
      acceptedPerSecond: accepted / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      shed,
      // The producer also counts the refusals it sent after autocannon stopped listening (requests
      // in flight at the end), so the difference can fall below 0: then there were none.
      unavailable: Math.max(0, all503 - shed),
      errors: result.errors + result.timeouts + result['4xx'] + result['5xx'] - all503,
      peakRssMiB: Math.max(peak, await rssMiB(producer)),
      cpuMicrosPerRating,
      pendingAfter: await pendingRatings(producer),
    };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * What this machine's HTTP path allows, as the reference: a bare node:http server in a process of
 * its own that reads each body and answers 202 with a small JSON at once (no routing, no
 * validation, no Kafka), loaded by the same autocannon. The intake cannot beat it.
 */
async function startBareServer(): Promise<{ port: number; stop: () => void }> {
  const script = `
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"x"}'));
    });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return { port: Number(line.toString().trim()), stop: () => child.kill('SIGKILL') };
}

async function loadBare(port: number, connections: number, body: string): Promise<Measure> {
  const result = await post(`http://127.0.0.1:${port}/api/ratings`, {
    connections,
    body,
    contentType: 'application/json',
  });
  return {
    acceptedPerSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    shed: 0,
    unavailable: 0,
    errors: result.errors + result.timeouts + result.non2xx,
    pendingAfter: 0,
    peakRssMiB: NaN,
    cpuMicrosPerRating: NaN,
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const stack = readStackEnv();
  const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS ?? stack.KAFKA_BOOTSTRAP_SERVERS;
  const kubeconfig = process.env.KUBECONFIG ?? stack.KUBECONFIG;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  const suffix = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const namespace = `bench-intake-${suffix}`;
  const name = 'intake';
  const topic = `bench-intake-${suffix}`;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const producers: ModeProcess[] = [];
  process.stdout.write(
    `broker ${bootstrap}, ${seconds}s per measurement, ${runs} runs [load ${loadAverage()}]\n`,
  );

  // Everything created is registered right away and deleted at the end, on failure and on signals.
  const cleanup = onCleanup();
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  cleanup.add(`namespace ${namespace}`, async () => {
    await core.deleteNamespace({ name: namespace });
  });
  try {
    await withAdmin(bootstrap, (admin) =>
      admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: true,
      }),
    );
    cleanup.add(`topic ${topic}`, () =>
      withAdmin(bootstrap, (admin) => admin.deleteTopics({ topics: [topic] })),
    );
    cleanup.add('producer processes', async () => {
      await Promise.all(producers.map((p) => p.stop('SIGTERM')));
    });
    await createRatingExperiment(
      kubeConfig,
      { namespace, name },
      { topic: { name: topic, partitions: 3 }, producer: { ratingsPerSecond: 0 } },
      STAGED_LABELS,
    );
    const env = {
      KUBECONFIG: kubeconfig,
      EXPERIMENT_NAMESPACE: namespace,
      EXPERIMENT_NAME: name,
      KAFKA_BOOTSTRAP_SERVERS: bootstrap,
      KAFKA_TOPIC: topic,
      // The heap the producer pod gets under the default memory limit, unless told otherwise.
      ...heapEnv(DEFAULT_RESOURCES.limits.memory, 1),
      // HEAP_GROWING_PERCENT= (empty) runs them with V8's own growth factor, for comparison.
      ...(process.env.HEAP_GROWING_PERCENT === undefined
        ? {}
        : { HEAP_GROWING_PERCENT: process.env.HEAP_GROWING_PERCENT }),
      ...(process.env.BENCH_PRODUCER_NODE_OPTIONS === undefined
        ? {}
        : { NODE_OPTIONS: process.env.BENCH_PRODUCER_NODE_OPTIONS }),
    };
    const start = async (podName: string, extra: Record<string, string>) => {
      const producer = new ModeProcess('producer', podName, { ...env, ...extra });
      producers.push(producer);
      const port = await producer.port;
      await eventually('the producer to be ready', async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`)).ok ? true : undefined,
      );
      return producer;
    };
    const limit = process.env.INTAKE_MAX_PENDING;
    const shedding = await start('bench-intake-0', limit === undefined ? {} : { INTAKE_MAX_PENDING: limit });
    const unbounded = await start('bench-intake-1', { INTAKE_MAX_PENDING: '1000000' });
    const bare = await startBareServer();
    cleanup.add('bare HTTP server', async () => bare.stop());

    const catalog = defaultCatalog();
    const [sample] = generateRatings(catalog, 1);
    const single = JSON.stringify({
      battle: sample!.battle,
      voices: sample!.voices,
      rating: sample!.rating,
      researcher: 'bench',
    });
    const bulkBody = bulkNdjson(catalog, bulkSize);

    const byConnections = new Map<number, Measure[]>(CONNECTIONS.map((c) => [c, []]));
    const unboundedRuns: Measure[] = [];
    const bulkRuns: number[] = [];
    /** Per run, the shedding producer's peak RSS over all its loads, bulk included. */
    const peakRssRuns: number[] = [];
    for (let run = 1; run <= runs; run++) {
      let peakRss = 0;
      for (const connections of CONNECTIONS) {
        const reference = await loadBare(bare.port, connections, single);
        process.stdout.write(
          `run ${run} bare node:http 202     ${String(connections).padStart(4)} conn: ${fmt(reference.acceptedPerSecond)}/s, p50 ${reference.p50} ms, p99 ${reference.p99} ms, errors ${reference.errors} (the machine's ceiling) [load ${loadAverage()}]\n`,
        );
        const m = await load(shedding, {
          path: '/api/ratings',
          connections,
          body: single,
          contentType: 'application/json',
          ratingsPerRequest: 1,
        });
        byConnections.get(connections)!.push(m);
        peakRss = Math.max(peakRss, m.peakRssMiB);
        process.stdout.write(
          `run ${run} POST /api/ratings ${String(connections).padStart(4)} conn: ${fmt(m.acceptedPerSecond)}/s accepted, ` +
            `p50 ${m.p50} ms, p99 ${m.p99} ms, shed ${fmt(m.shed)}, other 503 ${m.unavailable}, errors ${m.errors}, pending after ${m.pendingAfter}, peak RSS ${m.peakRssMiB.toFixed(0)} MiB, ${m.cpuMicrosPerRating.toFixed(0)} µs CPU/rating [load ${loadAverage()}]\n`,
        );
      }
      const u = await load(unbounded, {
        path: '/api/ratings',
        connections: 1024,
        body: single,
        contentType: 'application/json',
        ratingsPerRequest: 1,
      });
      unboundedRuns.push(u);
      process.stdout.write(
        `run ${run} POST /api/ratings 1024 conn, shedding off: ${fmt(u.acceptedPerSecond)}/s, p50 ${u.p50} ms, ` +
          `p99 ${u.p99} ms, other 503 ${u.unavailable}, errors ${u.errors}, pending after ${u.pendingAfter}, peak RSS ${u.peakRssMiB.toFixed(0)} MiB, ${u.cpuMicrosPerRating.toFixed(0)} µs CPU/rating [load ${loadAverage()}]\n`,
      );
      const b = await load(shedding, {
        path: '/api/ratings/bulk',
        connections: bulkConnections,
        body: bulkBody,
        contentType: 'application/x-ndjson',
        ratingsPerRequest: bulkSize,
      });
      const ratingsPerSecond = b.acceptedPerSecond * bulkSize;
      bulkRuns.push(ratingsPerSecond);
      peakRssRuns.push(Math.max(peakRss, b.peakRssMiB));
      process.stdout.write(
        `run ${run} POST /api/ratings/bulk (${bulkSize} per request, ${bulkConnections} conn): ${fmt(ratingsPerSecond)} ratings/s acknowledged, ` +
          `p50 ${b.p50} ms, p99 ${b.p99} ms, shed ${b.shed}, other 503 ${b.unavailable}, errors ${b.errors}, pending after ${b.pendingAfter}, peak RSS ${b.peakRssMiB.toFixed(0)} MiB, ${b.cpuMicrosPerRating.toFixed(1)} µs CPU/rating [load ${loadAverage()}]\n`,
      );
    }

    // The latency target is at 1,024 connections: judged only when BENCH_CONNECTIONS includes it.
    const at1024 = byConnections.get(1024);
    if (at1024 !== undefined) {
      printResult({
        benchmark: 'intake',
        figure: 'p99 latency (ms) of accepted POST /api/ratings at 1,024 connections, shedding on',
        runs: at1024.map((m) => m.p99),
        value: median(at1024.map((m) => m.p99)),
        target: `< ${P99_TARGET_MS} ms in every run`,
        met: at1024.every((m) => m.p99 < P99_TARGET_MS),
      });
    }
    printResult({
      benchmark: 'intake',
      figure: `peak RSS (MiB) of the producer (heap options of a ${DEFAULT_RESOURCES.limits.memory} pod) under single ratings at up to ${Math.max(...CONNECTIONS)} connections and bulk imports, shedding on`,
      runs: peakRssRuns.map((peak) => round(peak, 1)),
      value: round(Math.max(...peakRssRuns), 1),
      target: `<= ${RSS_BOUND_MIB} MiB in every run (the pod's memory limit)`,
      met: peakRssRuns.every((peak) => peak <= RSS_BOUND_MIB),
    });
    for (const connections of CONNECTIONS) {
      const rates = byConnections.get(connections)!.map((m) => round(m.acceptedPerSecond));
      printResult({
        benchmark: 'intake',
        figure: `accepted POST /api/ratings per second at ${connections} connection${connections === 1 ? '' : 's'}`,
        runs: rates,
        value: median(rates),
        target: `>= ${BEFORE[connections]} (before, quiet machine)`,
        met: median(rates) >= BEFORE[connections]!,
      });
    }
    printResult({
      benchmark: 'intake-bulk',
      figure: `acknowledged ratings per second, bulk NDJSON of ${bulkSize}, ${bulkConnections} connections, one process`,
      runs: bulkRuns.map((r) => round(r)),
      value: round(median(bulkRuns)),
      target: `>= ${BULK_TARGET} in every run`,
      met: bulkRuns.every((r) => r >= BULK_TARGET),
    });
  } finally {
    await cleanup.run();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${describeFailure(err)}\n`);
  process.exit(1);
});
