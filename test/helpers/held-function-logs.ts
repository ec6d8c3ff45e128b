// A vitest setup file: the functions' JSON log and EMF lines (the functions run in this process in
// many suites, and write to stdout as Lambda wants) are held per test and shown only when that test
// fails — a green run prints none of them, a red one prints the lines of its own invocations.
// Anything else written to stdout passes through. Suites that capture stdout themselves replace
// this writer while they do, and see every line as before.
import { beforeEach } from 'vitest';
import { interceptFunctionLines } from '../../dev/chaos/function-logs.ts';

let held: string[] = [];
const { write } = interceptFunctionLines(({ text }) => void held.push(text));

beforeEach(({ onTestFailed }) => {
  held = [];
  onTestFailed(() => {
    if (held.length > 0) write(`--- the functions' log lines of this test (${held.length} writes) ---\n${held.join('')}`);
    held = [];
  });
});
