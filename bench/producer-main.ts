// `npm run bench:producer`: our producer pipeline against Kafka's ProducerPerformance, side by
// side on the same broker, BENCH_RUNS times (3), each run's ratio printed; the target is 0.9.
//   BENCH_SECONDS (10), BENCH_PARTITIONS (3), BENCH_COMPRESSION (none|gzip, both sides),
//   BENCH_WORKERS (generating threads, spec.producer.workers; default 0),
//   BENCH_SESSIONS and BENCH_MAX_BATCH (our tuning, default the producer's own).
import { readStackEnv } from '../e2e/stack/stack.ts';
import { kafkaLibDir } from '../e2e/stack/paths.ts';
import { loadAverage, median, printResult, round } from './results.ts';
import { benchProducer } from './producer.ts';
import type { RatingCompression } from '../src/producer/kafka.ts';
import { describeFailure } from '../src/common/errors.ts';

const TARGET_RATIO = 0.9;

const optionalNumber = (name: string): number | undefined =>
  process.env[name] === undefined ? undefined : Number(process.env[name]);

async function main(): Promise<void> {
  const bootstrap = process.env.KAFKA_BOOTSTRAP_SERVERS ?? readStackEnv().KAFKA_BOOTSTRAP_SERVERS;
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const partitions = Number(process.env.BENCH_PARTITIONS ?? 3);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const compression = (process.env.BENCH_COMPRESSION ?? 'none') as RatingCompression;
  const workers = optionalNumber('BENCH_WORKERS') ?? 0;
  const sessions = optionalNumber('BENCH_SESSIONS');
  const maxBatchSize = optionalNumber('BENCH_MAX_BATCH');
  process.stdout.write(
    `broker ${bootstrap}, ${partitions} partitions, ${seconds}s per side, compression ${compression}, ` +
      `generating threads ${workers}, sessions ${sessions ?? 'default'}, max batch ${maxBatchSize ?? 'default'}\n`,
  );
  const ratios: number[] = [];
  let lastKafkaRate: number | undefined;
  for (let run = 1; run <= runs; run++) {
    const kafkaFirst = run % 2 === 0 && lastKafkaRate !== undefined;
    const r = await benchProducer({
      bootstrap,
      kafkaLibDir: kafkaLibDir(),
      seconds,
      partitions,
      compression,
      workers,
      sessions,
      maxBatchSize,
      kafkaFirst,
      kafkaRecords: lastKafkaRate === undefined ? undefined : Math.round(lastKafkaRate * seconds),
    });
    lastKafkaRate = r.kafka.perSecond;
    const ratio = r.ours.perSecond / r.kafka.perSecond;
    ratios.push(ratio);
    process.stdout.write(
      `run ${run} (${kafkaFirst ? 'Kafka first' : 'ours first'}): record ${r.recordBytes} B; ` +
        `ours ${Math.round(r.ours.perSecond)}/s (${r.ours.cpuMicrosPerRating.toFixed(1)} µs CPU per rating); ` +
        `ProducerPerformance ${Math.round(r.kafka.perSecond)}/s (${r.kafka.cpuMicrosPerRecord.toFixed(1)} µs CPU per record, JVM start included); ratio ${ratio.toFixed(2)}; ` +
        `load ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)} [${loadAverage()}]\n`,
    );
  }
  const value = median(ratios);
  printResult({
    benchmark: 'producer',
    figure: `ours/ProducerPerformance records/s, one process, ${workers === 0 ? 'generating on the main thread' : `${workers} generating threads`}, acks=all, idempotent, compression ${compression}`,
    runs: ratios.map((r) => round(r, 3)),
    value: round(value, 3),
    target: `>= ${TARGET_RATIO} in every run`,
    met: ratios.every((r) => r >= TARGET_RATIO),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${describeFailure(err)}\n`);
  process.exit(1);
});
