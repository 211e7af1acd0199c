// Warm-up from bars per timeframe gives what a long base history gives: exactly when the directly-fed
// bars reach as far back as the long history, within the exponential averages' convergence when they
// are only as deep as the requirements want. Readiness says what is missing, and shrinks as bars come.
import { describe, expect, it } from 'vitest';
import type { Timeframe } from '../../src/domain/types.ts';
import { TIMEFRAME_MS } from '../../src/domain/types.ts';
import { configSchema, type FeaturesConfig } from '../../src/config/schema.ts';
import { emptyMarketFeatures, type MarketFeatures } from '../../src/features/snapshot.ts';
import { symbolFeatureRequirements } from '../../src/features/featureRequirements.ts';
import { SymbolFeatures } from '../../src/features/symbolFeatures.ts';
import { barsPerTimeframe, type TimeframeHistory } from '../../src/features/warmUp.ts';
import { DtmsFeatures, dtmsFeatureRequirements } from '../../src/dtms/dtmsFeatures.ts';
import { emptyDtmsSignals, type DtmsSignals } from '../../src/dtms/signalScore.ts';
import { randomWalkBars, rollUp, same } from './helpers.ts';

const CFG: FeaturesConfig = configSchema.parse({}).features;
const KEYS = Object.keys(emptyMarketFeatures()) as (keyof MarketFeatures)[];
const SIGNAL_KEYS = Object.keys(emptyDtmsSignals()) as (keyof DtmsSignals)[];

/** 45 days of M1 (64,800 bars) from a Monday 00:00 UTC, with a drift so the EMAs trend. */
const M1 = randomWalkBars(45 * 1440 + 437, {
  seed: 7,
  start: Date.UTC(2024, 0, 1),
  price: 2000,
  vol: 0.6,
  drift: 0.004,
});
const HIGHER: Timeframe[] = ['M5', 'M15', 'H1'];
const ROLLED = new Map(HIGHER.map((tf) => [tf, rollUp(M1, tf)]));
const TAIL = 1500;

function venueHistory(depth: (tf: Timeframe) => number): TimeframeHistory {
  const h: TimeframeHistory = { M1: M1.slice(M1.length - TAIL) };
  for (const tf of HIGHER) {
    const bars = ROLLED.get(tf)!;
    h[tf] = bars.slice(Math.max(0, bars.length - depth(tf)));
  }
  return h;
}

function longFeatures(): SymbolFeatures {
  const sf = new SymbolFeatures(CFG);
  for (const b of M1) sf.onBar(b);
  return sf;
}

describe('SymbolFeatures.warmUp', () => {
  const long = longFeatures().snapshot(emptyMarketFeatures());

  it('equals a long M1 history exactly when the higher-timeframe bars reach as far back', () => {
    const sf = new SymbolFeatures(CFG);
    sf.warmUp(venueHistory(() => Number.MAX_SAFE_INTEGER));
    const warm = sf.snapshot(emptyMarketFeatures());
    for (const k of KEYS) expect(same(warm[k], long[k]), `${k}: ${warm[k]} vs ${long[k]}`).toBe(true);
    expect(
      Number.isFinite(long.ema200Slope) && long.mtfAvailable === 3 && long.squeeze !== -1 && Number.isFinite(long.pdh),
    ).toBe(true);
    expect(sf.readiness()).toEqual({ featuresReady: true, missing: [] });
  });

  it('is within the convergence weight of it with only the bars the requirements want', () => {
    const wanted = barsPerTimeframe(symbolFeatureRequirements(CFG));
    expect(Object.fromEntries(wanted)).toEqual({ M15: 911, H1: 891, M5: 891 });
    const sf = new SymbolFeatures(CFG);
    sf.warmUp(venueHistory((tf) => wanted.get(tf) ?? 0));
    const warm = sf.snapshot(emptyMarketFeatures());
    expect(sf.readiness().featuresReady).toBe(true);
    // Windowed and bar-exact values are equal; exponential averages keep < 0.1% of their seed.
    for (const k of [
      'time',
      'price',
      'spread',
      'vwapAtr',
      'vwapZone',
      'squeeze',
      'mtfUp',
      'mtfDown',
      'mtfAvailable',
      'hvnDistAtr',
      'pdh',
      'pdl',
      'equalHighsAbove',
      'equalLowsBelow',
    ] as const) {
      expect(same(warm[k], long[k]), `${k}: ${warm[k]} vs ${long[k]}`).toBe(true);
    }
    expect(Math.abs(warm.atr / long.atr - 1)).toBeLessThan(1e-6);
    expect(Math.abs(warm.atrH1 / long.atrH1 - 1)).toBeLessThan(1e-6);
    expect(Math.abs(warm.ema200Atr - long.ema200Atr)).toBeLessThan(0.01);
    expect(Math.abs(warm.ema200Slope - long.ema200Slope)).toBeLessThan(0.001);
    expect(Math.abs(warm.ema50Slope - long.ema50Slope)).toBeLessThan(0.001);
    expect(Math.abs(warm.rsi - long.rsi)).toBeLessThan(0.01);
    expect(Math.abs(warm.adx - long.adx)).toBeLessThan(0.01);
  });

  it('reports what is missing per feature and timeframe, shrinking as bars arrive', () => {
    const sf = new SymbolFeatures(CFG);
    const tail = M1.slice(M1.length - TAIL);
    sf.warmUp({ M1: tail.slice(0, 1000) });
    const r = sf.readiness();
    expect(r.featuresReady).toBe(false);
    const of = (f: string) => r.missing.find((m) => m.feature === f);
    expect(of('ema200/rmag')).toMatchObject({ timeframe: 'M15', barsNeeded: 200 });
    expect(of('ema200/rmag')!.barsHave).toBeGreaterThanOrEqual(66);
    expect(of('mtf H1')).toMatchObject({ timeframe: 'H1', barsNeeded: 200 });
    expect(of('atr')).toBeUndefined(); // 66 M15 bars > 14
    const before = of('ema200/rmag')!.barsHave;
    for (const b of tail.slice(1000)) sf.onBar(b);
    expect(sf.readiness().missing.find((m) => m.feature === 'ema200/rmag')!.barsHave).toBeGreaterThan(before);
  });

  it('does not build a partial higher bar from base bars a fed bar covers', () => {
    const sf = new SymbolFeatures(CFG);
    const h1 = ROLLED.get('H1')!;
    // H1 bars up to the last full hour, and M1 bars from 30 minutes before its end: those 30 are in it.
    const lastH1 = h1[h1.length - 1]!;
    const from = M1.findIndex((b) => b.time >= lastH1.time + 30 * 60_000);
    sf.warmUp({ H1: h1, M1: M1.slice(from) });
    const ref = new SymbolFeatures(CFG);
    ref.warmUp({ H1: h1, M1: M1.slice(M1.findIndex((b) => b.time >= lastH1.time + TIMEFRAME_MS.H1)) });
    expect(sf.snapshot(emptyMarketFeatures()).atrH1).toBe(ref.snapshot(emptyMarketFeatures()).atrH1);
  });
});

describe('DtmsFeatures.warmUp', () => {
  const longDtms = new DtmsFeatures();
  for (const b of M1) longDtms.onBar(b);
  const long = longDtms.signals(emptyDtmsSignals());

  it('equals a long M1 history when the M5 and M15 bars reach as far back', () => {
    const d = new DtmsFeatures();
    d.warmUp(venueHistory(() => Number.MAX_SAFE_INTEGER));
    const warm = d.signals(emptyDtmsSignals());
    for (const k of SIGNAL_KEYS) {
      // The order flow's running sums over 300 base bars carry the rounding of every bar they have
      // seen: 1,500 bars and 64,800 bars round differently in the last digits.
      if (k === 'deltaZ') expect(Math.abs(warm[k] / long[k] - 1)).toBeLessThan(1e-9);
      else expect(same(warm[k], long[k]), `${k}: ${warm[k]} vs ${long[k]}`).toBe(true);
    }
    expect(d.atrRatio()).toBe(longDtms.atrRatio());
    expect(d.readiness()).toEqual({ featuresReady: true, missing: [] });
  });

  it('is close to it with the bars the requirements want, and every layer has data', () => {
    const wanted = barsPerTimeframe(dtmsFeatureRequirements());
    const d = new DtmsFeatures();
    d.warmUp(venueHistory((tf) => wanted.get(tf) ?? 0));
    const warm = d.signals(emptyDtmsSignals());
    expect(d.readiness().featuresReady).toBe(true);
    for (const k of SIGNAL_KEYS) {
      if (k === 'vwapCrosses') continue;
      expect(Number.isFinite(warm[k]), k).toBe(true);
      expect(Math.abs(warm[k] - long[k]), `${k}: ${warm[k]} vs ${long[k]}`).toBeLessThanOrEqual(
        Math.abs(long[k]) * 2e-3 + 1e-9,
      );
    }
  });
});
