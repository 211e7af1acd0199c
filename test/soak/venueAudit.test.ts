// The soak's own evidence must be able to fail: the venue audit flags a stop Warden loosened (the
// trader's hand excepted), a stop put back looser than the one taken away, a position closed beyond what
// was open, and tells a reopened or added-to position from the one before; the fakes' bar walks fill
// stops and targets where the price reached them, at the gap's price when it opened beyond.
import { describe, expect, it } from 'vitest';
import { FakeBinanceUsdm } from '../brokers/fakeBinanceUsdm.ts';
import { FakeMetaApi } from '../brokers/fakeMetaApi.ts';
import { VenueAudit, type AuditSource, type VenuePosition } from './venueAudit.ts';

const warden = (request: string): AuditSource => ({ by: 'warden', request, clientId: '' });
const trader = (what: string): AuditSource => ({ by: 'trader', what });

function venue() {
  let book: VenuePosition[] = [];
  const audit = new VenueAudit(() => book);
  const set = (p: Partial<VenuePosition> | null, source: AuditSource) => {
    book =
      p === null
        ? []
        : [{ id: 'T1', side: 'buy', volume: 1, entry: 100, sl: 95, tp: 110, stops: 1, comment: '', ...p }];
    audit.observe(source);
  };
  return { audit, set };
}

describe('venue audit', () => {
  it("flags Warden loosening a stop, not the trader's hand, and measures later moves from the trader's stop", () => {
    const { audit, set } = venue();
    set({}, trader('open'));
    set({ sl: 97 }, warden('breakeven'));
    expect(audit.violations).toEqual([]);
    set({ sl: 96 }, warden('trail'));
    expect(audit.violations.map((v) => v.check)).toEqual(['stop_loosened']);
    expect(audit.violations[0]!.message).toMatch(
      /Warden set the stop to 96, looser than 97 before it; recent stop changes: .*97->96/,
    );
    set({ sl: 94 }, trader('by hand'));
    set({ sl: 95 }, warden('trail'));
    expect(audit.violations).toHaveLength(1);
    set({ sl: 94.5 }, warden('trail'));
    expect(audit.violations).toHaveLength(2);
  });

  it('a stop Warden took away and put back: the same price is no loosening, a looser one is', () => {
    const { audit, set } = venue();
    set({ sl: 98 }, trader('open'));
    set({ sl: null, stops: 0 }, warden('cancel'));
    expect(audit.current('T1')).toMatchObject({ sl: null, removedAtStep: 0, lastStop: 98 });
    set({ sl: 98 }, warden('restore'));
    expect(audit.current('T1')?.removedAtStep).toBeNull();
    set({ sl: null, stops: 0 }, warden('cancel'));
    set({ sl: 97.5 }, warden('place'));
    expect(audit.violations.map((v) => v.check)).toEqual(['stop_loosened']);
  });

  it('counts what Warden closed of each position apart from the rest, flags closing beyond what was open, and starts a new segment when the entry moves', () => {
    const { audit, set } = venue();
    set({ volume: 1 }, trader('open'));
    set({ volume: 0.6 }, warden('partial'));
    expect(audit.current('T1')).toMatchObject({
      key: 'T1~1',
      initialVolume: 1,
      closedByWarden: 0.4,
      closedOtherwise: 0,
    });
    // Added to (the entry moved): another position under the same ticket.
    set({ volume: 1.6, entry: 101 }, trader('add'));
    expect(audit.current('T1')).toMatchObject({ key: 'T1~2', initialVolume: 1.6, closedByWarden: 0 });
    expect(audit.segments[0]).toMatchObject({ closedBy: { by: 'trader' }, closedOtherwise: 0.6 });
    expect(audit.segmentOf('T1', 100)?.key).toBe('T1~1');
    set({ volume: 1.6, entry: 101, stops: 2 }, warden('a second stop'));
    expect(audit.violations.map((v) => v.check)).toEqual(['two_stops']);
    set(null, { by: 'market', what: 'stop' });
    expect(audit.segments[1]).toMatchObject({ closedOtherwise: 1.6, volume: 0 });
    expect(audit.openSegments()).toEqual([]);
  });
});

describe("the fakes' bar walks", () => {
  it('Binance: a long is stopped at its trigger on the way down, at the open when the bar gaps through it; the target likewise', () => {
    const fake = new FakeBinanceUsdm();
    fake.cancelExitsWhenFlat = true;
    fake.traderOpen('buy', 0.5, 1990, 2030);
    expect(fake.walkMark([2000, 1995, 2010, 2005])).toEqual([]);
    expect(fake.bid).toBe(2005);
    expect(fake.walkMark([2004, 1989.5, 2001, 2000])).toEqual([
      {
        positionId: 'XAU/USDT:USDT:long',
        kind: 'stop',
        trigger: 1990,
        price: 1990,
        volume: 0.5,
        clientAlgoId: expect.stringMatching(/^trader_/),
      },
    ]);
    expect(fake.positions.get('XAUUSDT:BOTH')?.amt).toBe(0);
    // Its target went with it.
    expect(fake.algo).toEqual([]);
    fake.traderOpen('sell', 0.5, 2010, 1980);
    const fills = fake.walkMark([1975, 1985, 1970, 1972]);
    expect(fills.map((f) => [f.kind, f.price])).toEqual([['target', 1975]]);
  });

  it('MetaApi: a sell is stopped on the ask, a buy targeted on the bid; a gap fills at the open', () => {
    const fake = new FakeMetaApi('hedging');
    fake.setBid(2000);
    const sell = fake.traderOpen('sell', 0.3, 2010, 1980);
    const buy = fake.traderOpen('buy', 0.3, 1990, 2009.9);
    // The ask (bid + 0.2) reaches 2010 at a bid of 2009.8; the bid reaches the buy's target at 2009.9.
    const closes = fake.walkQuote([2000, 2009.95, 2001]);
    expect(closes).toEqual([
      { positionId: sell, kind: 'sl', level: 2010, price: 2010, volume: 0.3 },
      { positionId: buy, kind: 'tp', level: 2009.9, price: 2009.9, volume: 0.3 },
    ]);
    expect(
      fake.deals.filter((d) => d.entryType === 'DEAL_ENTRY_OUT').map((d) => (d as { reason?: string }).reason),
    ).toEqual(['DEAL_REASON_SL', 'DEAL_REASON_TP']);
    const next = fake.traderOpen('buy', 0.3, 1995, 2020);
    expect(fake.walkQuote([1990, 1992, 1989, 1991])).toEqual([
      { positionId: next, kind: 'sl', level: 1995, price: 1990, volume: 0.3 },
    ]);
    expect(fake.heldPositions()).toEqual([]);
  });
});
