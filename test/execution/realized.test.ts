// What Warden's requests realized, read from the intent journal: partial and whole closes of the position
// at the venue's fills (the decision's price where no fill was named, said so), DTMS hedges paired with
// the closes of their tickets (one hedge at a time: the n-th open with the n-th hedge close), a hedge
// still open counting nothing yet. Then a closed trade with a DTMS hedge: recorded at once with the
// hedge still open (its result not counted, the record pending), asked again after a wait, and complete
// once the engine closed the orphaned hedge.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClosedPositionFacts } from '../../src/brokers/brokerPort.ts';
import type { Intent } from '../../src/domain/types.ts';
import { ClosedTradeRecorder } from '../../src/execution/closedTrades.ts';
import { hedgeProfit, realizedSoFar, wardenBook } from '../../src/execution/realized.ts';
import type { ExitPlan } from '../../src/exits/exitPlan.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { StoredIntent, StoredLifetime } from '../../src/store/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-realized-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 2, 11, 10);
const MIN = 60_000;

function intent(id: string, o: Partial<Intent>): Intent {
  return {
    id,
    positionId: '7#1',
    symbol: 'XAUUSDc',
    kind: 'close_partial',
    rule: 'partial',
    episode: 1,
    newSl: Number.NaN,
    oldSl: null,
    volume: 0.1,
    time: T0,
    price: 0,
    reason: '',
    targetId: '7',
    side: 'buy',
    comment: '',
    action: '',
    ...o,
  };
}
const applied = (i: Intent, at = i.time): StoredIntent => ({
  intent: i,
  status: 'applied',
  code: '10009',
  reason: 'applied',
  recordedAt: i.time,
  resolvedAt: at,
});

describe('wardenBook and realizedSoFar', () => {
  const partial = intent('7#1:partial:1', { price: 2004, time: T0 + MIN });
  const refused = intent('7#1:partial:2', { price: 2006, time: T0 + 2 * MIN });
  const stop = intent('7#1:trail:1', { kind: 'move_stop', rule: 'trail', newSl: 2001 });
  const hedge1 = intent('7#1:dtms:hedge:1', {
    kind: 'open',
    rule: 'dtms',
    action: 'hedge',
    side: 'sell',
    volume: 0.05,
    targetId: '',
    price: 2003,
    time: T0 + 3 * MIN,
  });
  const unhedge1 = intent('7#1:dtms:close_hedge:1', {
    kind: 'close',
    rule: 'dtms',
    action: 'close_hedge',
    side: 'sell',
    volume: 0.05,
    targetId: '9',
    price: 2001,
    time: T0 + 4 * MIN,
  });
  const hedge2 = intent('7#1:dtms:hedge:2', {
    kind: 'open',
    rule: 'dtms',
    action: 'hedge',
    side: 'sell',
    volume: 0.05,
    targetId: '',
    price: 1999,
    time: T0 + 5 * MIN,
  });
  const journal: StoredIntent[] = [
    applied(partial),
    { ...applied(refused), status: 'rejected' },
    applied(stop),
    applied(hedge1),
    applied(unhedge1),
    applied(hedge2),
  ];
  const fills = [
    { intentId: partial.id, price: 2004.5, at: T0 + MIN + 100 },
    { intentId: hedge1.id, price: 2002.8, at: T0 + 3 * MIN + 100 },
    { intentId: unhedge1.id, price: 2001.2, at: T0 + 4 * MIN + 100 },
  ];

  it("reads the position's closes at their fills, pairs each hedge with its close, and leaves refusals and stop moves out", () => {
    const book = wardenBook(journal, fills, '7');
    expect(book.closes).toEqual([
      {
        intentId: partial.id,
        time: T0 + MIN + 100,
        rule: 'partial',
        partial: true,
        volume: 0.1,
        price: 2004.5,
        from: 'journal',
      },
    ]);
    expect(book.hedges).toEqual([
      {
        ticket: '9',
        side: 'sell',
        volume: 0.05,
        open: expect.objectContaining({ price: 2002.8, from: 'journal' }),
        close: expect.objectContaining({ price: 2001.2, from: 'journal' }),
      },
      // Answered without a fill (an older store, or settled by reconciliation): the decision's price stands in.
      {
        ticket: null,
        side: 'sell',
        volume: 0.05,
        open: expect.objectContaining({ price: 1999, from: 'decision', time: T0 + 5 * MIN }),
        close: null,
      },
    ]);
    expect(hedgeProfit(book.hedges[0]!, 100)).toBeCloseTo((2002.8 - 2001.2) * 0.05 * 100, 9);
    expect(hedgeProfit(book.hedges[1]!, 100)).toBeNull();
    const r = realizedSoFar(book, 'buy', 2000, 100);
    expect(r.closes).toBeCloseTo(4.5 * 0.1 * 100, 9);
    expect(r.hedges).toBeCloseTo(1.6 * 0.05 * 100, 9);
    expect(r.total).toBeCloseTo(r.closes + r.hedges, 9);
    // The open hedge counts nothing yet, so no decision price went into the total.
    expect(r.fromDecision).toBe(false);
    expect(realizedSoFar(wardenBook([], [], '7'), 'buy', 2000, 100)).toEqual({
      closes: 0,
      hedges: 0,
      total: 0,
      fromDecision: false,
    });
  });
});

describe('a closed trade with a DTMS hedge left open', () => {
  it('is recorded with the hedge not counted, asked again, and complete once the orphaned hedge is closed', async () => {
    const store = openSqliteStore(join(dir, 'hedge.db'), { now: T0 });
    const lifetime: StoredLifetime = {
      key: '7#1',
      ticket: '7',
      n: 1,
      symbol: 'XAUUSDc',
      side: 'buy',
      openTime: T0,
      entryPrice: 2000,
      startedAt: T0,
      endedAt: T0 + 10 * MIN,
      endReason: 'gone from the venue (closed)',
    };
    store.saveLifetime(lifetime);
    const hedge = intent('7#1:dtms:hedge:1', {
      kind: 'open',
      rule: 'dtms',
      action: 'hedge',
      side: 'sell',
      volume: 0.5,
      targetId: '',
      price: 1995,
      time: T0 + 3 * MIN,
    });
    store.recordIntent(hedge);
    store.markIntent(hedge.id, 'applied', '10009', 'applied', T0 + 3 * MIN, 1995);
    // The venue: opened 1 lot at 2000, its stop filled at 1990.
    const facts: ClosedPositionFacts = {
      deals: [
        { time: T0, entry: 'in', volume: 1, price: 2000, profit: 0, fees: -1, cause: 'outside', requestId: '' },
        {
          time: T0 + 9 * MIN,
          entry: 'out',
          volume: 1,
          price: 1990,
          profit: -1000,
          fees: -1,
          cause: 'sl',
          requestId: '',
        },
      ],
      notes: [],
    };
    const waits: number[] = [];
    let orphanClosed = false;
    const recorder = new ClosedTradeRecorder({
      store,
      venue: { name: 'test', closedPosition: async () => facts },
      instruments: [
        {
          symbol: 'XAUUSDc',
          canonical: 'XAUUSD',
          tickSize: 0.01,
          digits: 2,
          point: 0.01,
          lotStep: 0.01,
          minLot: 0.01,
          maxLot: 100,
          contractSize: 100,
          stopsLevelPoints: 0,
          freezeLevelPoints: 0,
          hedging: true,
          crypto: false,
        },
      ],
      clock: () => T0 + 11 * MIN,
      sleep: async (ms) => {
        waits.push(ms);
        // Meanwhile the engine closed the orphaned hedge (its close intent names the hedge's ticket).
        if (!orphanClosed) {
          orphanClosed = true;
          expect(store.closedTrade('7#1')).toMatchObject({
            realizedProfit: null,
            hedgesProfit: null,
            history: { status: 'pending', attempts: 1 },
          });
          const close = intent('7#1:dtms:orphan_hedge:9', {
            kind: 'close',
            rule: 'dtms',
            action: 'close_orphan_hedge',
            side: 'sell',
            volume: 0.5,
            targetId: '9',
            price: 1990,
            time: T0 + 10 * MIN,
          });
          store.recordIntent(close);
          store.markIntent(close.id, 'applied', '10009', 'applied', T0 + 10 * MIN, 1990.5);
        }
      },
    });
    const plan = { initialSl: 1980, risk: 20, initialVolume: 1 } as ExitPlan;
    recorder.ended({ lifetime, plan, position: undefined, hedgeId: '9' });
    await recorder.idle();
    expect(waits).toEqual([2_000]);
    const t = store.closedTrade('7#1')!;
    expect(t.hedges).toEqual([
      {
        ticket: '9',
        side: 'sell',
        volume: 0.5,
        openPrice: 1995,
        closePrice: 1990.5,
        profit: expect.closeTo(4.5 * 0.5 * 100, 6),
        from: 'journal',
      },
    ]);
    expect(t.hedgesProfit).toBeCloseTo(225, 6);
    expect(t.realizedProfit).toBeCloseTo(-1000 + 225, 6);
    expect(t.fees).toBe(-2);
    expect(t.r).toBeCloseTo(-775 / (20 * 1 * 100), 8);
    expect(t.exitReason).toBe('sl');
    expect(t.sources.realized).toBe('venue');
    expect(t.history).toEqual({ venue: 'test', status: 'answered', attempts: 2, error: '' });
    expect(t.notes).toEqual([]);
    await recorder.close();
    store.close();
  });
});
