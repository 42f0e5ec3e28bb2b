// The Kafka side of the producer: idempotent kafkajs producers (acks=all, retried without limit,
// so that an acknowledged rating is written exactly once) and their logs routed to pino.
//
// An idempotent kafkajs producer holds a lock per broker for the whole of each produce request
// (its eosManager), so one producer never has more than one request with a broker, whatever
// maxInFlightRequests says. Throughput then comes from request size and from several producers
// side by side: each is its own idempotent session (its own producer id and sequence numbers),
// each message goes to exactly one of them, and each retries only its own requests, so the
// broker's deduplication per session keeps every acknowledged rating written exactly once.
import kafkajs, { type Message, type Producer } from 'kafkajs';
import { createKafkaClient } from '../common/kafka.ts';
import type { Logger } from '../common/logger.ts';
import { memoizedKeyPartitioner } from './partitioner.ts';

const { CompressionTypes } = kafkajs;

export type RatingCompression = 'none' | 'gzip';

export interface KafkaRatingProducer {
  connect(): Promise<void>;
  /** Resolves once the broker acknowledged every message (acks=all). */
  send(messages: Message[]): Promise<void>;
  disconnect(): Promise<void>;
  /** Requests that can be with the broker at once (one per idempotent session). */
  readonly sessions: number;
}

export function createKafkaProducer(options: {
  brokers: string[];
  topic: string;
  clientId: string;
  logger: Logger;
  /** Idempotent sessions sending side by side (default 1). */
  sessions?: number;
  compression?: RatingCompression;
}): KafkaRatingProducer {
  const kafka = createKafkaClient(options);
  const sessions = options.sessions ?? 1;
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  const producers: Producer[] = Array.from({ length: sessions }, () =>
    kafka.producer({
      idempotent: true,
      // Kafka keeps the sequence state of the last 5 batches per producer: more in flight could
      // let a retried batch through twice. (kafkajs sends one at a time per broker anyway.)
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      // Kafka's own (murmur2) partitioning, so ratings keyed by battle land where Java clients put them.
      createPartitioner: memoizedKeyPartitioner,
    }),
  );
  const idle = [...producers];
  const waiting: ((producer: Producer) => void)[] = [];
  const acquire = (): Promise<Producer> | Producer =>
    idle.pop() ?? new Promise<Producer>((resolve) => waiting.push(resolve));
  const release = (producer: Producer): void => {
    const next = waiting.shift();
    if (next !== undefined) next(producer);
    else idle.push(producer);
  };
  return {
    sessions,
    connect: async () => {
      await Promise.all(producers.map((p) => p.connect()));
    },
    send: async (messages) => {
      const producer = await acquire();
      try {
        await producer.send({ topic: options.topic, acks: -1, compression, messages });
      } finally {
        release(producer);
      }
    },
    disconnect: async () => {
      await Promise.all(producers.map((p) => p.disconnect()));
    },
  };
}

/** Keeps trying to connect (the broker may start after us); false when shutdown came first. */
export async function connectUntilStopped(
  producer: KafkaRatingProducer,
  logger: Logger,
  stopping: () => boolean,
): Promise<boolean> {
  for (let delayMs = 1000; !stopping(); delayMs = Math.min(delayMs * 2, 30_000)) {
    try {
      await producer.connect();
      return true;
    } catch (err) {
      logger.warn({ err: (err as Error).message, retryInMs: delayMs }, 'cannot connect to Kafka yet');
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    }
  }
  return false;
}
