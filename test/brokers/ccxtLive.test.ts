// Opt-in, read-only smoke test of the ccxt adapter against Binance demo trading
// (demo-fapi.binance.com): the account mode, BTC/USDT:USDT's rules, a quote, 5 closed M1 candles, the
// positions. It runs only with WARDEN_CCXT_API_KEY, WARDEN_CCXT_SECRET (demo keys) and
// BINANCE_DEMO_LIVE=1 set; otherwise it is skipped and says why. It never trades: the transport
// refuses every request but GET, so a mistake here cannot place or cancel an order.
import { afterAll, describe, expect, it } from 'vitest';
import { CcxtBroker } from '../../src/brokers/ccxtBroker.ts';
import { BROKER_ENV } from '../../src/config/brokerSchema.ts';

const SYMBOL = 'BTC/USDT:USDT';
const apiKey = process.env[BROKER_ENV.ccxtApiKey] ?? '';
const secret = process.env[BROKER_ENV.ccxtSecret] ?? '';
const missing = [
  ...(apiKey === '' ? [BROKER_ENV.ccxtApiKey] : []),
  ...(secret === '' ? [BROKER_ENV.ccxtSecret] : []),
  ...(process.env['BINANCE_DEMO_LIVE'] === '1' ? [] : ['BINANCE_DEMO_LIVE=1']),
];
const live = missing.length === 0;
const title = 'ccxt adapter live on Binance demo trading (read-only)';

/** The network, for reads only. */
const readOnly: typeof fetch = async (input, init) => {
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  if (method !== 'GET') throw new Error(`live smoke test: ${method} refused (read-only)`);
  return fetch(input, init);
};

describe.skipIf(!live)(live ? title : `${title} (SKIPPED: set ${missing.join(', ')})`, () => {
  const broker = new CcxtBroker({
    exchangeId: 'binanceusdm',
    apiKey,
    secret,
    demo: true,
    fetchImplementation: readOnly,
    timeoutMs: 15_000,
  });
  afterAll(async () => {
    await broker.close();
  });

  it('reads the account mode and the instrument of BTC/USDT:USDT', { timeout: 60_000 }, async () => {
    const mode = await broker.accountMode();
    expect(['hedging', 'netting']).toContain(mode);
    const inst = await broker.instrument(SYMBOL);
    expect(inst).toMatchObject({
      symbol: SYMBOL,
      canonical: 'BTCUSD',
      contractSize: 1,
      stopsLevelPoints: 0,
      freezeLevelPoints: 0,
      hedging: mode === 'hedging',
      crypto: true,
    });
    expect(inst.tickSize).toBeGreaterThan(0);
    expect(inst.lotStep).toBeGreaterThan(0);
    expect(inst.minLot).toBeGreaterThanOrEqual(inst.lotStep);
    expect(inst.maxLot).toBeGreaterThan(inst.minLot);
  });

  it('reads a quote and 5 closed M1 candles', { timeout: 60_000 }, async () => {
    const q = await broker.quote(SYMBOL);
    expect(q.bid).toBeGreaterThan(0);
    expect(q.ask).toBeGreaterThanOrEqual(q.bid);
    const bars = await broker.candles(SYMBOL, 'M1', 5);
    expect(bars).toHaveLength(5);
    for (const [i, b] of bars.entries()) {
      expect(b.time % 60_000).toBe(0);
      if (i > 0) expect(b.time - bars[i - 1]!.time).toBe(60_000);
      expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
      expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
      expect(b.volume).toBeGreaterThanOrEqual(0);
    }
    // Closed: none still forming (a local clock a few seconds off is tolerated).
    expect(bars.at(-1)!.time + 60_000).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('lists the open positions, each well formed', { timeout: 60_000 }, async () => {
    for (const p of await broker.positions()) {
      expect(p.id).toBe(`${p.symbol}:${p.side === 'buy' ? 'long' : 'short'}`);
      expect(p.volume).toBeGreaterThan(0);
      expect(p.entryPrice).toBeGreaterThan(0);
      if (p.sl !== null) expect(p.sl).toBeGreaterThan(0);
    }
  });
});
