// `warden serve [--config FILE]`: the live engine loop, the store, the HTTP API and its docs: on the
// embedded default (the paper broker over a played, generated market with a few demo positions), or
// on the real account the config's `broker:` names (fed by the venue's own bars).
// Prints where the API is and where the token is; stops cleanly on SIGINT / SIGTERM (the bar under
// way is finished and stored first).
import path from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { ServiceSetupError, startService } from '../../service/service.ts';
import { createLogger } from '../../log.ts';
import { isPostgresUrl, openStore, storeLocation } from '../../store/openStore.ts';
import { StoreError, type WardenStore } from '../../store/store.ts';
import { StoreInUseError } from '../../execution/accountSession.ts';
import { describeLease, LEASE_TTL_MS, leaseHolder, thisProcess } from '../../execution/storeClaim.ts';
import { NotifyConfigError, notifyFromEnv } from '../../notify/notifyConfig.ts';
import { brokerFromConfig, BrokerSetupError, type ConfiguredBroker } from '../../brokers/brokerFromConfig.ts';
import { loadConfigOption } from '../configArg.ts';
import { serveAccounts } from './serveAccounts.ts';
import { CliError } from '../errors.ts';
import { clockOf, writeOut } from '../io.ts';
import { readVersion } from '../version.ts';

interface ServeOptions {
  config?: string;
  store?: string;
  account?: string;
  waitForLease?: boolean;
  maxAccounts?: string;
  port?: string;
  host?: string;
  shadow?: boolean;
  log?: string;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'run Warden: the engine loop on the account of broker: (default: the paper broker and a played market), the store, and the HTTP API (/docs, /openapi.json)',
    )
    .option(
      '--config <file>',
      'a Warden config file (YAML or JSON); its service: section sets host, port, store, token and market',
    )
    .option(
      '--store <file|url>',
      'the store: a SQLite file, or a PostgreSQL URL postgres://user@host:port/db?schema=NAME shared by several processes (default: WARDEN_STORE_URL, else service.store, warden.db)',
    )
    .option('--account <id>', 'the account of a PostgreSQL store this session manages (default: default)')
    .option(
      '--wait-for-lease',
      'on a PostgreSQL store whose account another session holds: wait, and take it over when that session stops or dies (its lease lapses within 20 s), instead of refusing to start',
    )
    .option(
      '--max-accounts <n>',
      'with an accounts: list: run at most this many of its accounts in this process (default: all); other processes take the rest',
    )
    .option('--port <n>', 'the port (default: service.port, 8080; 0 picks a free one)')
    .option('--host <addr>', 'the address to listen on (default: service.host, 127.0.0.1)')
    .option(
      '--shadow',
      'shadow mode (broker.mode: shadow): decide and record every intent, send nothing; promote a symbol to live with POST /api/shadow/promote',
    )
    .option(
      '--log <format>',
      'the log on stderr: human (a line per action, DTMS change and position opened or closed) or json (every field); default human on a terminal, json otherwise',
    )
    .action((o: ServeOptions, cmd: Command) => serve(o, cmd));
}

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
async function serve(o: ServeOptions, cmd: Command): Promise<void> {
  const config = loadConfigOption(o.config);
  if (o.port !== undefined) {
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new CliError(`--port must be a whole number within 0..65535, got "${o.port}"`);
    config.service.port = port;
  }
  if (o.host !== undefined) config.service.host = o.host;
  if (o.shadow === true) config.broker.mode = 'shadow';
  // A trader watches a terminal; a file or a log collector wants the fields.
  const logFormat = o.log ?? (process.stderr.isTTY === true ? 'human' : 'json');
  if (logFormat !== 'human' && logFormat !== 'json')
    throw new CliError(`--log must be human or json, got "${logFormat}"`);
  const storeFile = storeLocation(o.store, process.env, config.service.store);
  const shared = isPostgresUrl(storeFile);
  if (o.account !== undefined && !shared)
    throw new CliError(
      '--account names an account of a PostgreSQL store (--store postgres://...); a store file holds one account',
    );
  if (o.waitForLease === true && !shared)
    throw new CliError(
      '--wait-for-lease waits for an account of a PostgreSQL store (--store postgres://...); a store file allows one session',
    );
  const envToken = process.env.WARDEN_API_TOKEN === '' ? undefined : process.env.WARDEN_API_TOKEN;
  if (envToken !== undefined && envToken.length < 16)
    throw new CliError('WARDEN_API_TOKEN must be at least 16 characters');
  try {
    notifyFromEnv(config.notify, process.env);
  } catch (err) {
    if (err instanceof NotifyConfigError) throw new CliError(`notifications cannot start:\n${err.message}`);
    throw err;
  }
  if (config.accounts.length > 0) {
    if (!shared)
      throw new CliError(
        `accounts: lists ${config.accounts.length} account(s): they need a PostgreSQL store shared by the processes that run them (--store postgres://..., or WARDEN_STORE_URL)`,
      );
    if (o.account !== undefined || o.waitForLease === true)
      throw new CliError(
        '--account and --wait-for-lease run one account; with an accounts: list every free listed account is taken',
      );
    const maxAccounts = o.maxAccounts === undefined ? config.accounts.length : Number(o.maxAccounts);
    if (!Number.isInteger(maxAccounts) || maxAccounts < 1)
      throw new CliError(`--max-accounts must be a whole number of at least 1, got "${o.maxAccounts}"`);
    const log = createLogger({ name: 'warden', pretty: logFormat === 'human' });
    return serveAccounts(
      {
        config,
        storeUrl: storeFile,
        token: config.service.token ?? envToken,
        maxAccounts,
        log,
        version: readVersion(),
      },
      cmd,
    );
  }
  if (o.maxAccounts !== undefined) throw new CliError('--max-accounts applies to an accounts: list in the config');
  let broker: ConfiguredBroker;
  try {
    broker = brokerFromConfig(config, process.env);
  } catch (err) {
    if (err instanceof BrokerSetupError) throw new CliError(`the broker cannot start: ${err.message}`);
    throw err;
  }
  const log = createLogger({ name: 'warden', pretty: logFormat === 'human' });
  const version = readVersion();
  let store: WardenStore;
  try {
    store = openStore(storeFile, { now: clockOf(cmd)(), createdBy: `warden ${version}`, account: o.account });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  }
  if (o.waitForLease === true) await waitForLease(store, cmd, log);
  const whereStore = shared ? store.location : path.resolve(storeFile);
  let leaseLost: ((message: string) => void) | undefined;
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService({
      config,
      store,
      log,
      clock: clockOf(cmd),
      version,
      token: config.service.token ?? envToken,
      // A shared store has no file to put a made-up token beside: it goes in the working directory.
      tokenFile: shared ? path.resolve('warden-api.token') : `${path.resolve(storeFile)}.token`,
      broker,
      onLeaseLost: (message) => leaseLost?.(message),
    });
  } catch (err) {
    store.close();
    if (err instanceof StoreInUseError || err instanceof BrokerSetupError || err instanceof ServiceSetupError)
      throw new CliError(err.message);
    if (
      typeof err === 'object' &&
      err !== null &&
      'code' in err &&
      (err.code === 'EADDRINUSE' || err.code === 'EACCES')
    ) {
      throw new CliError(
        `cannot listen on ${config.service.host}:${config.service.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : 'permission denied'} (service.port, or --port)`,
      );
    }
    throw err;
  }
  writeOut(cmd, `Warden is running: dashboard and API at ${service.url} (API docs ${service.url}docs)`);
  writeOut(
    cmd,
    service.tokenFile !== ''
      ? `API token for the mutating endpoints: in ${service.tokenFile}`
      : 'API token: from the config or WARDEN_API_TOKEN',
  );
  // What DTMS may do on this account: a hedge or a re-add opens a position, which a trader must know before it happens.
  writeOut(cmd, service.dtms);
  if (service.paper)
    writeOut(
      cmd,
      `store: ${whereStore}; market: ${config.service.market.symbols.join(', ')} played at ${config.service.market.speed} bars/s. Ctrl-C stops.`,
    );
  else
    writeOut(
      cmd,
      `store: ${whereStore}; account: ${service.describe}; managing ${broker.symbols.join(', ')} (bars polled every ${config.broker.pollSec} s; ${service.quotes?.describe() ?? 'decisions on closed bars only'}). Ctrl-C stops.`,
    );
  const shadowed = service.session.shadow?.shadowed() ?? [];
  if (service.session.shadow !== undefined) {
    writeOut(
      cmd,
      `SHADOW MODE: nothing is sent for ${shadowed.join(', ') || 'no symbol (all promoted to live)'}; every decision is recorded (outcome shadow) and scored against what the market did (GET /api/shadow, warden shadow report). Promote a symbol to live: POST /api/shadow/promote {"symbol": "..."}`,
    );
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    // Another session took the account over: this one stops (a supervisor may start it again, waiting).
    leaseLost = (message) => {
      process.exitCode = EXIT_LEASE_LOST;
      log.error({ reason: message }, 'stopping: the account lease was lost');
      stop('lease lost');
    };
    const stop = (signal: string) => {
      if (stopping) {
        // A second signal: the trader wants out now. What the last step kept is in the store.
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(EXIT_STOPPED_HARD);
      }
      stopping = true;
      log.info({ signal }, 'stopping');
      // A stop that cannot finish (a venue or a store that never answers) still ends the process.
      const deadline = setTimeout(() => {
        log.error({ waitedMs: STOP_DEADLINE_MS }, 'stopping takes too long: exiting now');
        process.exit(EXIT_STOPPED_HARD);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      void service
        .stop()
        .catch((err: unknown) => log.error({ err }, 'error while stopping'))
        .finally(() => {
          try {
            store.close();
          } catch (err) {
            log.error({ err }, 'error while closing the store');
          }
          resolve();
        });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  writeOut(cmd, 'Warden stopped.');
  // Whatever a library left open (a socket, a timer) must not keep a stopped service alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
}

/** How long a stop may take before the process exits anyway, ms. */
const STOP_DEADLINE_MS = 20_000;
/** Exit code of a stop that had to be cut short. */
const EXIT_STOPPED_HARD = 1;
/** Exit code of a session that stopped because another took its account over (a shared store's lease). */
const EXIT_LEASE_LOST = 4;
/** How often a session waiting for an account's lease tries to take it. */
const LEASE_POLL_MS = 1_000;

/**
 * `--wait-for-lease`: tries the account's lease until it is free (its holder released it, or stopped
 * renewing and it lapsed), saying once who holds it. Taken here, it is taken again by the session's
 * start (the same holder: this process), so no other process can slip in between.
 */
async function waitForLease(store: WardenStore, cmd: Command, log: Logger): Promise<void> {
  const leases = store.leases;
  if (leases === undefined) return;
  const holder = leaseHolder(thisProcess());
  let said = false;
  for (;;) {
    const attempt = leases.acquire(holder, LEASE_TTL_MS);
    if (attempt.acquired) return;
    if (!said) {
      writeOut(cmd, `waiting: ${describeLease(store, attempt.heldBy)}`);
      const h = attempt.heldBy;
      log.info({ account: h.account, holder: h.holder, leaseToken: h.token }, 'waiting for the account lease');
      said = true;
    }
    await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
  }
}
