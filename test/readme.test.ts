import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.ts';
import { expectedOutput, readmeExamples } from './helpers/readme-examples.ts';

const run = promisify(execFile);
const root = new URL('..', import.meta.url);
const examples = readmeExamples;

let emulator: Awaited<ReturnType<typeof startEmulator>>;
beforeAll(async () => {
  emulator = await startEmulator({ quiet: true });
});
afterAll(() => emulator.close());

describe('README examples run as written', () => {
  it('has examples to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  // Run as a user would: the built package, imported by name, in a fresh Node process.
  it.each(examples)('%s', async (heading, code) => {
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', code], {
      cwd: root,
      env: {
        ...process.env,
        PERKAMO_BASE_URL: emulator.url,
        PERKAMO_SECRET_KEY: emulator.keys.server[0],
        PERKAMO_BROWSER_KEY: emulator.keys.browser[0],
      },
      timeout: 15_000,
    });
    const output = `${stdout}${stderr}`;
    for (const expected of expectedOutput[heading] ?? [/\S/]) expect(output).toMatch(expected);
  });
});
