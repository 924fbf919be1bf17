import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One Temporal dev server and one FerretDB for the whole run; test files share them.
    globalSetup: ['test/global-setup.ts'],
    // Forks, not threads: the Temporal worker's native core and mongoose are happier in own processes.
    pool: 'forks',
    // Two at a time on the 2-core machines; the servers are shared, so tests must use unique ids.
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
