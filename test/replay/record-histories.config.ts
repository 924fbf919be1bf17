/** vitest configuration of `npm run record-histories`: the suite's servers (its global setup), the recorder alone. */
import { defineConfig } from 'vitest/config';
import suite from '../../vitest.config.js';

export default defineConfig({
  ...suite,
  test: {
    ...suite.test,
    include: ['test/replay/record-histories.ts'],
    testTimeout: 120_000,
  },
});
