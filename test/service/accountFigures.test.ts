// The account strip's figures: read at most once per refresh however many ask at once; a part the venue
// does not answer keeps its last figures, marked stale with the failure; today is the session clock's
// UTC day; the exposure nets buys against sells per symbol.
import { describe, expect, it } from 'vitest';
import type { AccountFunds, BookedProfit } from '../../src/brokers/brokerPort.ts';
import type { Position } from '../../src/domain/types.ts';
import { AccountFigures, exposureOf, todayOf } from '../../src/service/accountFigures.ts';

const DAY = Date.UTC(2026, 2, 11);

function position(id: string, symbol: string, side: 'buy' | 'sell', volume: number): Position {
  return { id, symbol, side, volume, entryPrice: 1, sl: null, tp: null, openTime: DAY, comment: '' };
}

class Venue {
  calls = { funds: 0, booked: 0, positions: 0 };
  fail: Error | null = null;
  hang = false;
  balance = 1_000;
  booked: BookedProfit[] = [];
  held: Position[] = [];
  private answer<T>(value: () => T): Promise<T> {
    if (this.hang) return new Promise<T>(() => {});
    return this.fail ? Promise.reject(this.fail) : Promise.resolve(value());
  }
  funds = (): Promise<AccountFunds> => {
    this.calls.funds++;
    return this.answer(() => ({
      currency: 'USD',
      balance: this.balance,
      equity: this.balance + 5,
      margin: null,
      freeMargin: null,
      notes: [],
    }));
  };
  bookedSince = (since: number): Promise<BookedProfit[]> => {
    this.calls.booked++;
    return this.answer(() => this.booked.filter((b) => b.time >= since));
  };
  positions = (): Promise<Position[]> => {
    this.calls.positions++;
    return this.answer(() => this.held);
  };
}

describe('account figures', () => {
  it('reads once per refresh however many ask at once, and again after it', async () => {
    const venue = new Venue();
    let wall = 0;
    const figures = new AccountFigures({
      broker: venue,
      clock: () => DAY + 3_600_000,
      wallClock: () => wall,
      refreshMs: 10_000,
    });
    const answers = await Promise.all([figures.read(), figures.read(), figures.read()]);
    expect(venue.calls).toEqual({ funds: 1, booked: 1, positions: 1 });
    expect(answers.every((a) => a.funds?.value.balance === 1_000)).toBe(true);
    wall = 9_999;
    await figures.read();
    expect(venue.calls.funds).toBe(1);
    wall = 10_000;
    venue.balance = 1_100;
    expect((await figures.read()).funds?.value.balance).toBe(1_100);
    expect(venue.calls.funds).toBe(2);
  });

  it('keeps the last figures when the venue fails, marked with the failure and their time', async () => {
    const venue = new Venue();
    let wall = 1_000;
    const figures = new AccountFigures({ broker: venue, clock: () => DAY, wallClock: () => wall, refreshMs: 0 });
    await figures.read();
    venue.fail = new Error('connection reset');
    wall = 5_000;
    const f = await figures.read();
    expect(f.funds).toMatchObject({ value: { balance: 1_000 }, at: 1_000 });
    expect(f.errors).toEqual([
      'balance and equity: connection reset',
      "today's realized P/L: connection reset",
      'positions: connection reset',
    ]);
    venue.fail = null;
    expect((await figures.read()).errors).toEqual([]);
  });

  it('gives up on a venue that does not answer in time', async () => {
    const venue = new Venue();
    venue.hang = true;
    const figures = new AccountFigures({
      broker: venue,
      clock: () => DAY,
      wallClock: () => 0,
      refreshMs: 0,
      timeoutMs: 20,
    });
    const f = await figures.read();
    expect(f.funds).toBeNull();
    expect(f.errors[0]).toMatch(/did not answer within 0.02 s/);
  });

  it("counts the session clock's UTC day, and says what a venue does not report", async () => {
    const booked: BookedProfit[] = [
      { time: DAY - 1, symbol: 'X', profit: 100, fees: 0 },
      { time: DAY, symbol: 'X', profit: 10, fees: -1 },
      { time: DAY + 86_399_999, symbol: 'Y', profit: -4, fees: 0 },
    ];
    expect(todayOf(DAY, booked, DAY + 1_000)).toEqual({
      from: DAY,
      profit: 6,
      fees: -1,
      realized: 5,
      bookings: 2,
      lastHour: 109,
    });
    expect(todayOf(DAY, booked, DAY + 86_399_999).lastHour).toBe(-4);
    const venue = new Venue();
    venue.booked = booked;
    const figures = new AccountFigures({
      broker: venue,
      clock: () => DAY + 12 * 3_600_000,
      wallClock: () => 0,
      refreshMs: 0,
    });
    expect((await figures.read()).today?.value).toMatchObject({ from: DAY, realized: 5 });
    const bare = new AccountFigures({
      broker: { positions: venue.positions },
      clock: () => DAY,
      wallClock: () => 0,
      refreshMs: 0,
    });
    const f = await bare.read();
    expect(f.unsupported).toEqual(['funds', 'today']);
    expect(f.funds).toBeNull();
    expect(f.errors).toEqual([]);
  });

  it("nets each symbol's buys against its sells", () => {
    expect(
      exposureOf([
        position('1', 'XAUUSD', 'buy', 0.5),
        position('2', 'EURUSD', 'sell', 1),
        position('3', 'XAUUSD', 'sell', 0.2),
      ]),
    ).toEqual([
      { symbol: 'EURUSD', positions: 1, buyVolume: 0, sellVolume: 1, netVolume: -1 },
      { symbol: 'XAUUSD', positions: 2, buyVolume: 0.5, sellVolume: 0.2, netVolume: 0.3 },
    ]);
  });
});
