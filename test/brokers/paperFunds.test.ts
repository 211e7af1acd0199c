// The paper account's money: its balance moves by each deal's profit, put in the account's currency at
// the deal's price (USDJPY's yen profit divided by the rate in a USD account); the equity adds what is
// open; a symbol whose profit no rate converts is named, never summed in its own currency; a restart
// goes on from the stored balance and the day's bookings.
import { describe, expect, it } from 'vitest';
import { PaperAccount, quoteToAccount } from '../../src/brokers/paperAccount.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { Instrument, Intent } from '../../src/domain/types.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';

const config = configSchema.parse({});
const usdjpy = instrumentFromConfig(config, 'USDJPY', true);
const xauusd = instrumentFromConfig(config, 'XAUUSD', true);
const t0 = Date.UTC(2026, 2, 11, 9);

function bar(time: number, price: number) {
  return { time, open: price, high: price, low: price, close: price, volume: 1, spread: 0 };
}

function order(kind: Intent['kind'], symbol: string, o: Partial<Intent> = {}): Intent {
  return {
    id: `t:${kind}:${Math.random()}`,
    positionId: '',
    symbol,
    kind,
    rule: 'dtms',
    episode: 1,
    newSl: Number.NaN,
    oldSl: null,
    volume: 0,
    time: t0,
    price: 0,
    reason: 'test',
    targetId: '',
    side: 'buy',
    comment: '',
    action: kind === 'open' ? 'open_hedge' : '',
    ...o,
  };
}

async function openAndClose(
  account: PaperAccount,
  inst: Instrument,
  from: number,
  to: number,
  volume: number,
): Promise<void> {
  account.onBar(inst.symbol, bar(t0, from), t0 + 60_000);
  const opened = await account.send(order('open', inst.symbol, { volume, side: 'buy' }));
  if (opened.outcome !== 'applied') throw new Error('not opened');
  account.onBar(inst.symbol, bar(t0 + 60_000, to), t0 + 120_000);
  const id = (await account.positions()).find((p) => p.symbol === inst.symbol)!.id;
  const closed = await account.send(order('close', inst.symbol, { targetId: id, positionId: id }));
  if (closed.outcome !== 'applied') throw new Error('not closed');
}

describe('paper account funds', () => {
  it('puts a yen profit in dollars at the deal price; the equity follows the open position', async () => {
    const account = new PaperAccount(
      [usdjpy, xauusd],
      { accountMode: 'hedging', timeframeMs: 60_000 },
      { balance: 5_000, currency: 'USD' },
    );
    await openAndClose(account, usdjpy, 150, 151, 1);
    const yen = 1 * usdjpy.contractSize * 1; // one yen a unit, on one lot
    const f = await account.funds();
    expect(f.currency).toBe('USD');
    expect(f.balance).toBeCloseTo(5_000 + yen / 151, 6);
    expect(f.equity).toBeCloseTo(f.balance, 6);
    expect(f.notes).toEqual([]);
    const booked = await account.bookedSince(t0);
    expect(booked).toHaveLength(1);
    expect(booked[0]!.symbol).toBe('USDJPY');
    expect(booked[0]!.profit).toBeCloseTo(yen / 151, 6);
    expect(await account.bookedSince(t0 + 3_600_000)).toEqual([]);
    // Open gold: the equity leads the balance by its floating profit, in dollars as quoted.
    account.onBar(xauusd.symbol, bar(t0, 2000), t0 + 60_000);
    await account.send(order('open', xauusd.symbol, { volume: 0.1, side: 'buy' }));
    account.onBar(xauusd.symbol, bar(t0 + 60_000, 2010), t0 + 120_000);
    const entry = (await account.positions()).find((p) => p.symbol === xauusd.symbol)!.entryPrice;
    const g = await account.funds();
    expect(g.balance).toBeCloseTo(f.balance, 6);
    expect(g.equity - g.balance).toBeCloseTo((2010 - entry) * 0.1 * xauusd.contractSize, 6);
  });

  it('names a symbol no rate converts and leaves it out', async () => {
    const account = new PaperAccount(
      [usdjpy],
      { accountMode: 'hedging', timeframeMs: 60_000 },
      { balance: 1_000, currency: 'EUR' },
    );
    await openAndClose(account, usdjpy, 150, 151, 1);
    const f = await account.funds();
    expect(f.balance).toBe(1_000);
    expect(f.notes.join(' ')).toMatch(/USDJPY: its profit is not in EUR/);
    expect(quoteToAccount('EURUSD', 'USD', 1.1)).toBe(1);
    expect(quoteToAccount('USDJPY', 'USD', 150)).toBeCloseTo(1 / 150, 12);
    expect(quoteToAccount('EURGBP', 'USD', 0.85)).toBeNull();
  });

  it('a restart goes on from the stored balance and bookings', async () => {
    const account = new PaperAccount([xauusd], { accountMode: 'hedging', timeframeMs: 60_000 });
    await openAndClose(account, xauusd, 2000, 2020, 0.1);
    const before = await account.funds();
    expect(before.balance).toBeGreaterThan(10_000);
    const again = new PaperAccount([xauusd], { accountMode: 'hedging', timeframeMs: 60_000 });
    again.restore(structuredClone(account.snapshot()));
    expect((await again.funds()).balance).toBeCloseTo(before.balance, 9);
    expect(await again.bookedSince(0)).toEqual(await account.bookedSince(0));
    // A snapshot from before the account kept its money: its symbols' realized profit on the funding.
    const old = structuredClone(account.snapshot());
    delete old.funds;
    const legacy = new PaperAccount([xauusd], { accountMode: 'hedging', timeframeMs: 60_000 });
    legacy.restore(old);
    expect((await legacy.funds()).balance).toBeCloseTo(before.balance, 9);
  });
});
