// The broker contract against the MetaApi adapter, wired to a fake of the SDK's connection
// (fakeMetaApi.ts: MT5's rules, SDK-shaped errors): no network, no SDK. Every capability applies
// (MT5 has stops and freeze levels, requotes, market hours, a position per order on hedging). Then
// what is MetaApi's own: absolute stop prices keeping the target, client ids, rate limits, error
// mapping, the SDK missing, secrets, netting hedges, streamed and historical candles, reconciliation.
import { describe, expect, it } from 'vitest';
import { RETCODE } from '../../src/brokers/brokerAnswer.ts';
import { MetaApiBroker, type MetaApiBrokerOptions } from '../../src/brokers/metaApiBroker.ts';
import { clientIdFor } from '../../src/brokers/metaApiClientIds.ts';
import { answerForMetaApiError } from '../../src/brokers/metaApiErrors.ts';
import {
  connectMetaApi,
  loadMetaApiSdk,
  METAAPI_INSTALL_HINT,
  type MetaApiGateway,
} from '../../src/brokers/metaApiGateway.ts';
import type { Bar, Intent } from '../../src/domain/types.ts';
import { brokerContract } from './brokerContract.ts';
import { FakeMetaApi, FakeSdkError, metaApiTradeError, tradeError, XAU, xauSpec } from './fakeMetaApi.ts';

const TOKEN = 'test-metaapi-token-0123456789abcdef';
const ACCOUNT = 'fake-account-id';

function venue(
  mode: 'hedging' | 'netting',
  o: Partial<MetaApiBrokerOptions> = {},
  specs = [xauSpec()],
): { fake: FakeMetaApi; broker: MetaApiBroker } {
  const fake = new FakeMetaApi(mode, specs);
  const broker = new MetaApiBroker({ token: TOKEN, accountId: ACCOUNT, gateway: fake, clock: () => fake.now, ...o });
  return { fake, broker };
}

brokerContract(
  'metaapi (fake SDK connection)',
  async (v) => {
    // The adapter's default: an opposite open on a netting account is refused (a hedge there would net).
    const { fake, broker } = venue(v.mode, { symbols: [XAU] }, [
      xauSpec({ stopsLevel: v.stopsLevelPoints ?? 0, freezeLevel: v.freezeLevelPoints ?? 0 }),
    ]);
    return {
      broker,
      symbol: XAU,
      async open(side, volume, sl, tp) {
        return fake.traderOpen(side, volume, sl, tp);
      },
      async setBid(bid) {
        fake.setBid(bid);
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
        fake.feedBars(bars);
        fake.now = now;
      },
      async closeMarket() {
        fake.marketOpen = false;
      },
      async close() {
        await broker.close();
        expect(fake.unexpected).toEqual([]);
      },
    };
  },
  { nettingOpposite: 'refuse' },
);

let seq = 0;
const intent = (o: Partial<Intent> & Pick<Intent, 'kind' | 'positionId'>): Intent => ({
  id: `${o.positionId}:${o.kind}:${++seq}`,
  symbol: XAU,
  rule: 'trail',
  episode: 1,
  newSl: Number.NaN,
  oldSl: null,
  volume: 0,
  time: 0,
  price: 0,
  reason: 'test',
  targetId: o.kind === 'open' ? '' : o.positionId,
  side: 'buy',
  comment: '',
  action: '',
  ...o,
});

const minutes = (t0: number, n: number, spread = Number.NaN): Bar[] =>
  Array.from({ length: n }, (_, i) => ({
    time: t0 + i * 60_000,
    open: 2000 + i,
    high: 2001 + i,
    low: 1999 + i,
    close: 2000.5 + i,
    volume: 10 + i,
    spread,
  }));

describe('MetaApi adapter: MetaApi specifics', () => {
  it('moves a stop with absolute prices and keeps the target (read from the positions); without a target sends none', async () => {
    const { fake, broker } = venue('hedging');
    const withTp = fake.traderOpen('buy', 0.3, 1990, 2030);
    const noTp = fake.traderOpen('sell', 0.1, 2010, null);
    expect(await broker.send(intent({ kind: 'move_stop', positionId: withTp, newSl: 1995.5 }))).toMatchObject({
      outcome: 'applied',
      positionId: withTp,
      code: RETCODE.DONE,
      price: 2000,
    });
    expect(
      await broker.send(intent({ kind: 'move_stop', positionId: noTp, newSl: 2004.25, side: 'sell' })),
    ).toMatchObject({ outcome: 'applied', positionId: noTp, price: 2000.2 });
    expect(fake.tradeCalls()).toEqual([
      { method: 'modifyPosition', args: [withTp, 1995.5, 2030] },
      { method: 'modifyPosition', args: [noTp, 2004.25, undefined] },
    ]);
    const after = await broker.positions();
    expect(after.find((p) => p.id === withTp)).toMatchObject({ sl: 1995.5, tp: 2030 });
    expect(after.find((p) => p.id === noTp)).toMatchObject({ sl: 2004.25, tp: null });
    // The same stop again: MT5 answers NO_CHANGES, a success.
    expect(await broker.send(intent({ kind: 'move_stop', positionId: withTp, newSl: 1995.5 }))).toMatchObject({
      outcome: 'applied',
      code: RETCODE.NO_CHANGES,
    });
    expect(fake.unexpected).toEqual([]);
  });

  it('maps positions, the instrument and the account mode from the SDK objects', async () => {
    const btc = xauSpec({
      symbol: 'BTCUSDc',
      tickSize: 0.01,
      digits: 2,
      point: 0.01,
      contractSize: 1,
      minVolume: 0.01,
      maxVolume: 20,
      stopsLevel: 120,
      freezeLevel: 15,
      path: 'Crypto\\BTCUSDc',
    });
    const { fake, broker } = venue('netting', {}, [xauSpec({ stopsLevel: 50 }), btc]);
    fake.now = Date.UTC(2024, 4, 16, 9, 30);
    const id = fake.traderOpen('sell', 0.25, 2010, 1950, 'scalp');
    expect(await broker.positions()).toEqual([
      {
        id,
        account: ACCOUNT,
        symbol: XAU,
        side: 'sell',
        volume: 0.25,
        entryPrice: 2000,
        sl: 2010,
        tp: 1950,
        openTime: fake.now,
        comment: 'scalp',
      },
    ]);
    expect(await broker.accountMode()).toBe('netting');
    expect(await broker.instrument(XAU)).toEqual({
      symbol: XAU,
      canonical: 'XAUUSD',
      tickSize: 0.001,
      digits: 3,
      point: 0.001,
      lotStep: 0.01,
      minLot: 0.01,
      maxLot: 200,
      contractSize: 100,
      stopsLevelPoints: 50,
      freezeLevelPoints: 0,
      hedging: false,
      crypto: false,
    });
    expect(await broker.instrument('BTCUSDc')).toMatchObject({
      canonical: 'BTCUSD',
      tickSize: 0.01,
      digits: 2,
      stopsLevelPoints: 120,
      freezeLevelPoints: 15,
      crypto: true,
    });
    await expect(broker.instrument('NOSUCH')).rejects.toThrow(
      /metaapi: no symbol NOSUCH on account fake-account-id: NotFoundError/,
    );
  });

  it('a malformed SDK answer is a clear error, not a wrong position', async () => {
    const { fake, broker } = venue('hedging');
    fake.traderOpen('buy', 0.1, 1990, null);
    const broken: MetaApiGateway = Object.assign(Object.create(fake) as FakeMetaApi, {
      getPositions: async () => [{ id: '1', type: 'POSITION_TYPE_SIDEWAYS', symbol: XAU, volume: 0.1 }],
    });
    const b = new MetaApiBroker({ accountId: ACCOUNT, gateway: broken });
    await expect(b.positions()).rejects.toThrow(/metaapi: malformed position #0 from MetaApi/);
    expect(await broker.positions()).toHaveLength(1);
  });

  it('client ids: deterministic, MetaApi alphabet, comment + clientId within 26 characters', async () => {
    const id = 'XAUUSDc:80000001:dtms:3:tighten:2';
    expect(clientIdFor(id)).toBe(clientIdFor(id));
    expect(clientIdFor(id)).toMatch(/^WD_[0-9A-Za-z]{13}$/);
    expect(clientIdFor(id)).not.toBe(clientIdFor(`${id}x`));
    expect(clientIdFor(id, 'DTMS_HEDGE_1_1')).toMatch(/^WD_[0-9A-Za-z]{9}$/); // 14 + 12 = 26
    expect(clientIdFor(id, 'DTMS_HEDGE_80000001_12')).toBeUndefined(); // 22 leaves less than 8
    expect(clientIdFor(id, 'DTMS_HEDGE_1_1')!.startsWith(clientIdFor(id)!.slice(0, 12))).toBe(true);

    const { fake, broker } = venue('hedging');
    const pos = fake.traderOpen('buy', 0.5, 1990, null);
    const partial = intent({ kind: 'close_partial', positionId: pos, volume: 0.2 });
    const hedge = intent({
      kind: 'open',
      positionId: pos,
      side: 'sell',
      volume: 0.1,
      newSl: 2006,
      comment: `DTMS_HEDGE_${pos}_1`,
    });
    const small = intent({ kind: 'open', positionId: pos, side: 'buy', volume: 0.1, comment: 're' });
    for (const it of [partial, hedge, small]) expect((await broker.send(it)).outcome).toBe('applied');
    const calls = fake.tradeCalls();
    expect(calls[0]).toEqual({
      method: 'closePositionPartially',
      args: [pos, 0.2, { clientId: clientIdFor(partial.id) }],
    });
    expect(calls[1]).toEqual({
      method: 'createMarketSellOrder',
      args: [XAU, 0.1, 2006, undefined, { comment: `DTMS_HEDGE_${pos}_1` }],
    });
    expect(calls[2]).toEqual({
      method: 'createMarketBuyOrder',
      args: [XAU, 0.1, undefined, undefined, { comment: 're', clientId: clientIdFor(small.id, 're') }],
    });
    expect(clientIdFor(small.id, 're')).toHaveLength(16);
    const deals = (await fake.getDealsByTimeRange(new Date(0), new Date(fake.now + 1))).deals;
    expect(deals.find((d) => d.clientId === clientIdFor(partial.id))).toMatchObject({
      positionId: pos,
      entryType: 'DEAL_ENTRY_OUT',
      volume: 0.2,
    });
    expect(fake.unexpected).toEqual([]);
  });

  it('answers a rate limit as retryable with the wait MetaApi recommends', async () => {
    const { fake, broker } = venue('hedging');
    const id = fake.traderOpen('buy', 0.1, 1990, null);
    fake.failNext('rate_limit');
    expect(await broker.send(intent({ kind: 'move_stop', positionId: id, newSl: 1993 }))).toEqual({
      outcome: 'rejected',
      retryable: true,
      code: RETCODE.TOO_MANY_REQUESTS,
      retryAfterMs: 1500,
      reason: expect.stringMatching(/^TooManyRequestsError: /),
    });
    expect(
      answerForMetaApiError(
        new FakeSdkError('TooManyRequestsError', 'slow', {
          metadata: { recommendedRetryTime: '2024-05-16T10:00:05.000Z' },
        }),
        { now: Date.UTC(2024, 4, 16, 10) },
      ),
    ).toMatchObject({ retryAfterMs: 5000 });
    expect(answerForMetaApiError(new FakeSdkError('TooManyRequestsError', 'slow'))).not.toHaveProperty('retryAfterMs');
  });

  it('maps the SDK errors by name (the table in the adapter header)', async () => {
    const cases: [unknown, string, number, boolean | null][] = [
      [tradeError(RETCODE.REQUOTE, 'Requote'), 'rejected', RETCODE.REQUOTE, true],
      [tradeError(RETCODE.PRICE_OFF, 'Off quotes'), 'rejected', RETCODE.PRICE_OFF, true],
      [tradeError(RETCODE.INVALID_STOPS, 'Invalid stops'), 'rejected', RETCODE.INVALID_STOPS, false],
      [tradeError(RETCODE.MARKET_CLOSED, 'Market is closed'), 'rejected', RETCODE.MARKET_CLOSED, false],
      [tradeError(RETCODE.NO_MONEY, 'No money'), 'rejected', RETCODE.NO_MONEY, false],
      [tradeError(RETCODE.TIMEOUT, 'Request timed out'), 'unknown', RETCODE.TIMEOUT, null],
      [tradeError(RETCODE.CONNECTION, 'No connection'), 'unknown', RETCODE.CONNECTION, null],
      [
        new FakeSdkError('TradeError', 'Requote', { numericCode: 138, stringCode: 'ERR_REQUOTE' }),
        'rejected',
        RETCODE.REQUOTE,
        true,
      ],
      [
        new FakeSdkError('TradeError', 'Invalid stops', { numericCode: 130, stringCode: 'ERR_INVALID_STOPS' }),
        'rejected',
        RETCODE.INVALID_STOPS,
        false,
      ],
      [
        new FakeSdkError('TradeError', 'Common error', { numericCode: 2, stringCode: 'ERR_COMMON_ERROR' }),
        'rejected',
        RETCODE.REJECT,
        false,
      ],
      [
        new FakeSdkError('TradeError', 'Frozen', { stringCode: 'TRADE_RETCODE_FROZEN' }),
        'rejected',
        RETCODE.FROZEN,
        false,
      ],
      // MetaApi's own codes (its MetatraderTradeResponse page): a trade timed out at MetaApi may have gone through.
      [metaApiTradeError(-7, 'ERR_TRADE_TIMED_OUT', 'Trade timed out'), 'unknown', RETCODE.TIMEOUT, null],
      [
        new FakeSdkError('TradeError', 'Trade timed out', { stringCode: 'ERR_TRADE_TIMED_OUT' }),
        'unknown',
        RETCODE.TIMEOUT,
        null,
      ],
      [
        metaApiTradeError(-6, 'ERR_NO_QUOTES', 'Failed to retrieve quotes for trading'),
        'rejected',
        RETCODE.PRICE_OFF,
        true,
      ],
      [
        metaApiTradeError(-5, 'ERR_NOT_SYNCHRONIZED', 'Server-side synchronization required'),
        'unknown',
        RETCODE.CONNECTION,
        null,
      ],
      [
        metaApiTradeError(-8, 'ERR_INVESTOR', 'Trading is not allowed with investor password'),
        'rejected',
        RETCODE.TRADE_DISABLED,
        false,
      ],
      [
        metaApiTradeError(-4, 'TRADE_RETCODE_ORDER_TYPE_NOT_SUPPORTED', 'Order type not supported'),
        'rejected',
        RETCODE.INVALID,
        false,
      ],
      [metaApiTradeError(-1, 'TRADE_RETCODE_UNKNOWN', 'Unknown trade return code'), 'unknown', RETCODE.ERROR, null],
      [
        metaApiTradeError(4753, 'ERR_TRADE_POSITION_NOT_FOUND', 'Position not found'),
        'rejected',
        RETCODE.POSITION_CLOSED,
        false,
      ],
      [
        new Error('This connection has been closed, please create a new connection'),
        'unknown',
        RETCODE.CONNECTION,
        null,
      ],
      [new FakeSdkError('TimeoutError', 'timed out'), 'unknown', RETCODE.TIMEOUT, null],
      [new FakeSdkError('NotConnectedError', 'not connected'), 'unknown', RETCODE.CONNECTION, null],
      [new FakeSdkError('NotSynchronizedError', 'not synchronized'), 'unknown', RETCODE.CONNECTION, null],
      [new Error('MetaApi connection closed'), 'unknown', RETCODE.CONNECTION, null],
      [new FakeSdkError('NotFoundError', 'Position not found'), 'rejected', RETCODE.POSITION_CLOSED, false],
      [new FakeSdkError('ValidationError', 'Validation failed'), 'rejected', RETCODE.INVALID, false],
      [new FakeSdkError('UnauthorizedError', 'bad token'), 'rejected', RETCODE.REJECT, false],
      [new FakeSdkError('InternalError', 'server error'), 'unknown', RETCODE.ERROR, null],
      [new Error('something else'), 'unknown', RETCODE.ERROR, null],
      ['a string thrown', 'unknown', RETCODE.ERROR, null],
    ];
    for (const [err, outcome, code, retryable] of cases) {
      const a = answerForMetaApiError(err);
      expect({ err: String(err), outcome: a.outcome, code: a.code }).toEqual({ err: String(err), outcome, code });
      if (a.outcome === 'rejected') expect(a.retryable).toBe(retryable);
      if (a.outcome !== 'applied') expect(a.reason.length).toBeGreaterThan(0);
    }
    // An open acts on no position: a NotFoundError there is the symbol.
    expect(
      answerForMetaApiError(new FakeSdkError('NotFoundError', 'Symbol not found'), { opening: true }),
    ).toMatchObject({ outcome: 'rejected', retryable: false, code: RETCODE.INVALID });
    // Through the adapter: an error the SDK has no class for is unknown.
    const { fake, broker } = venue('hedging');
    const id = fake.traderOpen('buy', 0.2, 1990, null);
    fake.failNext(new FakeSdkError('InternalError', 'Something went wrong on the server'));
    expect(await broker.send(intent({ kind: 'close', positionId: id }))).toMatchObject({
      outcome: 'unknown',
      code: RETCODE.ERROR,
      reason: 'InternalError: Something went wrong on the server',
    });
  });

  it('keeps the token out of every answer and error', async () => {
    const { fake, broker } = venue('hedging');
    const id = fake.traderOpen('buy', 0.2, 1990, null);
    fake.failNext(
      new FakeSdkError(
        'InternalError',
        `request failed. Request URL: https://mt-client-api-v1.example/users/current/accounts/x?auth-token=${TOKEN}`,
      ),
    );
    fake.failNext(new FakeSdkError('ValidationError', `bad request for token ${TOKEN}`));
    fake.failNext(
      new FakeSdkError('TradeError', `refused ${TOKEN}`, {
        numericCode: RETCODE.REJECT,
        stringCode: 'TRADE_RETCODE_REJECT',
      }),
    );
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await broker.send(intent({ kind: 'move_stop', positionId: id, newSl: 1991 + i })));
    expect(answers.map((a) => a.outcome)).toEqual(['unknown', 'rejected', 'rejected']);
    expect(JSON.stringify(answers)).not.toContain(TOKEN);
    // Connecting failed with the token in the SDK's message: not in the error, not in the answer.
    const leaky = new MetaApiBroker({
      token: TOKEN,
      accountId: ACCOUNT,
      connect: async () => {
        throw new FakeSdkError('UnauthorizedError', `token ${TOKEN} is not valid`);
      },
    });
    const refused = await leaky.send(intent({ kind: 'close', positionId: '1' }));
    expect(refused).toMatchObject({ outcome: 'rejected', retryable: false });
    expect(JSON.stringify(refused)).not.toContain(TOKEN);
    const err = await leaky.positions().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /cannot connect to account fake-account-id: UnauthorizedError: token \*\*\* is not valid/,
    );
  });

  it('without the SDK installed: the install hint, from connectMetaApi and from the adapter', async () => {
    const absent = 'metaapi.cloud-sdk-that-is-not-installed/esm-node';
    await expect(connectMetaApi({ token: TOKEN, accountId: ACCOUNT, sdkEntry: absent })).rejects.toThrow(
      METAAPI_INSTALL_HINT,
    );
    expect(METAAPI_INSTALL_HINT).toBe(
      'MetaApi adapter needs the optional package metaapi.cloud-sdk: npm install metaapi.cloud-sdk@29.3.3',
    );
    const notFound = Object.assign(new Error("Cannot find package 'metaapi.cloud-sdk'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(
      loadMetaApiSdk({
        importer: async () => {
          throw notFound;
        },
      }),
    ).rejects.toThrow(METAAPI_INSTALL_HINT);
    // Another failure while loading is not hidden behind the hint.
    await expect(
      loadMetaApiSdk({
        importer: async () => {
          throw new SyntaxError('Unexpected token');
        },
      }),
    ).rejects.toThrow('Unexpected token');
    const broker = new MetaApiBroker({
      token: TOKEN,
      accountId: ACCOUNT,
      connect: (o) => connectMetaApi({ ...o, sdkEntry: absent }),
    });
    await expect(broker.positions()).rejects.toThrow(METAAPI_INSTALL_HINT);
    expect(await broker.send(intent({ kind: 'close', positionId: '1' }))).toEqual({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.REJECT,
      reason: METAAPI_INSTALL_HINT,
    });
    await broker.close();
  });

  it('on a netting account refuses an open against the symbol position (it would net), sends one on its side', async () => {
    const { fake, broker } = venue('netting');
    const id = fake.traderOpen('buy', 0.4, 1990, null);
    const hedge = await broker.send(
      intent({ kind: 'open', positionId: id, side: 'sell', volume: 0.2, comment: `DTMS_HEDGE_${id}_1` }),
    );
    expect(hedge).toMatchObject({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.HEDGE_PROHIBITED,
      reason: expect.stringMatching(/netting account.*would net against position/),
    });
    expect(fake.tradeCalls()).toEqual([]);
    expect(
      await broker.send(
        intent({ kind: 'open', positionId: id, side: 'buy', volume: 0.1, newSl: 1991, comment: `DTMS_READD_${id}_1` }),
      ),
    ).toMatchObject({ outcome: 'applied', positionId: id, price: 2000.2 });
    expect(await broker.positions()).toMatchObject([{ id, side: 'buy', volume: 0.5, sl: 1991 }]);
  });

  it('refuses nonsense without a request: no stop price, no volume, a position of another symbol or not open', async () => {
    const { fake, broker } = venue('hedging');
    const id = fake.traderOpen('buy', 0.2, 1990, null);
    expect(await broker.send(intent({ kind: 'move_stop', positionId: id, newSl: Number.NaN }))).toMatchObject({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.INVALID_STOPS,
    });
    expect(await broker.send(intent({ kind: 'close_partial', positionId: id, volume: Number.NaN }))).toMatchObject({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.INVALID_VOLUME,
    });
    expect(await broker.send(intent({ kind: 'open', positionId: id, volume: 0 }))).toMatchObject({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.INVALID_VOLUME,
    });
    expect(await broker.send(intent({ kind: 'close', positionId: id, symbol: 'EURUSD' }))).toMatchObject({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.INVALID,
    });
    expect(await broker.send(intent({ kind: 'close', positionId: '424242' }))).toMatchObject({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.POSITION_CLOSED,
    });
    expect(fake.tradeCalls()).toEqual([]);
  });

  it('quotes from the stream while it is connected, else from getSymbolPrice', async () => {
    const { fake, broker } = venue('hedging', { symbols: [XAU] });
    fake.setBid(2001.5);
    expect(await broker.quote(XAU)).toEqual({ time: fake.now, bid: 2001.5, ask: 2001.7 });
    expect(fake.calls.map((c) => c.method)).toEqual(['subscribeToMarketData']);
    expect(fake.calls[0]!.args).toEqual([XAU, [{ type: 'quotes' }, { type: 'candles', timeframe: '1m' }]]);
    fake.streamConnected = false;
    expect((await broker.quote(XAU)).bid).toBe(2001.5);
    expect(fake.calls.map((c) => c.method)).toEqual(['subscribeToMarketData', 'getSymbolPrice']);
    await expect(broker.quote('NOSUCH')).rejects.toThrow(/no price for NOSUCH/);
  });

  it('a subscription that fails leaves the reads to RPC, and is tried again a minute later', async () => {
    const { fake, broker } = venue('hedging', { symbols: [XAU] });
    const subscribe = fake.subscribeToMarketData.bind(fake);
    let failing = true;
    fake.subscribeToMarketData = async (symbol, subs) => {
      if (failing) throw new FakeSdkError('TimeoutError', 'subscription timed out');
      return subscribe(symbol, subs);
    };
    expect((await broker.quote(XAU)).bid).toBe(2000);
    expect((await broker.quote(XAU)).bid).toBe(2000);
    expect(fake.calls.map((c) => c.method)).toEqual(['getSymbolPrice', 'getSymbolPrice']);
    failing = false;
    fake.now += 61_000;
    await broker.quote(XAU);
    expect(fake.calls.map((c) => c.method)).toEqual(['getSymbolPrice', 'getSymbolPrice', 'subscribeToMarketData']);
  });

  it('candles: streamed 1m candles when they hold enough (the forming one left out), else the history, in pages of 1000', async () => {
    const { fake, broker } = venue('hedging', { symbols: [XAU] });
    const t0 = Date.UTC(2024, 4, 16, 8, 0);
    fake.feedBars(minutes(t0 - 3000 * 60_000, 3000, 0.25)); // history from before the stream
    await broker.quote(XAU); // subscribes
    const live = minutes(t0, 10, 0.25);
    fake.feedBars(live);
    fake.now = t0 + 9 * 60_000 + 59_000; // the 10th bar is still forming
    fake.calls.length = 0;
    const five = await broker.candles(XAU, 'M1', 5);
    expect(five.map((b) => b.time)).toEqual(live.slice(4, 9).map((b) => b.time));
    expect(five[0]).toEqual({
      time: live[4]!.time,
      open: 2004,
      high: 2005,
      low: 2003,
      close: 2004.5,
      volume: 14,
      spread: 0.25,
    });
    expect(fake.calls.filter((c) => c.method === 'getHistoricalCandles')).toEqual([]);
    // More than the stream holds: the history, backwards in pages, closed bars only, oldest first.
    const many = await broker.candles(XAU, 'M1', 1500);
    expect(many).toHaveLength(1500);
    expect(many.at(-1)!.time).toBe(live[8]!.time);
    expect(many.every((b, i) => i === 0 || b.time - many[i - 1]!.time === 60_000)).toBe(true);
    const pages = fake.calls.filter((c) => c.method === 'getHistoricalCandles');
    expect(pages.map((c) => c.args[3])).toEqual([1000, 502]);
    expect(pages[0]!.args[2]).toBeUndefined();
    expect(pages[1]!.args[2]).toEqual(new Date(+many[0]!.time + 501 * 60_000 - 1));
    // Without a spread the bar has none.
    fake.feedBars([{ time: t0 + 10 * 60_000, open: 1, high: 1, low: 1, close: 1, volume: 0, spread: Number.NaN }]);
    fake.now = t0 + 12 * 60_000;
    expect((await broker.candles(XAU, 'M1', 1)).at(-1)!.spread).toBeNaN();
    expect(fake.unexpected).toEqual([]);
  });

  it('a retry after a timeout that took effect is answered applied from the deals, without a second trade', async () => {
    const { fake, broker } = venue('hedging');
    const a = fake.traderOpen('buy', 0.5, 1990, null);
    const b = fake.traderOpen('buy', 0.3, 1990, null);
    const partial = intent({ kind: 'close_partial', positionId: a, volume: 0.2 });
    const close = intent({ kind: 'close', positionId: b });
    fake.failNext('timeout_applied');
    expect(await broker.send(partial)).toMatchObject({ outcome: 'unknown', code: RETCODE.TIMEOUT });
    fake.failNext('timeout_applied');
    expect(await broker.send(close)).toMatchObject({ outcome: 'unknown', code: RETCODE.TIMEOUT });
    expect(fake.tradeCalls()).toHaveLength(2);
    expect(await broker.send(partial)).toEqual({ outcome: 'applied', code: RETCODE.DONE, price: 2000, positionId: a });
    expect(await broker.send(close)).toEqual({ outcome: 'applied', code: RETCODE.DONE, price: 2000, positionId: b });
    expect(fake.tradeCalls()).toHaveLength(2); // nothing sent again
    expect((await broker.positions()).map((p) => [p.id, p.volume])).toEqual([[a, 0.3]]);
    // A hedge whose comment leaves no room for a clientId: found by its comment.
    const hedge = intent({ kind: 'open', positionId: a, side: 'sell', volume: 0.1, comment: `DTMS_HEDGE_${a}_12` });
    expect(clientIdFor(hedge.id, hedge.comment)).toBeUndefined();
    fake.failNext('timeout_applied');
    expect((await broker.send(hedge)).outcome).toBe('unknown');
    const again = await broker.send(hedge);
    expect(again).toMatchObject({ outcome: 'applied', price: 2000 });
    expect((await broker.positions()).filter((p) => p.comment === hedge.comment)).toHaveLength(1);
    expect(again.outcome === 'applied' && again.positionId).toBe(
      (await broker.positions()).find((p) => p.comment === hedge.comment)!.id,
    );
    expect(fake.tradeCalls()).toHaveLength(3);
    expect(fake.unexpected).toEqual([]);
  });

  it("the fake answers in the SDK's shapes: string ids, Date times, brokerTime strings, enum strings", async () => {
    const { fake } = venue('hedging');
    fake.feedBars(minutes(Date.UTC(2024, 4, 16, 9, 0), 3, 0.25));
    const id = fake.traderOpen('buy', 0.1, 1990, 2030, 'note');
    const brokerTime = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;
    const [p] = await fake.getPositions();
    expect(p).toMatchObject({
      id,
      type: 'POSITION_TYPE_BUY',
      magic: 0,
      currentPrice: 2000,
      currentTickValue: 0.1,
      swap: 0,
      commission: 0,
      reason: 'POSITION_REASON_EXPERT',
      comment: 'note',
    });
    expect(p!.time).toBeInstanceOf(Date);
    expect((p as unknown as { updateTime: unknown }).updateTime).toBeInstanceOf(Date);
    expect((p as unknown as { brokerTime: string }).brokerTime).toMatch(brokerTime);
    const price = await fake.getSymbolPrice(XAU, false);
    expect(price).toMatchObject({ bid: 2000, ask: 2000.2, profitTickValue: 0.1, lossTickValue: 0.1 });
    expect(price.time).toBeInstanceOf(Date);
    const [deal] = (await fake.getDealsByTimeRange(new Date(0), new Date(fake.now + 1))).deals;
    expect(deal).toMatchObject({
      type: 'DEAL_TYPE_BUY',
      entryType: 'DEAL_ENTRY_IN',
      positionId: id,
      orderId: id,
      platform: 'mt5',
    });
    expect(deal!.time).toBeInstanceOf(Date);
    const [candle] = await fake.getHistoricalCandles(XAU, '1m', undefined, 1);
    expect(candle).toMatchObject({ timeframe: '1m', tickVolume: 12, spread: 250, volume: 0 });
    expect(candle!.time).toBeInstanceOf(Date);
    expect((await fake.getAccountInformation()).marginMode).toBe('ACCOUNT_MARGIN_MODE_RETAIL_HEDGING');
    // An open's order ticket is the new position's id (MT5); a close places a new order.
    const opened = await fake.createMarketSellOrder(XAU, 0.1, undefined, undefined, {});
    expect(opened).toMatchObject({
      numericCode: RETCODE.DONE,
      stringCode: 'TRADE_RETCODE_DONE',
      message: 'Request completed',
    });
    expect(opened.orderId).toBe(opened.positionId);
    const closed = await fake.closePosition(opened.positionId!, {});
    expect(closed.positionId).toBe(opened.positionId);
    expect(closed.orderId).not.toBe(opened.positionId);
    // The SDK's errors: a closed ticket is MetaApi's 4753, a rate limit's retry time an ISO string.
    await expect(fake.closePosition(opened.positionId!, {})).rejects.toMatchObject({
      name: 'TradeError',
      numericCode: 4753,
      stringCode: 'ERR_TRADE_POSITION_NOT_FOUND',
    });
    fake.failNext('rate_limit');
    const limited = (await fake.closePosition(id, {}).catch((e: unknown) => e)) as FakeSdkError;
    expect(limited).toMatchObject({ name: 'TooManyRequestsError', status: 429 });
    expect(typeof limited.metadata!.recommendedRetryTime).toBe('string');
    await fake.close();
    await expect(fake.getPositions()).rejects.toMatchObject({
      name: 'Error',
      message: 'This connection has been closed, please create a new connection',
    });
  });

  it("trade responses without positionId (the SDK's example) or with numeric ids: the position is still named", async () => {
    for (const style of ['orderIdOnly', 'numericIds'] as const) {
      const { fake, broker } = venue('hedging');
      fake.tradeResponse = style;
      const held = fake.traderOpen('buy', 0.3, 1990, null);
      const opened = await broker.send(
        intent({ kind: 'open', positionId: held, side: 'sell', volume: 0.1, comment: 're' }),
      );
      expect(opened.outcome).toBe('applied');
      const newId = (await broker.positions()).find((p) => p.id !== held)!.id;
      expect(opened).toMatchObject({ positionId: newId, price: 2000 });
      expect(await broker.send(intent({ kind: 'close_partial', positionId: held, volume: 0.1 }))).toMatchObject({
        outcome: 'applied',
        positionId: held,
      });
      expect(await broker.send(intent({ kind: 'move_stop', positionId: held, newSl: 1991 }))).toMatchObject({
        outcome: 'applied',
        positionId: held,
      });
      expect(fake.unexpected).toEqual([]);
    }
  });

  it("MetaApi's ERR_TRADE_TIMED_OUT (-7) is an unknown outcome: a retry finds the deal and sends nothing", async () => {
    const { fake, broker } = venue('hedging');
    const a = fake.traderOpen('buy', 0.5, 1990, null);
    const partial = intent({ kind: 'close_partial', positionId: a, volume: 0.2 });
    const real = fake.closePositionPartially.bind(fake);
    fake.closePositionPartially = async (id, volume, options) => {
      await real(id, volume, options);
      throw metaApiTradeError(-7, 'ERR_TRADE_TIMED_OUT', 'Trade timed out');
    };
    expect(await broker.send(partial)).toMatchObject({
      outcome: 'unknown',
      code: RETCODE.TIMEOUT,
      reason: expect.stringMatching(/^ERR_TRADE_TIMED_OUT: /),
    });
    expect(await broker.send(partial)).toEqual({ outcome: 'applied', code: RETCODE.DONE, price: 2000, positionId: a });
    expect(fake.tradeCalls()).toHaveLength(1);
    expect((await broker.positions())[0]!.volume).toBeCloseTo(0.3, 9);
  });

  it("a position closed between the read and the trade: MetaApi's 4753 answers POSITION_CLOSED", async () => {
    const { fake, broker } = venue('hedging');
    const a = fake.traderOpen('buy', 0.2, 1990, null);
    const stale = await fake.getPositions();
    fake.getPositions = async () => stale;
    const real = fake.closePosition.bind(fake);
    await real(a, {}); // the trader closes it
    expect(await broker.send(intent({ kind: 'close', positionId: a }))).toMatchObject({
      outcome: 'rejected',
      retryable: false,
      code: RETCODE.POSITION_CLOSED,
      reason: expect.stringMatching(/^ERR_TRADE_POSITION_NOT_FOUND: /),
    });
  });

  it("historical candles in either order within a page are taken the same (the SDK's example reads the oldest first)", async () => {
    const { fake, broker } = venue('hedging');
    const t0 = Date.UTC(2024, 4, 16, 8, 0);
    fake.feedBars(minutes(t0, 1500, 0.25));
    fake.now = t0 + 1500 * 60_000;
    const oldestFirst = await broker.candles(XAU, 'M1', 1200);
    const real = fake.getHistoricalCandles.bind(fake);
    fake.getHistoricalCandles = async (...args) => (await real(...args)).reverse();
    expect(await broker.candles(XAU, 'M1', 1200)).toEqual(oldestFirst);
    expect(oldestFirst.at(-1)!.time).toBe(t0 + 1499 * 60_000);
    expect(oldestFirst[0]!.time).toBe(t0 + 300 * 60_000);
  });

  it('a retry after a timeout that was lost is sent again, once', async () => {
    const { fake, broker } = venue('hedging');
    const a = fake.traderOpen('buy', 0.5, 1990, null);
    const partial = intent({ kind: 'close_partial', positionId: a, volume: 0.2 });
    fake.failNext('timeout_lost');
    expect((await broker.send(partial)).outcome).toBe('unknown');
    expect(await broker.send(partial)).toMatchObject({ outcome: 'applied', positionId: a });
    expect(fake.tradeCalls()).toHaveLength(2);
    expect((await broker.positions())[0]!.volume).toBeCloseTo(0.3, 9);
    expect(fake.calls.filter((c) => c.method === 'getDealsByTimeRange')).toHaveLength(1);
  });
});
