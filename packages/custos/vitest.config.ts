import { defineConfig } from 'vitest/config';

// One suite, two engines: CUSTOS_TEST_DATABASE=pglite (default) or postgres.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
