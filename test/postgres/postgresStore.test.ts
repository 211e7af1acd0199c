// What only the PostgreSQL store has (the contract is in storeContract.postgres.test.ts): an
// installation created, reopened and refused as the SQLite store refuses a file (foreign, newer,
// damaged: left as they are), accounts kept apart, the installation's directory, and the URL's checks.
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/openStore.ts';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgresMigrations.ts';
import { openPostgresStore } from '../../src/store/postgresStore.ts';
import { StoreError } from '../../src/store/store.ts';
import { NOW, plan, position } from '../store/storeFixtures.ts';
import { dropSchema, freshSchema, NO_POSTGRES, sql, urlOf } from './postgresSupport.ts';

const made: string[] = [];
const schemaFor = (label: string) => {
  const s = freshSchema(label);
  made.push(s);
  return s;
};
const refusal = (f: () => unknown): StoreError => {
  try {
    f();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
};

describe.skipIf(NO_POSTGRES)('PostgresStore: the installation', () => {
  afterAll(() => {
    for (const s of made) dropSchema(s);
  });

  it('a new schema becomes an installation: every table, the version and who made it; reopening keeps it', () => {
    const schema = schemaFor('new');
    const s = openPostgresStore(urlOf(schema), { now: NOW, createdBy: 'warden test' });
    expect(s.meta()).toEqual({
      schemaVersion: POSTGRES_MIGRATIONS.length,
      createdBy: 'warden test',
      createdAt: new Date(NOW).toISOString(),
    });
    expect(s.location).toBe(`${urlOf(schema)} account default`);
    s.savePlan(plan('1'));
    s.close();
    const again = openStore(urlOf(schema), { now: NOW + 1, createdBy: 'other' });
    expect(again.meta().createdBy).toBe('warden test');
    expect(again.plan('1')?.positionId).toBe('1');
    again.close();
  });

  it('accounts of one installation see only their own rows; the directory lists them all', () => {
    const schema = schemaFor('accounts');
    const a = openPostgresStore(urlOf(schema), { now: NOW, account: 'alpha' });
    const b = openPostgresStore(urlOf(schema), { now: NOW, account: 'beta' });
    a.savePlan(plan('7'));
    a.savePosition(position('7', 2390), 0);
    expect(b.plan('7')).toBeNull();
    expect(b.plans()).toEqual([]);
    b.leases.acquire('host:1', 20_000);
    const listed = a.directory.accounts();
    expect(listed.map((x) => [x.account, x.positions, x.lease?.holder ?? null, x.lease?.live ?? null])).toEqual([
      ['alpha', 1, null, null],
      ['beta', 0, 'host:1', true],
    ]);
    b.leases.advertise('http://127.0.0.1:1234/');
    expect(a.directory.accounts()[1]!.lease?.endpoint).toBe('http://127.0.0.1:1234/');
    a.close();
    b.close();
  });

  it('refuses a schema of another application, leaving it as it is', () => {
    const schema = schemaFor('foreign');
    sql('public', `CREATE SCHEMA "${schema}"`);
    sql('public', `CREATE TABLE "${schema}".orders (id int)`);
    const err = refusal(() => openPostgresStore(urlOf(schema), { now: NOW }));
    expect(err.code).toBe('foreign');
    expect(err.message).toMatch(/not a Warden installation.*orders.*left as it is/);
    expect(
      sql<{ n: number }>('public', 'SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1', [
        schema,
      ])[0]!.n,
    ).toBe(1);
  });

  it("refuses a meta table that is not Warden's as foreign too", () => {
    const schema = schemaFor('foreignmeta');
    sql('public', `CREATE SCHEMA "${schema}"`);
    sql('public', `CREATE TABLE "${schema}".meta (k text)`);
    expect(refusal(() => openPostgresStore(urlOf(schema), { now: NOW })).code).toBe('foreign');
  });

  it("refuses a newer Warden's installation, and one whose version is unreadable or a table is missing", () => {
    const newer = schemaFor('newer');
    openPostgresStore(urlOf(newer), { now: NOW }).close();
    sql(newer, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    const n = refusal(() => openPostgresStore(urlOf(newer), { now: NOW }));
    expect(n.code).toBe('newer_schema');
    expect(n.message).toMatch(/newer Warden \(schema version 99, this build knows up to 1\)/);

    const garbled = schemaFor('garbled');
    openPostgresStore(urlOf(garbled), { now: NOW }).close();
    sql(garbled, "UPDATE meta SET value = 'x' WHERE key = 'schema_version'");
    expect(refusal(() => openPostgresStore(urlOf(garbled), { now: NOW })).code).toBe('corrupt');

    const missing = schemaFor('missing');
    openPostgresStore(urlOf(missing), { now: NOW }).close();
    sql(missing, 'DROP TABLE intents');
    const m = refusal(() => openPostgresStore(urlOf(missing), { now: NOW }));
    expect(m.code).toBe('corrupt');
    expect(m.message).toMatch(/table intents is missing/);
  });

  it('an older installation is migrated at open; read-only it is refused until opened once for writing', () => {
    const schema = schemaFor('migrate');
    const extra = [
      ...POSTGRES_MIGRATIONS,
      { description: 'test: a column', sql: 'ALTER TABLE plans ADD COLUMN note text' },
    ];
    openPostgresStore(urlOf(schema), { now: NOW }).close();
    expect(
      refusal(() => openPostgresStore(urlOf(schema), { now: NOW, readonly: true, migrations: extra })).message,
    ).toMatch(/needs migrating to 2/);
    const s = openPostgresStore(urlOf(schema), { now: NOW, migrations: extra });
    expect(s.meta().schemaVersion).toBe(2);
    s.close();
  });

  it('read-only: a missing installation is not created, and nothing is written', () => {
    const schema = schemaFor('ro');
    expect(refusal(() => openPostgresStore(urlOf(schema), { now: NOW, readonly: true })).message).toMatch(
      /no store there/,
    );
    expect(
      sql<{ n: number }>('public', 'SELECT count(*) AS n FROM pg_namespace WHERE nspname = $1', [schema])[0]!.n,
    ).toBe(0);
    openPostgresStore(urlOf(schema), { now: NOW }).close();
    const ro = openPostgresStore(urlOf(schema), { now: NOW, readonly: true });
    expect(refusal(() => ro.savePlan(plan('1'))).message).toMatch(/read-only; nothing was written/);
    ro.close();
  });

  it('a connection the server closed is a store outage once, then connects again; a transaction under way keeps nothing', () => {
    const schema = schemaFor('reconnect');
    const s = openPostgresStore(urlOf(schema), { now: NOW });
    s.savePlan(plan('1'));
    const backend = () => sql<{ pid: number }>(schema, 'SELECT pg_backend_pid() AS pid')[0]!.pid;
    // The store's connection is the installation's (sql() on the same schema shares it): end it from another.
    const terminate = () => sql('public', 'SELECT pg_terminate_backend($1)', [backend()]);
    terminate();
    const lost = refusal(() => s.plan('1'));
    expect(lost.code).toBe('io');
    expect(lost.message).toMatch(/lost the connection to PostgreSQL.*connecting again/);
    expect(s.plan('1')?.positionId).toBe('1');

    const before = backend();
    const cut = refusal(() =>
      s.transaction(() => {
        s.savePlan(plan('2'));
        sql('public', 'SELECT pg_terminate_backend($1)', [before]);
        s.savePlan(plan('3'));
      }),
    );
    expect(cut.code).toBe('io');
    expect(s.plans().map((p) => p.positionId)).toEqual(['1']);
    expect(backend()).not.toBe(before);
    s.close();
  });

  it('refuses a schema or account name that is not plain, and an unreachable server, with what to fix', () => {
    expect(refusal(() => openPostgresStore(urlOf('Bad-Name'), { now: NOW })).message).toMatch(/is not a plain name/);
    expect(refusal(() => openPostgresStore(urlOf(schemaFor('acct')), { now: NOW, account: 'a b' })).message).toMatch(
      /not a valid account name/,
    );
    const down = refusal(() => openPostgresStore('postgres://root@127.0.0.1:1/test?schema=x', { now: NOW }));
    expect(down.code).toBe('io');
    expect(down.message).toMatch(/cannot connect to PostgreSQL/);
  });
});
