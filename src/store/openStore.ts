// Which store a location names: a PostgreSQL URL (postgres://user@host:port/database?schema=NAME)
// opens one account of that shared installation; anything else is the embedded SQLite file at that
// path. The commands open stores through this, so each takes either (`--store`, WARDEN_STORE_URL).
import { isPostgresUrl } from './postgresConnection.ts';
import { openPostgresStore } from './postgresStore.ts';
import { openSqliteStore } from './sqliteStore.ts';
import type { WardenStore } from './store.ts';

export interface OpenStoreOptions {
  /** The caller's clock (epoch ms): a new store's created_at (and a corrupt file's copy's name). */
  now: number;
  createdBy?: string;
  readonly?: boolean;
  /** The account whose rows a shared store opens (default `default`); the embedded file is one account. */
  account?: string;
}

export { isPostgresUrl } from './postgresConnection.ts';

/** Opens the store at `location`, refusing (StoreError) one that is not a healthy Warden store. */
export function openStore(location: string, o: OpenStoreOptions): WardenStore {
  if (isPostgresUrl(location)) return openPostgresStore(location, o);
  return openSqliteStore(location, { now: o.now, createdBy: o.createdBy, readonly: o.readonly });
}

/** The store a command uses: `--store`, else WARDEN_STORE_URL, else the config's (or the command's) default. */
export function storeLocation(given: string | undefined, env: NodeJS.ProcessEnv, fallback: string): string {
  if (given !== undefined && given !== '') return given;
  const fromEnv = env.WARDEN_STORE_URL;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : fallback;
}
