// A generating thread of the producer (worker_threads): a RatingGenerator at its share of the
// pod's rate, with a RatingPublisher and idempotent Kafka producers of its own, exactly as the
// main thread generates when there are no threads. What it did is reported to the main thread
// every second (generator-protocol.ts), which owns the metrics and the page of recent ratings.
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../common/logger.ts';
import { Peer } from '../common/worker-peer.ts';
import type { Catalog } from '../ratings/catalog.ts';
import type { Rating } from '../ratings/rating.ts';
import type {
  GenerationReport,
  GeneratorMainApi,
  GeneratorSetup,
  GeneratorWorkerApi,
} from './generator-protocol.ts';
import { RatingGenerator } from './generator.ts';
import { connectUntilStopped, createKafkaProducer } from './kafka.ts';
import { RecentRatings } from './page.ts';
import { RatingPublisher, type PublisherMetrics } from './publisher.ts';

const REPORT_INTERVAL_MS = 1000;

if (parentPort === null)
  throw new Error('generator-worker.ts runs only as a worker thread (generator-pool.ts)');
const port = parentPort;
const setup = workerData as GeneratorSetup;
const logger = createLogger('producer').child({ worker: setup.index });
let catalog: Catalog = setup.catalog;

/** What happened since the last report. */
let tally = emptyTally();
function emptyTally() {
  return { produced: 0, failed: 0, skipped: 0, sendSeconds: [] as number[], recent: new RecentRatings() };
}

const metrics: PublisherMetrics = {
  produced: { inc: (_labels, n) => void (tally.produced += n) },
  failed: { inc: (_labels, n) => void (tally.failed += n) },
  sendDuration: {
    startTimer: () => {
      const start = performance.now();
      return () => tally.sendSeconds.push((performance.now() - start) / 1000);
    },
  },
};

const producer = createKafkaProducer({
  brokers: setup.brokers,
  topic: setup.topic,
  clientId: `${setup.clientId}-${setup.index}`,
  logger,
  sessions: setup.sessions,
});
const publisher = new RatingPublisher({
  producer,
  metrics,
  recent: { add: (ratings: readonly Rating[]) => tally.recent.add(ratings) },
  logger,
  maxBatchSize: setup.maxBatchSize,
});
const generator = new RatingGenerator({
  ratePerSecond: setup.ratePerSecond,
  catalog: () => catalog,
  publish: (ratings, admitting) => publisher.publish(ratings, 'generated', admitting),
  logger,
  maxOutstanding: producer.sessions + 1,
  onSkipped: (n) => void (tally.skipped += n),
});

function report(): void {
  const { produced, failed, skipped, sendSeconds, recent } = tally;
  tally = emptyTally();
  const sent: GenerationReport = {
    produced,
    failed,
    skipped,
    sendSeconds,
    recent: recent.list().toReversed(),
    stalledMs: publisher.stalledMs(),
  };
  main.notify('report', sent);
}

let stopping = false;
let reporting: NodeJS.Timeout | undefined;

const main = new Peer<GeneratorWorkerApi, GeneratorMainApi>(
  port,
  {
    start: async () => {
      if (!(await connectUntilStopped(producer, logger, () => stopping))) return;
      reporting = setInterval(report, REPORT_INTERVAL_MS);
      generator.start();
    },
    setRate: (ratePerSecond) => generator.setRate(ratePerSecond),
    catalog: (next) => {
      catalog = next;
    },
    stop: async () => {
      stopping = true;
      await generator.stop();
      await publisher.flush();
      clearInterval(reporting);
      report();
      await producer.disconnect();
    },
  },
  (err) => logger.error({ err: err.message }, 'message from the main thread failed'),
);
