import os from 'node:os';
import { defineConfig } from 'vitest/config';

// One suite, two engines: CUSTOS_TEST_DATABASE=pglite (default) or postgres.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one worker on a 2-core CI machine. The
    // files spend much of their time waiting on databases and child processes, and each makes its
    // own database and ports, so two at once use the cores: PGlite 738 s → 467 s on 2 cores.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
