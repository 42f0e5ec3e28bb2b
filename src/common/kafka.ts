// The Kafka client every process builds the same way: kafkajs, its log lines routed into pino.
import kafkajs, { type Kafka as KafkaClient, type logCreator } from 'kafkajs';
import type { Logger } from './logger.ts';

const { Kafka, logLevel } = kafkajs;

const PINO_LEVELS = new Map<number, 'error' | 'warn' | 'info' | 'debug'>([
  [logLevel.ERROR, 'error'],
  [logLevel.WARN, 'warn'],
  [logLevel.INFO, 'info'],
  [logLevel.DEBUG, 'debug'],
]);

/** kafkajs log lines as pino lines of the same level, so one process writes one log format. */
export function kafkaLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ source: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      kafkaLogger[PINO_LEVELS.get(level) ?? 'info']({ namespace, ...fields }, message);
    };
}

export function createKafkaClient(options: {
  clientId: string;
  brokers: string[];
  logger: Logger;
  /** kafkajs' INFO lines narrate group membership, worth keeping for consumers. */
  verbose?: boolean;
}): KafkaClient {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: options.verbose === true ? logLevel.INFO : logLevel.WARN,
    logCreator: kafkaLogCreator(options.logger),
  });
}
