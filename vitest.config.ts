import { defineConfig } from 'vitest/config';

// `npm test`: everything that runs on a fresh machine with only the project's own files. The suites
// that read ../shared/data live in test/shared/ and run with `npm run test:shared` (CI runs both; they
// skip themselves with a message when the data is absent). Not here too: the crash test alone takes
// a minute, and CI would run it twice. The suites that need a PostgreSQL server are in test/postgres/
// (`npm run test:postgres`).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/shared/**', 'test/postgres/**', 'node_modules/**'],
    pool: 'threads',
    testTimeout: 30_000,
  },
});
