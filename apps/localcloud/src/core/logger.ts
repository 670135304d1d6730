/**
 * localcloud's log: one JSON line per event on stderr. Never given secrets: access key ids
 * may appear, secret keys and session tokens never do.
 */
import type { Logger } from './contract.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'silent';

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, silent: 3 };

/** Creates a logger writing lines at or above `level`. */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const emit = (at: LogLevel, msg: string, data?: Record<string, unknown>) => {
    if (rank[at] < rank[level]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: at, msg, ...data }));
  };
  return {
    debug: (msg, data) => emit('debug', msg, data),
    info: (msg, data) => emit('info', msg, data),
    warn: (msg, data) => emit('warn', msg, data),
  };
}

/** Parses a log level setting; throws naming the setting when invalid. */
export function parseLogLevel(value: string | undefined, setting: string): LogLevel {
  if (value === undefined || value === '') return 'info';
  if (value in rank) return value as LogLevel;
  throw new Error(`${setting} must be one of debug, info, warn, silent (got "${value}")`);
}
