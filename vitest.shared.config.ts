import { defineConfig } from 'vitest/config';

// The suites that need ../shared/data (real market data, indicator references). CI runs them
// after `npm test`; they fail instead of skipping when WARDEN_REQUIRE_SHARED=1 and the data is missing.
export default defineConfig({
  test: {
    include: ['test/shared/**/*.test.ts'],
    pool: 'threads',
    testTimeout: 120_000,
  },
});
