// `warden serve` on a real account is ready at its first step: the history of every timeframe a
// feature is built on (M5, M15, H1) is read from the venue directly, as many bars as the features
// want, so no rule runs on a feature still warming up. Through the ccxt adapter over the fake Binance
// REST API and the MetaApi adapter over the fake SDK, both serving 40 days of M1 rolled up per timeframe.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfiguredBroker } from '../../src/brokers/brokerFromConfig.ts';
import { CcxtBroker } from '../../src/brokers/ccxtBroker.ts';
import { MetaApiBroker } from '../../src/brokers/metaApiBroker.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { Bar, Timeframe } from '../../src/domain/types.ts';
import { featureRequirements } from '../../src/engine/engineRequirements.ts';
import { barsPerTimeframe } from '../../src/features/warmUp.ts';
import { createLogger } from '../../src/log.ts';
import { healthSchema } from '../../src/service/apiSchemas.ts';
import { startService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { FakeBinanceUsdm, XAU as BINANCE_XAU } from '../brokers/fakeBinanceUsdm.ts';
import { FakeMetaApi, XAU as MT5_XAU } from '../brokers/fakeMetaApi.ts';
import { BAR_MS, PINNED_NOW, sampleBars } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-warm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const closeOf = (b: Bar) => b.time + BAR_MS;
const DAYS = 40;

/** 40 days of M1 whose last bar closed within the minute before the pinned instant. */
function history(): Bar[] {
  const raw = sampleBars(11, DAYS * 1440);
  const shift = Math.floor((PINNED_NOW - 3_000 - closeOf(raw[raw.length - 1]!)) / BAR_MS) * BAR_MS;
  return raw.map((b) => ({ ...b, time: b.time + shift }));
}

interface WarmVenue {
  symbol: string;
  broker: ConfiguredBroker['broker'];
  /** Timeframe and count of every candle request the venue saw. */
  requests(): string[];
  unexpected(): string[];
}

function binance(bars: Bar[]): WarmVenue {
  const fake = new FakeBinanceUsdm();
  fake.feedBars(bars, closeOf(bars[bars.length - 1]!) + 1_000);
  const broker = new CcxtBroker({
    exchangeId: 'binanceusdm',
    apiKey: 'k-0123456789',
    secret: 's-0123456789',
    fetchImplementation: fake.fetch,
    enableRateLimit: false,
    timeoutMs: 2_000,
    clock: () => fake.now,
  });
  const seen: string[] = [];
  const candles = broker.candles.bind(broker);
  broker.candles = (symbol: string, tf: Timeframe, limit: number) => {
    seen.push(`${tf} ${limit}`);
    return candles(symbol, tf, limit);
  };
  return { symbol: BINANCE_XAU, broker, requests: () => seen, unexpected: () => fake.unexpected };
}

function metaApi(bars: Bar[]): WarmVenue {
  const fake = new FakeMetaApi('hedging');
  fake.now = closeOf(bars[bars.length - 1]!) + 1_000;
  fake.feedBars(bars);
  fake.setBid(bars[bars.length - 1]!.close);
  const broker = new MetaApiBroker({
    accountId: 'test-account',
    gateway: fake,
    symbols: [MT5_XAU],
    clock: () => fake.now,
  });
  const seen: string[] = [];
  const candles = broker.candles.bind(broker);
  broker.candles = (symbol: string, tf: Timeframe, limit: number) => {
    seen.push(`${tf} ${limit}`);
    return candles(symbol, tf, limit);
  };
  return { symbol: MT5_XAU, broker, requests: () => seen, unexpected: () => fake.unexpected };
}

const bars = history();

describe.each([
  ['the ccxt adapter over the fake Binance USD-M API', binance],
  ['the MetaApi adapter over the fake SDK connection', metaApi],
])('a real account warms every feature from the venue: %s', (name, make) => {
  it('has every feature ready at step one', async () => {
    const venue = make(bars);
    const config = configSchema.parse({
      service: { port: 0 },
      broker: { kind: 'ccxt', symbols: [venue.symbol], pollSec: 1, historyBars: 1500 },
    });
    const store = openSqliteStore(join(dir, `warm-${Math.random().toString(36).slice(2)}.db`), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'test-token-0123456789abcdef',
      tokenFile: join(dir, 'unused.token'),
      broker: { kind: 'ccxt', broker: venue.broker, symbols: [venue.symbol], paper: null, describe: name },
    });
    try {
      // Asked per timeframe for what the feature definitions want (EMA200 and its slope on M15, MTF on M5 / M15 / H1), M1 as configured.
      const wanted = barsPerTimeframe(featureRequirements(config, 'XAUUSD'));
      expect(Object.fromEntries(wanted)).toEqual({ M15: 911, H1: 891, M5: 891, M1: 300 });
      // (What follows them is the live feed's first poll.)
      expect(venue.requests().slice(0, 4)).toEqual(['M15 911', 'H1 891', 'M5 891', 'M1 1500']);
      // Ready before any live bar: nothing missing, in the session and in /api/health.
      const health = service.session.health();
      expect(health.features).toEqual([{ symbol: venue.symbol, featuresReady: true, missing: [] }]);
      expect(health.reasons.join(' ')).not.toMatch(/warming up/);
      const api = healthSchema.parse(await (await fetch(new URL('/api/health', service.url))).json());
      expect(api.features).toEqual([{ symbol: venue.symbol, featuresReady: true, missing: [] }]);
      const f = service.session.engine.features(venue.symbol);
      expect(f.time).toBe(closeOf(bars[bars.length - 1]!));
      for (const k of [
        'atr',
        'atrH1',
        'ema200Atr',
        'ema200Slope',
        'ema50Slope',
        'rsi',
        'adx',
        'vwapAtr',
        'hvnDistAtr',
        'pdh',
        'pdl',
      ] as const)
        expect(Number.isFinite(f[k]), k).toBe(true);
      expect(f.squeeze).not.toBe(-1);
      expect(f.vwapZone).not.toBe(-1);
      expect(f.mtfAvailable).toBe(3);
      // A real account: no data does not pass (resolved from null).
      expect(service.session.engine.config.exits.noDataPasses).toBe(false);
      expect(venue.unexpected()).toEqual([]);
    } finally {
      await service.stop();
      store.close();
    }
  }, 60_000);
});

describe('a real account whose history is short', () => {
  it('says per feature what is missing, and health is degraded until it fills', async () => {
    const venue = binance(bars.slice(bars.length - 3000));
    const config = configSchema.parse({
      service: { port: 0 },
      broker: { kind: 'ccxt', symbols: [venue.symbol], pollSec: 1, historyBars: 1500 },
    });
    const store = openSqliteStore(join(dir, `short-${Math.random().toString(36).slice(2)}.db`), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'test-token-0123456789abcdef',
      tokenFile: join(dir, 'unused.token'),
      broker: { kind: 'ccxt', broker: venue.broker, symbols: [venue.symbol], paper: null, describe: 'short' },
    });
    try {
      const health = service.session.health();
      expect(health.status).toBe('degraded');
      const [f] = health.features;
      expect(f!.featuresReady).toBe(false);
      // 3,000 M1 bars (not on the hour): 201 M15 bars (EMA200 there, its slope and DTMS's not), 51 H1 bars, 601 M5 bars.
      expect(f!.missing).toEqual([
        { feature: 'ema200 slope', timeframe: 'M15', barsNeeded: 220, barsHave: 201 },
        { feature: 'mtf H1', timeframe: 'H1', barsNeeded: 200, barsHave: 51 },
        { feature: 'dtms emaAlignment', timeframe: 'M15', barsNeeded: 209, barsHave: 201 },
      ]);
      expect(f!.missing.find((m) => m.feature === 'ema200/rmag')).toBeUndefined();
      expect(health.reasons.join('\n')).toMatch(
        /features warming up: missing ema200 slope \(M15 201\/220\), mtf H1 \(H1 51\/200\)/,
      );
      // The report the session stores carries it too (what `warden health` reads).
      expect(store.health()?.features[0]?.featuresReady).toBe(false);
    } finally {
      await service.stop();
      store.close();
    }
  }, 60_000);
});
