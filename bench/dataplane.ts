// `npm run bench:dataplane`: data-plane throughput on the local stack's broker, next to Kafka's
// own perf tools on the same broker. Prints tables and BENCH-RESULT lines (bench/results.ts); the
// figures are recorded in bench/results/<date>.md. What it creates is deleted at the end, on failure,
// and on SIGINT/SIGTERM (bench/cleanup.ts).
import { readStackEnv } from '../e2e/stack/stack.ts';
import { kafkaLibDir } from '../e2e/stack/paths.ts';
import { benchConsumer } from './consumer.ts';
import { benchProducer } from './producer.ts';
import { onCleanup, type Cleanup } from './cleanup.ts';
import { formatResult, loadAverage, median, result, type BenchResult } from './results.ts';
import { applyHeapOptions } from '../src/common/heap-options.ts';
import { describeFailure } from '../src/common/errors.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const partitions = Number(process.env.BENCH_PARTITIONS ?? 3);
const consumerRecords = Number(process.env.BENCH_CONSUMER_RECORDS ?? 1_000_000);
/** Counting threads of the consumer under test (spec.consumer.workers); one runs beside it. */
const consumerWorkers = Number(process.env.BENCH_CONSUMER_WORKERS ?? 2);
/** Which halves run (BENCH_PARTS=consumer: the consumer's figures only). */
const parts = new Set((process.env.BENCH_PARTS ?? 'producer,consumer').split(',').map((p) => p.trim()));

interface Row {
  measure: string;
  value: string;
  note: string;
}

function printTable(rows: Row[]): void {
  const headers: Row = { measure: 'measure', value: 'value', note: 'note' };
  const all = [headers, ...rows];
  const width = (key: keyof Row) => Math.max(...all.map((r) => r[key].length));
  const line = (r: Row) =>
    `${r.measure.padEnd(width('measure'))}  ${r.value.padStart(width('value'))}  ${r.note}`.trimEnd();
  process.stdout.write(
    `${[line(headers), '-'.repeat(line(headers).length + 20), ...rows.map(line)].join('\n')}\n`,
  );
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ratio = (n: number): number => Number(n.toFixed(3));
/** The machine is shared: every run records its load, at start and at end. */

async function main(): Promise<void> {
  // As a pod would: NODE_OPTIONS and HEAP_GROWING_PERCENT of a data-plane container apply here.
  applyHeapOptions();
  const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS ?? readStackEnv().KAFKA_BOOTSTRAP_SERVERS;
  process.stdout.write(
    `broker ${bootstrap}, ${partitions} partitions, ${seconds}s per run; load average ${loadAverage()}\n\n`,
  );
  const cleanup = onCleanup();
  const results: BenchResult[] = [];
  let failed = false;
  try {
    // One half failing (say, a broker refusing the producer's batches) leaves the other's figures.
    for (const [part, run] of [
      ['producer', runProducer],
      ['consumer', runConsumer],
    ] as const) {
      if (!parts.has(part)) continue;
      try {
        results.push(...(await run(bootstrap, cleanup)));
      } catch (err) {
        failed = true;
        process.stderr.write(`${part} benchmark failed: ${describeFailure(err)}\n`);
      }
      process.stdout.write('\n');
    }
  } finally {
    await cleanup.run();
  }
  process.stdout.write(`load average at the end ${loadAverage()}\n\n`);
  for (const line of results) process.stdout.write(`${formatResult(line)}\n`);
  if (failed) process.exitCode = 1;
}

async function runProducer(bootstrap: string, cleanup: Cleanup): Promise<BenchResult[]> {
  const producer = await benchProducer({
    bootstrap,
    kafkaLibDir: kafkaLibDir(),
    seconds,
    partitions,
    cleanup,
  });
  printTable([
    { measure: 'record size', value: `${producer.recordBytes} B`, note: 'mean encoded JSON v1 rating' },
    {
      measure: 'producer (ours)',
      value: `${fmt(producer.ours.perSecond)}/s`,
      note: `${fmt(producer.ours.ratings)} ratings acknowledged in ${producer.ours.seconds.toFixed(1)}s, one process`,
    },
    {
      measure: 'ProducerPerformance (Kafka)',
      value: `${fmt(producer.kafka.perSecond)}/s`,
      note: `${fmt(producer.kafka.records)} records, idempotent, acks=all`,
    },
    {
      measure: 'producer ratio ours/Kafka',
      value: (producer.ours.perSecond / producer.kafka.perSecond).toFixed(2),
      note: 'target: ≥ 0.9 (issue 11)',
    },
  ]);

  return [
    result(
      'producer',
      'ours/ProducerPerformance records/s, same run',
      [ratio(producer.ours.perSecond / producer.kafka.perSecond)],
      { atLeast: 0.9 },
    ),
  ];
}

async function runConsumer(bootstrap: string, cleanup: Cleanup): Promise<BenchResult[]> {
  const kubeconfig = process.env.KUBECONFIG ?? readStackEnv().KUBECONFIG;
  const consumer = await benchConsumer({
    bootstrap,
    kubeconfig,
    kafkaLibDir: kafkaLibDir(),
    records: consumerRecords,
    partitions,
    workers: consumerWorkers,
    cleanup,
  });
  const threads = (n: number) => `${n} counting thread${n === 1 ? '' : 's'}`;
  printTable([
    {
      measure: 'consumer, exact checkpoints',
      value: `${fmt(consumer.exact)}/s`,
      note: `${fmt(consumer.records)} ratings, one process, ${threads(consumer.workers)}, checkpoint every 1 s, median of ${consumer.rounds.exact.length}`,
    },
    {
      measure: 'consumer, no checkpoints',
      value: `${fmt(consumer.uncheckpointed)}/s`,
      note: `counting only, ${threads(consumer.workers)}; all runs: exact ${consumer.rounds.exact.map(fmt).join(', ')}, counting only ${consumer.rounds.uncheckpointed.map(fmt).join(', ')}, exact with 1 thread ${consumer.rounds.exactOneWorker.map(fmt).join(', ')}, ConsumerPerformance ${consumer.rounds.kafka.map(fmt).join(', ')}`,
    },
    {
      measure: 'consumer, exact, 1 thread',
      value: `${fmt(median(consumer.rounds.exactOneWorker))}/s`,
      note: `for comparison; ratio to ConsumerPerformance per round ${consumer.ratiosOneWorker.map((r) => r.toFixed(2)).join(', ')}`,
    },
    {
      measure: 'checkpointing cost',
      value: `${(100 * median(consumer.costs)).toFixed(1)}%`,
      note: `median of the rounds; per round ${consumer.costs.map((c) => `${(100 * c).toFixed(1)}%`).join(', ')}; target < 10% (negative: within the noise)`,
    },
    {
      measure: 'ConsumerPerformance (Kafka)',
      value: `${fmt(consumer.kafka.perSecond)}/s`,
      note: 'fetch.nMsg.sec, same records, same broker, median',
    },
    {
      measure: 'consumer ratio ours/Kafka',
      value: median(consumer.ratios).toFixed(2),
      note: `${threads(consumer.workers)}; median of the rounds' ratios ${consumer.ratios.map((r) => r.toFixed(2)).join(', ')}; target ≥ 0.9`,
    },
    { measure: 'operators', value: '', note: consumer.operators },
    {
      measure: 'rating → status latency',
      value: `${fmt(consumer.latencyMs.p50)} ms`,
      note: `p50 of ${consumer.latencyMs.samples}, max ${fmt(consumer.latencyMs.max)} ms; interval 1 s, a write takes ${fmt(consumer.latencyMs.writeP50)} ms (p50)`,
    },
    ...consumer.writesPerMinute.map((w) => ({
      measure: `status writes at ${fmt(w.ratePerSecond)}/s`,
      value: `${w.writes.toFixed(1)}/min`,
      note: `one consumer, checkpoint every 1 s, over ${(w.minutes * 60).toFixed(0)} s`,
    })),
  ]);
  return [
    result(
      'consumer',
      `exact checkpoints (${threads(consumer.workers)})/ConsumerPerformance records/s, per round`,
      consumer.ratios.map(ratio),
      {
        atLeast: 0.9,
      },
    ),
    result('consumer', 'checkpointing cost, 1 - exact/counting only, per round', consumer.costs.map(ratio), {
      below: 0.1,
    }),
  ];
}

main().catch((err: unknown) => {
  process.stderr.write(`${describeFailure(err)}\n`);
  process.exit(1);
});
