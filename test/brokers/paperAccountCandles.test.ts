// The paper account's candles: its feed's bars as fed, and coarser timeframes built from them (closed
// buckets only), as a venue serves them for a warm-up per timeframe.
import { describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { randomWalkBars, rollUp } from '../features/helpers.ts';

describe('PaperAccount.candles', () => {
  const inst = instrumentFromConfig(configSchema.parse({}), 'XAUUSD', true);
  // 3 h 10 min of M1 from 00:00: the last M15 and H1 buckets are still forming.
  const m1 = randomWalkBars(190, { seed: 3, start: Date.UTC(2026, 2, 11), price: 2000 });

  it('builds M5, M15 and H1 bars from the fed M1 bars, the forming bucket left out', async () => {
    const account = new PaperAccount([inst], { accountMode: 'hedging', timeframeMs: 60_000 });
    account.addHistory(inst.symbol, m1);
    expect(await account.candles(inst.symbol, 'M1', 5)).toEqual(m1.slice(-5));
    for (const tf of ['M5', 'M15', 'H1'] as const)
      expect(await account.candles(inst.symbol, tf, 1000)).toEqual(rollUp(m1, tf));
    expect((await account.candles(inst.symbol, 'H1', 1000)).map((b) => new Date(b.time).toISOString())).toEqual([
      '2026-03-11T00:00:00.000Z',
      '2026-03-11T01:00:00.000Z',
      '2026-03-11T02:00:00.000Z',
    ]);
    expect(await account.candles(inst.symbol, 'M15', 2)).toEqual(rollUp(m1, 'M15').slice(-2));
  });

  it('refuses a timeframe finer than its feed', async () => {
    const account = new PaperAccount([inst], { accountMode: 'hedging', timeframeMs: 300_000 });
    await expect(account.candles(inst.symbol, 'M1', 10)).rejects.toThrow(/cannot be built/);
  });
});
