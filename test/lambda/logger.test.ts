// The functions' logger: one JSON object per line, the threshold from any level Lambda knows.
import { describe, expect, it } from 'vitest';
import { createLogger, logLevels, type LogLevel } from '../../src/lambda/logger.ts';

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
