import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs everything. `npm run test:unit` (VITEST_UNIT=1) runs the fast unit project — the
 * rules, the client, the middlewares, the runner and the emulator over loopback, seconds on 2 CPUs —
 * and leaves out what needs the build (bundles, the harness, packaging, the browser, the chaos run).
 */
const unit = ['test/core/**/*.test.ts', 'test/sdk/**/*.test.ts', 'test/lambda/**/*.test.ts', 'test/emulator/**/*.test.ts', 'test/local/fifo-queue.test.ts'];
const needsTheBuild = ['test/sdk/package.test.ts', 'test/emulator/cli.test.ts'];

export default defineConfig({
  test: {
    include: process.env.VITEST_UNIT ? unit : ['test/**/*.test.ts'],
    exclude: process.env.VITEST_UNIT ? ['**/node_modules/**', ...needsTheBuild] : ['**/node_modules/**'],
    environment: 'node',
    // The functions' log lines show only for a failing test (test/helpers/held-function-logs.ts).
    setupFiles: ['test/helpers/held-function-logs.ts'],
    // The AWS SDK warns once per process that its 2027 releases will need Node 22; the tooling runs
    // on Node 20 on purpose (README, "Set up and test"), and the functions run on 22 and 24.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests open real loopback servers; two workers fit the 2-core machines we run on.
    pool: 'forks',
    maxWorkers: 2,
  },
});
