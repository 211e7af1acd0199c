// One synchronous connection to PostgreSQL through libpq (pg-native, node-postgres's native client).
// Synchronous because the WardenStore contract is: a step's writes happen inside `transaction(fn)`
// with `fn` synchronous, exactly as with the embedded SQLite store, so the engine, the API and the
// executor use either store the same way. A query here blocks the thread for one round trip (about
// 55 µs on a local server, measured with pg-native 3.9 on this project's machines); the store keeps
// round trips few per step. Since every call on a process's thread runs to completion before the
// next, one connection serves every store of the process (PostgreSQL's default allows 100
// connections; many accounts on one connection each would not fit).
//
// pg-native is an optional dependency (it compiles libpq's bindings at install, which needs libpq's
// headers): it is loaded only when a PostgreSQL store is opened, and its absence is a clear error.
import { createRequire } from 'node:module';
import { StoreError } from './store.ts';

/** A parameter as libpq takes it: text (numbers and booleans are sent as their text). */
export type SqlParam = string | number | boolean | null;

/** The part of pg-native's Client this store uses. */
interface NativeClient {
  connectSync(url: string): void;
  querySync(text: string, values?: readonly SqlParam[]): Record<string, unknown>[];
  end(): void;
  pq: { resultErrorFields(): Record<string, string> | null; transactionStatus(): number };
}
type NativeClientClass = new (config: { types: TypeParsers }) => NativeClient;

/** How pg-native turns a column's text into a value, by type oid. */
interface TypeParsers {
  getTypeParser(oid: number): (text: string) => unknown;
}

// Column types as the store's rows need them (node-postgres's defaults would return int8 as strings):
// bigint, integer and smallint (times in epoch ms, seqs, counts: all below 2^53), float4/float8 and
// numeric as numbers, booleans as booleans, everything else (text, JSON kept as text) as its text.
const INTEGER_OIDS = new Set([20, 21, 23, 700, 701, 1700]);
const TYPES: TypeParsers = {
  getTypeParser(oid) {
    if (INTEGER_OIDS.has(oid)) return Number;
    if (oid === 16) return (t) => t === 't';
    return (t) => t;
  },
};

let nativeClient: NativeClientClass | null = null;

function loadNativeClient(location: string): NativeClientClass {
  if (nativeClient !== null) return nativeClient;
  try {
    const require = createRequire(import.meta.url);
    nativeClient = require('pg-native') as NativeClientClass;
    return nativeClient;
  } catch (err) {
    throw new StoreError(
      'io',
      location,
      `${location}: the PostgreSQL store needs the pg-native package (libpq), which is not installed or not built for this Node (${messageOf(err)}); install libpq's headers (Debian: apt-get install libpq-dev) and run npm rebuild libpq (or npm ci)`,
    );
  }
}

/** An error's message on one line (libpq's span several: the error, then a hint). */
export function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim().replace(/\s*\n\s*/g, '; ');
}

/** A store URL: postgres://user@host:port/database?schema=NAME (schema: the installation's, default `warden`). */
export interface PostgresLocation {
  /** The URL libpq connects with (the `schema` parameter removed: libpq does not know it). */
  connectUrl: string;
  schema: string;
  /** The URL as shown to the trader: no password. */
  shown: string;
}

export const DEFAULT_SCHEMA = 'warden';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Reads a store URL; refuses, naming the parameter, a schema name that is not a plain lower-case identifier. */
export function parsePostgresUrl(location: string): PostgresLocation {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new StoreError('io', location, `${location}: not a PostgreSQL URL (postgres://user@host:port/database)`);
  }
  const schema = url.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  url.searchParams.delete('schema');
  const shownUrl = new URL(url.href);
  if (shownUrl.password !== '') shownUrl.password = '***';
  const shown = `${shownUrl.href}${schema === DEFAULT_SCHEMA ? '' : `${shownUrl.search === '' ? '?' : '&'}schema=${schema}`}`;
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreError(
      'io',
      shown,
      `${shown}: schema ${JSON.stringify(schema)} is not a plain name (lower-case letters, digits and _, not starting with a digit, at most 63)`,
    );
  }
  return { connectUrl: url.href, schema, shown };
}

/** One libpq connection, shared by the stores of this process on the same installation (URL and schema). */
export class PostgresConnection {
  private client: NativeClient;
  /** The server closed the connection (restarted, the backend terminated, the network cut): the next call outside a transaction connects again. */
  private lost = false;
  private users = 0;
  private closed = false;
  private depth = 0;

  readonly shown: string;
  private readonly key: string;

  constructor(readonly location: PostgresLocation) {
    this.shown = location.shown;
    this.key = connectionKey(location);
    this.client = connect(location);
  }

  /**
   * One statement through libpq. A connection the server closed is said as a store outage ('io': the
   * session waits and tries again, nothing of the transaction kept), and made again at the next call
   * outside a transaction, its session settings with it.
   */
  private query(sql: string, params?: readonly SqlParam[]): Record<string, unknown>[] {
    if (this.closed) throw new StoreError('io', this.shown, `${this.shown}: the connection is closed`);
    if (this.lost) {
      if (this.depth > 0)
        throw new StoreError(
          'io',
          this.shown,
          `${this.shown}: the connection to PostgreSQL was lost in this transaction; nothing of it was kept`,
        );
      const old = this.client;
      this.client = connect(this.location);
      this.lost = false;
      retire(old);
    }
    try {
      return params === undefined ? this.client.querySync(sql) : this.client.querySync(sql, params);
    } catch (err) {
      if (this.client.pq.transactionStatus() !== PQTRANS_UNKNOWN) throw err;
      this.lost = true;
      throw new StoreError(
        'io',
        this.shown,
        `${this.shown}: lost the connection to PostgreSQL (${messageOf(err)}); connecting again at the next try`,
      );
    }
  }

  /** Runs `fn` in a transaction (a savepoint when one is open): all of its writes, or none when it throws. */
  transaction<T>(fn: () => T): T {
    const depth = this.depth++;
    const savepoint = `warden_${depth}`;
    this.exec(depth === 0 ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
    try {
      const result = fn();
      this.exec(depth === 0 ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`);
      return result;
    } catch (err) {
      try {
        this.exec(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`);
      } catch {
        // The connection itself failed: the server rolls the transaction back when it sees it gone.
      }
      throw err;
    } finally {
      this.depth--;
    }
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /** Runs one statement; its rows (none for most writes). Parameters are $1, $2... */
  rows<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): T[] {
    return this.query(sql, params) as T[];
  }

  /** Runs statements without parameters (DDL, BEGIN, COMMIT), several separated by ; allowed. */
  exec(sql: string): void {
    this.query(sql);
  }

  /** The SQLSTATE of the last failed statement (e.g. 23505 unique violation), or null. */
  lastSqlState(): string | null {
    return this.client.pq.resultErrorFields()?.sqlState ?? null;
  }

  acquire(): this {
    this.users++;
    return this;
  }

  /** A store is done with it; the last one closes it. */
  release(): void {
    this.users--;
    if (this.users <= 0 && !this.closed) {
      this.closed = true;
      connections.delete(this.key);
      retire(this.client);
    }
  }
}

/** libpq's PQTRANS_UNKNOWN: the connection is bad (the server closed it). */
const PQTRANS_UNKNOWN = 4;

/** A new libpq connection to `location`, with the installation's session settings. */
function connect(location: PostgresLocation): NativeClient {
  const Client = loadNativeClient(location.shown);
  const client = new Client({ types: TYPES });
  try {
    client.connectSync(location.connectUrl);
    // The installation's schema, and nothing else (not public): unqualified names are its tables.
    client.querySync(`SET search_path TO "${location.schema}"`);
    // Not PostgreSQL's NOTICEs on stderr (a DROP ... CASCADE lists what it dropped): warnings and errors only.
    client.querySync('SET client_min_messages TO warning');
  } catch (err) {
    throw new StoreError('io', location.shown, `${location.shown}: cannot connect to PostgreSQL: ${messageOf(err)}`);
  }
  return client;
}

/**
 * Ends a client. libpq's bindings (libpq 1.11) close the socket's libuv handle at end() but keep it
 * inside the client object: were the object collected before libuv's next loop turn finishes closing
 * the handle, the process would abort (seen: "uv__finish_close: Assertion failed", under vitest's
 * allocation). The client is kept a while after it ended.
 */
function retire(client: NativeClient): void {
  try {
    client.end();
  } catch {
    // A connection already broken ends all the same.
  }
  endedClients.add(client);
  setTimeout(() => endedClients.delete(client), 1_000).unref();
}

const connections = new Map<string, PostgresConnection>();
const endedClients = new Set<NativeClient>();
const connectionKey = (l: PostgresLocation) => `${l.connectUrl} ${l.schema}`;

/** This process's connection to `location`'s installation (made on first use). */
export function connectionFor(location: PostgresLocation): PostgresConnection {
  const known = connections.get(connectionKey(location));
  if (known !== undefined) return known.acquire();
  const made = new PostgresConnection(location);
  connections.set(connectionKey(location), made);
  return made.acquire();
}
