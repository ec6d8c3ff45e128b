import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests open real loopback servers; two workers fit the 2-core machines we run on.
    pool: 'forks',
    maxWorkers: 2,
  },
});
