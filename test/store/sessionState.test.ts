// A live session's state in the SQLite store (schema 3), where only SQLite can show it: a row damaged
// behind the store's back is refused with its file, table and key, and migration 5 gives the plans an
// older build stored their new field. Positions, session state and health read back after a reopen are
// the store contract: storeContract.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { parseLegacyRule, planFromLegacy } from '../../src/exits/legacyRule.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { encodeRecord } from '../../src/store/records.ts';
import { position as pos } from './storeFixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-session-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SqliteStore: live session state (schema 3)', () => {
  it('refuses a damaged row, naming the table and the key', () => {
    const file = join(root, 'b.db');
    const s = openSqliteStore(file, { now: 0 });
    s.savePosition(pos('100', 2390), 0);
    s.saveSessionState({ time: 1, hedges: [], orphans: [], deepChecks: 0 });
    s.close();
    const db = new Database(file);
    db.prepare("UPDATE positions SET position = json_set(position, '$.side', 'long') WHERE position_id = '100'").run();
    db.prepare("UPDATE session_state SET value = '{\"time\":1}' WHERE key = 'engine'").run();
    db.close();
    const r = openSqliteStore(file, { now: 0 });
    expect(() => r.positions()).toThrow(
      `${file}: positions row 100 is not valid: side: Invalid option: expected one of "buy"|"sell"`,
    );
    expect(() => r.sessionState()).toThrow(new RegExp(`${file}: session_state row engine is not valid: hedges: `));
    r.close();
  });

  it('migration 5 gives every stored plan trailNow: false', () => {
    const file = join(root, 'c.db');
    const old = openSqliteStore(file, { now: 0, migrations: MIGRATIONS.slice(0, 4) });
    const r = parseLegacyRule('7', {
      ticket: 7,
      symbol: 'XAUUSDc',
      entry_price: 2400,
      direction: 'buy',
      initial_sl: 2390,
      initial_tp: 2420,
    });
    if (!r.ok) throw new Error(r.reason);
    const { trailNow, ...before } = planFromLegacy(r.rule, instrumentFromConfig(defaultConfig(), 'XAUUSDc'), 0.3, 0);
    expect(trailNow).toBe(false);
    old.close();
    const db = new Database(file);
    db.prepare('INSERT INTO plans (position_id, symbol, plan) VALUES (?, ?, ?)').run(
      '7',
      'XAUUSDc',
      encodeRecord(before),
    );
    db.close();
    const s = openSqliteStore(file, { now: 0 });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    expect(s.plan('7')).toEqual({ ...before, trailNow: false });
    s.close();
  });
});
