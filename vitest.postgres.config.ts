import { defineConfig } from 'vitest/config';

// `npm run test:postgres`: the suites that need a PostgreSQL server (WARDEN_PG_URL, default the
// machine's local postgres://root@127.0.0.1:5432/test): the store contract on the PostgreSQL store, its
// refusals, account leases, and serve's one-owner-per-account across processes. CI runs them after
// `npm test` with WARDEN_REQUIRE_POSTGRES=1; elsewhere they skip with a message when no server answers.
export default defineConfig({
  test: {
    include: ['test/postgres/**/*.test.ts'],
    // Processes, not worker threads: libpq's bindings (pg-native) are not made for worker threads
    // (a thread's exit aborts the process in libuv), and Warden opens its store on the main thread only.
    pool: 'forks',
    testTimeout: 60_000,
  },
});
