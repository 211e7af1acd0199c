import { describe, expect, it } from 'vitest';
import { RETCODE, type BrokerAnswer } from '../../src/brokers/brokerAnswer.ts';
import { PaperBroker, type PaperBrokerOptions } from '../../src/brokers/paperBroker.ts';
import type { Bar, Instrument, Intent, Side } from '../../src/domain/types.ts';
import { BarSeries } from '../../src/market/barSeries.ts';
import { InMemoryBars } from '../../src/market/barSource.ts';
import { SeededRng, seededRandom } from '../../src/market/sampleMarket.ts';

// Gold-like: 2 digits, stops level 0.50, freeze level 0.20, 100 oz per lot.
const GOLD: Instrument = {
  symbol: 'XAUUSDc',
  canonical: 'XAUUSD',
  tickSize: 0.01,
  digits: 2,
  point: 0.01,
  lotStep: 0.01,
  minLot: 0.01,
  maxLot: 100,
  contractSize: 100,
  stopsLevelPoints: 50,
  freezeLevelPoints: 20,
  hedging: true,
  crypto: false,
};

const H1 = 3_600_000;
const M1 = 60_000;
const T0 = Date.UTC(2024, 0, 2, 10);

function broker(opts: Partial<PaperBrokerOptions> = {}, inst: Partial<Instrument> = {}): PaperBroker {
  const b = new PaperBroker({ ...GOLD, ...inst }, { accountMode: 'hedging', timeframeMs: H1, ...opts });
  b.setQuote(T0, 2000, 0.2); // bid 2000.00, ask 2000.20
  return b;
}

let reqSeq = 0;
const rid = () => `r${++reqSeq}`;

function open(
  b: PaperBroker,
  side: Side,
  volume: number,
  sl: number | null = null,
  tp: number | null = null,
): BrokerAnswer {
  return b.open({ requestId: rid(), side, volume, sl, tp, comment: '' });
}

function openedId(a: BrokerAnswer): string {
  if (a.outcome !== 'applied') throw new Error(`expected applied, got ${JSON.stringify(a)}`);
  return a.positionId;
}

function bar(time: number, open: number, high: number, low: number, close: number, spread = 0.2): Bar {
  return { time, open, high, low, close, volume: 0, spread };
}

function expectRejected(a: BrokerAnswer, code: number, retryable = false): void {
  expect(a).toMatchObject({ outcome: 'rejected', code, retryable });
}

describe('PaperBroker quotes', () => {
  it('ask = bid + the bar spread, else spreadPoints x point; fixed mode ignores the data', () => {
    const b = broker({ spreadPoints: 30 });
    expect(b.quote()).toEqual({ time: T0, bid: 2000, ask: 2000.2 });
    b.setQuote(T0 + 1, 2000.1, NaN);
    expect(b.quote().ask).toBe(2000.4); // on the grid, not 2000.3999999999999
    const f = broker({ spreadPoints: 30, spreadMode: 'fixed' });
    expect(f.quote().ask).toBe(2000.3);
  });

  it('buys fill at the ask, sells at the bid', () => {
    const b = broker();
    expect(open(b, 'buy', 0.1)).toMatchObject({
      outcome: 'applied',
      code: RETCODE.DONE,
      price: 2000.2,
      positionId: '100001',
    });
    expect(open(b, 'sell', 0.1)).toMatchObject({ outcome: 'applied', price: 2000, positionId: '100002' });
  });

  it('refuses orders before the first quote', () => {
    const b = new PaperBroker(GOLD, { accountMode: 'hedging', timeframeMs: H1 });
    expectRejected(open(b, 'buy', 0.1), RETCODE.INVALID_PRICE);
  });
});

describe('PaperBroker stops', () => {
  it('buy: SL and TP at least the stops level from the bid (exactly the level allowed)', () => {
    const b = broker();
    expect(open(b, 'buy', 0.1, 1999.5, 2000.5).outcome).toBe('applied');
    expectRejected(open(b, 'buy', 0.1, 1999.51, null), RETCODE.INVALID_STOPS);
    expectRejected(open(b, 'buy', 0.1, null, 2000.49), RETCODE.INVALID_STOPS);
    expectRejected(open(b, 'buy', 0.1, 2000.5, null), RETCODE.INVALID_STOPS); // wrong side
  });

  it('sell: SL and TP at least the stops level from the ask', () => {
    const b = broker();
    expect(open(b, 'sell', 0.1, 2000.7, 1999.7).outcome).toBe('applied');
    expectRejected(open(b, 'sell', 0.1, 2000.69, null), RETCODE.INVALID_STOPS);
    expectRejected(open(b, 'sell', 0.1, null, 1999.71), RETCODE.INVALID_STOPS);
    expectRejected(open(b, 'sell', 0.1, 1999, null), RETCODE.INVALID_STOPS); // wrong side
  });

  it('a stops level of 0 still needs the stop strictly on its side of the price', () => {
    const b = broker({}, { stopsLevelPoints: 0, freezeLevelPoints: 0 });
    expectRejected(open(b, 'buy', 0.1, 2000, null), RETCODE.INVALID_STOPS);
    expect(open(b, 'buy', 0.1, 1999.99, null).outcome).toBe('applied');
    expectRejected(open(b, 'sell', 0.1, 2000.2, null), RETCODE.INVALID_STOPS);
    expect(open(b, 'sell', 0.1, 2000.21, null).outcome).toBe('applied');
  });

  it('modify checks the stops level the same way, for a buy and a sell', () => {
    const b = broker();
    const buy = openedId(open(b, 'buy', 0.1, 1990, null));
    const sell = openedId(open(b, 'sell', 0.1, 2010, null));
    expectRejected(b.modifyStops(rid(), buy, 1999.6, null), RETCODE.INVALID_STOPS);
    expect(b.modifyStops(rid(), buy, 1999.5, null)).toMatchObject({
      outcome: 'applied',
      code: RETCODE.DONE,
      price: 2000,
      positionId: buy,
    });
    expectRejected(b.modifyStops(rid(), sell, 2000.6, null), RETCODE.INVALID_STOPS);
    expect(b.modifyStops(rid(), sell, 2000.7, null)).toMatchObject({
      outcome: 'applied',
      price: 2000.2,
      positionId: sell,
    });
    expect(b.position(buy)?.sl).toBe(1999.5);
    expect(b.position(sell)?.sl).toBe(2000.7);
  });

  it('stops off the tick grid are INVALID_STOPS, not retryable', () => {
    const b = broker({}, { tickSize: 0.05 });
    expectRejected(open(b, 'buy', 0.1, 1999.42, null), RETCODE.INVALID_STOPS);
    expectRejected(open(b, 'sell', 0.1, null, 1999.13), RETCODE.INVALID_STOPS);
    const id = openedId(open(b, 'buy', 0.1, 1999.45, null));
    expectRejected(b.modifyStops(rid(), id, 1999.01, null), RETCODE.INVALID_STOPS);
    expect(b.position(id)?.sl).toBe(1999.45);
  });

  it('a modify to the same SL and TP is NO_CHANGES, reported as applied', () => {
    const b = broker();
    const buy = openedId(open(b, 'buy', 0.1, 1999, 2005));
    const sell = openedId(open(b, 'sell', 0.1, 2005, 1995));
    const before = b.audit.applied;
    expect(b.modifyStops(rid(), buy, 1999, 2005)).toMatchObject({
      outcome: 'applied',
      code: RETCODE.NO_CHANGES,
      positionId: buy,
    });
    expect(b.modifyStops(rid(), sell, 2005, 1995)).toMatchObject({
      outcome: 'applied',
      code: RETCODE.NO_CHANGES,
      positionId: sell,
    });
    expect(b.audit.applied).toBe(before + 2);
    // Even once the price sits inside the freeze level, a retried modify that already went through is NO_CHANGES.
    b.setQuote(T0 + M1, 1999.1, 0.2);
    expect(b.modifyStops(rid(), buy, 1999, 2005)).toMatchObject({ outcome: 'applied', code: RETCODE.NO_CHANGES });
  });

  it('a loosening stop is applied but counted (buy and sell); removing a stop counts too', () => {
    const b = broker();
    const buy = openedId(open(b, 'buy', 0.1, 1999, null));
    const sell = openedId(open(b, 'sell', 0.1, 2001, null));
    expect(b.modifyStops(rid(), buy, 1999.2, null).outcome).toBe('applied'); // tighter
    expect(b.modifyStops(rid(), sell, 2000.9, null).outcome).toBe('applied'); // tighter
    expect(b.audit.loosened).toBe(0);
    expect(b.modifyStops(rid(), buy, 1998, null).outcome).toBe('applied');
    expect(b.modifyStops(rid(), sell, 2002, null).outcome).toBe('applied');
    expect(b.audit.loosened).toBe(2);
    expect(b.position(buy)?.sl).toBe(1998);
    expect(b.modifyStops(rid(), sell, null, null).outcome).toBe('applied');
    expect(b.audit.loosened).toBe(3);
    // A TP change alone is not a stop move.
    expect(b.modifyStops(rid(), buy, 1998, 2010).outcome).toBe('applied');
    expect(b.audit.loosened).toBe(3);
  });

  it('freeze level: modify, partial close and close refused with FROZEN near the SL/TP (buy)', () => {
    const b = broker();
    const id = openedId(open(b, 'buy', 0.2, 1999.5, 2003));
    b.setQuote(T0 + M1, 1999.7, 0.2); // bid 0.20 above the SL: frozen (MT5 wants strictly more)
    expectRejected(b.modifyStops(rid(), id, 1999, 2003), RETCODE.FROZEN);
    expectRejected(b.closePartial(rid(), id, 0.1), RETCODE.FROZEN);
    expectRejected(b.close(rid(), id), RETCODE.FROZEN);
    b.setQuote(T0 + 2 * M1, 2002.85, 0.2); // near the TP
    expectRejected(b.close(rid(), id), RETCODE.FROZEN);
    b.setQuote(T0 + 3 * M1, 1999.71, 0.2); // just outside
    expect(b.closePartial(rid(), id, 0.1).outcome).toBe('applied');
    expect(b.close(rid(), id)).toMatchObject({ outcome: 'applied', price: 1999.71 });
  });

  it('freeze level: measured from the ask for a sell', () => {
    const b = broker();
    const id = openedId(open(b, 'sell', 0.1, 2001, 1995));
    b.setQuote(T0 + M1, 2000.6, 0.2); // ask 2000.80: 0.20 below the SL
    expectRejected(b.modifyStops(rid(), id, 2002, 1995), RETCODE.FROZEN);
    expectRejected(b.close(rid(), id), RETCODE.FROZEN);
    b.setQuote(T0 + 2 * M1, 2000.59, 0.2); // ask 2000.79
    expect(b.close(rid(), id)).toMatchObject({ outcome: 'applied', price: 2000.79 });
  });

  it('requests on an unknown or closed position are POSITION_CLOSED', () => {
    const b = broker();
    const id = openedId(open(b, 'buy', 0.1));
    expect(b.close(rid(), id).outcome).toBe('applied');
    expectRejected(b.close(rid(), id), RETCODE.POSITION_CLOSED);
    expectRejected(b.modifyStops(rid(), id, 1990, null), RETCODE.POSITION_CLOSED);
    expectRejected(b.closePartial(rid(), '424242', 0.01), RETCODE.POSITION_CLOSED);
  });
});

describe('PaperBroker volumes', () => {
  it('orders must be lot-step multiples within min and max lot', () => {
    const b = broker({}, { lotStep: 0.01, minLot: 0.05, maxLot: 1 });
    expectRejected(open(b, 'buy', 0.055), RETCODE.INVALID_VOLUME);
    expectRejected(open(b, 'buy', 0.04), RETCODE.INVALID_VOLUME);
    expectRejected(open(b, 'sell', 1.01), RETCODE.INVALID_VOLUME);
    expectRejected(open(b, 'sell', 0), RETCODE.INVALID_VOLUME);
    expect(open(b, 'buy', 0.05).outcome).toBe('applied');
    expect(open(b, 'sell', 1).outcome).toBe('applied');
  });

  for (const side of ['buy', 'sell'] as const) {
    it(`partial closes (${side}): step, min lot, remainder below min lot, exact float remainder`, () => {
      const b = broker({}, { lotStep: 0.01, minLot: 0.05 });
      const id = openedId(open(b, side, 0.15));
      expectRejected(b.closePartial(rid(), id, 0.055), RETCODE.INVALID_VOLUME);
      expectRejected(b.closePartial(rid(), id, 0.03), RETCODE.INVALID_VOLUME);
      expectRejected(b.closePartial(rid(), id, 0.12), RETCODE.INVALID_VOLUME); // would leave 0.03 < 0.05
      expect(b.position(id)?.volume).toBe(0.15);
      expect(b.closePartial(rid(), id, 0.1)).toMatchObject({
        outcome: 'applied',
        price: side === 'buy' ? 2000 : 2000.2,
      });
      expect(b.position(id)?.volume).toBe(0.05); // not 0.04999999999999999
      expect(b.closePartial(rid(), id, 0.05).outcome).toBe('applied'); // remainder 0 is fine
      expect(b.position(id)).toBeUndefined();
      expect(b.deals.filter((d) => d.positionId === id).map((d) => [d.reason, d.volume])).toEqual([
        ['open', 0.15],
        ['partial', 0.1],
        ['partial', 0.05],
      ]);
    });

    it(`closing more than is open (${side}) is INVALID_CLOSE_VOLUME and audited`, () => {
      const b = broker();
      const id = openedId(open(b, side, 0.1));
      expectRejected(b.closePartial(rid(), id, 0.2), RETCODE.INVALID_CLOSE_VOLUME);
      expectRejected(b.closePartial(rid(), id, 0.11), RETCODE.INVALID_CLOSE_VOLUME);
      expect(b.audit.overClose).toBe(2);
      expect(b.position(id)?.volume).toBe(0.1);
    });
  }

  it('0.3 - 0.1 - 0.1 - 0.1 closes exactly', () => {
    const b = broker();
    const id = openedId(open(b, 'buy', 0.3));
    for (let i = 0; i < 3; i++) expect(b.closePartial(rid(), id, 0.1).outcome).toBe('applied');
    expect(b.positions()).toEqual([]);
  });
});

describe('PaperBroker accounts', () => {
  it('hedging: every order is its own position; an opposite one is a hedge', () => {
    const b = broker({ firstTicket: 500 });
    const a = openedId(open(b, 'buy', 0.1));
    const h = openedId(open(b, 'sell', 0.1));
    expect([a, h]).toEqual(['500', '501']);
    expect(b.positions().map((p) => [p.id, p.side, p.volume, p.entryPrice])).toEqual([
      ['500', 'buy', 0.1, 2000.2],
      ['501', 'sell', 0.1, 2000],
    ]);
  });

  it('netting: same side adds at the volume-weighted entry; opposite reduces, then reverses onto a new ticket', () => {
    const b = broker({ accountMode: 'netting' });
    const id = openedId(open(b, 'buy', 0.1, 1990, null));
    b.setQuote(T0 + M1, 2001, 0.2);
    expect(open(b, 'buy', 0.3, null, 2010)).toMatchObject({ outcome: 'applied', price: 2001.2, positionId: id });
    let p = b.positions();
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ id, side: 'buy', volume: 0.4, sl: 1990, tp: 2010 });
    expect(p[0]!.entryPrice).toBeCloseTo(2000.95, 9);

    // A sell at the bid (2001) takes 0.1 off the buy: profit (2001 - 2000.95) x 0.1 x 100.
    expect(open(b, 'sell', 0.1)).toMatchObject({ outcome: 'applied', price: 2001, positionId: id });
    expect(b.position(id)?.volume).toBe(0.3);
    expect(b.deals.at(-1)).toMatchObject({ positionId: id, side: 'buy', reason: 'net', volume: 0.1, price: 2001 });
    expect(b.deals.at(-1)!.profit).toBeCloseTo(0.5, 9);

    // Selling 0.5 against 0.3 closes the buy and opens a 0.2 sell on a new ticket with the order's stops.
    const rev = open(b, 'sell', 0.5, 2010, null);
    expect(rev).toMatchObject({ outcome: 'applied', price: 2001 });
    const sid = openedId(rev);
    expect(sid).not.toBe(id);
    expect(b.position(id)).toBeUndefined();
    p = b.positions();
    expect(p).toEqual([
      expect.objectContaining({ id: sid, side: 'sell', volume: 0.2, entryPrice: 2001, sl: 2010, tp: null }),
    ]);
    expect(b.deals.slice(-2).map((d) => [d.positionId, d.side, d.reason, d.volume])).toEqual([
      [id, 'buy', 'net', 0.3],
      [sid, 'sell', 'open', 0.2],
    ]);
    const sum = b.deals.filter((d) => d.positionId === id).reduce((s, d) => s + d.profit, 0);
    expect(b.realizedProfit(id)).toBe(sum);
    expect(sum).toBeCloseTo((2001 - 2000.95) * 0.4 * 100, 9);

    // An exactly opposite order flattens the account.
    expect(open(b, 'buy', 0.2)).toMatchObject({ outcome: 'applied', positionId: sid });
    expect(b.positions()).toEqual([]);
  });

  it('netting: an opposite order that would leave or reverse into less than the min lot is INVALID_VOLUME', () => {
    const b = broker({ accountMode: 'netting' }, { minLot: 0.05 });
    const id = openedId(open(b, 'sell', 0.2));
    expectRejected(open(b, 'buy', 0.17), RETCODE.INVALID_VOLUME); // leaves 0.03
    expectRejected(open(b, 'buy', 0.22), RETCODE.INVALID_VOLUME); // reverses into 0.02
    expect(b.position(id)?.volume).toBe(0.2);
    expect(open(b, 'buy', 0.15).outcome).toBe('applied');
    expect(b.position(id)?.volume).toBe(0.05);
  });

  it('netting: the freeze level also blocks an opposite order', () => {
    const b = broker({ accountMode: 'netting' });
    const id = openedId(open(b, 'buy', 0.1, 1999.5, null));
    b.setQuote(T0 + M1, 1999.6, 0.2);
    expectRejected(open(b, 'sell', 0.1), RETCODE.FROZEN);
    expect(b.position(id)?.volume).toBe(0.1);
  });
});

describe('PaperBroker bar fills', () => {
  it('returns one shared empty array when nothing fills', () => {
    const b = broker();
    const empty = b.fillBar(bar(T0, 2000, 2001, 1999, 2000));
    openedId(open(b, 'buy', 0.1, 1990, 2010));
    expect(b.fillBar(bar(T0 + H1, 2000, 2001, 1999, 2000))).toBe(empty);
    expect(empty).toHaveLength(0);
  });

  it('a buy exits at the bid: a level inside the bar fills at the level', () => {
    const b = broker();
    const sl = openedId(open(b, 'buy', 0.1, 1999, 2005));
    const tp = openedId(open(b, 'buy', 0.2, 1990, 2001));
    const fills = b.fillBar(bar(T0 + H1, 2000, 2001, 1998.9, 2000.5));
    // Both positions fill, in ticket order.
    expect(fills).toEqual([
      { positionId: sl, time: T0 + H1, price: 1999, volume: 0.1, reason: 'sl', gap: false },
      { positionId: tp, time: T0 + H1, price: 2001, volume: 0.2, reason: 'tp', gap: false },
    ]);
    expect(b.positions()).toEqual([]);
    expect(b.realizedProfit(sl)).toBeCloseTo((1999 - 2000.2) * 0.1 * 100, 9);
    expect(b.realizedProfit(tp)).toBeCloseTo((2001 - 2000.2) * 0.2 * 100, 9);
  });

  it('a sell exits at the ask: its SL is touched by high + spread even when the bid high is below it', () => {
    const b = broker();
    const id = openedId(open(b, 'sell', 0.1, 2001, 1995));
    expect(b.fillBar(bar(T0 + H1, 2000.1, 2000.79, 1999.5, 2000, 0.2))).toHaveLength(0);
    expect(b.fillBar(bar(T0 + 2 * H1, 2000.1, 2000.85, 1999.5, 2000, 0.2))).toEqual([
      { positionId: id, time: T0 + 2 * H1, price: 2001, volume: 0.1, reason: 'sl', gap: false },
    ]);
    expect(b.deals.at(-1)!.profit).toBeCloseTo(-(2001 - 2000) * 0.1 * 100, 9);
  });

  it('a sell TP needs the ask (low + spread) to reach it; the configured spread stands in for an unknown one', () => {
    const b = broker({ spreadPoints: 50 });
    const id = openedId(open(b, 'sell', 0.1, 2010, 1995));
    expect(b.fillBar(bar(T0 + H1, 2000, 2000.5, 1994.6, 1995, NaN))).toHaveLength(0); // ask low 1995.10
    expect(b.fillBar(bar(T0 + 2 * H1, 2000, 2000.5, 1994.5, 1995, NaN))).toMatchObject([
      { positionId: id, price: 1995, reason: 'tp' },
    ]);
  });

  it('gaps: a bar opening beyond the SL or TP fills at the open (buy)', () => {
    const b = broker();
    const a = openedId(open(b, 'buy', 0.1, 1999, 2010));
    const c = openedId(open(b, 'buy', 0.1, 1990, 2002));
    b.setQuote(T0 + 1, 2000, 0.2);
    expect(b.fillBar(bar(T0 + H1, 1998.5, 1999.5, 1998, 1999))).toEqual([
      { positionId: a, time: T0 + H1, price: 1998.5, volume: 0.1, reason: 'sl', gap: true },
    ]);
    expect(b.fillBar(bar(T0 + 2 * H1, 2003, 2004, 2002.5, 2003))).toEqual([
      { positionId: c, time: T0 + 2 * H1, price: 2003, volume: 0.1, reason: 'tp', gap: true },
    ]);
  });

  it('gaps: a sell fills at the ask open', () => {
    const b = broker();
    const a = openedId(open(b, 'sell', 0.1, 2001, 1990));
    const c = openedId(open(b, 'sell', 0.1, 2010, 1998));
    expect(b.fillBar(bar(T0 + H1, 2001, 2002, 2000.5, 2001.5, 0.2))).toEqual([
      { positionId: a, time: T0 + H1, price: 2001.2, volume: 0.1, reason: 'sl', gap: true },
    ]);
    expect(b.fillBar(bar(T0 + 2 * H1, 1997, 1997.5, 1996, 1997, 0.2))).toEqual([
      { positionId: c, time: T0 + 2 * H1, price: 1997.2, volume: 0.1, reason: 'tp', gap: true },
    ]);
  });

  it('an open exactly at the level fills at the level, without a gap', () => {
    const b = broker();
    const id = openedId(open(b, 'buy', 0.1, 1999, null));
    expect(b.fillBar(bar(T0 + H1, 1999, 2000, 1999, 2000))).toEqual([
      { positionId: id, time: T0 + H1, price: 1999, volume: 0.1, reason: 'sl', gap: false },
    ]);
  });

  describe('both SL and TP inside one bar', () => {
    // Buy: SL 1999, TP 2001. Sell: SL 2001.2 (ask), TP 1999.2 (ask). Spread 0.2 for both.
    const upBar = bar(T0 + H1, 2000, 2002, 1998, 2001.5);
    const downBar = bar(T0 + H1, 2000, 2002, 1998, 1998.5);
    const cases: { rule: 'stop_first' | 'target_first' | 'ohlc_path'; b: Bar; buy: 'sl' | 'tp'; sell: 'sl' | 'tp' }[] =
      [
        { rule: 'stop_first', b: upBar, buy: 'sl', sell: 'sl' },
        { rule: 'target_first', b: upBar, buy: 'tp', sell: 'tp' },
        // Up bar: O -> L -> H -> C, so the low side is met first (a buy's SL, a sell's TP).
        { rule: 'ohlc_path', b: upBar, buy: 'sl', sell: 'tp' },
        // Down bar: O -> H -> L -> C, the high side first (a buy's TP, a sell's SL).
        { rule: 'ohlc_path', b: downBar, buy: 'tp', sell: 'sl' },
      ];
    for (const c of cases) {
      it(`${c.rule} on a ${c.b === upBar ? 'rising' : 'falling'} bar: buy ${c.buy}, sell ${c.sell}`, () => {
        const b = broker({ intrabar: c.rule });
        const buy = openedId(open(b, 'buy', 0.1, 1999, 2001));
        const sell = openedId(open(b, 'sell', 0.1, 2001.2, 1999.2));
        const fills = b.fillBar(c.b);
        expect(fills.map((f) => [f.positionId, f.reason, f.price, f.gap])).toEqual([
          [buy, c.buy, c.buy === 'sl' ? 1999 : 2001, false],
          [sell, c.sell, c.sell === 'sl' ? 2001.2 : 1999.2, false],
        ]);
      });
    }

    it('the default rule is stop_first', () => {
      const b = broker();
      openedId(open(b, 'buy', 0.1, 1999, 2001));
      expect(b.fillBar(upBar)[0]?.reason).toBe('sl');
    });

    it('fine bars decide: the first fine bar that touches a level wins, at that fine bar time', () => {
      const fine = BarSeries.fromBars([
        bar(T0, 2000, 2000.5, 1999.5, 2000), // previous H1 bar: ignored
        bar(T0 + H1, 2000, 2000.5, 1999.5, 2000.3),
        bar(T0 + H1 + M1, 2000.3, 2001.2, 2000.1, 2001), // buy TP 2001 here; sell ask high 2001.4 >= SL 2001.2 too
        bar(T0 + H1 + 2 * M1, 2001, 2001.5, 1998, 1998.5),
        bar(T0 + 2 * H1, 1990, 1990, 1990, 1990), // next H1 bar: ignored
      ]);
      const b = broker({ fineBars: new InMemoryBars(fine), intrabar: 'target_first' });
      const buy = openedId(open(b, 'buy', 0.1, 1999, 2001));
      const sell = openedId(open(b, 'sell', 0.1, 2001.2, 1999.2));
      expect(b.fillBar(bar(T0 + H1, 2000, 2001.5, 1998, 1998.5))).toEqual([
        { positionId: buy, time: T0 + H1 + M1, price: 2001, volume: 0.1, reason: 'tp', gap: false },
        { positionId: sell, time: T0 + H1 + M1, price: 2001.2, volume: 0.1, reason: 'sl', gap: false },
      ]);
    });

    it('fine bars: a fine bar touching both uses the intrabar rule; a fine gap fills at the fine open', () => {
      const fine = BarSeries.fromBars([
        bar(T0 + H1, 2000, 2000.5, 1999.5, 2000.3),
        bar(T0 + H1 + M1, 2000.3, 2001.5, 1998.5, 2001.4), // both for the buy, rising
        bar(T0 + H1 + 2 * M1, 2001.4, 2001.5, 1998, 1998),
      ]);
      const path = broker({ fineBars: new InMemoryBars(fine), intrabar: 'ohlc_path' });
      const id = openedId(open(path, 'buy', 0.1, 1999, 2001));
      expect(path.fillBar(bar(T0 + H1, 2000, 2001.5, 1998, 1998))).toEqual([
        { positionId: id, time: T0 + H1 + M1, price: 1999, volume: 0.1, reason: 'sl', gap: false },
      ]);

      const gapFine = BarSeries.fromBars([
        bar(T0 + H1, 2000, 2000.5, 1999.5, 2000.3),
        bar(T0 + H1 + M1, 1998.4, 1998.9, 1998.2, 1998.8), // jumped below the SL between fine bars
        bar(T0 + H1 + 2 * M1, 1998.8, 2001.5, 1998.7, 2001.5),
      ]);
      const g = broker({ fineBars: new InMemoryBars(gapFine), intrabar: 'target_first' });
      const gid = openedId(open(g, 'buy', 0.1, 1999, 2001));
      expect(g.fillBar(bar(T0 + H1, 2000, 2001.5, 1998.2, 2001.5))).toEqual([
        { positionId: gid, time: T0 + H1 + M1, price: 1998.4, volume: 0.1, reason: 'sl', gap: true },
      ]);
    });

    it('fine bars missing for the bar: falls back to the intrabar rule', () => {
      const fine = BarSeries.fromBars([bar(T0, 2000, 2000, 2000, 2000)]);
      const b = broker({ fineBars: new InMemoryBars(fine), intrabar: 'target_first' });
      openedId(open(b, 'buy', 0.1, 1999, 2001));
      expect(b.fillBar(upBar)).toMatchObject([{ reason: 'tp', price: 2001, time: T0 + H1 }]);
    });
  });
});

describe('PaperBroker intents and audit', () => {
  const intent = (over: Partial<Intent>): Intent => ({
    id: 'i1',
    positionId: '100001',
    symbol: 'XAUUSDc',
    kind: 'move_stop',
    rule: 'trail',
    episode: 0,
    newSl: 0,
    oldSl: null,
    volume: 0,
    time: T0,
    price: 2000,
    reason: '',
    targetId: over.positionId ?? '100001',
    side: 'buy',
    comment: '',
    action: '',
    ...over,
  });

  it('apply: move_stop keeps the TP, close_partial and close use intent.id as the request id', () => {
    const b = broker();
    const id = openedId(open(b, 'buy', 0.3, 1990, 2010));
    expect(b.apply(intent({ id: 'm1', positionId: id, kind: 'move_stop', newSl: 1995, oldSl: 1990 })).outcome).toBe(
      'applied',
    );
    expect(b.position(id)).toMatchObject({ sl: 1995, tp: 2010 });
    expect(b.apply(intent({ id: 'p1', positionId: id, kind: 'close_partial', volume: 0.1 })).outcome).toBe('applied');
    expect(b.apply(intent({ id: 'c1', positionId: id, kind: 'close' })).outcome).toBe('applied');
    expect(b.deals.map((d) => [d.reason, d.requestId])).toEqual([
      ['open', expect.any(String)],
      ['partial', 'p1'],
      ['close', 'c1'],
    ]);
    expect(b.apply(intent({ id: 'm2', positionId: id, kind: 'move_stop', newSl: 1996 }))).toMatchObject({
      outcome: 'rejected',
      code: RETCODE.POSITION_CLOSED,
    });
  });

  it('apply: open (a DTMS hedge or re-add) and close of another position (targetId)', () => {
    const b = broker();
    const id = openedId(open(b, 'buy', 0.3, 1990, 2010));
    const h = b.apply(
      intent({
        id: 'h1',
        positionId: id,
        targetId: '',
        kind: 'open',
        side: 'sell',
        volume: 0.1,
        newSl: 2003,
        comment: 'DTMS_HEDGE_x_1',
      }),
    );
    const hid = openedId(h);
    expect(hid).not.toBe(id);
    expect(b.position(hid)).toMatchObject({
      side: 'sell',
      volume: 0.1,
      sl: 2003,
      tp: null,
      comment: 'DTMS_HEDGE_x_1',
      entryPrice: 2000,
    });
    expect(b.apply(intent({ id: 'hc', positionId: id, targetId: hid, kind: 'close', volume: 0.1 })).outcome).toBe(
      'applied',
    );
    expect(b.position(hid)).toBeUndefined();
    expect(b.position(id)).toMatchObject({ volume: 0.3 });
    // NaN stop: the order goes without one
    const r = openedId(
      b.apply(
        intent({
          id: 'r1',
          positionId: id,
          targetId: '',
          kind: 'open',
          side: 'buy',
          volume: 0.1,
          newSl: NaN,
          comment: 'r',
        }),
      ),
    );
    expect(b.position(r)).toMatchObject({ sl: null, side: 'buy', entryPrice: 2000.2 });
  });

  it('counts requests, applied requests and ids that had already been applied', () => {
    const b = broker();
    const id = openedId(b.open({ requestId: 'o', side: 'buy', volume: 0.3, sl: null, tp: null, comment: 'x' }));
    expect(b.closePartial('p', id, 0.1).outcome).toBe('applied');
    expect(b.closePartial('p', id, 0.1).outcome).toBe('applied'); // a broker does not deduplicate
    expectRejected(b.closePartial('bad', id, 0.5), RETCODE.INVALID_CLOSE_VOLUME);
    expectRejected(b.closePartial('bad', id, 0.5), RETCODE.INVALID_CLOSE_VOLUME); // never applied: not a duplicate
    expect(b.audit).toMatchObject({ requests: 5, applied: 3, duplicateIds: 1, overClose: 2, loosened: 0 });
    expect(b.position(id)).toMatchObject({ volume: 0.1, comment: 'x', symbol: 'XAUUSDc' });
  });

  it('positions() and position() are copies', () => {
    const b = broker();
    const id = openedId(open(b, 'buy', 0.1, 1990, null));
    b.positions()[0]!.sl = 1;
    b.position(id)!.volume = 5;
    expect(b.position(id)).toMatchObject({ sl: 1990, volume: 0.1 });
  });
});

describe('PaperBroker faults', () => {
  function script(seed: number, rate = 0.4): { answers: BrokerAnswer[]; b: PaperBroker } {
    const b = broker({ faults: { rate, seed } });
    const answers: BrokerAnswer[] = [];
    for (let i = 0; i < 60; i++) {
      const a = b.open({
        requestId: `o${i}`,
        side: i % 2 ? 'buy' : 'sell',
        volume: 0.02,
        sl: null,
        tp: null,
        comment: '',
      });
      answers.push(a);
      const ids = b.positions().map((p) => p.id);
      if (ids.length > 3) answers.push(b.closePartial(`p${i}`, ids[0]!, 0.01), b.close(`c${i}`, ids[1]!));
    }
    return { answers, b };
  }

  it('the same seed and requests give the same answers and deals; another seed differs', () => {
    const x = script(7);
    const y = script(7);
    expect(y.answers).toEqual(x.answers);
    expect(y.b.deals).toEqual(x.b.deals);
    expect(y.b.audit).toEqual(x.b.audit);
    const kinds = x.b.audit.faults;
    expect(kinds.reject).toBeGreaterThan(0);
    expect(kinds.requote).toBeGreaterThan(0);
    expect(kinds.timeout).toBeGreaterThan(0);
    expect(
      x.answers
        .filter((a) => a.outcome === 'rejected' && a.code === RETCODE.REQUOTE)
        .every((a) => a.outcome === 'rejected' && a.retryable),
    ).toBe(true);
    expect(
      x.answers
        .filter((a) => a.outcome === 'rejected' && a.code === RETCODE.REJECT)
        .every((a) => a.outcome === 'rejected' && !a.retryable),
    ).toBe(true);
    expect(script(8).answers).not.toEqual(x.answers);
  });

  it('rate 0 never faults', () => {
    const { answers, b } = script(7, 0);
    expect(answers.every((a) => a.outcome === 'applied')).toBe(true);
    expect(b.audit.faults).toEqual({ reject: 0, requote: 0, timeout: 0 });
  });

  it('a timeout may have taken effect: the answer is unknown, the position is there', () => {
    const b = broker({
      faults: { rate: 1, seed: 1, weights: { reject: 0, requote: 0, timeout: 1 }, timeoutApplied: 1 },
    });
    const a = open(b, 'buy', 0.1);
    expect(a).toMatchObject({ outcome: 'unknown', code: RETCODE.TIMEOUT });
    const [p] = b.positions();
    expect(p).toMatchObject({ side: 'buy', volume: 0.1 });
    expect(b.close('c', p!.id).outcome).toBe('unknown');
    expect(b.positions()).toEqual([]);
    expect(b.close('c', p!.id).outcome).toBe('unknown'); // the retry fails inside: POSITION_CLOSED, but the caller only sees the timeout
    expect(b.audit).toMatchObject({
      requests: 3,
      applied: 2,
      duplicateIds: 1,
      faults: { reject: 0, requote: 0, timeout: 3 },
    });
  });

  it('a timeout that did not take effect changes nothing', () => {
    const b = broker({
      faults: { rate: 1, seed: 1, weights: { reject: 0, requote: 0, timeout: 1 }, timeoutApplied: 0 },
    });
    expect(open(b, 'sell', 0.1).outcome).toBe('unknown');
    expect(b.positions()).toEqual([]);
    expect(b.deals).toEqual([]);
  });

  it('exempt (harness) requests draw no fault, stay out of the audit, and do not shift the fault sequence', () => {
    const seq = (withHarness: boolean) => {
      const b = broker({ faults: { rate: 0.5, seed: 11 } });
      const out: BrokerAnswer[] = [];
      for (let i = 0; i < 20; i++) {
        if (withHarness)
          expect(
            b.open({ requestId: `entry${i}`, side: 'buy', volume: 0.01, sl: null, tp: null, comment: '', exempt: true })
              .outcome,
          ).toBe('applied');
        out.push(b.open({ requestId: `o${i}`, side: 'sell', volume: 0.01, sl: null, tp: null, comment: '' }));
      }
      return { out, audit: b.audit };
    };
    const plain = seq(false);
    const mixed = seq(true);
    expect(mixed.out.map((a) => [a.outcome, a.code])).toEqual(plain.out.map((a) => [a.outcome, a.code]));
    expect(mixed.audit).toEqual(plain.audit);
  });

  it('an exempt close ignores the freeze level and faults; validation otherwise applies', () => {
    const b = broker({ faults: { rate: 1, seed: 2, weights: { reject: 1, requote: 0, timeout: 0 } } });
    expectRejected(
      b.open({ requestId: 'e', side: 'buy', volume: 0.015, sl: null, tp: null, comment: '', exempt: true }),
      RETCODE.INVALID_VOLUME,
    );
    const id = openedId(
      b.open({ requestId: 'e', side: 'buy', volume: 0.1, sl: 1999.5, tp: null, comment: '', exempt: true }),
    );
    b.setQuote(T0 + M1, 1999.6, 0.2);
    expectRejected(b.close('c', id), RETCODE.REJECT);
    expect(b.close('end', id, true)).toMatchObject({ outcome: 'applied', price: 1999.6, positionId: id });
    expect(b.audit).toMatchObject({ requests: 1, applied: 0, faults: { reject: 1, requote: 0, timeout: 0 } });
  });

  it('requote only: retryable rejection, nothing happens', () => {
    const b = broker({ faults: { rate: 1, seed: 3, weights: { reject: 0, requote: 1, timeout: 0 } } });
    expect(open(b, 'buy', 0.1)).toMatchObject({ outcome: 'rejected', code: RETCODE.REQUOTE, retryable: true });
    expect(b.positions()).toEqual([]);
  });
});

describe('PaperBroker restart', () => {
  it('a snapshot taken mid-way (through JSON) and restored on a fresh broker answers the rest exactly as the one that never stopped, faults included', () => {
    const steps = (b: PaperBroker, from: number, to: number, answers: BrokerAnswer[]) => {
      for (let i = from; i < to; i++) {
        b.setQuote(T0 + i * 60_000, 2000 + Math.sin(i / 5) * 3, 0.2);
        answers.push(
          b.open({
            requestId: `o${i}`,
            side: i % 2 ? 'buy' : 'sell',
            volume: 0.02,
            sl: null,
            tp: null,
            comment: `c${i}`,
          }),
        );
        const ids = b.positions().map((p) => p.id);
        if (ids.length > 3)
          answers.push(
            b.closePartial(`p${i}`, ids[0]!, 0.01),
            b.close(`c${i}`, ids[1]!),
            b.modifyStops(`m${i}`, ids[2]!, 1980, null),
          );
        b.fillBar(bar(T0 + i * 60_000, 2000, 2004, 1996, 2000));
      }
    };
    const opts = { faults: { rate: 0.3, seed: 5 } };
    const a = broker(opts);
    const whole: BrokerAnswer[] = [];
    steps(a, 0, 40, whole);
    const snap = JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<PaperBroker['snapshot']>;
    const mark = whole.length;
    steps(a, 40, 80, whole);

    const b = broker(opts);
    expect(() => broker().restore(snap)).toThrow(/disagree on faults/);
    b.restore(snap);
    const rest: BrokerAnswer[] = [];
    steps(b, 40, 80, rest);
    expect(rest).toEqual(whole.slice(mark));
    expect(b.snapshot()).toEqual(a.snapshot());
    expect(a.audit.faults.timeout + a.audit.faults.reject + a.audit.faults.requote).toBeGreaterThan(5);
    expect(() => b.restore(snap)).toThrow(/already traded/);
  });

  it('SeededRng is seededRandom with a readable state', () => {
    const f = seededRandom(42);
    const g = new SeededRng(42);
    for (let i = 0; i < 100; i++) expect(g.next()).toBe(f());
    const h = new SeededRng(0);
    h.state = g.state;
    expect(h.next()).toBe(g.next());
  });
});
