// The Kafka side of the producer: an idempotent kafkajs producer (acks=all, retried without
// limit, so that an acknowledged rating is written exactly once) and its logs routed to pino.
import kafkajs, { type Message, type Producer } from 'kafkajs';
import { createKafkaClient } from '../common/kafka.ts';
import type { Logger } from '../common/logger.ts';

const { Partitioners } = kafkajs;

export interface KafkaRatingProducer {
  connect(): Promise<void>;
  /** Resolves once the broker acknowledged every message (acks=all). */
  send(messages: Message[]): Promise<void>;
  disconnect(): Promise<void>;
}

export function createKafkaProducer(options: {
  brokers: string[];
  topic: string;
  clientId: string;
  logger: Logger;
}): KafkaRatingProducer {
  const kafka = createKafkaClient(options);
  const producer: Producer = kafka.producer({
    idempotent: true,
    // Kafka keeps the sequence state of the last 5 batches per producer: more in flight could
    // let a retried batch through twice.
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
    // Kafka's own (murmur2) partitioner, so ratings keyed by battle land where Java clients put them.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  return {
    connect: () => producer.connect(),
    send: async (messages) => {
      await producer.send({ topic: options.topic, acks: -1, messages });
    },
    disconnect: () => producer.disconnect(),
  };
}
