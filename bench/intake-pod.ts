// `npm run bench:intake-pod`: bulk imports into a real producer pod on the stack's node, under the
// memory limit and the heap options the controller gives it (bench/intake.ts runs the producer as
// a local process with those options; this runs the pod itself, in its memory cgroup). The
// controller runs as a process watching one fresh namespace with one experiment (generator off,
// consumers at 0); BENCH_RUNS (3) loads of BENCH_INTAKE_SECONDS (30) of NDJSON bulk requests of
// BENCH_BULK_SIZE (1,000) ratings over BENCH_BULK_CONNECTIONS (4) connections go to the pod's IP.
// Per run: ratings acknowledged per second; the process's peak RSS (its /metrics, every second);
// the container cgroup's peak usage (memory.max_usage_in_bytes, reset before the run: what the
// kernel charged against the limit, page cache included), the peaks of its anonymous memory, its
// page cache and its kernel memory (every second: the kernel reclaims cache before it fails an
// allocation, never anonymous memory) and its failcnt (allocations that hit the limit); the
// container's restarts and its last termination reason (OOMKilled).
// Needs root on the stack's machine (it reads the node's cgroups) and cgroup v1, as the stack has.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import autocannon from 'autocannon';
import { createRatingExperiment, randomSuffix } from '../e2e/stack/harness.ts';
import { eventually } from '../e2e/stack/eventually.ts';
import { DEFAULT_RESOURCES, HTTP_PORT } from '../src/model/pod.ts';
import { findCgroupDir, MEMORY_CGROUP_ROOT, parseMemoryStat, readBytes } from './cgroup.ts';
import { onCleanup } from './cleanup.ts';
import { ControllerProcess, controllerSuite, deleteExperiments, parseMetrics } from './controller-harness.ts';
import { bulkNdjson, defaultCatalog } from './producer.ts';
import { loadAverage, median, printResult, round } from './results.ts';
import { describeFailure } from '../src/common/errors.ts';

const seconds = Number(process.env.BENCH_INTAKE_SECONDS ?? 30);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const bulkSize = Number(process.env.BENCH_BULK_SIZE ?? 1000);
const bulkConnections = Number(process.env.BENCH_BULK_CONNECTIONS ?? 4);
const MiB = 2 ** 20;

interface RunFigures {
  ratingsPerSecond: number;
  p99: number;
  errors: number;
  peakRssMiB: number;
  peakCgroupMiB: number;
  /** Sampled every second: the kernel keeps no peak of these three. */
  peakAnonMiB: number;
  peakCacheMiB: number;
  peakKernelMiB: number;
  failcnt: number;
  restarts: number;
  lastTermination: string;
}

async function main(): Promise<void> {
  const cleanup = onCleanup();
  const suite = await controllerSuite('intakepod');
  cleanup.add('stack handle', () => suite.stack.cleanup());
  const { stack, admin, controllerNs, kubeconfig } = suite;
  const core = stack.kubeConfig.makeApiClient(CoreV1Api);
  const ns = await stack.newNamespace('intakepod');
  const name = 'intake';
  const catalog = defaultCatalog();
  process.stdout.write(
    `producer pod under ${DEFAULT_RESOURCES.limits.memory}, ${runs} runs of ${seconds}s, bulk NDJSON of ${bulkSize} over ${bulkConnections} connections [load ${loadAverage()}]\n`,
  );
  try {
    const controller = await ControllerProcess.start({
      kubeconfig,
      podName: `intakepod-${randomSuffix()}`,
      leaseNamespace: controllerNs,
      watchNamespace: ns,
    });
    // The experiment goes while the controller runs, so that its finalizer does not hold the namespace.
    cleanup.add('controller and experiment', async () => {
      await deleteExperiments(admin, [ns]);
      await controller.stop();
    });
    await createRatingExperiment(
      stack.kubeConfig,
      { namespace: ns, name },
      {
        topic: { partitions: 3, replicas: 1 },
        producer: { replicas: 1, ratingsPerSecond: 0 },
        consumer: { replicas: 0 },
        // Spelled out: the ratings sent are of this catalog, whatever the installed CRD's defaults.
        voices: [...catalog.voices],
        battles: [...catalog.battles],
        scale: [...catalog.scale],
      },
    );
    const pod = await eventually(
      'a running, ready producer pod',
      async () => {
        const { items } = await core.listNamespacedPod({
          namespace: ns,
          labelSelector: `app.kubernetes.io/instance=${name},app.kubernetes.io/component=producer`,
        });
        return items.find(
          (p) =>
            p.metadata?.deletionTimestamp === undefined &&
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
      },
      { timeoutMs: 300_000, intervalMs: 1_000 },
    );
    const podName = pod.metadata!.name!;
    const base = `http://${pod.status!.podIP!}:${HTTP_PORT}`;
    const containerId = pod.status!.containerStatuses![0]!.containerID!.replace(/^[a-z]+:\/\//, '');
    const cgroup = findCgroupDir(MEMORY_CGROUP_ROOT, containerId);
    if (cgroup === undefined)
      throw new Error(`no memory cgroup for container ${containerId} below ${MEMORY_CGROUP_ROOT}`);
    const env = pod.spec!.containers[0]!.env ?? [];
    const envOf = (key: string) => env.find((e) => e.name === key)?.value ?? '(unset)';
    // The limit the kernel enforces, as the controller set it.
    const limitMiB = readBytes(cgroup, 'memory.limit_in_bytes') / MiB;
    process.stdout.write(
      `pod ${podName} at ${base}: limit ${limitMiB} MiB, ` +
        `NODE_OPTIONS "${envOf('NODE_OPTIONS')}", HEAP_GROWING_PERCENT ${envOf('HEAP_GROWING_PERCENT')}\n`,
    );

    const rssMiB = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return parseMetrics(text).get('process_resident_memory_bytes') / MiB;
    };
    const body = bulkNdjson(catalog, bulkSize);

    const figures: RunFigures[] = [];
    for (let run = 1; run <= runs; run++) {
      writeFileSync(join(cgroup, 'memory.max_usage_in_bytes'), '0');
      const failBefore = readBytes(cgroup, 'memory.failcnt');
      let peakRss = await rssMiB();
      const memory = { anon: 0, cache: 0, kernel: 0 };
      const sampleCgroup = () => {
        const { rss, cache } = parseMemoryStat(readFileSync(join(cgroup, 'memory.stat'), 'utf8'));
        memory.anon = Math.max(memory.anon, rss / MiB);
        memory.cache = Math.max(memory.cache, cache / MiB);
        memory.kernel = Math.max(memory.kernel, readBytes(cgroup, 'memory.kmem.usage_in_bytes') / MiB);
      };
      sampleCgroup();
      const sampler = setInterval(() => {
        sampleCgroup();
        rssMiB().then(
          (mib) => (peakRss = Math.max(peakRss, mib)),
          () => undefined,
        );
      }, 1000);
      let result: autocannon.Result;
      try {
        result = await autocannon({
          url: `${base}/api/ratings/bulk`,
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
          connections: bulkConnections,
          duration: seconds,
          excludeErrorStats: true,
        });
      } finally {
        clearInterval(sampler);
      }
      sampleCgroup();
      const read: V1Pod = await core.readNamespacedPod({ namespace: ns, name: podName });
      const status = read.status?.containerStatuses?.[0];
      const m: RunFigures = {
        ratingsPerSecond: (result['2xx'] * bulkSize) / result.duration,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts + result.non2xx,
        peakRssMiB: Math.max(peakRss, await rssMiB().catch(() => 0)),
        peakCgroupMiB: readBytes(cgroup, 'memory.max_usage_in_bytes') / MiB,
        peakAnonMiB: memory.anon,
        peakCacheMiB: memory.cache,
        peakKernelMiB: memory.kernel,
        failcnt: readBytes(cgroup, 'memory.failcnt') - failBefore,
        restarts: status?.restartCount ?? -1,
        lastTermination: status?.lastState?.terminated?.reason ?? 'none',
      };
      figures.push(m);
      process.stdout.write(
        `run ${run}: ${round(m.ratingsPerSecond)} ratings/s acknowledged, p99 ${m.p99} ms, errors ${m.errors}, ` +
          `peak RSS ${m.peakRssMiB.toFixed(1)} MiB, cgroup peak ${m.peakCgroupMiB.toFixed(1)} MiB ` +
          `(sampled peaks: anonymous ${m.peakAnonMiB.toFixed(1)}, page cache ${m.peakCacheMiB.toFixed(1)}, kernel ${m.peakKernelMiB.toFixed(1)} MiB), failcnt ${m.failcnt}, ` +
          `restarts ${m.restarts}, last termination ${m.lastTermination} [load ${loadAverage()}]\n`,
      );
    }

    printResult({
      benchmark: 'intake-pod',
      figure: `peak memory (MiB) of the producer pod's cgroup under bulk imports (limit ${limitMiB} MiB), its restarts`,
      runs: figures.map((m) => round(m.peakCgroupMiB, 1)),
      value: round(Math.max(...figures.map((m) => m.peakCgroupMiB)), 1),
      target: `< ${limitMiB} MiB, no restart, no OOM kill in every run`,
      met: figures.every(
        (m) => m.peakCgroupMiB < limitMiB && m.restarts === 0 && m.lastTermination === 'none',
      ),
    });
    const rates = figures.map((m) => round(m.ratingsPerSecond));
    printResult({
      benchmark: 'intake-pod',
      figure: `acknowledged ratings per second into one producer pod, bulk NDJSON of ${bulkSize}, ${bulkConnections} connections`,
      runs: rates,
      value: median(rates),
      target: '>= 50000 in every run',
      met: rates.every((r) => r >= 50_000),
    });
  } finally {
    await cleanup.run();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${describeFailure(err)}\n`);
  process.exit(1);
});
