// Opening a PostgreSQL installation: the schema named in the store URL is created with every
// migration when it does not exist (or exists empty), migrated when it is older, and refused, left as
// it is, when it is not a healthy Warden installation: tables of another application (foreign), a
// newer Warden's schema (newer_schema), or a Warden schema with its version unreadable or a table
// missing (corrupt). The same refusals as the SQLite store's, with the same codes. Two processes
// opening one installation at once take turns (an advisory lock held for the transaction), so a
// schema is created or migrated once.
import type { PostgresConnection, PostgresLocation } from './postgresConnection.ts';
import {
  applyPostgresMigrations,
  POSTGRES_MIGRATIONS,
  POSTGRES_TABLES,
  type PostgresMigration,
} from './postgresMigrations.ts';
import { StoreError } from './store.ts';

const UNTOUCHED = 'it was left as it is';

export interface InstallationOptions {
  now: number;
  createdBy?: string;
  readonly: boolean;
  migrations: readonly PostgresMigration[];
}

/** Makes `location`'s schema a Warden installation at the current version, or refuses it (StoreError). */
export function openInstallation(conn: PostgresConnection, location: PostgresLocation, o: InstallationOptions): void {
  const { shown, schema } = location;
  conn.transaction(() => {
    if (!o.readonly) conn.rows('SELECT pg_advisory_xact_lock(hashtext($1))', [`warden installation ${schema}`]);
    const exists = conn.rows<{ n: number }>('SELECT count(*) AS n FROM pg_namespace WHERE nspname = $1', [schema])[0]!;
    const tables = conn
      .rows<{ name: string }>(
        'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
        [schema],
      )
      .map((r) => r.name);
    if (exists.n === 0 || tables.length === 0) {
      if (o.readonly)
        throw new StoreError(
          'io',
          shown,
          `${shown}: no store there (schema ${schema} ${exists.n === 0 ? 'does not exist' : 'is empty'})`,
        );
      if (exists.n === 0) conn.exec(`CREATE SCHEMA "${schema}"`);
      applyPostgresMigrations(conn, 0, o.migrations);
      conn.rows(
        "INSERT INTO meta (key, value) VALUES ('application', 'warden'), ('created_by', $1), ('created_at', $2)",
        [o.createdBy ?? 'warden', new Date(o.now).toISOString()],
      );
      return;
    }
    const version = installedVersion(conn, location, tables);
    if (version > o.migrations.length)
      throw new StoreError(
        'newer_schema',
        shown,
        `${shown}: schema ${schema} was created by a newer Warden (schema version ${version}, this build knows up to ${o.migrations.length}); ${UNTOUCHED}`,
      );
    if (version === o.migrations.length) {
      const missing = o.migrations === POSTGRES_MIGRATIONS ? POSTGRES_TABLES.filter((t) => !tables.includes(t)) : [];
      if (missing.length > 0)
        throw new StoreError(
          'corrupt',
          shown,
          `${shown}: schema ${schema} is a damaged Warden installation: table ${missing.join(', ')} is missing; ${UNTOUCHED}`,
        );
      return;
    }
    if (o.readonly)
      throw new StoreError(
        'io',
        shown,
        `${shown}: schema ${schema} is at version ${version} and needs migrating to ${o.migrations.length}; open it once for writing`,
      );
    applyPostgresMigrations(conn, version, o.migrations);
  });
}

/** The installation's schema version from its meta table; refuses a foreign or unreadable one. */
function installedVersion(conn: PostgresConnection, location: PostgresLocation, tables: readonly string[]): number {
  const { shown, schema } = location;
  const foreign = () =>
    new StoreError(
      'foreign',
      shown,
      `${shown}: schema ${schema} is not a Warden installation (it holds ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', ...' : ''} of another application); ${UNTOUCHED}; name another schema with ?schema=NAME`,
    );
  if (!tables.includes('meta')) throw foreign();
  let rows: { key: string; value: string }[];
  try {
    rows = conn.transaction(() => conn.rows<{ key: string; value: string }>('SELECT key, value FROM meta'));
  } catch {
    throw foreign();
  }
  const meta = new Map(rows.map((r) => [r.key, r.value]));
  if (meta.get('application') !== 'warden') throw foreign();
  const text = meta.get('schema_version');
  const version = Number(text);
  if (text === undefined || !Number.isSafeInteger(version) || version < 1)
    throw new StoreError(
      'corrupt',
      shown,
      `${shown}: schema ${schema} is a damaged Warden installation: its schema version is ${text === undefined ? 'missing' : JSON.stringify(text)}; ${UNTOUCHED}`,
    );
  return version;
}
