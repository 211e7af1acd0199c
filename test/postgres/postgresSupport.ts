// What the PostgreSQL suites share: the server (WARDEN_PG_URL, default the machine's local PostgreSQL
// 15, postgres://root@127.0.0.1:5432/test), whether it can be reached, and a schema of their own per
// suite, dropped at the end. Without a server (or without pg-native) the suites skip with a message;
// CI sets WARDEN_REQUIRE_POSTGRES=1, and then they fail instead.
import { randomBytes } from 'node:crypto';
import { connectionFor, parsePostgresUrl } from '../../src/store/postgresConnection.ts';

export const PG_URL = process.env.WARDEN_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';
export const REQUIRE_POSTGRES = process.env.WARDEN_REQUIRE_POSTGRES === '1';

/** Why PostgreSQL cannot be used here, or null when it can. */
function unreachable(): string | null {
  try {
    connectionFor(parsePostgresUrl(`${PG_URL}?schema=warden_probe`)).release();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const why = unreachable();
if (why !== null) {
  if (REQUIRE_POSTGRES) throw new Error(`WARDEN_REQUIRE_POSTGRES=1 but PostgreSQL cannot be used: ${why}`);
  console.warn(`PostgreSQL suites skipped: ${why}`);
}
/** True when the suites must skip (no server, or no pg-native). */
export const NO_POSTGRES = why !== null;

/** A schema name no other run uses (suites may run in parallel, and a run may be interrupted). */
export const freshSchema = (label: string): string => `wt_${label}_${randomBytes(4).toString('hex')}`;

export const urlOf = (schema: string): string => `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;

/** Runs one statement outside any store (to damage a schema, drop it, read it raw). */
export function sql<T = Record<string, unknown>>(
  schema: string,
  text: string,
  params: (string | number | null)[] = [],
): T[] {
  const conn = connectionFor(parsePostgresUrl(urlOf(schema)));
  try {
    return conn.rows<T>(text, params);
  } finally {
    conn.release();
  }
}

export function dropSchema(schema: string): void {
  sql('public', `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
