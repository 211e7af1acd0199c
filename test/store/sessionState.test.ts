// Schema 3 on a real file: the managed positions in evaluation order, the engine-wide session state
// and the health report, read back after a reopen; a damaged row is refused with its table and key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Position } from '../../src/domain/types.ts';
import { assessHealth } from '../../src/execution/health.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { parseLegacyRule, planFromLegacy } from '../../src/exits/legacyRule.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { defaultConfig } from '../../src/config/load.ts';
import { encodeRecord } from '../../src/store/records.ts';
import type { StoredSessionState } from '../../src/store/store.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-session-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pos = (id: string, sl: number | null): Position => ({
  id,
  symbol: 'XAUUSDc',
  side: 'buy',
  volume: 0.3,
  entryPrice: 2400,
  sl,
  tp: null,
  openTime: 1_000,
  comment: 'scalp',
});

describe('SqliteStore: live session state (schema 3)', () => {
  it('keeps positions in evaluation order, the session state and the health report across a reopen', () => {
    const file = join(root, 'a.db');
    const s = openSqliteStore(file, { now: 0 });
    expect(s.positions()).toEqual([]);
    expect(s.sessionState()).toBeNull();
    expect(s.health()).toBeNull();
    s.transaction(() => {
      s.savePosition(pos('200', 2390), 1);
      s.savePosition(pos('100', null), 0);
      s.savePosition({ ...pos('300', 2391), account: 'demo-1', strategyType: 'trend' }, 2);
    });
    s.savePosition(pos('200', 2395.5), 1);
    expect(s.deletePosition('300')).toBe(true);
    expect(s.deletePosition('300')).toBe(false);
    const state: StoredSessionState = {
      time: 1_700_000_000_000,
      hedges: [['501', '200']],
      orphans: [
        {
          hedgeId: '502',
          parentId: '150',
          symbol: 'XAUUSDc',
          side: 'sell',
          volume: 0.15,
          pending: '150:dtms:orphan_hedge:502',
          attempts: 1,
        },
      ],
      deepChecks: 42,
    };
    s.saveSessionState(state);
    const report = assessHealth({
      now: 5,
      positions: 2,
      hedges: 1,
      breakers: [{ symbol: 'XAUUSDc', failures: 5, openedAt: 1, reopensAt: 300_001, lastError: 'bad bar' }],
      feeds: [{ symbol: 'XAUUSDc', lastBarAt: Number.NaN, crypto: false }],
      staleAfterMs: 300_000,
      unresolvedIntents: [],
      recentRejections: [],
    });
    s.saveHealth(report);
    s.close();

    const r = openSqliteStore(file, { now: 0 });
    expect(r.positions()).toEqual([
      { position: pos('100', null), order: 0 },
      { position: pos('200', 2395.5), order: 1 },
    ]);
    expect(r.sessionState()).toEqual(state);
    const back = r.health();
    expect(back).toEqual(report);
    expect(Number.isNaN(back!.feeds[0]!.lastBarAt)).toBe(true); // "no bar yet" survives as NaN
    r.close();
  });

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
