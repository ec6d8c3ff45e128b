import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.ts';

const run = promisify(execFile);
const root = new URL('..', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** Every ```js block of the README, with the heading it stands under. */
const examples = [...readme.matchAll(/^#{2,3} (.+)$|^```js\n([\s\S]*?)^```$/gm)]
  .reduce<{ heading: string; blocks: [string, string][] }>(
    (acc, m) => (m[1] ? { ...acc, heading: m[1] } : { ...acc, blocks: [...acc.blocks, [acc.heading, m[2]!]] }),
    { heading: '', blocks: [] },
  ).blocks;

// What each example must print, so that a wrong answer fails as surely as a crash.
const expectedOutput: Record<string, RegExp[]> = {
  'Emit, batch, identify, read': [/^true false \[/m, /request id: req_/, /duplicate: true/, /^1 batch result\(s\)/m, /purchase\.completed/],
  Errors: [/not sent: context\.wallet/, /^404 customer_not_found req_/m],
  'Browser and stream tokens': [/^Bearer 120$/m, /points now \d+/],
};

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
