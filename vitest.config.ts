import { defineConfig } from 'vitest/config';

// `npm test`: everything that runs on a fresh machine with only the project's own files.
// Suites that read ../shared/data live in test/shared/ and skip themselves when it is absent.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'threads',
    testTimeout: 30_000,
  },
});
