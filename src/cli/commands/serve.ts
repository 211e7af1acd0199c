// `warden serve [--config FILE]`: the live engine loop, the store, the HTTP API and its docs: on the
// embedded default (the paper broker over a played, generated market with a few demo positions), or
// on the real account the config's `broker:` names (fed by the venue's own bars).
// Prints where the API is and where the token is; stops cleanly on SIGINT / SIGTERM (the bar under
// way is finished and stored first).
import path from 'node:path';
import type { Command } from 'commander';
import { ServiceSetupError, startService } from '../../service/service.ts';
import { createLogger } from '../../log.ts';
import { openSqliteStore } from '../../store/sqliteStore.ts';
import { StoreError, type WardenStore } from '../../store/store.ts';
import { StoreInUseError } from '../../execution/accountSession.ts';
import { NotifyConfigError, notifyFromEnv } from '../../notify/notifyConfig.ts';
import { brokerFromConfig, BrokerSetupError, type ConfiguredBroker } from '../../brokers/brokerFromConfig.ts';
import { loadConfigOption } from '../configArg.ts';
import { CliError } from '../errors.ts';
import { clockOf, writeOut } from '../io.ts';
import { readVersion } from '../version.ts';

interface ServeOptions {
  config?: string;
  store?: string;
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
    .option('--store <file>', 'the store file (default: service.store, warden.db)')
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
  const storeFile = o.store ?? config.service.store;
  const envToken = process.env.WARDEN_API_TOKEN === '' ? undefined : process.env.WARDEN_API_TOKEN;
  if (envToken !== undefined && envToken.length < 16)
    throw new CliError('WARDEN_API_TOKEN must be at least 16 characters');
  try {
    notifyFromEnv(config.notify, process.env);
  } catch (err) {
    if (err instanceof NotifyConfigError) throw new CliError(`notifications cannot start:\n${err.message}`);
    throw err;
  }
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
    store = openSqliteStore(storeFile, { now: clockOf(cmd)(), createdBy: `warden ${version}` });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  }
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService({
      config,
      store,
      log,
      clock: clockOf(cmd),
      version,
      token: config.service.token ?? envToken,
      tokenFile: `${path.resolve(storeFile)}.token`,
      broker,
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
      `store: ${path.resolve(storeFile)}; market: ${config.service.market.symbols.join(', ')} played at ${config.service.market.speed} bars/s. Ctrl-C stops.`,
    );
  else
    writeOut(
      cmd,
      `store: ${path.resolve(storeFile)}; account: ${service.describe}; managing ${broker.symbols.join(', ')} (bars polled every ${config.broker.pollSec} s; ${service.quotes?.describe() ?? 'decisions on closed bars only'}). Ctrl-C stops.`,
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
