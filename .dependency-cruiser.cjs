// Warden's import rules, checked by `npm run check:deps` (dependency-cruiser, Node >= 22) on src/.
// Each rule says why it holds. Type-only imports count (tsPreCompilationDeps): a cycle through types
// still ties the modules together, and a type pulled from an adapter still couples the caller to it.

/** The decision core: pure, deterministic, fed time, bars and config by its callers. */
const CORE = '^src/(domain|features|exits|dtms|engine)/';

/**
 * The places that build the concrete adapters and wire them to the core and the ports: the CLI's
 * commands, the broker factory, the service's wiring of the embedded paper account, and the drivers
 * that ARE a paper market (demo, replay, optimize, study).
 */
const COMPOSITION_ROOTS = [
  '^src/cli/commands/',
  '^src/brokers/brokerFromConfig[.]ts$',
  '^src/service/(service|engineLoop)[.]ts$',
  '^src/(demo|replay|optimize|study)/',
];

/** Modules started from outside src/ (see the rule reachable-from-an-entry-point). */
const ENTRY_POINTS = [
  '^src/cli/main[.]ts$',
  '^src/(study|optimize)/workerBootstrap[.]mjs$',
  '^src/service/pages/[^/]+[.]js$',
  '^src/study/shadowDay[.]ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycle, type-only imports included: a cycle makes load order matter (a class read before its module ran is undefined), ' +
        'and modules in one cycle can only be understood, tested and changed together. Move the shared part below both.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment:
        'The core (domain, features, exits, dtms, engine) decides exits from what it is given: it imports the core, ' +
        "config's types and zod (the legacy rule's schema) only, so replay, live and tests run the very same decisions.",
      from: { path: CORE },
      to: {
        pathNot: [CORE, '^src/config/', '(^|/)node_modules/zod/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'core-takes-config-types-only',
      severity: 'error',
      comment:
        'The core reads its settings as plain values passed in (EngineConfig, ExitsConfig, ...): `import type` from src/config/ only, ' +
        "never the schema's runtime (zod parsing, defaults, the notify and broker sections).",
      from: { path: CORE },
      to: { path: '^src/config/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-does-no-io',
      severity: 'error',
      comment:
        'No Node built-in in the core (fs, net, http, child_process, worker_threads, ...): the core does no I/O and reads no process state, ' +
        'so a replay is byte-identical and the same code runs in a worker, a test or the live session.',
      from: { path: CORE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'broker-adapters-from-composition-roots',
      severity: 'error',
      comment:
        'The concrete brokers (ccxt, MetaApi and its gateway, the paper broker and account) are built by the composition roots only; ' +
        'everything else talks to a broker through its port (brokers/brokerPort.ts), so a venue can be swapped or faked.',
      from: { pathNot: [...COMPOSITION_ROOTS, '^src/brokers/', '^src/store/'] },
      to: { path: '^src/brokers/(ccxtBroker|metaApiBroker|metaApiGateway|paperBroker|paperAccount)[.]ts$' },
    },
    {
      name: 'store-persists-paper-snapshots-as-types',
      severity: 'error',
      comment:
        "The store keeps the paper account's snapshot with the session's state: it may name the snapshot's type, never run the paper broker.",
      from: { path: '^src/store/' },
      to: { path: '^src/brokers/(paperBroker|paperAccount)[.]ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'store-holds-no-broker',
      severity: 'error',
      comment: 'The store persists records; it never talks to a venue.',
      from: { path: '^src/store/' },
      to: { path: '^src/brokers/(ccxtBroker|metaApiBroker|metaApiGateway)[.]ts$' },
    },
    {
      name: 'stores-from-composition-roots',
      severity: 'error',
      comment:
        'The SQLite and PostgreSQL stores (and their migrations) are opened by the CLI commands and the study drivers only, directly or ' +
        'through store/openStore.ts; everything else works on the WardenStore interface (store/store.ts), so either store runs it unchanged.',
      from: {
        pathNot: [
          '^src/cli/commands/',
          '^src/study/',
          '^src/store/(sqliteStore|postgresStore|postgresOpen|openStore)[.]ts$',
        ],
      },
      to: { path: '^src/store/(sqliteStore|sqliteMigrations|postgresStore|postgresMigrations|openStore)[.]ts$' },
    },
    {
      name: 'notify-channels-inside-notify',
      severity: 'error',
      comment:
        'Discord and Telegram (notify/channels.ts) are reached only through the Notifier and the Telegram poller: callers send events, ' +
        'the notifier queues, retries and scrubs secrets.',
      from: { pathNot: '^src/notify/' },
      to: { path: '^src/notify/channels[.]ts$' },
    },
    {
      name: 'notifier-built-by-service-wiring',
      severity: 'error',
      comment:
        "The notifier and Telegram's command poller are built from the config by the service's wiring and `warden serve` only; " +
        'other modules hand their events to the session, which passes them on.',
      from: { pathNot: ['^src/notify/', '^src/service/service[.]ts$', '^src/cli/commands/serve[.]ts$'] },
      to: { path: '^src/notify/(notifyConfig|notifier|telegramPoller|telegramCommands)[.]ts$' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module that imports nothing and that nothing imports is dead code: delete it, or wire it in.',
      from: { orphan: true, pathNot: '[.]d[.]ts$' },
      to: {},
    },
    {
      name: 'reachable-from-an-entry-point',
      severity: 'error',
      comment:
        'Every module is reached from an entry point, else it is dead code. The entry points, each started from outside src/: the CLI ' +
        "(cli/main.ts, run by bin/warden.js), the worker threads' bootstraps (loaded by URL), the dashboard's page scripts (served as " +
        'files), and the played shadow day (study/shadowDay.ts, run by scripts/shadowDay.ts and the shared-data tests).',
      from: { path: ENTRY_POINTS },
      to: { path: '^src/', pathNot: ENTRY_POINTS, reachable: false },
    },
    {
      name: 'src-not-to-test',
      severity: 'error',
      comment: 'The shipped code never imports the tests or their fakes: test/ is not in the package, and a fake must not leak into a live path.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    // Type-only imports are dependencies too (see the top of this file).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
