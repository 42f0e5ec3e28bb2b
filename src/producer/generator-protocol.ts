// What the producer's main thread and its generating threads ask of each other, over a Peer
// (src/common/worker-peer.ts).
import type { Catalog } from '../ratings/catalog.ts';
import type { Rating } from '../ratings/rating.ts';

/** What a generating thread needs to start (its workerData). */
export interface GeneratorSetup {
  /** 0-based; logged as `worker` on every line and part of the Kafka client id. */
  index: number;
  brokers: string[];
  topic: string;
  clientId: string;
  /** This thread's share of the pod's rate; later shares follow with `setRate`. */
  ratePerSecond: number;
  /** The catalog when the thread starts; newer ones follow with `catalog`. */
  catalog: Catalog;
  /** Idempotent sessions of the thread's Kafka producer, and ratings per request. */
  sessions: number;
  maxBatchSize: number;
}

/** What a thread did since its previous report. */
export interface GenerationReport {
  /** Ratings acknowledged by Kafka, and refused by it. */
  produced: number;
  failed: number;
  /** Ratings due at the rate but skipped: the thread fell more than a second behind. */
  skipped: number;
  /** Seconds from handing each request to Kafka to its acknowledgement. */
  sendSeconds: number[];
  /** The latest acknowledged ratings, oldest first (at most a page's worth). */
  recent: Rating[];
  /** How long its oldest unacknowledged request had waited when the report was made. */
  stalledMs: number;
}

// Type aliases, not interfaces: only those satisfy the index signature of Api.
/** Requests the main thread makes of a generating thread. */
export type GeneratorWorkerApi = {
  /** Connects to Kafka (retrying until stopped) and generates; resolves once it generates. */
  start(): void;
  setRate(ratePerSecond: number): void;
  /** A newer copy of the catalog. */
  catalog(catalog: Catalog): void;
  /** Stops generating, waits for every rating handed to Kafka, disconnects, and reports last. */
  stop(): void;
};

/** Notifications a generating thread sends the main thread. */
export type GeneratorMainApi = {
  /** Every second, and once more when stopped. */
  report(report: GenerationReport): void;
};
