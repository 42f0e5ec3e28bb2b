// From ratings to acknowledged Kafka records: encoding, batching, metrics and the list of
// recent ratings, in one place for the generator and the HTTP intake alike.
import type { Message } from 'kafkajs';
import type { Logger } from '../common/logger.ts';
import type { Catalog } from '../ratings/catalog.ts';
import { CATALOG_GENERATION_HEADER } from '../ratings/judge.ts';
import { encodeRating, type Rating } from '../ratings/rating.ts';
import { Batcher } from './batcher.ts';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency.ts';
import type { KafkaRatingProducer } from './kafka.ts';
import type { RatingSource } from './metrics.ts';

/** What a publisher records; the ProducerMetrics, or a generating thread's tally (generator-worker.ts). */
export interface PublisherMetrics {
  produced: { inc(labels: { source: RatingSource }, value: number): void };
  failed: { inc(labels: { source: RatingSource }, value: number): void };
  sendDuration: { startTimer(): () => unknown };
}

export interface PublisherOptions {
  producer: KafkaRatingProducer;
  metrics: PublisherMetrics;
  /** Hears every acknowledged chunk (the page of recent ratings). */
  recent: { add(ratings: readonly Rating[]): void };
  logger: Logger;
  maxBatchSize?: number;
}

/**
 * Bytes of ratings per produce request. The broker refuses a partition's record batch above its
 * message.max.bytes (1 MiB by default) for good; a whole request under this cap keeps every
 * partition's batch under it, whatever the keys.
 */
export const MAX_REQUEST_BYTES = 900 * 1024;

/** A record's size in a batch beyond key and value: lengths, deltas, the catalog header. */
const RECORD_OVERHEAD_BYTES = 48;

export class RatingPublisher {
  private readonly batcher: Batcher<Message>;
  private readonly options: PublisherOptions;

  constructor(options: PublisherOptions) {
    this.options = options;
    const { producer, metrics } = options;
    this.batcher = new Batcher<Message>({
      maxBatchSize: options.maxBatchSize ?? 10_000,
      maxBatchBytes: MAX_REQUEST_BYTES,
      sizeOf: (m) => (m.value as Buffer).length + Buffer.byteLength(m.key as string) + RECORD_OVERHEAD_BYTES,
      // One request per idempotent session, plus one being encoded and queued.
      maxInFlight: producer.sessions + 1,
      send: async (messages) => {
        const stopTimer = metrics.sendDuration.startTimer();
        await producer.send(messages);
        stopTimer();
      },
    });
  }

  /**
   * Resolves when Kafka acknowledged all of `ratings`; rejects with the send error. The records
   * carry the generation of `catalog`, which admitted them, so that consumers count them whatever
   * catalog edits follow (src/ratings/judge.ts). Ratings whose id is in `keyed` (chosen by the
   * client as its idempotency key) also carry it in a header.
   */
  async publish(
    ratings: Rating[],
    source: RatingSource,
    catalog: Catalog,
    keyed?: ReadonlySet<string>,
  ): Promise<void> {
    const messages = new Array<Message>(ratings.length);
    const generation = String(catalog.generation);
    const headers = { [CATALOG_GENERATION_HEADER]: generation };
    for (let i = 0; i < ratings.length; i++) {
      const rating = ratings[i]!;
      messages[i] = {
        key: rating.battle,
        // Encoded to UTF-8 once here: kafkajs would measure a string twice and encode it again.
        value: Buffer.from(encodeRating(rating)),
        headers:
          keyed?.has(rating.id) === true ? { ...headers, [IDEMPOTENCY_KEY_HEADER]: rating.id } : headers,
      };
    }
    try {
      await this.batcher.submit(messages);
    } catch (err) {
      this.options.metrics.failed.inc({ source }, ratings.length);
      this.options.logger.error({ err, source, ratings: ratings.length }, 'Kafka refused ratings');
      throw err;
    }
    this.options.metrics.produced.inc({ source }, ratings.length);
    this.options.recent.add(ratings);
  }

  /** How long the oldest unacknowledged request has waited: a broker that stopped answering. */
  stalledMs(): number {
    return this.batcher.oldestInFlightMs();
  }

  /** Waits for every rating handed over so far. */
  flush(): Promise<void> {
    return this.batcher.flush();
  }
}
