import { pino, type Logger } from 'pino';

export type { Logger };

// Paths that may carry credentials; pino replaces their values before anything is written.
const REDACTED_PATHS = [
  '*.token',
  '*.password',
  '*.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** JSON logs on stdout, one logger per process, `component` on every line. */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { component, pod: process.env.POD_NAME },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
