// A vitest setup file: the functions' JSON log and EMF lines (the functions run in this process in
// many suites, and write to stdout as Lambda wants) are held per test and shown only when that test
// fails — a green run prints none of them, a red one prints the lines of its own invocations.
// Anything else written to stdout passes through. Suites that capture stdout themselves replace
// this writer while they do, and see every line as before.
import { beforeEach } from 'vitest';
import { functionLine } from '../../dev/chaos/function-logs.ts';

const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
let held: string[] = [];

process.stdout.write = function heldFunctionLogs(chunk: unknown, ...rest: unknown[]): boolean {
  const lines = typeof chunk === 'string' && chunk.startsWith('{') ? chunk.split('\n').filter((line) => line !== '') : [];
  if (lines.length > 0 && lines.every((line) => functionLine(line) !== undefined)) {
    held.push(chunk as string);
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }
  return write(chunk, ...rest);
} as typeof process.stdout.write;

beforeEach(({ onTestFailed }) => {
  held = [];
  onTestFailed(() => {
    if (held.length > 0) write(`--- the functions' log lines of this test (${held.length} writes) ---\n${held.join('')}`);
    held = [];
  });
});
