// Closed trades in the SQLite store (schema 8), where only SQLite can show it: a page of closed trades
// is one index range (by close time, or by symbol then close time); a row damaged behind the store's
// back is an error naming it, never skipped; a schema-7 store migrates with its journal and lifetimes
// untouched, and its lifetimes that ended are the ones still to record. Round trips, pages and fills
// are the store contract: storeContract.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { newDecisionRecord } from '../../src/exits/decisionRecord.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { StoreError } from '../../src/store/store.ts';
import { lifetime, MIN, NOW, partialIntent, trade } from './storeFixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-closed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `c${++n}.db`);

describe('closed trades in the store', () => {
  it('a page is one index range: by close time, or by symbol then close time', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    for (let i = 0; i < 40; i++) {
      const ticket = String(200 + (i % 7));
      const key = `${ticket}#${Math.floor(i / 7) + 1}`;
      const t = trade(key, NOW + Math.floor(i / 2) * MIN, { symbol: i % 3 === 0 ? 'EURUSD' : 'XAUUSDc' });
      s.saveLifetime({ ...lifetime(key, t.closeTime), ticket, n: Math.floor(i / 7) + 1 });
      s.saveClosedTrade(t);
    }
    s.close();
    const db = new Database(s.location, { readonly: true });
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(
      plan(
        "SELECT key FROM closed_trades WHERE close_time >= 0 AND close_time < 9 AND (close_time, key) < (5, 'k') ORDER BY close_time DESC, key DESC LIMIT 5",
      ),
    ).toMatch(/INDEX closed_trades_by_close/);
    expect(
      plan(
        "SELECT key FROM closed_trades WHERE symbol = 'EURUSD' AND close_time >= 0 AND close_time < 9 AND (close_time, key) < (5, 'k') ORDER BY close_time DESC, key DESC LIMIT 5",
      ),
    ).toMatch(/INDEX closed_trades_by_symbol/);
    db.close();
  });

  it('a bad row is an error naming it', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    s.saveClosedTrade(trade('9#1', NOW));
    const db = new Database(s.location);
    db.prepare("UPDATE closed_trades SET trade = json_set(trade, '$.exitReason', 'moon') WHERE key = '9#1'").run();
    db.close();
    const err = (() => {
      try {
        s.closedTrade('9#1');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/closed_trades row 9#1 is not valid: exitReason/);
    s.close();
  });
});

describe('schema 8: a store at schema 7 migrates', () => {
  it('its journal, intents and lifetimes are kept; the lifetimes that ended are the ones to record, the latest first', () => {
    const file = fresh();
    const seven = openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 7) });
    seven.transaction(() => {
      seven.saveLifetime(lifetime('1#1', NOW + MIN));
      seven.saveLifetime(lifetime('2#1', NOW + 3 * MIN));
      seven.saveLifetime(lifetime('3#1', null));
      seven.saveLifetime(
        lifetime(
          '4#1',
          NOW + 2 * MIN,
          'promoted from shadow to live: managed afresh from the stop and volume the venue holds',
        ),
      );
      seven.appendDecision({
        ...newDecisionRecord(),
        time: NOW,
        positionId: '1#1',
        symbol: 'XAUUSDc',
        rule: 'partial',
        outcome: 'intent',
        reason: 'intent_sent',
        changed: true,
        intentId: 'p1',
      });
      seven.recordIntent(partialIntent('p1', '1#1'));
      seven.markIntent('p1', 'applied', '10009', 'applied', NOW + 1);
    });
    const before = {
      decisions: seven.recentDecisions(10),
      intents: seven.intentsFor('1#1'),
      lifetimes: seven.lifetimesOf('1'),
    };
    seven.close();

    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBeGreaterThanOrEqual(8);
    expect(s.recentDecisions(10)).toEqual(before.decisions);
    expect(s.intentsFor('1#1')).toEqual(before.intents);
    expect(s.lifetimesOf('1')).toEqual(before.lifetimes);
    // Answered before fills were kept: none (the decision's price stands in where it is used).
    expect(s.fillsOf('1#1')).toEqual([]);
    expect(s.closedTradePage({ limit: 10 })).toEqual([]);
    // Every ended lifetime without a record (the recorder keeps only those the venue closed).
    expect(s.endedWithoutClosedTrade(10).map((l) => l.key)).toEqual(['2#1', '4#1', '1#1']);
    s.saveClosedTrade(trade('2#1', NOW + 3 * MIN));
    expect(s.endedWithoutClosedTrade(1).map((l) => l.key)).toEqual(['4#1']);
    s.close();
  });
});
