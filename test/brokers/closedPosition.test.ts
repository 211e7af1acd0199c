// Each adapter's history of a position (BrokerPort.closedPosition) against its offline venue: the trader
// opens a buy, Warden takes a partial, the stop fills the rest. Every venue answers the open as `in`,
// the partial as `out` by Warden's request (its intent id recognised from the client id it carried) and
// the stop's fill as `out` by `sl`, with the venue's own prices and profits; a close by the trader is
// `outside`, a take profit `tp`; a position it holds no deal of is null. Then what is the venue's own:
// Binance's fills read a week at a time with the order behind each closing fill asked once; MetaApi's
// deal reasons and a history still synchronizing (thrown, asked again later).
import { describe, expect, it } from 'vitest';
import type { ClosedPositionQuery } from '../../src/brokers/brokerPort.ts';
import { CcxtBroker } from '../../src/brokers/ccxtBroker.ts';
import { clientOrderId } from '../../src/brokers/ccxtRecords.ts';
import { MetaApiBroker } from '../../src/brokers/metaApiBroker.ts';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Intent } from '../../src/domain/types.ts';
import { FakeBinanceUsdm, XAU as BINANCE_XAU } from './fakeBinanceUsdm.ts';
import { FakeMetaApi, XAU as MT5_XAU } from './fakeMetaApi.ts';

const MIN = 60_000;
const T0 = Date.UTC(2024, 4, 16, 10);
const PARTIAL = 'XAU#1:partial:1';

function partialIntent(symbol: string, ticket: string, volume: number): Intent {
  return {
    id: PARTIAL,
    positionId: `${ticket}#1`,
    symbol,
    kind: 'close_partial',
    rule: 'partial',
    episode: 1,
    newSl: Number.NaN,
    oldSl: null,
    volume,
    time: 0,
    price: 0,
    reason: 'partial',
    targetId: ticket,
    side: 'buy',
    comment: '',
    action: '',
  };
}

const query = (ticket: string, symbol: string, since: number, until: number): ClosedPositionQuery => ({
  ticket,
  symbol,
  side: 'buy',
  since,
  until,
  requestIds: [PARTIAL, 'XAU#1:breakeven:1'],
});

describe('the paper account', () => {
  it('answers its deals: the open in, the partial by the request, the stop fill sl; another ticket null', async () => {
    const inst = instrumentFromConfig(configSchema.parse({}), 'XAUUSDc', true);
    const account = new PaperAccount([inst], { accountMode: 'hedging', timeframeMs: MIN });
    const b = account.broker(inst.symbol);
    b.setQuote(T0, 2000, 0.2);
    const ticket = b.open({
      requestId: 'hand:1',
      side: 'buy',
      volume: 0.3,
      sl: 1990,
      tp: 2030,
      comment: '',
      exempt: true,
    });
    if (ticket.outcome !== 'applied') throw new Error('refused');
    b.setQuote(T0 + MIN, 2005, 0.2);
    expect(await account.send(partialIntent(inst.symbol, ticket.positionId, 0.1))).toMatchObject({
      outcome: 'applied',
      price: 2005,
    });
    account.onBar(
      inst.symbol,
      { time: T0 + 2 * MIN, open: 2004, high: 2004, low: 1985, close: 1986, volume: 1, spread: 0.2 },
      T0 + 3 * MIN,
    );
    const facts = (await account.closedPosition(query(ticket.positionId, inst.symbol, T0, T0 + 4 * MIN)))!;
    const c = inst.contractSize;
    expect(facts.deals).toEqual([
      { time: T0, entry: 'in', volume: 0.3, price: 2000.2, profit: 0, fees: 0, cause: 'outside', requestId: '' },
      {
        time: T0 + MIN,
        entry: 'out',
        volume: 0.1,
        price: 2005,
        profit: expect.closeTo((2005 - 2000.2) * 0.1 * c, 6),
        fees: 0,
        cause: 'request',
        requestId: PARTIAL,
      },
      {
        time: T0 + 2 * MIN,
        entry: 'out',
        volume: 0.2,
        price: 1990,
        profit: expect.closeTo((1990 - 2000.2) * 0.2 * c, 6),
        fees: 0,
        cause: 'sl',
        requestId: '',
      },
    ]);
    expect(await account.closedPosition(query('999', inst.symbol, T0, T0 + 4 * MIN))).toBeNull();
    // Outside the window: none.
    expect(await account.closedPosition(query(ticket.positionId, inst.symbol, T0 + 5 * MIN, T0 + 6 * MIN))).toBeNull();
  });
});

function binance(hedge: boolean): { fake: FakeBinanceUsdm; broker: CcxtBroker } {
  const fake = new FakeBinanceUsdm();
  fake.dualSide = hedge;
  fake.now = T0;
  const broker = new CcxtBroker({
    exchangeId: 'binanceusdm',
    apiKey: 'test-api-key-0123456789',
    secret: 'test-secret-9876543210',
    fetchImplementation: fake.fetch,
    enableRateLimit: false,
    timeoutMs: 2_000,
    clock: () => fake.now,
  });
  return { fake, broker };
}

describe('ccxt (Binance USD-M, fake REST API)', () => {
  for (const hedge of [false, true]) {
    it(`${hedge ? 'hedge' : 'one-way'} mode: the fills of the symbol on the position's side, each closing one's order asked once for what made it`, async () => {
      const { fake, broker } = binance(hedge);
      const ticket = fake.traderOpen('buy', 0.3, 1990, 2030);
      fake.now = T0 + MIN;
      fake.bid = 2005;
      expect(await broker.send(partialIntent(BINANCE_XAU, ticket, 0.1))).toMatchObject({ outcome: 'applied' });
      fake.now = T0 + 2 * MIN;
      expect(fake.walkMark([2004, 1985])).toMatchObject([{ kind: 'stop', volume: 0.2 }]);
      fake.seen.length = 0;
      const facts = (await broker.closedPosition(query(ticket, BINANCE_XAU, T0, T0 + 3 * MIN)))!;
      expect(facts.deals).toEqual([
        {
          time: T0,
          entry: 'in',
          volume: 0.3,
          price: 2000.1,
          profit: 0,
          fees: expect.closeTo(-0.3 * 2000.1 * 0.0004, 8),
          cause: 'unknown',
          requestId: '',
        },
        {
          time: T0 + MIN,
          entry: 'out',
          volume: 0.1,
          price: 2005,
          profit: expect.closeTo((2005 - 2000.1) * 0.1, 6),
          fees: expect.closeTo(-0.1 * 2005 * 0.0004, 8),
          cause: 'request',
          requestId: PARTIAL,
        },
        {
          time: T0 + 2 * MIN,
          entry: 'out',
          volume: 0.2,
          price: 1990,
          profit: expect.closeTo((1990 - 2000.1) * 0.2, 6),
          fees: expect.closeTo(-0.2 * 1990 * 0.0004, 8),
          cause: 'sl',
          requestId: '',
        },
      ]);
      expect(facts.notes[0]).toMatch(/^Binance fills carry no position id/);
      // One userTrades read (the window is under a week), one order lookup per closing order.
      const reads = fake.seen.filter(
        (r) => r.path !== '/fapi/v1/exchangeInfo' && r.path !== '/fapi/v1/positionSide/dual',
      );
      expect(reads.map((r) => r.path)).toEqual(['/fapi/v1/userTrades', '/fapi/v1/order', '/fapi/v1/order']);
      expect(reads[0]!.params).toMatchObject({
        symbol: 'XAUUSDT',
        startTime: String(T0),
        endTime: String(T0 + 3 * MIN),
        limit: '1000',
      });
      expect(clientOrderId(PARTIAL)).toBe(fake.orders.at(-1)!.clientOrderId);
      await broker.close();
      expect(fake.unexpected).toEqual([]);
    });
  }

  it("a close by the trader is outside, a take profit tp; fills of the other side or outside the window are not the position's; none at all is null", async () => {
    const { fake, broker } = binance(true);
    const ticket = fake.traderOpen('buy', 0.2, 1990, 2030);
    fake.traderOpen('sell', 0.1, 2010, 1970);
    fake.now = T0 + MIN;
    fake.traderClose('buy');
    const closedByHand = (await broker.closedPosition(query(ticket, BINANCE_XAU, T0, T0 + 2 * MIN)))!;
    expect(closedByHand.deals.map((d) => [d.entry, d.volume, d.cause])).toEqual([
      ['in', 0.2, 'unknown'],
      ['out', 0.2, 'outside'],
    ]);
    fake.now = T0 + 2 * MIN;
    expect(fake.walkMark([2000, 1969])).toMatchObject([{ kind: 'target' }]);
    const short = (await broker.closedPosition({
      ...query(BINANCE_XAU + ':short', BINANCE_XAU, T0, T0 + 3 * MIN),
      side: 'sell',
    }))!;
    expect(short.deals.map((d) => [d.entry, d.volume, d.cause, d.price])).toEqual([
      ['in', 0.1, 'unknown', 2000],
      ['out', 0.1, 'tp', 1970.1],
    ]);
    expect(await broker.closedPosition(query(ticket, BINANCE_XAU, T0 + 10 * MIN, T0 + 20 * MIN))).toBeNull();
    await broker.close();
    expect(fake.unexpected).toEqual([]);
  });

  it('a position older than a week is read a week at a time (Binance refuses a longer window)', async () => {
    const { fake, broker } = binance(false);
    const DAY = 24 * 60 * MIN;
    fake.now = T0 - 9 * DAY;
    const ticket = fake.traderOpen('buy', 0.2, 1990, 2030);
    fake.now = T0;
    fake.traderClose('buy');
    fake.seen.length = 0;
    const facts = (await broker.closedPosition(query(ticket, BINANCE_XAU, T0 - 9 * DAY, T0 + MIN)))!;
    expect(facts.deals.map((d) => [d.entry, d.time])).toEqual([
      ['in', T0 - 9 * DAY],
      ['out', T0],
    ]);
    const windows = fake.seen
      .filter((r) => r.path === '/fapi/v1/userTrades')
      .map((r) => [Number(r.params['startTime']), Number(r.params['endTime'])]);
    expect(windows).toEqual([
      [T0 - 9 * DAY, T0 - 2 * DAY - 1],
      [T0 - 2 * DAY, T0 + MIN],
    ]);
    await broker.close();
    expect(fake.unexpected).toEqual([]);
  });
});

function metaApi(): { fake: FakeMetaApi; broker: MetaApiBroker } {
  const fake = new FakeMetaApi('hedging');
  fake.now = T0;
  const broker = new MetaApiBroker({
    token: 'test-metaapi-token-0123456789abcdef',
    accountId: 'fake-account-id',
    gateway: fake,
    clock: () => fake.now,
  });
  return { fake, broker };
}

describe('MetaApi (fake SDK connection)', () => {
  it("the position's deals by its id: DEAL_ENTRY_IN in, OUT out; Warden's partial by its clientId, the stop by DEAL_REASON_SL, with MT5's profit", async () => {
    const { fake, broker } = metaApi();
    fake.setBid(2000);
    const ticket = fake.traderOpen('buy', 0.3, 1990, 2030);
    fake.now = T0 + MIN;
    fake.setBid(2005);
    expect(await broker.send(partialIntent(MT5_XAU, ticket, 0.1))).toMatchObject({ outcome: 'applied' });
    fake.now = T0 + 2 * MIN;
    expect(fake.walkQuote([2004, 1985])).toMatchObject([{ kind: 'sl', volume: 0.2 }]);
    const facts = (await broker.closedPosition(query(ticket, MT5_XAU, T0, T0 + 3 * MIN)))!;
    expect(facts.deals).toEqual([
      { time: T0, entry: 'in', volume: 0.3, price: 2000.2, profit: 0, fees: 0, cause: 'outside', requestId: '' },
      {
        time: T0 + MIN,
        entry: 'out',
        volume: 0.1,
        price: 2005,
        profit: expect.closeTo((2005 - 2000.2) * 0.1 * 100, 2),
        fees: 0,
        cause: 'request',
        requestId: PARTIAL,
      },
      {
        time: T0 + 2 * MIN,
        entry: 'out',
        volume: 0.2,
        price: 1990,
        profit: expect.closeTo((1990 - 2000.2) * 0.2 * 100, 2),
        fees: 0,
        cause: 'sl',
        requestId: '',
      },
    ]);
    expect(fake.calls.filter((c) => c.method === 'getDealsByPosition').map((c) => c.args)).toEqual([[ticket]]);
    expect(fake.unexpected).toEqual([]);
  });

  it('a close by the trader is outside (DEAL_REASON_CLIENT); no deal is null; a history still synchronizing throws (asked again later)', async () => {
    const { fake, broker } = metaApi();
    const ticket = fake.traderOpen('buy', 0.2, 1990, 2030);
    fake.now = T0 + MIN;
    fake.traderClose(ticket);
    const facts = (await broker.closedPosition(query(ticket, MT5_XAU, T0, T0 + 2 * MIN)))!;
    expect(facts.deals.map((d) => [d.entry, d.cause])).toEqual([
      ['in', 'outside'],
      ['out', 'outside'],
    ]);
    expect(await broker.closedPosition(query('123', MT5_XAU, T0, T0 + 2 * MIN))).toBeNull();
    fake.historySynchronizing = true;
    await expect(broker.closedPosition(query(ticket, MT5_XAU, T0, T0 + 2 * MIN))).rejects.toThrow(
      /still synchronizing the history of position/,
    );
    expect(fake.unexpected).toEqual([]);
  });
});
