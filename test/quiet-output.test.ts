// A green run prints none of the functions' log lines, a red one prints those of its failing test
// (test/helpers/held-function-logs.ts, the suites' setup file): vitest run on a fixture, as npm test runs.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../dev/stack/lambda.ts';

const root = projectRoot();
const runFixture = (env: Record<string, string>) => {
  const { QUIET_FIXTURE_FAIL: _, ...clean } = process.env;
  const result = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(root, 'test/fixtures/quiet/vitest.config.ts')], {
    cwd: join(root, 'test/fixtures/quiet'),
    env: { ...clean, ...env, CI: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
};

describe("the functions' log lines in test output", () => {
  it('a green run prints none of them', () => {
    const { status, out } = runFixture({});
    expect(status, out).toBe(0);
    expect(out).toMatch(/2 passed/);
    expect(out).not.toContain('"level":"ERROR"');
  }, 60_000);

  it('a failing test shows the lines of its own invocations, and only those', () => {
    const { status, out } = runFixture({ QUIET_FIXTURE_FAIL: '1' });
    expect(status, out).toBe(1);
    expect(out).toContain('line-of-a-red-test');
    expect(out).not.toContain('line-of-a-green-test');
  }, 60_000);
});
