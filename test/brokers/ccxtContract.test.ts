// The broker contract against the ccxt adapter (Binance USD-M), wired to an in-memory Binance REST API
// through ccxt's fetchImplementation: no network. Cases that cannot apply to Binance (stops and freeze
// levels, requotes, several positions per side) are reported as skipped by the contract itself.
import * as ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { RETCODE } from '../../src/brokers/brokerAnswer.ts';
import { answerForError, CcxtBroker, clientOrderId } from '../../src/brokers/ccxtBroker.ts';
import type { Intent } from '../../src/domain/types.ts';
import { brokerContract } from './brokerContract.ts';
import { FakeBinanceUsdm, XAU } from './fakeBinanceUsdm.ts';

const API_KEY = 'test-api-key-0123456789';
const SECRET = 'test-secret-9876543210';

function venue(hedge: boolean): { fake: FakeBinanceUsdm; broker: CcxtBroker } {
  const fake = new FakeBinanceUsdm();
  fake.dualSide = hedge;
  const broker = new CcxtBroker({ exchangeId: 'binanceusdm', apiKey: API_KEY, secret: SECRET, fetchImplementation: fake.fetch, enableRateLimit: false, timeoutMs: 2_000 });
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
      async close() {
        expect(fake.unexpected).toEqual([]);
      },
    };
  },
  { stopsLevel: false, freezeLevel: false, requote: false, positionPerOrder: false },
);

const intent = (o: Partial<Intent> & Pick<Intent, 'id' | 'kind' | 'positionId'>): Intent => ({
  symbol: XAU, rule: 'trail', episode: 1, newSl: Number.NaN, oldSl: null, volume: 0, time: 0, price: 0, reason: 'test', targetId: o.positionId, side: 'buy', comment: '', action: '', ...o,
});

describe('ccxt adapter: Binance USD-M specifics', () => {
  it('moves a stop as cancel + a new closePosition STOP_MARKET algo order whose client id is the sanitised intent id', async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.3, 1990, 2030);
    const oldStop = fake.algo.find((o) => o.orderType === 'STOP_MARKET')!;
    fake.seen.length = 0;
    const it = intent({ id: 'XAU/USDT:USDT:long|trail#7', kind: 'move_stop', positionId: id, newSl: 1995.5 });
    const a = await broker.send(it);
    expect(a).toMatchObject({ outcome: 'applied', positionId: id });
    const writes = fake.seen.filter((r) => r.method !== 'GET');
    expect(writes).toEqual([
      { method: 'DELETE', path: '/fapi/v1/algoOrder', params: { algoId: String(oldStop.algoId), symbol: 'XAUUSDT' } },
      {
        method: 'POST',
        path: '/fapi/v1/algoOrder',
        params: expect.objectContaining({ symbol: 'XAUUSDT', side: 'SELL', type: 'STOP_MARKET', triggerPrice: '1995.5', closePosition: 'true', workingType: 'MARK_PRICE', algoType: 'CONDITIONAL', clientAlgoId: 'XAU/USDT:USDT:long_trail_7' }),
      },
    ]);
    expect(writes[1]!.params).not.toHaveProperty('reduceOnly');
    expect(writes[1]!.params).not.toHaveProperty('quantity');
    expect(clientOrderId(it.id)).toBe('XAU/USDT:USDT:long_trail_7');
    // The same intent again is recognised by its client id: nothing more is sent.
    fake.seen.length = 0;
    expect(await broker.send(it)).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES });
    expect(fake.seen.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await broker.positions())[0]).toMatchObject({ sl: 1995.5, tp: 2030 });
    expect(fake.unexpected).toEqual([]);
  });

  it('client ids stay within Binance alphabet and 36 characters, the same for the same intent', () => {
    const long = 'BTC/USDT:USDT:long:dtms:tighten:episode:12345678';
    expect(clientOrderId(long)).toMatch(/^[.A-Z:/a-z0-9_-]{1,36}$/);
    expect(clientOrderId(long)).toBe(clientOrderId(long));
    expect(clientOrderId(long)).not.toBe(clientOrderId(`${long}9`));
  });

  it('refuses a partial close below the min notional without sending it', async () => {
    const { fake, broker } = venue(false);
    const id = fake.traderOpen('buy', 0.5, 1990, null);
    fake.seen.length = 0;
    const a = await broker.send(intent({ id: 'p1', kind: 'close_partial', positionId: id, volume: 0.002, rule: 'partial' }));
    expect(a).toMatchObject({ outcome: 'rejected', retryable: false, code: RETCODE.INVALID_VOLUME });
    expect(fake.seen.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('closes part of a one-way position with a reduce-only MARKET order; in hedge mode with positionSide and no reduceOnly', async () => {
    for (const hedge of [false, true]) {
      const { fake, broker } = venue(hedge);
      const id = fake.traderOpen('sell', 0.5, 2010, null);
      fake.seen.length = 0;
      expect(await broker.send(intent({ id: `p-${hedge}`, kind: 'close_partial', positionId: id, volume: 0.2, side: 'sell' }))).toMatchObject({ outcome: 'applied', price: 2000.1 });
      const post = fake.seen.find((r) => r.method === 'POST')!;
      expect(post.path).toBe('/fapi/v1/order');
      expect(post.params).toMatchObject({ type: 'MARKET', side: 'BUY', quantity: '0.2', newClientOrderId: `p-${hedge}` });
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
    expect(a).toMatchObject({ outcome: 'rejected', retryable: true, code: RETCODE.TOO_MANY_REQUESTS, retryAfterMs: 2000 });
    const text = JSON.stringify(a);
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('signature=');
  });

  it('reports the instrument from the market; an unknown symbol throws clearly', async () => {
    const { broker } = venue(true);
    expect(await broker.instrument(XAU)).toMatchObject({ symbol: XAU, canonical: 'XAUUSD', tickSize: 0.01, digits: 2, point: 0.01, lotStep: 0.001, minLot: 0.001, contractSize: 1, stopsLevelPoints: 0, freezeLevelPoints: 0, hedging: true, crypto: true });
    await expect(broker.instrument('XAUUSDc')).rejects.toThrow(/no market XAUUSDc/);
  });

  it('maps ccxt errors and raw Binance codes (the table in the adapter header)', () => {
    const cases: [Error, string, number, boolean | null][] = [
      [new ccxt.RequestTimeout('binanceusdm POST timed out'), 'unknown', RETCODE.TIMEOUT, null],
      [new ccxt.NetworkError('fetch failed'), 'unknown', RETCODE.CONNECTION, null],
      [new ccxt.RateLimitExceeded('slow down'), 'rejected', RETCODE.TOO_MANY_REQUESTS, true],
      [new ccxt.DDoSProtection('binanceusdm 429 {"code":-1003,"msg":"Too many requests"}'), 'rejected', RETCODE.TOO_MANY_REQUESTS, true],
      [new ccxt.ExchangeNotAvailable('maintenance'), 'rejected', RETCODE.TRADE_DISABLED, true],
      [new ccxt.InvalidOrder('binanceusdm {"code":-4164,"msg":"notional"}'), 'rejected', RETCODE.INVALID_VOLUME, false],
      [new ccxt.OrderImmediatelyFillable('binanceusdm {"code":-2021,"msg":"Order would immediately trigger."}'), 'rejected', RETCODE.INVALID_STOPS, false],
      [new ccxt.InvalidOrder('binanceusdm {"code":-2022,"msg":"ReduceOnly Order is rejected."}'), 'rejected', RETCODE.INVALID_CLOSE_VOLUME, false],
      [new ccxt.OrderNotFound('binanceusdm {"code":-2011,"msg":"Unknown order sent."}'), 'rejected', RETCODE.REJECT, false],
      [new ccxt.InsufficientFunds('margin'), 'rejected', RETCODE.NO_MONEY, false],
      [new ccxt.BadSymbol('no such market'), 'rejected', RETCODE.INVALID, false],
      [new ccxt.BadRequest('bad'), 'rejected', RETCODE.INVALID, false],
      [new ccxt.InvalidOrder('bad order'), 'rejected', RETCODE.INVALID, false],
      [new ccxt.AuthenticationError('key'), 'rejected', RETCODE.REJECT, false],
      [new Error('something else'), 'unknown', RETCODE.ERROR, null],
    ];
    for (const [err, outcome, code, retryable] of cases) {
      const a = answerForError(err);
      expect({ name: err.constructor.name, outcome: a.outcome, code: a.code }).toEqual({ name: err.constructor.name, outcome, code });
      if (a.outcome === 'rejected') expect(a.retryable).toBe(retryable);
    }
  });
});
