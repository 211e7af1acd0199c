// `warden serve` with an `accounts:` list: many accounts in this process on a shared PostgreSQL store,
// each in a service of its own (dashboard and API on a port of its own), and one accounts index on
// service.port listing every account of the installation, filterable, with links to each one's
// dashboard. Several processes started with the same list share it (AccountSupervisor).
import path from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { WardenConfig } from '../../config/schema.ts';
import { exposureRefusal, isLoopback } from '../../service/access.ts';
import { AccountSupervisor } from '../../service/accountSupervisor.ts';
import { readTls, ServiceSetupError } from '../../service/service.ts';
import { buildAccountsIndex } from '../../service/accountsIndex.ts';
import { openStore } from '../../store/openStore.ts';
import { StoreError, type WardenStore } from '../../store/store.ts';
import { CliError } from '../errors.ts';
import { clockOf, writeOut } from '../io.ts';

export interface ServeAccountsOptions {
  config: WardenConfig;
  storeUrl: string;
  /** The API token from config or environment (undefined: made and kept in warden-api.token). */
  token: string | undefined;
  maxAccounts: number;
  log: Logger;
  version: string;
}

/** Accounts taken per scan, and how often the list is scanned: 100 accounts over 4 processes settle in about 10 s. */
const ACCOUNTS_PER_SCAN = 5;
const SCAN_MS = 2_000;
/** How long a stop may take before the process exits anyway, ms (every account finishes its step). */
const STOP_DEADLINE_MS = 30_000;

export async function serveAccounts(o: ServeAccountsOptions, cmd: Command): Promise<void> {
  const { config, log } = o;
  const svc = config.service;
  const exposed = exposureRefusal({
    host: svc.host,
    explicitToken: o.token !== undefined,
    tls: svc.tls !== undefined,
    behindProxy: svc.behindProxy,
  });
  if (exposed !== '') throw new CliError(exposed);
  const now = clockOf(cmd)();
  // The installation is opened (created, migrated or refused) once here; its directory lists every account.
  let directoryStore: WardenStore;
  try {
    directoryStore = openStore(o.storeUrl, { now, createdBy: `warden ${o.version}`, account: config.accounts[0]!.id });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  }
  const directory = directoryStore.directory;
  if (directory === undefined)
    throw new CliError('an accounts: list needs a PostgreSQL store (--store postgres://...)');
  const supervisor = new AccountSupervisor({
    config,
    openStore: (account) => openStore(o.storeUrl, { now: clockOf(cmd)(), createdBy: `warden ${o.version}`, account }),
    directory: () => directory.accounts(),
    log,
    version: o.version,
    token: o.token,
    tokenFile: path.resolve('warden-api.token'),
    env: process.env,
    maxAccounts: o.maxAccounts,
    perScan: ACCOUNTS_PER_SCAN,
    scanMs: SCAN_MS,
  });
  await supervisor.start();
  let https: { cert: Buffer; key: Buffer } | undefined;
  try {
    https = svc.tls === undefined ? undefined : readTls(svc.tls);
  } catch (err) {
    await supervisor.stop();
    directoryStore.close();
    throw err instanceof ServiceSetupError ? new CliError(err.message) : err;
  }
  const index = await buildAccountsIndex({
    status: () => supervisor.status(),
    log,
    version: o.version,
    hosts: { boundHost: svc.host, allowedHosts: svc.allowedHosts, tls: https !== undefined },
    ...(https ? { https } : {}),
    ...(isLoopback(svc.host) ? {} : { readToken: o.token }),
  });
  try {
    await index.listen({ host: svc.host, port: svc.port });
  } catch (err) {
    await supervisor.stop();
    directoryStore.close();
    if (
      typeof err === 'object' &&
      err !== null &&
      'code' in err &&
      (err.code === 'EADDRINUSE' || err.code === 'EACCES')
    )
      throw new CliError(
        `cannot listen on ${svc.host}:${svc.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : 'permission denied'} (service.port, or --port)`,
      );
    throw err;
  }
  const address = index.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : svc.port;
  const here = supervisor.here;
  writeOut(
    cmd,
    `Warden is running ${here.size} of ${config.accounts.length} listed accounts here (at most ${o.maxAccounts}); accounts index at ${https ? 'https' : 'http'}://${svc.host}:${port}/`,
  );
  for (const [id, service] of here) writeOut(cmd, `account ${id}: ${service.url}`);
  writeOut(
    cmd,
    `store: ${directoryStore.location.replace(/ account .*$/, '')}; free accounts are taken every ${SCAN_MS / 1000} s. Ctrl-C stops.`,
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(1);
      stopping = true;
      log.info({ signal }, 'stopping every account here');
      setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref();
      void Promise.allSettled([index.close(), supervisor.stop()]).finally(() => {
        directoryStore.close();
        resolve();
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  writeOut(cmd, 'Warden stopped.');
  setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
}
