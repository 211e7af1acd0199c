// The broker contract against the ccxt adapter (Binance USD-M), wired to an in-memory Binance REST API
// through ccxt's fetchImplementation: no network. Cases that cannot apply to Binance (stops and freeze
// levels, requotes, several positions per side, a market that closes) are reported as skipped by the
// contract itself.
import * as ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { RETCODE } from '../../src/brokers/brokerAnswer.ts';
import { CcxtBroker } from '../../src/brokers/ccxtBroker.ts';
import { answerForError } from '../../src/brokers/ccxtErrors.ts';
import { clientOrderId } from '../../src/brokers/ccxtRecords.ts';
import type { Intent } from '../../src/domain/types.ts';
import { brokerContract, protectionLapses } from './brokerContract.ts';
import { FakeBinanceUsdm, XAU } from './fakeBinanceUsdm.ts';

const API_KEY = 'test-api-key-0123456789';
const SECRET = 'test-secret-9876543210';

function venue(hedge: boolean): { fake: FakeBinanceUsdm; broker: CcxtBroker } {
  const fake = new FakeBinanceUsdm();
  fake.dualSide = hedge;
  // The adapter's clock is the fake venue's: a bar forming at `fake.now` is told from a closed one.
  const broker = new CcxtBroker({
    exchangeId: 'binanceusdm',
    apiKey: API_KEY,
    secret: SECRET,
    fetchImplementation: fake.fetch,
    enableRateLimit: false,
    timeoutMs: 2_000,
    clock: () => fake.now,
  });
  return { fake, broker };
}

brokerContract(
  'ccxt binanceusdm (fake REST API)',
  async (v) => {
    const { fake, broker } = venue(v.mode === 'hedging');
    return {
      broker,
      symbol: XAU,
      async open(side, volume, sl, tp) {
        return fake.traderOpen(side, volume, sl, tp);
      },
      async setBid(bid) {
        fake.bid = bid;
      },
      failNext(kind) {
        fake.failNext(kind);
      },
      failWrites(kinds) {
        fake.failWrites(kinds);
      },
      protectedHistory() {
        return fake.protectedHistory;
      },
      async feedBars(bars, now) {
        fake.feedBars(bars, now);
      },
      async close() {
        await broker.close();
        expect(fake.unexpected).toEqual([]);
      },
    };
  },
  { stopsLevel: false, freezeLevel: false, requote: false, positionPerOrder: false, marketClosed: false },
);

const intent = (o: Partial<Intent> & Pick<Intent, 'id' | 'kind' | 'positionId'>): Intent => ({
  symbol: XAU,
  rule: 'trail',
  episode: 1,
  newSl: Number.NaN,
  oldSl: null,
  volume: 0,
  time: 0,
  price: 0,
  reason: 'test',
  targetId: o.positionId,
  side: 'buy',
  comment: '',
  action: '',
  ...o,
});

describe('ccxt adapter: Binance USD-M specifics', () => {
  it('moves a stop make-before-break: a reduce-only STOP_MARKET for the position size first (client id: the sanitised intent id), then the old closePosition stop cancelled', async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.3, 1990, 2030);
    const oldStop = fake.algo.find((o) => o.orderType === 'STOP_MARKET')!;
    fake.seen.length = 0;
    const it = intent({ id: 'XAU/USDT:USDT:long|trail#7', kind: 'move_stop', positionId: id, newSl: 1995.5 });
    const a = await broker.send(it);
    expect(a).toMatchObject({ outcome: 'applied', positionId: id });
    const writes = fake.seen.filter((r) => r.method !== 'GET');
    expect(writes).toEqual([
      {
        method: 'POST',
        path: '/fapi/v1/algoOrder',
        params: expect.objectContaining({
          symbol: 'XAUUSDT',
          side: 'SELL',
          type: 'STOP_MARKET',
          triggerPrice: '1995.5',
          quantity: '0.3',
          reduceOnly: 'true',
          workingType: 'MARK_PRICE',
          algoType: 'CONDITIONAL',
          clientAlgoId: 'XAU/USDT:USDT:long_trail_7',
        }),
      },
      { method: 'DELETE', path: '/fapi/v1/algoOrder', params: { algoId: String(oldStop.algoId), symbol: 'XAUUSDT' } },
    ]);
    expect(writes[0]!.params).not.toHaveProperty('closePosition');
    expect(clientOrderId(it.id)).toBe('XAU/USDT:USDT:long_trail_7');
    // The same intent again is recognised by its client id: nothing more is sent.
    fake.seen.length = 0;
    expect(await broker.send(it)).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES });
    expect(fake.seen.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await broker.positions())[0]).toMatchObject({ sl: 1995.5, tp: 2030 });
    // A second move replaces Warden's own quantity stop the same way; the target is never touched.
    expect(await broker.send(intent({ id: 'mv2', kind: 'move_stop', positionId: id, newSl: 1996 }))).toMatchObject({
      outcome: 'applied',
    });
    expect(fake.algo.map((o) => [o.orderType, o.triggerPrice, o.quantity, o.closePosition])).toEqual([
      ['TAKE_PROFIT_MARKET', 2030, 0, true],
      ['STOP_MARKET', 1996, 0.3, false],
    ]);
    expect(protectionLapses(fake.protectedHistory)).toEqual([]);
    expect(fake.unexpected).toEqual([]);
  });

  it('hedge mode: the new stop goes on the position side (positionSide, no reduceOnly) with its quantity', async () => {
    const { fake, broker } = venue(true);
    const id = fake.traderOpen('sell', 0.2, 2010, null);
    fake.seen.length = 0;
    expect(
      await broker.send(intent({ id: 'h-mv', kind: 'move_stop', positionId: id, newSl: 2005, side: 'sell' })),
    ).toMatchObject({ outcome: 'applied' });
    const post = fake.seen.find((r) => r.method === 'POST')!;
    expect(post.params).toMatchObject({
      side: 'BUY',
      positionSide: 'SHORT',
      type: 'STOP_MARKET',
      quantity: '0.2',
      triggerPrice: '2005',
    });
    expect(post.params).not.toHaveProperty('reduceOnly');
    expect(fake.algo.map((o) => [o.triggerPrice, o.positionSide])).toEqual([[2005, 'SHORT']]);
    expect(protectionLapses(fake.protectedHistory)).toEqual([]);
  });

  it('a new stop that is refused or lost leaves the old one alone (nothing cancelled); one whose answer is lost after it went in is looked up: applied, and the old one cancelled', async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.3, 1990, 2030);
    const stops = () => fake.algo.filter((o) => o.orderType === 'STOP_MARKET').map((o) => o.triggerPrice);
    fake.seen.length = 0;
    fake.failWrites(['reject']);
    expect(await broker.send(intent({ id: 's1', kind: 'move_stop', positionId: id, newSl: 1994 }))).toMatchObject({
      outcome: 'rejected',
      code: RETCODE.INVALID_VOLUME,
    });
    fake.failWrites(['timeout_lost']);
    expect(await broker.send(intent({ id: 's2', kind: 'move_stop', positionId: id, newSl: 1994 }))).toMatchObject({
      outcome: 'unknown',
      code: RETCODE.TIMEOUT,
    });
    fake.failWrites(['rate_limit']);
    expect(await broker.send(intent({ id: 's3', kind: 'move_stop', positionId: id, newSl: 1994 }))).toMatchObject({
      outcome: 'rejected',
      retryable: true,
      retryAfterMs: 2000,
    });
    expect(stops()).toEqual([1990]);
    expect(fake.seen.filter((r) => r.method === 'DELETE')).toEqual([]);
    fake.failWrites(['timeout_applied']);
    expect(await broker.send(intent({ id: 's4', kind: 'move_stop', positionId: id, newSl: 1994 }))).toMatchObject({
      outcome: 'applied',
      code: RETCODE.DONE,
    });
    expect(stops()).toEqual([1994]);
    expect(protectionLapses(fake.protectedHistory)).toEqual([]);
    expect(fake.unexpected).toEqual([]);
  });

  it('a cancel of the old stop that fails after the new one is in: applied, tried again (a lost answer is looked up), and what is left is cleaned up by the next read, which shows the newest stop', async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.3, 1990, 2030);
    const stops = () => fake.algo.filter((o) => o.orderType === 'STOP_MARKET').map((o) => o.triggerPrice);
    // The cancel's answer lost after it took effect: looked up, gone, not sent again.
    fake.failWrites([null, 'timeout_applied']);
    fake.seen.length = 0;
    expect(await broker.send(intent({ id: 'c1', kind: 'move_stop', positionId: id, newSl: 1993 }))).toMatchObject({
      outcome: 'applied',
    });
    expect(fake.seen.filter((r) => r.method !== 'GET').map((r) => r.method)).toEqual(['POST', 'DELETE']);
    expect(stops()).toEqual([1993]);
    // The cancel refused three times (rate limit): the move is applied all the same, and the position holds two stops.
    fake.failWrites([null, 'rate_limit', 'rate_limit', 'rate_limit']);
    expect(await broker.send(intent({ id: 'c2', kind: 'move_stop', positionId: id, newSl: 1995 }))).toMatchObject({
      outcome: 'applied',
    });
    expect(stops()).toEqual([1993, 1995]);
    // The next read: the newest stop is the position's, the stale one is cancelled.
    fake.seen.length = 0;
    expect((await broker.positions())[0]).toMatchObject({ sl: 1995, tp: 2030 });
    expect(fake.seen.filter((r) => r.method !== 'GET').map((r) => r.method)).toEqual(['DELETE']);
    expect(stops()).toEqual([1995]);
    // Two stops again (a lost cancel, three times), then the same intent resent: NO_CHANGES, and the stale stop goes.
    const again = intent({ id: 'c3', kind: 'move_stop', positionId: id, newSl: 1996 });
    fake.failWrites([null, 'timeout_lost', 'timeout_lost', 'timeout_lost']);
    expect(await broker.send(again)).toMatchObject({ outcome: 'applied' });
    expect(stops()).toEqual([1995, 1996]);
    expect(await broker.send(again)).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES });
    expect(stops()).toEqual([1996]);
    const history = fake.protectedHistory.filter((s) => s.position === id);
    expect(Math.max(...history.map((s) => s.stops))).toBe(2);
    expect(protectionLapses(fake.protectedHistory)).toEqual([]);
    expect(fake.unexpected).toEqual([]);
  });

  it('a partial close resizes a quantity stop to what is left (new stop first, then the old one cancelled); a closePosition stop is left as it is; a failed resize leaves the larger stop', async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.5, 1990, null);
    // The trader's closePosition stop follows the size by itself.
    fake.seen.length = 0;
    expect(
      await broker.send(intent({ id: 'pc1', kind: 'close_partial', positionId: id, volume: 0.1, rule: 'partial' })),
    ).toMatchObject({ outcome: 'applied' });
    expect(fake.seen.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /fapi/v1/order',
    ]);
    expect(await broker.send(intent({ id: 'mv', kind: 'move_stop', positionId: id, newSl: 1992 }))).toMatchObject({
      outcome: 'applied',
    });
    expect(fake.algo.map((o) => [o.triggerPrice, o.quantity])).toEqual([[1992, 0.4]]);
    fake.seen.length = 0;
    expect(
      await broker.send(intent({ id: 'pc2', kind: 'close_partial', positionId: id, volume: 0.15, rule: 'partial' })),
    ).toMatchObject({ outcome: 'applied' });
    const writes = fake.seen.filter((r) => r.method !== 'GET');
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /fapi/v1/order',
      'POST /fapi/v1/algoOrder',
      'DELETE /fapi/v1/algoOrder',
    ]);
    expect(writes[1]!.params).toMatchObject({
      type: 'STOP_MARKET',
      triggerPrice: '1992',
      quantity: '0.25',
      reduceOnly: 'true',
      clientAlgoId: 'pc2:resize',
    });
    expect(fake.algo.map((o) => [o.triggerPrice, o.quantity])).toEqual([[1992, 0.25]]);
    // The resize refused: the partial close is applied, the old (larger, reduce-only) stop stays and still covers the rest.
    fake.failWrites([null, 'reject']);
    expect(
      await broker.send(intent({ id: 'pc3', kind: 'close_partial', positionId: id, volume: 0.05, rule: 'partial' })),
    ).toMatchObject({ outcome: 'applied' });
    expect(fake.algo.map((o) => [o.triggerPrice, o.quantity])).toEqual([[1992, 0.25]]);
    expect(fake.protectedNow('XAUUSDT:BOTH')).toEqual({ size: 0.2, protected: 0.2, stops: 1 });
    // A partial whose answer was lost after the fill: the retry recognises the fill and resizes then.
    fake.failWrites(['timeout_applied']);
    const lost = intent({ id: 'pc4', kind: 'close_partial', positionId: id, volume: 0.05, rule: 'partial' });
    expect((await broker.send(lost)).outcome).toBe('unknown');
    expect(await broker.send(lost)).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES });
    expect(fake.algo.map((o) => [o.triggerPrice, o.quantity])).toEqual([[1992, 0.15]]);
    // Closed whole: its stop goes with it (a quantity stop left open would act on the next position of that side).
    expect(await broker.send(intent({ id: 'cl', kind: 'close', positionId: id, rule: 'dtms' }))).toMatchObject({
      outcome: 'applied',
    });
    expect(fake.algo).toEqual([]);
    expect(protectionLapses(fake.protectedHistory)).toEqual([]);
    expect(fake.unexpected).toEqual([]);
  });

  it('client ids stay within Binance alphabet and 36 characters, the same for the same intent', () => {
    const long = 'BTC/USDT:USDT:long:dtms:tighten:episode:12345678';
    expect(clientOrderId(long)).toMatch(/^[.A-Z:/a-z0-9_-]{1,36}$/);
    expect(clientOrderId(long)).toBe(clientOrderId(long));
    expect(clientOrderId(long)).not.toBe(clientOrderId(`${long}9`));
  });

  it("one-way: a reduce-only partial close below the min notional is sent (Binance exempts it); an open below it is the venue's -4164", async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.5, 1990, null);
    fake.seen.length = 0;
    // 0.002 at 2000 is 4 USDT, under the market's 5.
    const a = await broker.send(
      intent({ id: 'p1', kind: 'close_partial', positionId: id, volume: 0.002, rule: 'partial' }),
    );
    expect(a).toMatchObject({ outcome: 'applied', code: RETCODE.DONE, positionId: id });
    expect(fake.seen.filter((r) => r.method === 'POST')).toEqual([
      {
        method: 'POST',
        path: '/fapi/v1/order',
        params: expect.objectContaining({ side: 'SELL', quantity: '0.002', reduceOnly: 'true' }),
      },
    ]);
    expect((await broker.positions())[0]?.volume).toBeCloseTo(0.498, 9);
    const o = await broker.send(
      intent({ id: 'o1', kind: 'open', positionId: id, targetId: '', volume: 0.002, side: 'sell' }),
    );
    expect(o).toMatchObject({ outcome: 'rejected', retryable: false, code: RETCODE.INVALID_VOLUME });
    if (o.outcome === 'rejected') expect(o.reason).toContain('-4164');
  });

  it('hedge mode: a partial close below the min notional is sent (no local check) and the venue answers; -4164 is a refusal of the volume', async () => {
    const { fake, broker } = venue(true);
    const id = fake.traderOpen('buy', 0.5, 1990, null);
    fake.seen.length = 0;
    const a = await broker.send(
      intent({ id: 'h1', kind: 'close_partial', positionId: id, volume: 0.002, rule: 'partial' }),
    );
    expect(a).toMatchObject({ outcome: 'rejected', retryable: false, code: RETCODE.INVALID_VOLUME });
    const posts = fake.seen.filter((r) => r.method === 'POST');
    expect(posts).toEqual([
      {
        method: 'POST',
        path: '/fapi/v1/order',
        params: expect.objectContaining({ side: 'SELL', positionSide: 'LONG', quantity: '0.002' }),
      },
    ]);
    expect(posts[0]!.params).not.toHaveProperty('reduceOnly');
    expect((await broker.positions())[0]?.volume).toBe(0.5);
    // Were Binance to exempt hedge-mode closing orders too, the same request goes through.
    fake.hedgeCloseMinNotional = false;
    expect(
      await broker.send(intent({ id: 'h2', kind: 'close_partial', positionId: id, volume: 0.002, rule: 'partial' })),
    ).toMatchObject({ outcome: 'applied', positionId: id });
    expect((await broker.positions())[0]?.volume).toBeCloseTo(0.498, 9);
  });

  it('closes part of a one-way position with a reduce-only MARKET order; in hedge mode with positionSide and no reduceOnly', async () => {
    for (const hedge of [false, true]) {
      const { fake, broker } = venue(hedge);
      const id = fake.traderOpen('sell', 0.5, 2010, null);
      fake.seen.length = 0;
      expect(
        await broker.send(
          intent({ id: `p-${hedge}`, kind: 'close_partial', positionId: id, volume: 0.2, side: 'sell' }),
        ),
      ).toMatchObject({ outcome: 'applied', price: 2000.1 });
      const post = fake.seen.find((r) => r.method === 'POST')!;
      expect(post.path).toBe('/fapi/v1/order');
      expect(post.params).toMatchObject({
        type: 'MARKET',
        side: 'BUY',
        quantity: '0.2',
        newClientOrderId: `p-${hedge}`,
      });
      if (hedge) {
        expect(post.params['positionSide']).toBe('SHORT');
        expect(post.params).not.toHaveProperty('reduceOnly');
      } else {
        expect(post.params['reduceOnly']).toBe('true');
      }
    }
  });

  it('answers a rate limit with the venue wait, and keeps credentials out of every reason', async () => {
    const { fake, broker } = venue(true);
    const id = fake.traderOpen('buy', 0.1, 1990, null);
    fake.failNext('rate_limit');
    const a = await broker.send(intent({ id: 'r1', kind: 'move_stop', positionId: id, newSl: 1993 }));
    expect(a).toMatchObject({
      outcome: 'rejected',
      retryable: true,
      code: RETCODE.TOO_MANY_REQUESTS,
      retryAfterMs: 2000,
    });
    const text = JSON.stringify(a);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('signature=');
  });

  it('reports the instrument from the market; an unknown symbol throws clearly', async () => {
    const { broker } = venue(true);
    expect(await broker.instrument(XAU)).toMatchObject({
      symbol: XAU,
      canonical: 'XAUUSD',
      tickSize: 0.01,
      digits: 2,
      point: 0.01,
      lotStep: 0.001,
      minLot: 0.001,
      contractSize: 1,
      stopsLevelPoints: 0,
      freezeLevelPoints: 0,
      hedging: true,
      crypto: true,
    });
    await expect(broker.instrument('XAUUSDc')).rejects.toThrow(/no market XAUUSDc/);
  });

  it('maps ccxt errors and raw Binance codes (the table in the adapter header)', () => {
    const cases: [Error, string, number, boolean | null][] = [
      [new ccxt.RequestTimeout('binanceusdm POST timed out'), 'unknown', RETCODE.TIMEOUT, null],
      [new ccxt.NetworkError('fetch failed'), 'unknown', RETCODE.CONNECTION, null],
      [new ccxt.RateLimitExceeded('slow down'), 'rejected', RETCODE.TOO_MANY_REQUESTS, true],
      [
        new ccxt.DDoSProtection('binanceusdm 429 {"code":-1003,"msg":"Too many requests"}'),
        'rejected',
        RETCODE.TOO_MANY_REQUESTS,
        true,
      ],
      [new ccxt.ExchangeNotAvailable('maintenance'), 'rejected', RETCODE.TRADE_DISABLED, true],
      [new ccxt.InvalidOrder('binanceusdm {"code":-4164,"msg":"notional"}'), 'rejected', RETCODE.INVALID_VOLUME, false],
      [
        new ccxt.OrderImmediatelyFillable('binanceusdm {"code":-2021,"msg":"Order would immediately trigger."}'),
        'rejected',
        RETCODE.INVALID_STOPS,
        false,
      ],
      [
        new ccxt.InvalidOrder('binanceusdm {"code":-2022,"msg":"ReduceOnly Order is rejected."}'),
        'rejected',
        RETCODE.INVALID_CLOSE_VOLUME,
        false,
      ],
      [
        new ccxt.OrderNotFound('binanceusdm {"code":-2011,"msg":"Unknown order sent."}'),
        'rejected',
        RETCODE.REJECT,
        false,
      ],
      [new ccxt.InsufficientFunds('margin'), 'rejected', RETCODE.NO_MONEY, false],
      [new ccxt.BadSymbol('no such market'), 'rejected', RETCODE.INVALID, false],
      [new ccxt.BadRequest('bad'), 'rejected', RETCODE.INVALID, false],
      [new ccxt.InvalidOrder('bad order'), 'rejected', RETCODE.INVALID, false],
      [new ccxt.AuthenticationError('key'), 'rejected', RETCODE.REJECT, false],
      [new Error('something else'), 'unknown', RETCODE.ERROR, null],
    ];
    for (const [err, outcome, code, retryable] of cases) {
      const a = answerForError(err);
      expect({ name: err.constructor.name, outcome: a.outcome, code: a.code }).toEqual({
        name: err.constructor.name,
        outcome,
        code,
      });
      if (a.outcome === 'rejected') expect(a.retryable).toBe(retryable);
    }
  });

  it('a close answered by a timeout after the fill, resent with the same intent id (by a restarted adapter), is recognised by its client id: one POST only', async () => {
    for (const hedge of [false, true]) {
      const { fake, broker } = venue(hedge);
      const id = fake.traderOpen('buy', 0.2, 1990, null);
      const it = intent({ id: `close|dtms#${hedge}`, kind: 'close', positionId: id, rule: 'dtms' });
      fake.failNext('timeout_applied');
      expect(await broker.send(it)).toMatchObject({ outcome: 'unknown', code: RETCODE.TIMEOUT });
      expect(await broker.positions()).toEqual([]);
      // A new adapter on the same account: nothing remembered in-process.
      const restarted = new CcxtBroker({
        exchangeId: 'binanceusdm',
        apiKey: API_KEY,
        secret: SECRET,
        fetchImplementation: fake.fetch,
        enableRateLimit: false,
      });
      const again = await restarted.send(it);
      expect(again).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES, positionId: id, price: 2000 });
      expect(fake.seen.filter((r) => r.method === 'POST' && r.path === '/fapi/v1/order')).toHaveLength(1);
      const lookups = fake.seen.filter((r) => r.method === 'GET' && r.path === '/fapi/v1/order');
      expect(lookups.at(-1)!.params).toEqual({ symbol: 'XAUUSDT', origClientOrderId: clientOrderId(it.id) });
      expect(fake.orders).toHaveLength(1);
      expect(fake.unexpected).toEqual([]);
    }
  });

  it('a partial close after a timeout is not closed twice; a hedge open after a timeout is recognised and gets its stop', async () => {
    const { fake, broker } = venue(true);
    const id = fake.traderOpen('buy', 0.5, 1990, null);
    const part = intent({ id: 'part|partial#1', kind: 'close_partial', positionId: id, volume: 0.2, rule: 'partial' });
    fake.failNext('timeout_applied');
    expect((await broker.send(part)).outcome).toBe('unknown');
    expect(await broker.send(part)).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES });
    expect((await broker.positions()).find((p) => p.id === id)?.volume).toBeCloseTo(0.3, 9);
    const hedge = intent({
      id: 'hedge|dtms#1',
      kind: 'open',
      positionId: id,
      targetId: '',
      volume: 0.1,
      side: 'sell',
      newSl: 2006,
      comment: 'DTMS_HEDGE_x_1',
      rule: 'dtms',
    });
    fake.failNext('timeout_applied');
    expect((await broker.send(hedge)).outcome).toBe('unknown');
    const short = `${XAU}:short`;
    expect((await broker.positions()).find((p) => p.id === short)).toMatchObject({ volume: 0.1, sl: null });
    expect(await broker.send(hedge)).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES, positionId: short });
    expect((await broker.positions()).find((p) => p.id === short)).toMatchObject({
      volume: 0.1,
      sl: 2006,
      comment: 'DTMS_HEDGE_x_1',
    });
    expect(fake.seen.filter((r) => r.method === 'POST' && r.path === '/fapi/v1/order')).toHaveLength(2);
  });

  it('an earlier order of the intent: partly filled is applied (DONE_PARTIAL), still working is unknown, ended unfilled is sent again', async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.5, 1990, null);
    const send = (n: string) =>
      broker.send(intent({ id: n, kind: 'close_partial', positionId: id, volume: 0.2, rule: 'partial' }));
    fake.pastOrder({ clientOrderId: 'partly', side: 'SELL', status: 'EXPIRED', origQty: 0.2, executedQty: 0.1 });
    fake.pastOrder({ clientOrderId: 'working', side: 'SELL', status: 'NEW', origQty: 0.2, executedQty: 0 });
    fake.pastOrder({ clientOrderId: 'expired', side: 'SELL', status: 'EXPIRED', origQty: 0.2, executedQty: 0 });
    fake.seen.length = 0;
    expect(await send('partly')).toMatchObject({ outcome: 'applied', code: RETCODE.DONE_PARTIAL, positionId: id });
    expect(await send('working')).toMatchObject({
      outcome: 'unknown',
      code: RETCODE.TIMEOUT,
      reason: expect.stringContaining('still working'),
    });
    expect(fake.seen.filter((r) => r.method === 'POST')).toEqual([]);
    expect(await send('expired')).toMatchObject({ outcome: 'applied', code: RETCODE.DONE });
    expect(fake.seen.filter((r) => r.method === 'POST')).toEqual([
      {
        method: 'POST',
        path: '/fapi/v1/order',
        params: expect.objectContaining({ newClientOrderId: 'expired', quantity: '0.2' }),
      },
    ]);
  });

  it('reads candles through GET /fapi/v1/klines, in pages of 1,000 going back for a longer history, and rolls M1 up for longer timeframes', async () => {
    const { fake, broker } = venue(false);
    const t0 = Date.UTC(2024, 4, 14, 0, 0);
    const bars = Array.from({ length: 1600 }, (_, i) => ({
      time: t0 + i * 60_000,
      open: 2000 + i,
      high: 2001 + i,
      low: 1999 + i,
      close: 2000.5 + i,
      volume: 1,
      spread: Number.NaN,
    }));
    fake.feedBars(bars, t0 + 1599 * 60_000 + 10_000);
    fake.seen.length = 0;
    const got = await broker.candles(XAU, 'M1', 1500);
    expect(got).toHaveLength(1500);
    expect(got[0]!.time).toBe(bars[99]!.time);
    expect(got.at(-1)!.time).toBe(bars[1598]!.time);
    expect(got.every((b, i) => i === 0 || b.time - got[i - 1]!.time === 60_000)).toBe(true);
    const klines = fake.seen.filter((r) => r.path === '/fapi/v1/klines');
    expect(klines.map((r) => r.params)).toEqual([
      { symbol: 'XAUUSDT', interval: '1m', limit: '1000' },
      { symbol: 'XAUUSDT', interval: '1m', limit: '501', endTime: String(bars[600]!.time - 1) },
    ]);
    // M5: the last two closed 5-minute bars (the one opened at bar 1595 is still forming).
    const m5 = await broker.candles(XAU, 'M5', 2);
    expect(m5.map((b) => b.time)).toEqual([bars[1585]!.time, bars[1590]!.time]);
    expect(m5[1]).toMatchObject({
      open: bars[1590]!.open,
      high: bars[1594]!.high,
      low: bars[1590]!.low,
      close: bars[1594]!.close,
      volume: 5,
    });
    expect(await broker.candles(XAU, 'M1', 0)).toEqual([]);
    expect(fake.unexpected).toEqual([]);
  });

  it("sends the requests ccxt's recorded Binance traffic has for the same unified calls (ccxt/ccxt ts/src/test/static/request/binance.json)", async () => {
    for (const hedge of [false, true]) {
      const { fake, broker } = venue(hedge);
      const id = fake.traderOpen('buy', 0.5, 1990, 2030);
      await broker.quote(XAU);
      await broker.positions();
      await broker.send(intent({ id: `mv-${hedge}`, kind: 'move_stop', positionId: id, newSl: 1995 }));
      await broker.send(intent({ id: `pc-${hedge}`, kind: 'close_partial', positionId: id, volume: 0.1 }));
      const one = (method: string, path: string) =>
        fake.seen.filter((r) => r.method === method && r.path === path).map((r) => r.params);
      // fetchPositionMode, fetchPositions, fetchBidsAsks([symbol]): as recorded.
      expect(one('GET', '/fapi/v1/positionSide/dual')).toEqual([{}]);
      expect(new Set(one('GET', '/fapi/v3/positionRisk').map((p) => JSON.stringify(p)))).toEqual(new Set(['{}']));
      expect(one('GET', '/fapi/v1/ticker/bookTicker')).toEqual([{ symbol: 'XAUUSDT' }]);
      // fetchOpenOrders(symbol, …, {trigger:true}) as recorded; the account-wide read is the same path without symbol.
      expect(one('GET', '/fapi/v1/openAlgoOrders')).toContainEqual({ symbol: 'XAUUSDT' });
      expect(one('GET', '/fapi/v1/openAlgoOrders')).toContainEqual({});
      // cancelOrder(id, symbol, {trigger:true}) as recorded: symbol and algoId only (the move's old stop, then the partial's resized one).
      expect(one('DELETE', '/fapi/v1/algoOrder')).toEqual([
        { symbol: 'XAUUSDT', algoId: expect.stringMatching(/^\d+$/) },
        { symbol: 'XAUUSDT', algoId: expect.stringMatching(/^\d+$/) },
      ]);
      // createOrder conditional: the recorded keys (newOrderRespType=RESULT, type, triggerPrice, algoType=CONDITIONAL);
      // the client id goes as clientAlgoId (ccxt 4.5.84; the recording, made before that change, has newClientOrderId).
      const [stop] = one('POST', '/fapi/v1/algoOrder');
      expect(stop).toMatchObject({
        symbol: 'XAUUSDT',
        side: 'SELL',
        newOrderRespType: 'RESULT',
        type: 'STOP_MARKET',
        triggerPrice: '1995',
        algoType: 'CONDITIONAL',
        clientAlgoId: `mv-${hedge}`,
      });
      expect(stop).not.toHaveProperty('newClientOrderId');
      // fetchOrder by client id (fetchOrderWithClientOrderId) and the market close as recorded; hedged: positionSide, no reduceOnly.
      expect(one('GET', '/fapi/v1/order')).toEqual([{ symbol: 'XAUUSDT', origClientOrderId: `pc-${hedge}` }]);
      expect(one('POST', '/fapi/v1/order')).toEqual([
        {
          symbol: 'XAUUSDT',
          side: 'SELL',
          newClientOrderId: `pc-${hedge}`,
          newOrderRespType: 'RESULT',
          type: 'MARKET',
          quantity: '0.1',
          ...(hedge ? { positionSide: 'LONG' } : { reduceOnly: 'true' }),
        },
      ]);
      expect(fake.unexpected).toEqual([]);
    }
  });

  it("reads Binance's integers served as strings, as ccxt's older recorded responses have them", async () => {
    for (const hedge of [false, true]) {
      const { fake, broker } = venue(hedge);
      fake.integersAsStrings = true;
      const t0 = fake.now - 5 * 60_000;
      fake.feedBars(
        Array.from({ length: 5 }, (_, i) => ({
          time: t0 + i * 60_000,
          open: 2000,
          high: 2001,
          low: 1999,
          close: 2000.5,
          volume: 1,
          spread: Number.NaN,
        })),
        fake.now,
      );
      const id = fake.traderOpen('buy', 0.5, 1990, 2030);
      expect(await broker.instrument(XAU)).toMatchObject({ tickSize: 0.01, lotStep: 0.001, minLot: 0.001 });
      expect((await broker.candles(XAU, 'M1', 2)).map((b) => b.time)).toEqual([t0 + 3 * 60_000, t0 + 4 * 60_000]);
      // Binance's updateTime is not an open time: the adapter says "unknown" (0).
      expect(await broker.positions()).toMatchObject([{ id, volume: 0.5, sl: 1990, tp: 2030, openTime: 0 }]);
      expect(
        await broker.send(intent({ id: `s-${hedge}`, kind: 'move_stop', positionId: id, newSl: 1995.5 })),
      ).toMatchObject({ outcome: 'applied', code: RETCODE.DONE });
      expect((await broker.positions())[0]).toMatchObject({ sl: 1995.5, tp: 2030 });
      // A close answered by a timeout after the fill is recognised by its client id all the same.
      const close = intent({ id: `c-${hedge}`, kind: 'close', positionId: id });
      fake.failNext('timeout_applied');
      expect((await broker.send(close)).outcome).toBe('unknown');
      expect(await broker.send(close)).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES });
      expect(fake.unexpected).toEqual([]);
    }
  });

  it('close() is idempotent; a closed adapter sends nothing', async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.2, 1990, null);
    expect(await broker.positions()).toHaveLength(1);
    await broker.close();
    await broker.close();
    fake.seen.length = 0;
    expect(await broker.send(intent({ id: 'c1', kind: 'close', positionId: id }))).toMatchObject({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.REJECT,
    });
    await expect(broker.positions()).rejects.toThrow(/closed/);
    expect(fake.seen).toEqual([]);
    // Never used: closing costs nothing.
    await venue(false).broker.close();
  });
});
