// kafkajs' own log lines as pino JSON, so that one process writes one log format.
import kafkajs, { type logCreator } from 'kafkajs';
import type { Logger } from '../common/logger.ts';

const { logLevel } = kafkajs;

const LEVELS = new Map<number, 'error' | 'warn' | 'info' | 'debug'>([
  [logLevel.ERROR, 'error'],
  [logLevel.WARN, 'warn'],
  [logLevel.INFO, 'info'],
  [logLevel.DEBUG, 'debug'],
]);

export function kafkaLogs(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ source: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...fields } = log;
      kafkaLogger[LEVELS.get(level) ?? 'info']({ namespace, ...fields }, message);
    };
}
