// The SQLite store's own behaviour on real files under the OS temp dir: the file it creates (WAL, the
// application id, the schema version), migrations, rows damaged behind its back, WAL durability across
// a second connection and a SIGKILL, and every refusal at open (the file left byte-for-byte as it
// was). What every store does (round trips, the intent journal, transactions) is the store contract:
// storeContract.ts, run on SQLite by storeContract.sqlite.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore, WARDEN_APPLICATION_ID } from '../../src/store/sqliteStore.ts';
import { MIGRATIONS, type Migration } from '../../src/store/sqliteMigrations.ts';
import type { StoreError, StoreErrorCode } from '../../src/store/store.ts';
import { decision, intent, NOW, plan, storeError } from './storeFixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh directory per test, so "no file was added beside it" can be checked. */
function freshDir(): string {
  const d = join(root, `t${++n}`);
  mkdirSync(d);
  return d;
}
const fresh = (name = 'warden.db') => join(freshDir(), name);

describe('SqliteStore: opening and meta', () => {
  it('creates a missing file: WAL, Warden application id, schema version and meta', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW, createdBy: 'warden test' });
    expect(s.meta()).toEqual({
      schemaVersion: MIGRATIONS.length,
      createdBy: 'warden test',
      createdAt: '2025-03-14T09:30:00.000Z',
    });
    s.savePlan(plan('1'));
    expect(existsSync(`${file}-wal`)).toBe(true); // WAL: the commit is in the -wal until a checkpoint
    s.close();
    s.close(); // twice is fine
    const head = readFileSync(file).subarray(0, 100);
    expect(head.readUInt32BE(68)).toBe(WARDEN_APPLICATION_ID);
    expect(head.readUInt32BE(60)).toBe(MIGRATIONS.length); // user_version
    expect([head[18], head[19]]).toEqual([2, 2]); // WAL mode recorded in the header
    expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db']); // no temp file left
  });

  it('an empty (0-byte) file becomes a new store with every migration applied', () => {
    const file = fresh();
    writeFileSync(file, '');
    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    s.close();
    const db = new Database(file, { readonly: true });
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    db.close();
    expect(tables).toEqual([
      'closed_trades',
      'decisions',
      'dtms_state',
      'intent_fills',
      'intents',
      'legacy_rules',
      'lifetimes',
      'meta',
      'plans',
      'positions',
      'proposals',
      'replay_checkpoint_parts',
      'replay_checkpoints',
      'session_state',
    ]);
  });

  it('read-only: a missing file is not created; an existing store is read, not written, and nothing is left beside it', () => {
    const file = fresh();
    expect(storeError(() => openSqliteStore(file, { now: NOW, readonly: true })).code).toBe('io');
    expect(existsSync(file)).toBe(false);
    const w = openSqliteStore(file, { now: NOW });
    w.savePlan(plan('1'));
    w.close();
    const bytes = readFileSync(file);
    const r = openSqliteStore(file, { now: NOW, readonly: true });
    expect(r.plan('1')?.positionId).toBe('1');
    expect(() => r.savePlan(plan('2'))).toThrow(/readonly/);
    r.close();
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(readdirSync(join(file, '..'))).toEqual(['warden.db']);
  });

  it('migrations run in order at open, keep the data, and a newer schema is refused', () => {
    const file = fresh();
    const v1 = openSqliteStore(file, { now: NOW });
    v1.savePlan(plan('7'));
    v1.close();

    const m2: Migration = {
      description: 'test: notes table',
      up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)'),
    };
    const v2 = openSqliteStore(file, { now: NOW, migrations: [...MIGRATIONS, m2] });
    expect(v2.meta().schemaVersion).toBe(MIGRATIONS.length + 1);
    expect(v2.plan('7')?.positionId).toBe('7');
    v2.close();

    // This build (MIGRATIONS only) does not know schema N+1.
    const before = readFileSync(file);
    const listing = readdirSync(join(file, '..'));
    const e = storeError(() => openSqliteStore(file, { now: NOW }));
    expect(e.code).toBe('newer_schema');
    expect(e.message).toBe(
      `${file} was created by a newer Warden (schema ${MIGRATIONS.length + 1}, this build knows up to ${MIGRATIONS.length}); refusing to open it; the file was left untouched`,
    );
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(join(file, '..'))).toEqual(listing); // no -wal or -shm left by the look inside
  });

  it('a failing migration leaves the store at its previous version', () => {
    const file = fresh();
    openSqliteStore(file, { now: NOW }).close();
    const bad: Migration = {
      description: 'test: fails half-way',
      up: (db) => {
        db.exec('CREATE TABLE half (x)');
        throw new Error('boom');
      },
    };
    expect(storeError(() => openSqliteStore(file, { now: NOW, migrations: [...MIGRATIONS, bad] })).code).toBe('io');
    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    s.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('SqliteStore: an older store migrated', () => {
  it('a store at schema 5 with managed positions: each becomes a lifetime under its bare ticket, its plan gains ticket and closed volume', () => {
    const file = fresh();
    openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 5) }).close();
    // Rows as a schema-5 build wrote them: plans without ticket or closedVolume.
    const db = new Database(file);
    const old = (id: string, partialState: number) => {
      const {
        ticket: _t,
        closedVolume: _c,
        restoreSl: _r,
        restoreEpisode: _e,
        breakevenR: _b,
        strategy: _s,
        strategySource: _ss,
        templateTrailingMultiplier: _tm,
        templateBufferMultiplier: _bm,
        trailTimeframe: _tf,
        ...p
      } = plan(id, { partialState, initialVolume: 1 });
      return JSON.stringify(p);
    };
    db.prepare('INSERT INTO plans (position_id, symbol, plan) VALUES (?, ?, ?)').run('501', 'XAUUSDc', old('501', 1));
    db.prepare('INSERT INTO plans (position_id, symbol, plan) VALUES (?, ?, ?)').run('502', 'XAUUSDc', old('502', 0));
    const position = (id: string, volume: number) =>
      JSON.stringify({
        id,
        symbol: 'XAUUSDc',
        side: 'buy',
        volume,
        entryPrice: 2400,
        sl: 2390,
        tp: 2420,
        openTime: NOW - 60_000,
        comment: '',
      });
    db.prepare('INSERT INTO positions (position_id, symbol, ord, position) VALUES (?, ?, ?, ?)').run(
      '501',
      'XAUUSDc',
      0,
      position('501', 0.3),
    );
    db.prepare('INSERT INTO positions (position_id, symbol, ord, position) VALUES (?, ?, ?, ?)').run(
      '502',
      'XAUUSDc',
      1,
      position('502', 1),
    );
    db.close();
    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    expect(s.openLifetimes()).toEqual([
      {
        key: '501',
        ticket: '501',
        n: 0,
        symbol: 'XAUUSDc',
        side: 'buy',
        openTime: NOW - 60_000,
        entryPrice: 2400,
        startedAt: NOW - 60_000,
        endedAt: null,
        endReason: '',
      },
      {
        key: '502',
        ticket: '502',
        n: 0,
        symbol: 'XAUUSDc',
        side: 'buy',
        openTime: NOW - 60_000,
        entryPrice: 2400,
        startedAt: NOW - 60_000,
        endedAt: null,
        endReason: '',
      },
    ]);
    expect(s.plan('501')).toMatchObject({ positionId: '501', ticket: '501', closedVolume: 0.7 });
    expect(s.plan('502')).toMatchObject({ positionId: '502', ticket: '502', closedVolume: 0 });
    s.close();
  });
});

describe('SqliteStore: rows that fail validation are reported, not dropped', () => {
  it('names the table and the key', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    s.savePlan(plan('1'));
    s.savePlan(plan('2'));
    s.recordIntent(intent('i1'));
    s.close();
    const db = new Database(file);
    db.prepare('UPDATE plans SET plan = ? WHERE position_id = ?').run(
      JSON.stringify({ ...plan('2'), side: 'long' }),
      '2',
    );
    db.prepare("UPDATE intents SET intent = '{not json' WHERE id = 'i1'").run();
    db.close();

    const again = openSqliteStore(file, { now: NOW });
    expect(again.plan('1')?.positionId).toBe('1');
    const e = storeError(() => again.plans());
    expect(e.code).toBe('invalid_row');
    expect(e.message).toMatch(/plans row 2 is not valid: side: /);
    expect(storeError(() => again.plan('2')).code).toBe('invalid_row');
    expect(storeError(() => again.unresolvedIntents()).message).toMatch(/intents row i1 is not valid: not valid JSON/);
    again.close();
  });
});

describe('SqliteStore: WAL durability', () => {
  it('a second connection sees committed data while the first is open; a reopen sees it too', () => {
    const file = fresh();
    const a = openSqliteStore(file, { now: NOW });
    a.savePlan(plan('1'));
    a.recordIntent(intent('1:breakeven:1'));
    const b = openSqliteStore(file, { now: NOW });
    expect(b.plan('1')?.positionId).toBe('1');
    expect(b.unresolvedIntents()).toHaveLength(1);
    b.close();
    a.close();
    const c = openSqliteStore(file, { now: NOW });
    expect(c.plans()).toHaveLength(1);
    c.close();
  });

  it('commits survive the process being killed (SIGKILL) before any checkpoint', () => {
    const file = fresh();
    const storeModule = fileURLToPath(new URL('../../src/store/sqliteStore.ts', import.meta.url));
    const code = `
      import { openSqliteStore } from ${JSON.stringify(storeModule)};
      const s = openSqliteStore(${JSON.stringify(file)}, { now: ${NOW} });
      for (let i = 0; i < 50; i++) s.transaction(() => {
        s.appendDecision({ time: ${NOW} + i, positionId: 'P' + (i % 3), symbol: 'X', side: 'buy', rule: 'trail', outcome: 'wait', reason: 'trigger_not_reached', changed: true, session: '',
          price: i, spread: 0, progress: 0, rAchieved: 0, trigger: 0, atr: 0, distance: 0, multiplier: 0, threshold: 0, oldSl: 0, newSl: 0, volume: 0, intentId: '',
          criticalGate: -1, gateVolatility: -1, gateMtf: -1, gateRmag: -1, gateVwap: -1, gateHvn: -1, advisoryFailures: 0, mtfAligned: 0, rmag: 0, vwapZone: -1, hvnDistAtr: 0,
          breakevenPct: 0, partialPct: 0, factors: 0, baseBreakevenPct: 0, basePartialPct: 0, dtmsFrom: '', dtmsState: '', score: 0, note: '' });
      });
      process.kill(process.pid, 'SIGKILL');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(existsSync(`${file}-wal`)).toBe(true);
    const s = openSqliteStore(file, { now: NOW });
    expect(s.decisionCount()).toBe(50);
    expect(s.recentDecisions(1)[0]!.price).toBe(49);
    s.close();
  });
});

describe('SqliteStore: refusals leave the file as it was', () => {
  /** Opens `file`, expects a refusal with `code`, and checks the file and its folder are unchanged. */
  function refused(file: string, code: StoreErrorCode, message: RegExp): StoreError {
    const bytes = readFileSync(file);
    const listing = readdirSync(join(file, '..')).sort();
    const e = storeError(() => openSqliteStore(file, { now: NOW }));
    expect(e.code).toBe(code);
    expect(e.message).toContain(file);
    expect(e.message).toMatch(message);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    if (code !== 'corrupt') expect(readdirSync(join(file, '..')).sort()).toEqual(listing);
    return e;
  }

  it('random bytes', () => {
    const file = fresh();
    writeFileSync(file, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 251)));
    refused(
      file,
      'not_sqlite',
      /is not a Warden store: it is not a SQLite database \(it starts with the bytes 0d .*\); refusing to open it; the file was left untouched$/,
    );
  });

  it('a JSON file (say, intelligent_exits.json given as the store)', () => {
    const file = fresh('intelligent_exits.json');
    writeFileSync(file, JSON.stringify({ 123: { ticket: 123 } }, null, 2));
    refused(file, 'not_sqlite', /not a SQLite database \(it looks like a JSON file\)/);
  });

  it('a text file, and a SQLite header cut short', () => {
    const text = fresh('notes.txt');
    writeFileSync(text, 'hello, this is not a database\n');
    refused(text, 'not_sqlite', /it is a text file starting "hello, this is not a dat"/);

    const good = fresh();
    openSqliteStore(good, { now: NOW }).close();
    const cut = fresh('cut.db');
    writeFileSync(cut, readFileSync(good).subarray(0, 60));
    refused(cut, 'not_sqlite', /its SQLite header is cut short \(60 of 100 bytes\)/);
    const cut2 = fresh('cut2.db');
    writeFileSync(cut2, readFileSync(good).subarray(0, 10));
    refused(cut2, 'not_sqlite', /it is cut short after 10 bytes/);
  });

  it('a SQLite database of another application', () => {
    const file = fresh('other.db');
    const db = new Database(file);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann');");
    db.close();
    refused(
      file,
      'foreign',
      /is a SQLite database but not a Warden store \(no application id, tables: users\); refusing to open it; the file was left untouched$/,
    );

    const other = fresh('app.db');
    const db2 = new Database(other);
    db2.pragma('journal_mode = WAL');
    db2.pragma('application_id = 1234');
    db2.exec('CREATE TABLE t (x)');
    db2.close();
    refused(other, 'foreign', /\(application id 0x000004d2\)/);
  });

  it("a SQLite file with Warden's application id but no Warden meta", () => {
    const file = fresh();
    const db = new Database(file);
    db.pragma(`application_id = ${WARDEN_APPLICATION_ID}`);
    db.exec('CREATE TABLE t (x)');
    db.close();
    refused(file, 'foreign', /Warden's application id, but no meta table/);
  });

  it('a damaged page: refused as corrupt, with a copy beside it named by the time passed in', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    s.transaction(() => {
      for (let i = 0; i < 300; i++) s.appendDecision(decision(`P${i % 7}`, NOW + i, { note: 'x'.repeat(200) }));
      for (let i = 0; i < 50; i++) s.savePlan(plan(String(i)));
    });
    s.close();
    const original = readFileSync(file);
    expect(original.length).toBeGreaterThan(20 * 4096);
    // Overwrite page 10 (of many) with garbage.
    const damaged = Buffer.from(original);
    damaged.fill(0xa5, 9 * 4096, 10 * 4096);
    writeFileSync(file, damaged);

    const e = refused(
      file,
      'corrupt',
      /is damaged \(.+\); refusing to open it\. A copy was saved as .+; the file was left as it is/,
    );
    const backup = `${file}.corrupt-2025-03-14T09-30-00-000Z`;
    expect(e.backup).toBe(backup);
    expect(e.message).toContain(backup);
    expect(readFileSync(backup).equals(damaged)).toBe(true);
    expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db', 'warden.db.corrupt-2025-03-14T09-30-00-000Z']);
    // Refused again on the next try, naming the same copy (a service restarted in a loop must not fill
    // the disk with copies); a copy is saved anew once the file has changed.
    const e2 = storeError(() => openSqliteStore(file, { now: NOW + 60_000 }));
    expect(e2.code).toBe('corrupt');
    expect(e2.backup).toBe(backup);
    expect(e2.message).toContain(`A copy was saved before as ${backup}`);
    expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db', 'warden.db.corrupt-2025-03-14T09-30-00-000Z']);
    damaged.fill(0x5a, 11 * 4096, 12 * 4096);
    writeFileSync(file, damaged);
    const e3 = storeError(() => openSqliteStore(file, { now: NOW }));
    expect(e3.backup).toBe(`${backup}-2`);
    expect(readFileSync(`${backup}-2`).equals(damaged)).toBe(true);
  });

  it('a damaged file header (page 1) is refused without being touched', () => {
    const file = fresh();
    openSqliteStore(file, { now: NOW }).close();
    const b = readFileSync(file);
    b.fill(0, 0, 16);
    writeFileSync(file, b);
    refused(file, 'not_sqlite', /not a SQLite database/);
  });

  it('a directory, and a missing parent directory, are io errors', () => {
    const dir = freshDir();
    expect(storeError(() => openSqliteStore(dir, { now: NOW })).code).toBe('io');
    const e = storeError(() => openSqliteStore(join(dir, 'no', 'such', 'x.db'), { now: NOW }));
    expect(e.code).toBe('io');
    expect(e.message).toMatch(/cannot create the store/);
  });
});
