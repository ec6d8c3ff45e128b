/** Every level Lambda's `applicationLogLevel` knows; the logger writes debug to fatal, `trace` only sets a threshold. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const logLevels: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const rank: Record<LogLevel, number> = { trace: 0, debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** The function cannot go on (a configuration it cannot start with). */
  fatal(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry `fields` (e.g. the AWS request id of one invocation). */
  child(fields: Record<string, unknown>): Logger;
}

/**
 * One JSON object per line, the shape CloudWatch Logs Insights queries well. Ours rather than
 * Powertools Logger: a few dozen lines cost nothing at cold start. Callers log ids, counts and
 * error messages only — never keys, tokens or trait values.
 */
export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const min = rank[level];
  const emit = (lineLevel: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (rank[lineLevel] < min) return;
    write(JSON.stringify({ level: lineLevel.toUpperCase(), message, timestamp: new Date().toISOString(), ...base, ...fields }));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    fatal: (message, fields) => emit('fatal', message, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}
