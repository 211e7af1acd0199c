// Opt-in, read-only smoke test of the MetaApi adapter against a real MT4/MT5 account on
// metaapi.cloud: the account mode, the instrument of WARDEN_METAAPI_SYMBOL (default XAUUSD), a quote,
// the last 5 closed M1 candles, the positions. It runs only with WARDEN_METAAPI_TOKEN,
// WARDEN_METAAPI_ACCOUNT_ID and METAAPI_LIVE=1 set (and the optional package metaapi.cloud-sdk
// installed); otherwise it is skipped and says why. It never trades: the gateway it drives refuses
// every trade call, so a mistake here cannot move, close or open anything.
import { afterAll, describe, expect, it } from 'vitest';
import { MetaApiBroker } from '../../src/brokers/metaApiBroker.ts';
import { connectMetaApi, type MetaApiGateway } from '../../src/brokers/metaApiGateway.ts';
import { BROKER_ENV } from '../../src/config/brokerSchema.ts';

const token = process.env[BROKER_ENV.metaApiToken] ?? '';
const accountId = process.env[BROKER_ENV.metaApiAccountId] ?? '';
const symbol = process.env['WARDEN_METAAPI_SYMBOL'] || 'XAUUSD';
const missing = [
  ...(token === '' ? [BROKER_ENV.metaApiToken] : []),
  ...(accountId === '' ? [BROKER_ENV.metaApiAccountId] : []),
  ...(process.env['METAAPI_LIVE'] === '1' ? [] : ['METAAPI_LIVE=1']),
];
const live = missing.length === 0;
const title = `MetaApi adapter live on account ${accountId || '(none)'}, ${symbol} (read-only)`;

/** The SDK connection for reads; every trade call refused. */
async function readOnly(): Promise<MetaApiGateway> {
  const gw = await connectMetaApi({ token, accountId, connectTimeoutMs: 120_000 });
  const refuse = (name: string) => async (): Promise<never> => {
    throw new Error(`live smoke test: ${name} refused (read-only)`);
  };
  return {
    getAccountInformation: () => gw.getAccountInformation(),
    getPositions: () => gw.getPositions(),
    getSymbolSpecification: (s) => gw.getSymbolSpecification(s),
    getSymbolPrice: (s, keep) => gw.getSymbolPrice(s, keep),
    subscribeToMarketData: (s, subs) => gw.subscribeToMarketData(s, subs),
    terminalPrice: (s) => gw.terminalPrice(s),
    addPriceListener: (l) => gw.addPriceListener(l),
    streamedCandles: (s, tf) => gw.streamedCandles(s, tf),
    getHistoricalCandles: (s, tf, start, limit) => gw.getHistoricalCandles(s, tf, start, limit),
    getDealsByTimeRange: (from, to, offset, limit) => gw.getDealsByTimeRange(from, to, offset, limit),
    getDealsByPosition: (id) => gw.getDealsByPosition(id),
    modifyPosition: refuse('modifyPosition'),
    closePositionPartially: refuse('closePositionPartially'),
    closePosition: refuse('closePosition'),
    createMarketBuyOrder: refuse('createMarketBuyOrder'),
    createMarketSellOrder: refuse('createMarketSellOrder'),
    close: () => gw.close(),
  };
}

describe.skipIf(!live)(
  live ? title : `${title} (SKIPPED: set ${missing.join(', ')}; needs npm install metaapi.cloud-sdk@29.3.3)`,
  () => {
    let broker: MetaApiBroker | null = null;
    const connect = async (): Promise<MetaApiBroker> =>
      (broker ??= new MetaApiBroker({ accountId, gateway: await readOnly(), symbols: [symbol] }));
    afterAll(async () => {
      await broker?.close();
    });

    it('reads the account mode and the instrument', { timeout: 300_000 }, async () => {
      const b = await connect();
      const mode = await b.accountMode();
      expect(['hedging', 'netting']).toContain(mode);
      const inst = await b.instrument(symbol);
      expect(inst).toMatchObject({ symbol, hedging: mode === 'hedging' });
      expect(inst.tickSize).toBeGreaterThan(0);
      expect(inst.point).toBeGreaterThan(0);
      expect(inst.lotStep).toBeGreaterThan(0);
      expect(inst.minLot).toBeGreaterThanOrEqual(inst.lotStep);
      expect(inst.maxLot).toBeGreaterThan(inst.minLot);
      expect(inst.contractSize).toBeGreaterThan(0);
      expect(inst.stopsLevelPoints).toBeGreaterThanOrEqual(0);
      expect(inst.freezeLevelPoints).toBeGreaterThanOrEqual(0);
    });

    it('reads a quote and the last 5 closed M1 candles', { timeout: 120_000 }, async () => {
      const b = await connect();
      const q = await b.quote(symbol);
      expect(q.bid).toBeGreaterThan(0);
      expect(q.ask).toBeGreaterThanOrEqual(q.bid);
      const bars = await b.candles(symbol, 'M1', 5);
      expect(bars.length).toBeGreaterThan(0);
      expect(bars.length).toBeLessThanOrEqual(5);
      for (const [i, bar] of bars.entries()) {
        expect(bar.time % 60_000).toBe(0);
        if (i > 0) expect(bar.time).toBeGreaterThan(bars[i - 1]!.time);
        expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
        expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
      }
      // Closed: none still forming (a local clock a few seconds off is tolerated).
      expect(bars.at(-1)!.time + 60_000).toBeLessThanOrEqual(Date.now() + 5_000);
    });

    it('lists the open positions', { timeout: 120_000 }, async () => {
      const b = await connect();
      for (const p of await b.positions()) {
        expect(p.id).toMatch(/^\d+$/);
        expect(['buy', 'sell']).toContain(p.side);
        expect(p.volume).toBeGreaterThan(0);
        expect(p.entryPrice).toBeGreaterThan(0);
      }
    });
  },
);
