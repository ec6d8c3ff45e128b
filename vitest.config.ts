import { defineConfig } from 'vitest/config';

/**
 * The suites run on Lambda's Node 24 whatever the machine's node is: package.json starts vitest
 * through scripts/lambda-node.mjs. `npm test` runs everything. `npm run test:unit` (VITEST_UNIT=1) runs the fast unit project — the
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
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests open real loopback servers; two workers fit the 2-core machines we run on.
    pool: 'forks',
    maxWorkers: 2,
  },
});
