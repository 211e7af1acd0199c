// `warden broker check` reads and changes nothing, on each adapter: the ccxt adapter over the fake
// Binance API sends only GET requests; the MetaApi adapter over the fake SDK makes no trade call.
// A symbol the account lacks is reported as a problem while the rest are still read.
import { describe, expect, it } from 'vitest';
import { checkBroker, formatBrokerCheck } from '../../src/brokers/brokerCheck.ts';
import { CcxtBroker } from '../../src/brokers/ccxtBroker.ts';
import { MetaApiBroker } from '../../src/brokers/metaApiBroker.ts';
import type { Bar } from '../../src/domain/types.ts';
import { FakeBinanceUsdm, XAU as BINANCE_XAU } from './fakeBinanceUsdm.ts';
import { FakeMetaApi, XAU as MT5_XAU } from './fakeMetaApi.ts';

const T0 = Date.UTC(2024, 4, 16, 9, 0);
const bars: Bar[] = Array.from({ length: 10 }, (_, i) => ({
  time: T0 + i * 60_000,
  open: 2000 + i,
  high: 2001 + i,
  low: 1999 + i,
  close: 2000.5 + i,
  volume: 5,
  spread: Number.NaN,
}));
const now = T0 + 9 * 60_000 + 20_000; // inside the 10th bar

describe('broker check', () => {
  it('ccxt (Binance USD-M): mode, rules, quote, last closed bar and positions, with GET requests only; an unknown symbol is a problem', async () => {
    const fake = new FakeBinanceUsdm();
    fake.dualSide = true;
    fake.feedBars(bars, now);
    const ticket = fake.traderOpen('buy', 0.5, 1990, 2030);
    fake.seen.length = 0;
    const broker = new CcxtBroker({
      exchangeId: 'binanceusdm',
      apiKey: 'k-0123456789',
      secret: 's-0123456789',
      fetchImplementation: fake.fetch,
      enableRateLimit: false,
      clock: () => fake.now,
    });
    const report = await checkBroker({
      kind: 'ccxt',
      broker,
      symbols: [BINANCE_XAU, 'DOGE/USDT:USDT'],
      paper: null,
      describe: 'binanceusdm demo trading via ccxt',
    });
    await broker.close();
    expect(report.mode).toBe('hedging');
    expect(report.symbols[0]).toMatchObject({ symbol: BINANCE_XAU, problem: '', lastBarAt: bars[8]!.time });
    expect(report.symbols[0]!.instrument).toMatchObject({ tickSize: 0.01, lotStep: 0.001, crypto: true });
    expect(report.symbols[0]!.quote!.bid).toBe(2000);
    expect(report.symbols[1]!.instrument).toBeNull();
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatch(/^DOGE\/USDT:USDT: rules: .*no market/);
    expect(report.positions).toMatchObject([
      { id: ticket, side: 'buy', volume: 0.5, sl: 1990, tp: 2030, managed: true },
    ]);
    expect(fake.seen.length).toBeGreaterThan(0);
    expect(fake.seen.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(fake.unexpected).toEqual([]);
    const text = formatBrokerCheck(report);
    expect(text).toMatch(/XAU\/USDT:USDT \(XAUUSD\): tick 0\.01, 2 digits/);
    expect(text).toMatch(/DOGE\/USDT:USDT: NOT USABLE/);
    expect(text).toMatch(/1 problem\(s\) above\. Nothing was changed at the broker\./);
  });

  it('MetaApi (MT5): rules with stops and freeze levels, quote, last closed bar and positions, with no trade call', async () => {
    const fake = new FakeMetaApi('netting');
    fake.now = now;
    fake.feedBars(bars);
    const ticket = fake.traderOpen('sell', 0.2, 2030, 1950);
    const broker = new MetaApiBroker({ accountId: 'acc', gateway: fake, symbols: [MT5_XAU], clock: () => fake.now });
    const report = await checkBroker({
      kind: 'metaapi',
      broker,
      symbols: [MT5_XAU],
      paper: null,
      describe: 'MetaApi account acc (MT4/MT5)',
    });
    await broker.close();
    expect(report.mode).toBe('netting');
    expect(report.problems).toEqual([]);
    expect(report.symbols[0]).toMatchObject({ symbol: MT5_XAU, lastBarAt: bars[8]!.time });
    expect(report.symbols[0]!.instrument).toMatchObject({ canonical: 'XAUUSD', hedging: false });
    expect(report.positions).toMatchObject([{ id: ticket, side: 'sell', volume: 0.2, managed: true }]);
    expect(fake.tradeCalls()).toEqual([]);
    expect(fake.unexpected).toEqual([]);
    expect(formatBrokerCheck(report)).toMatch(
      /ready: Warden can manage these symbols\. Nothing was changed at the broker\./,
    );
  });
});
