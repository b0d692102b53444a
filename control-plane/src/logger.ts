import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Structured JSON logs on stdout; fields such as reqId, userId and taskId ride on child loggers. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'cutroom' }, timestamp: pino.stdTimeFunctions.isoTime });
}
