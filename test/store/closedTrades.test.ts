// Closed trades and intent fills in the SQLite store (schema 8), on real files: a record round-trips
// field for field (nulls, every exit reason and source), saving again replaces it, a ticket's lifetimes
// come back oldest first, pages run newest close first after a (close time, key) cursor with symbol and
// time filters, each page one index range; a fill is kept with its applied answer and read back in
// journal order; a row that fails validation is reported, never skipped. A schema-7 store migrates
// with its journal and lifetimes untouched, and its lifetimes that ended are the ones still to record.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/domain/types.ts';
import { newDecisionRecord } from '../../src/exits/decisionRecord.ts';
import { CLOSED_TRADE_EXITS } from '../../src/store/records.ts';
import { MIGRATIONS } from '../../src/store/sqliteMigrations.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { StoreError, type ClosedTrade, type StoredLifetime } from '../../src/store/store.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-closed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `c${++n}.db`);
const NOW = Date.UTC(2026, 2, 11, 10, 0);
const MIN = 60_000;

function trade(key: string, closeTime: number, over: Partial<ClosedTrade> = {}): ClosedTrade {
  const [ticket] = key.split('#');
  return {
    key,
    ticket: ticket!,
    symbol: 'XAUUSDc',
    side: 'buy',
    openTime: closeTime - 30 * MIN,
    closeTime,
    entryPrice: 2400,
    volume: { opened: 0.3, closed: 0.3, closedByWarden: 0.1 },
    exitPrice: 2402.5,
    exitReason: 'sl',
    realizedProfit: 75,
    partialsProfit: 50,
    hedgesProfit: 0,
    fees: null,
    initialSl: 2390,
    riskMoney: 300,
    r: 0.25,
    deals: [
      {
        time: closeTime - 10 * MIN,
        volume: 0.1,
        price: 2405,
        profit: 50,
        by: 'warden',
        intentId: `${key}:partial:1`,
        partial: true,
        from: 'venue',
      },
      {
        time: closeTime,
        volume: 0.2,
        price: 2401.25,
        profit: 25,
        by: 'sl',
        intentId: '',
        partial: false,
        from: 'venue',
      },
    ],
    hedges: [
      { ticket: null, side: 'sell', volume: 0.15, openPrice: 2399, closePrice: null, profit: null, from: 'decision' },
    ],
    sources: {
      entry: 'venue',
      exit: 'venue',
      realized: 'venue',
      openTime: 'venue',
      closeTime: 'venue',
      initialSl: 'plan',
    },
    history: { venue: 'paper', status: 'answered', attempts: 1, error: '' },
    notes: ['a note'],
    recordedAt: closeTime + 1000,
    ...over,
  };
}

function intent(id: string, positionId: string, over: Partial<Intent> = {}): Intent {
  return {
    id,
    positionId,
    symbol: 'XAUUSDc',
    kind: 'close_partial',
    rule: 'partial',
    episode: 1,
    newSl: Number.NaN,
    oldSl: null,
    volume: 0.1,
    time: NOW,
    price: 2405,
    reason: 'partial',
    targetId: positionId.split('#')[0]!,
    side: 'buy',
    comment: '',
    action: '',
    ...over,
  };
}

const lifetime = (key: string, endedAt: number | null, endReason = 'gone from the venue (closed)'): StoredLifetime => {
  const [ticket, nth] = key.split('#');
  return {
    key,
    ticket: ticket!,
    n: Number(nth),
    symbol: 'XAUUSDc',
    side: 'buy',
    openTime: NOW,
    entryPrice: 2400,
    startedAt: NOW,
    endedAt,
    endReason: endedAt === null ? '' : endReason,
  };
};

describe('closed trades in the store', () => {
  it('a record round-trips field for field; saving the key again replaces it', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    const t = trade('100001#1', NOW);
    s.saveClosedTrade(t);
    expect(s.closedTrade('100001#1')).toEqual(t);
    expect(s.closedTrade('100001#2')).toBeNull();
    // Every exit reason is a stored value; unknown figures stay null.
    for (const exitReason of CLOSED_TRADE_EXITS) {
      const u = trade('100001#1', NOW + MIN, {
        exitReason,
        exitPrice: null,
        realizedProfit: null,
        r: null,
        volume: { opened: null, closed: null, closedByWarden: 0 },
        history: { venue: 'ccxt:binanceusdm', status: 'failed', attempts: 4, error: 'timeout' },
      });
      s.saveClosedTrade(u);
      expect(s.closedTrade('100001#1')).toEqual(u);
    }
    expect(s.closedTradePage({ limit: 10 })).toHaveLength(1);
    s.close();
  });

  it("a ticket's lifetimes oldest first; pages newest close first after a (close time, key) cursor, by symbol and time window", () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    const all: ClosedTrade[] = [];
    for (let i = 0; i < 40; i++) {
      const ticket = String(200 + (i % 7));
      const key = `${ticket}#${Math.floor(i / 7) + 1}`;
      // Pairs share a close time: the key breaks the tie.
      const t = trade(key, NOW + Math.floor(i / 2) * MIN, { symbol: i % 3 === 0 ? 'EURUSD' : 'XAUUSDc' });
      all.push(t);
      s.saveLifetime({ ...lifetime(key, t.closeTime), ticket, n: Math.floor(i / 7) + 1 });
      s.saveClosedTrade(t);
    }
    expect(s.closedTradesOf('203').map((t) => t.key)).toEqual(['203#1', '203#2', '203#3', '203#4', '203#5', '203#6']);
    const order = (xs: ClosedTrade[]) =>
      [...xs].sort((a, b) => b.closeTime - a.closeTime || (a.key < b.key ? 1 : -1)).map((t) => t.key);
    // Every page, walked with the cursor, gives each trade once, in order.
    const walk = (q: { symbol?: string; from?: number; to?: number }, limit: number): string[] => {
      const seen: string[] = [];
      let after: { closeTime: number; key: string } | undefined;
      for (;;) {
        const page = s.closedTradePage({ ...q, limit, ...(after ? { after } : {}) });
        seen.push(...page.map((t) => t.key));
        if (page.length < limit) return seen;
        after = { closeTime: page.at(-1)!.closeTime, key: page.at(-1)!.key };
      }
    };
    expect(walk({}, 7)).toEqual(order(all));
    expect(walk({ symbol: 'EURUSD' }, 3)).toEqual(order(all.filter((t) => t.symbol === 'EURUSD')));
    const from = NOW + 5 * MIN;
    const to = NOW + 12 * MIN;
    expect(walk({ from, to }, 4)).toEqual(order(all.filter((t) => t.closeTime >= from && t.closeTime < to)));
    expect(walk({ symbol: 'XAUUSDc', from, to }, 2)).toEqual(
      order(all.filter((t) => t.symbol === 'XAUUSDc' && t.closeTime >= from && t.closeTime < to)),
    );
    expect(s.closedTradePage({ limit: 0 })).toEqual([]);
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

  it('a fill is kept with its applied answer, read in journal order; none for a refusal or a stop move; a bad row is an error naming it', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    s.recordIntent(intent('a', '7#1'));
    s.recordIntent(intent('b', '7#1', { kind: 'close', rule: 'dtms', action: 'close_all' }));
    s.recordIntent(intent('c', '7#1'));
    s.recordIntent(intent('d', '8#1'));
    s.markIntent('b', 'applied', '10009', 'applied', NOW + 2, 2401.5);
    s.markIntent('a', 'applied', '10009', 'applied', NOW + 3, 2405.25);
    s.markIntent('c', 'rejected', '10016', 'invalid', NOW + 4, 2406);
    s.markIntent('d', 'applied', '10009', 'applied', NOW + 5);
    expect(s.fillsOf('7#1')).toEqual([
      { intentId: 'a', price: 2405.25, at: NOW + 3 },
      { intentId: 'b', price: 2401.5, at: NOW + 2 },
    ]);
    expect(s.fillsOf('8#1')).toEqual([]);
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
      seven.recordIntent(intent('p1', '1#1'));
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
