// DTMS's loss rails on a running account: the losses come from the venue's books (today's and the last
// hour's bookings against the balance before them) and the run of losing stops among the closed trades;
// refreshed after steps at most once per interval of the session's clock; a venue that reports no
// balance leaves the loss limits unapplied, said once in the log.
import { describe, expect, it } from 'vitest';
import type { AccountFunds, BookedProfit } from '../../src/brokers/brokerPort.ts';
import type { AccountRisk } from '../../src/dtms/defensiveMonitor.ts';
import type { ClosedTrade } from '../../src/store/store.ts';
import { AccountFigures } from '../../src/service/accountFigures.ts';
import { accountRiskOf, AccountRiskFeed, stopsInARow } from '../../src/service/accountRiskFeed.ts';

const DAY = Date.UTC(2026, 2, 11);

function trade(exitReason: ClosedTrade['exitReason'], realizedProfit: number | null): ClosedTrade {
  return { exitReason, realizedProfit } as ClosedTrade;
}

const storeOf = (newestFirst: ClosedTrade[]) => ({ closedTradePage: () => newestFirst });

describe('DTMS loss rails on a running account', () => {
  it('losses in % of the balance before them; none when the day or hour is up', () => {
    const funds = {
      value: { currency: 'USD', balance: 9_800, equity: 9_800, margin: null, freeMargin: null, notes: [] },
      at: 0,
    };
    const today = { value: { from: DAY, profit: -210, fees: 10, realized: -200, bookings: 3, lastHour: -98 }, at: 0 };
    const r = accountRiskOf({ funds, today, exposure: null, errors: [], unsupported: [] }, 2)!;
    expect(r.dailyLossPct).toBeCloseTo(2, 9);
    expect(r.hourlyLossPct).toBeCloseTo((98 / 9_898) * 100, 9);
    expect(r.consecutiveStops).toBe(2);
    const up = accountRiskOf(
      {
        funds,
        today: { value: { ...today.value, realized: 50, lastHour: 5 }, at: 0 },
        exposure: null,
        errors: [],
        unsupported: [],
      },
      0,
    )!;
    expect(up).toEqual({ dailyLossPct: 0, hourlyLossPct: 0, consecutiveStops: 0 });
    expect(accountRiskOf({ funds: null, today, exposure: null, errors: [], unsupported: ['funds'] }, 0)).toBeNull();
  });

  it('counts losing stops from the newest back to a winner; other closes pass', () => {
    expect(
      stopsInARow(
        storeOf([
          trade('sl', -5),
          trade('warden_close', -1),
          trade('stop_out', -50),
          trade('sl', -3),
          trade('tp', 20),
          trade('sl', -9),
        ]),
      ),
    ).toBe(3);
    expect(stopsInARow(storeOf([trade('tp', 1), trade('sl', -5)]))).toBe(0);
    expect(stopsInARow(storeOf([trade('sl', null), trade('sl', -1)]))).toBe(1);
    expect(stopsInARow(storeOf([]))).toBe(0);
  });

  it('gives the engine the losses, at most once per interval of the session clock; says once when the venue cannot tell', async () => {
    let now = DAY + 10 * 3_600_000;
    let balance = 10_000;
    const booked: BookedProfit[] = [];
    const venue = {
      positions: () => Promise.resolve([]),
      funds: (): Promise<AccountFunds> =>
        Promise.resolve({ currency: 'USD', balance, equity: balance, margin: null, freeMargin: null, notes: [] }),
      bookedSince: (since: number) => Promise.resolve(booked.filter((b) => b.time >= since)),
    };
    const given: AccountRisk[] = [];
    const engine = { setAccountRisk: (r: AccountRisk) => given.push(r) };
    const feed = new AccountRiskFeed({
      figures: new AccountFigures({ broker: venue, clock: () => now, wallClock: () => 0, refreshMs: 0 }),
      store: storeOf([trade('sl', -100)]),
      engine,
      clock: () => now,
      everyMs: 60_000,
    });
    await feed.refresh();
    expect(given).toEqual([{ dailyLossPct: 0, hourlyLossPct: 0, consecutiveStops: 1 }]);
    booked.push({ time: now - 1_000, symbol: 'X', profit: -300, fees: 0 });
    balance -= 300;
    feed.poke();
    await feed.idle();
    expect(given).toHaveLength(1);
    now += 60_000;
    feed.poke();
    await feed.idle();
    expect(given).toHaveLength(2);
    expect(given[1]!.dailyLossPct).toBeCloseTo(3, 9);
    expect(given[1]!.hourlyLossPct).toBeCloseTo(3, 9);
    // An hour and a minute later the hour has no loss; the day still has.
    now += 3_600_000;
    await feed.refresh();
    expect(given[2]).toMatchObject({ hourlyLossPct: 0 });
    expect(given[2]!.dailyLossPct).toBeCloseTo(3, 9);

    const warnings: string[] = [];
    const log = { warn: (_o: unknown, m: string) => warnings.push(m) } as never;
    const blind = new AccountRiskFeed({
      figures: new AccountFigures({
        broker: { positions: venue.positions },
        clock: () => now,
        wallClock: () => 0,
        refreshMs: 0,
      }),
      store: storeOf([trade('sl', -1), trade('sl', -1)]),
      engine,
      clock: () => now,
      everyMs: 0,
      log,
    });
    await blind.refresh();
    await blind.refresh();
    expect(blind.current).toEqual({ dailyLossPct: 0, hourlyLossPct: 0, consecutiveStops: 2 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot be applied/);
  });
});
