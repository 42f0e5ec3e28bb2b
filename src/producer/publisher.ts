// From ratings to acknowledged Kafka records: encoding, batching, metrics and the list of
// recent ratings, in one place for the generator and the HTTP intake alike.
import type { Message } from 'kafkajs';
import type { Logger } from '../common/logger.ts';
import type { Catalog } from '../ratings/catalog.ts';
import { CATALOG_GENERATION_HEADER } from '../ratings/judge.ts';
import { encodeRating, type Rating } from '../ratings/rating.ts';
import { Batcher } from './batcher.ts';
import type { KafkaRatingProducer } from './kafka.ts';
import type { ProducerMetrics, RatingSource } from './metrics.ts';
import type { RecentRatings } from './page.ts';

export interface PublisherOptions {
  producer: KafkaRatingProducer;
  metrics: ProducerMetrics;
  recent: RecentRatings;
  logger: Logger;
  maxBatchSize?: number;
}

export class RatingPublisher {
  private readonly batcher: Batcher<Message>;
  private readonly options: PublisherOptions;

  constructor(options: PublisherOptions) {
    this.options = options;
    const { producer, metrics } = options;
    this.batcher = new Batcher<Message>({
      maxBatchSize: options.maxBatchSize ?? 10_000,
      // Two requests: one with the broker while the next is being encoded and queued.
      maxInFlight: 2,
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
   * catalog edits follow (src/ratings/judge.ts).
   */
  async publish(ratings: Rating[], source: RatingSource, catalog: Catalog): Promise<void> {
    const messages = new Array<Message>(ratings.length);
    const headers = { [CATALOG_GENERATION_HEADER]: String(catalog.generation) };
    for (let i = 0; i < ratings.length; i++) {
      const rating = ratings[i]!;
      messages[i] = { key: rating.battle, value: encodeRating(rating), headers };
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
