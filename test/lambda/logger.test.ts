// The functions' logger: one JSON object per line, the threshold from any level Lambda knows.
import { describe, expect, it } from 'vitest';
import { isoFormatter } from '../../src/lambda/iso-time.ts';
import { createLogger, jsonMembers, logLevels, type LogLevel } from '../../src/lambda/logger.ts';

function written(level: LogLevel) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, { function: 'emit' }, (line) => lines.push(JSON.parse(line)));
  logger.debug('d');
  logger.info('i');
  logger.warn('w', { count: 2 });
  logger.child({ aws_request_id: 'r1' }).error('e');
  return lines;
}

describe('createLogger', () => {
  it.each([
    ['trace', ['DEBUG', 'INFO', 'WARN', 'ERROR']],
    ['debug', ['DEBUG', 'INFO', 'WARN', 'ERROR']],
    ['info', ['INFO', 'WARN', 'ERROR']],
    ['warn', ['WARN', 'ERROR']],
    ['error', ['ERROR']],
    ['fatal', []],
  ] as [LogLevel, string[]][])('at %s writes %j', (level, levels) => {
    expect(written(level).map((line) => line.level)).toEqual(levels);
  });

  it('writes JSON lines with level, message, timestamp, the base and the call fields', () => {
    const [warn, error] = written('warn');
    expect(warn).toMatchObject({ level: 'WARN', message: 'w', function: 'emit', count: 2 });
    expect(Number.isNaN(Date.parse(warn!.timestamp as string))).toBe(false);
    expect(error).toMatchObject({ level: 'ERROR', message: 'e', aws_request_id: 'r1' });
  });

  it("knows Lambda's six application log levels", () => {
    expect(logLevels).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
  });
});

describe('jsonMembers (the logger\'s and the EMF line\'s serialiser)', () => {
  it('joins the members of several objects, in order, skipping empty and missing ones', () => {
    expect(jsonMembers({ a: 1, s: 'x"y' }, {}, undefined, { b: [1.5], c: null })).toBe('{"a":1,"s":"x\\"y","b":[1.5],"c":null}');
    expect(jsonMembers()).toBe('{}');
    expect(JSON.parse(jsonMembers({ level: 'INFO' }, { function_name: 'emit' }))).toEqual({ level: 'INFO', function_name: 'emit' });
  });

  it('a field that repeats a base key replaces it, once', () => {
    const lines: string[] = [];
    createLogger('info', { function_name: 'base', keep: 1 }, (line) => lines.push(line)).info('m', { function_name: 'field' });
    expect(lines[0]!.match(/"function_name"/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ function_name: 'field', keep: 1, message: 'm', level: 'INFO' });
  });
});

describe('several lines in one write', () => {
  it('format builds a line without writing it, undefined when the level drops it; writeLines writes them at once', () => {
    const writes: string[] = [];
    const logger = createLogger('warn', { function: 'emit' }, (text) => writes.push(text)).child({ aws_request_id: 'r1' });
    expect(logger.enabled('info')).toBe(false);
    expect(logger.enabled('warn')).toBe(true);
    expect(logger.format('info', 'dropped', { n: 1 })).toBeUndefined();
    const line = logger.format('error', 'kept', { n: 2 });
    expect(JSON.parse(line!)).toMatchObject({ level: 'ERROR', message: 'kept', function: 'emit', aws_request_id: 'r1', n: 2 });
    expect(writes).toEqual([]);
    logger.writeLines([line!, '{"_aws":{}}']);
    expect(writes).toEqual([`${line}\n{"_aws":{}}`]);
    logger.writeLines([]);
    expect(writes).toHaveLength(1);
  });
});

describe('a child logger', () => {
  it('reads an object among its fields at each line, as the caller may change it; its primitives once', () => {
    const lines: Record<string, unknown>[] = [];
    const state = { phase: 'start' };
    const logger = createLogger('info', { function: 'emit' }, (line) => lines.push(JSON.parse(line))).child({ request: 'r1', state });
    logger.info('a');
    state.phase = 'end';
    logger.info('b');
    expect(lines.map((line) => line.state)).toEqual([{ phase: 'start' }, { phase: 'end' }]);
    expect(lines.map((line) => line.request)).toEqual(['r1', 'r1']);
  });
});

describe('isoFormatter (the lines\' timestamps, the SQS records\' SentTimestamps)', () => {
  const isoText = isoFormatter();
  it('writes what Date#toISOString writes, within a second and across seconds, years and odd values', () => {
    const starts = [Date.UTC(2026, 11, 7, 3, 4, 59, 990), 0, -1500, Date.UTC(9999, 11, 31, 23, 59, 59, 0), Date.UTC(10000, 0, 1), -62198755200000, 1796612647601];
    for (const start of starts) {
      for (const step of [1, 7, 333, 1000, -1, -999]) {
        for (let i = 0, ms = start; i < 40; i++, ms += step) expect(isoText(ms), String(ms)).toBe(new Date(ms).toISOString());
      }
    }
    for (const ms of [1796612647601.5, 1796612647601, 1796612647600.25, -0.5]) expect(isoText(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});
