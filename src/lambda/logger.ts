import { isoFormatter } from './iso-time.ts';
import lambdaLogLevels from './log-levels.json' with { type: 'json' };

// The levels, lowest first, with their rank, live in log-levels.json: serverless/settings.cjs (the
// deploy's logLevel) and scripts/start.mjs (npm start's LOG_LEVEL) read it too. Copied, so that the
// published declarations spell the levels out (they ship no JSON).
const rank = { ...lambdaLogLevels };
/** Every level Lambda's `applicationLogLevel` knows. */
export type LogLevel = keyof typeof rank;
export const logLevels = Object.keys(rank) as readonly LogLevel[];

export interface Logger {
  /** The sources' decisions: which trigger matched, the items' ids. */
  trace(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** The function cannot go on (a configuration it cannot start with). */
  fatal(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry `fields` (e.g. the AWS request id of one invocation). */
  child(fields: Record<string, unknown>): Logger;
  /** Whether a line at `level` is written: callers skip building the fields of one that is not. */
  enabled(level: LogLevel): boolean;
  /** The line at `level`, formatted and not written (undefined when the level drops it). */
  format(level: LogLevel, message: string, fields?: Record<string, unknown>): string | undefined;
  /** Writes lines at once: one write for all of them (the invocation's summary and EMF lines). */
  writeLines(lines: readonly string[]): void;
}

/**
 * One JSON object with the members of `objects`, in order; their keys must be distinct. Faster than
 * stringifying a spread of them: V8 turns a large object built by spreads into a dictionary, which
 * JSON.stringify serialises about ten times slower (≈ 10 µs for a 15-key line, here).
 */
export function jsonMembers(...objects: (object | undefined)[]): string {
  let members = '';
  for (const object of objects) {
    if (object === undefined) continue;
    const json = membersOf(object);
    if (json !== '') members += `${members === '' ? '' : ','}${json}`;
  }
  return `{${members}}`;
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
  return loggerOf(level, base, write, false);
}

/**
 * `ownBase`: `base` is the logger's own copy (a child's: its parent's fields and its own) and holds
 * only primitives, which no one else can change, so it is serialised once, at the first line
 * written — never for an invocation's logger whose lines the level drops. Otherwise (a caller's
 * object, or a field that is an object the caller may still change) it is read at each line.
 */
function loggerOf(level: LogLevel, base: Record<string, unknown>, write: (line: string) => void, ownBase: boolean): Logger {
  const min = rank[level];
  let baseMembers: string | undefined;
  const format = (lineLevel: LogLevel, message: string, fields?: Record<string, unknown>): string | undefined => {
    if (rank[lineLevel] < min) return undefined;
    const name = lineLevel.toUpperCase();
    const timestamp = isoTimestamp();
    // A field may replace one of the base's (rare): then the merged object, else the faster join.
    if (fields !== undefined && clashes(fields, base)) return JSON.stringify({ level: name, message, timestamp, ...base, ...fields });
    if (typeof message !== 'string') return jsonMembers({ level: name, message, timestamp }, base, fields);
    const members = ownBase ? (baseMembers ??= membersOf(base)) : membersOf(base);
    const fieldMembers = fields === undefined ? '' : membersOf(fields);
    // As jsonMembers({ level, message, timestamp }, base, fields) writes it: the head's values need no escaping but the message.
    return `{"level":"${name}","message":${JSON.stringify(message)},"timestamp":"${timestamp}"${members === '' ? '' : `,${members}`}${fieldMembers === '' ? '' : `,${fieldMembers}`}}`;
  };
  const emit = (lineLevel: LogLevel, message: string, fields?: Record<string, unknown>) => {
    const line = format(lineLevel, message, fields);
    if (line !== undefined) write(line);
  };
  return {
    trace: (message, fields) => emit('trace', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    fatal: (message, fields) => emit('fatal', message, fields),
    child: (fields) => {
      const merged = { ...base, ...fields };
      return loggerOf(level, merged, write, primitivesOnly(merged));
    },
    enabled: (lineLevel) => rank[lineLevel] >= min,
    format,
    // `write` adds the newline after its line: the lines are joined by the same. Concatenated, not
    // joined: the write flattens the text once, where a join would copy it once more before.
    writeLines: (lines) => {
      if (lines.length === 0) return;
      let text = lines[0] as string;
      for (let i = 1; i < lines.length; i++) text += `\n${lines[i]}`;
      write(text);
    },
  };
}

function primitivesOnly(object: Record<string, unknown>): boolean {
  for (const key in object) {
    const value = object[key];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}

/** An object's JSON members without the braces; '' for none. */
function membersOf(object: object): string {
  const json = JSON.stringify(object);
  return json.length > 2 ? json.slice(1, -1) : '';
}

/**
 * Whether a field repeats a key of the base. for…in (no key array to allocate) also sees inherited
 * enumerable keys, which neither join nor spread writes: such a "clash" takes the merged path, whose
 * line is then the same.
 */
function clashes(fields: Record<string, unknown>, base: Record<string, unknown>): boolean {
  for (const key in fields) if (key in base) return true;
  return false;
}

/** `new Date().toISOString()`: within a second only its milliseconds are written (isoFormatter). */
const isoText = isoFormatter();
const isoTimestamp = (): string => isoText(Date.now());
