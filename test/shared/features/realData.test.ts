// SymbolFeatures and BarAggregator over real market data (../shared/data, see SOURCES.md).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../src/domain/types.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { FeaturesConfig } from '../../../src/config/schema.ts';
import { BarAggregator } from '../../../src/features/barAggregator.ts';
import { WilderAtr } from '../../../src/features/indicators.ts';
import { SymbolFeatures } from '../../../src/features/symbolFeatures.ts';
import { emptyMarketFeatures } from '../../../src/features/snapshot.ts';
import type { MarketFeatures } from '../../../src/features/snapshot.ts';
import { SHARED_DATA_DIR, readBars, sharedDataAvailable } from '../../support/sharedData.ts';

const exists = sharedDataAvailable(SHARED_DATA_DIR, 'features over real market data');
const data = (f: string): Bar[] => readBars(path.join(SHARED_DATA_DIR, f));

/** The built-in defaults (M15 features, M5 volume profile of 200 bars x 20 bins, VWAP from 00:00 UTC). */
const CFG: FeaturesConfig = configSchema.parse({}).features;

const NUMERIC: (keyof MarketFeatures)[] = [
  'price',
  'atr',
  'atrH1',
  'ema200Atr',
  'vwapAtr',
  'ema50Slope',
  'ema200Slope',
  'rsi',
  'adx',
  'hvnDistAtr',
  'pdh',
  'pdl',
];

interface Run {
  firstFinite: Map<keyof MarketFeatures, number>;
  zones: Set<number>;
  squeeze: Set<number>;
  mtfAvailable: Set<number>;
  mtfUp: Set<number>;
  mtfDown: Set<number>;
  equalHighs: Set<number>;
  equalLows: Set<number>;
  last: MarketFeatures;
  sf: SymbolFeatures;
}

function replay(bars: Bar[], check: (s: MarketFeatures, i: number) => void = () => {}): Run {
  const sf = new SymbolFeatures(CFG, 'M15', 'M1');
  const out = emptyMarketFeatures();
  const r: Run = {
    firstFinite: new Map(),
    zones: new Set(),
    squeeze: new Set(),
    mtfAvailable: new Set(),
    mtfUp: new Set(),
    mtfDown: new Set(),
    equalHighs: new Set(),
    equalLows: new Set(),
    last: out,
    sf,
  };
  bars.forEach((b, i) => {
    expect(sf.onBar(b)).toBe(true);
    sf.snapshot(out);
    for (const k of NUMERIC) if (Number.isFinite(out[k]) && !r.firstFinite.has(k)) r.firstFinite.set(k, i);
    r.zones.add(out.vwapZone);
    r.squeeze.add(out.squeeze);
    r.mtfAvailable.add(out.mtfAvailable);
    r.mtfUp.add(out.mtfUp);
    r.mtfDown.add(out.mtfDown);
    r.equalHighs.add(out.equalHighsAbove);
    r.equalLows.add(out.equalLowsBelow);
    if (Number.isFinite(out.atr)) expect(out.atr).toBeGreaterThan(0);
    if (Number.isFinite(out.hvnDistAtr)) expect(out.hvnDistAtr).toBeGreaterThanOrEqual(0);
    if (Number.isFinite(out.rsi)) expect(out.rsi >= 0 && out.rsi <= 100).toBe(true);
    if (Number.isFinite(out.adx)) expect(out.adx >= 0 && out.adx <= 100).toBe(true);
    if (Number.isFinite(out.pdh)) expect(out.pdh).toBeGreaterThanOrEqual(out.pdl);
    check(out, i);
  });
  return r;
}

function expectSane(r: Run, bars: number): void {
  for (const k of NUMERIC) {
    expect(r.firstFinite.has(k), `${k} never became finite`).toBe(true);
    expect(Number.isFinite(r.last[k]), `${k} not finite at the end`).toBe(true);
  }
  expect(r.last.atr).toBeGreaterThan(0);
  expect(r.last.atrH1).toBeGreaterThan(r.last.atr); // hourly ranges are wider than M15 ones
  // RMAG needs 200 closed M15 bars (50 h of trading), MTF on H1 needs 200 closed hours
  expect(r.firstFinite.get('ema200Atr')!).toBeGreaterThan(2500);
  expect(r.firstFinite.get('ema200Atr')!).toBeLessThan(bars);
  expect([...r.zones].sort()).toEqual([-1, 0, 1, 2]);
  expect([...r.squeeze].sort()).toEqual([-1, 0, 1]);
  expect(r.mtfAvailable.has(3)).toBe(true);
  expect(r.mtfUp.size).toBeGreaterThanOrEqual(3);
  expect(r.mtfDown.size).toBeGreaterThanOrEqual(3);
  expect([...r.equalHighs].sort()).toEqual([0, 1]);
  expect([...r.equalLows].sort()).toEqual([0, 1]);
}

describe.skipIf(!exists)('features over real market data (../shared/data)', () => {
  it('XAUUSD M1 (Oanda, tick volume): every field becomes finite, zones and squeeze take several values', () => {
    const bars = data('xauusd_oanda_m1_2014-05.csv');
    const r = replay(bars);
    expectSane(r, bars.length);
    expect(r.sf.vwapTimeWeighted).toBe(false);
    expect(r.sf.volumeProfileTimeWeighted).toBe(false);
    // gold moved 1272..1316 in the file: EMA200 distance stays within a sane band
    expect(Math.abs(r.last.ema200Atr)).toBeLessThan(30);
    // the previous day of the last bar (Thu 2014-05-15) is Wed 2014-05-14
    const wed = bars.filter((b) => new Date(b.time).toISOString().startsWith('2014-05-14'));
    expect(r.last.pdh).toBe(Math.max(...wed.map((b) => b.high)));
    expect(r.last.pdl).toBe(Math.min(...wed.map((b) => b.low)));
  });

  it('EURUSD M1 (Oanda, tick volume, many quiet-minute holes)', () => {
    const bars = data('eurusd_oanda_m1_2014-05.csv');
    expectSane(replay(bars), bars.length);
  });

  it('GBPUSD M1 (FXCM, no volume): VWAP and volume profile fall back to time weighting, and say so', () => {
    const bars = data('gbpusd_fxcm_m1_2012-02.csv');
    const r = replay(bars);
    expectSane(r, bars.length);
    expect(r.sf.vwapTimeWeighted).toBe(true);
    expect(r.sf.volumeProfileTimeWeighted).toBe(true);
  });

  it('BTC-PERP M1 (FTX, 24/7, USD volume)', () => {
    const bars = data('btcusd_ftx_m1_2022-01.csv');
    const r = replay(bars);
    expectSane(r, bars.length);
    expect(r.last.spread).toBeNaN(); // the file has no spread
  });

  it('XAUUSD H1 file as the base timeframe (no volume, 2006-2019): everything on H1, MTF on H1 only', () => {
    const bars = data('xauusd_oanda_h1_2006-2019.csv');
    const sf = new SymbolFeatures(CFG, 'M15', 'H1');
    expect(sf.effective).toMatchObject({ features: 'H1', atr: 'H1', volumeProfile: 'H1', mtf: ['H1'] });
    const out = emptyMarketFeatures();
    let maxAvail = 0;
    for (const b of bars) {
      sf.onBar(b);
      sf.snapshot(out);
      maxAvail = Math.max(maxAvail, out.mtfAvailable);
    }
    expect(maxAvail).toBe(1);
    expect(out.atr).toBe(out.atrH1);
    for (const k of NUMERIC) expect(Number.isFinite(out[k]), k).toBe(true);
  });

  it('forming bars never change the committed state (EURUSD, partial versions of each real bar)', () => {
    const bars = data('eurusd_oanda_m1_2014-05.csv').slice(0, 8000);
    const plain = new SymbolFeatures(CFG);
    const noisy = new SymbolFeatures(CFG);
    const a = emptyMarketFeatures();
    const b = emptyMarketFeatures();
    bars.forEach((x, i) => {
      // three growing partial bars: open only, open..mid, full range with a mid close
      const mid = (x.open + x.close) / 2;
      noisy.onFormingBar({ ...x, high: x.open, low: x.open, close: x.open, volume: 0 });
      noisy.snapshot(b);
      noisy.onFormingBar({
        ...x,
        high: Math.max(x.open, mid),
        low: Math.min(x.open, mid),
        close: mid,
        volume: Math.floor(x.volume / 2),
      });
      noisy.snapshot(b);
      noisy.onFormingBar({ ...x, close: mid });
      noisy.snapshot(b);
      plain.onBar(x);
      noisy.onBar(x);
      plain.snapshot(a);
      noisy.snapshot(b);
      for (const k of Object.keys(a) as (keyof MarketFeatures)[]) {
        if (!Object.is(a[k], b[k])) throw new Error(`bar ${i}: ${k} ${a[k]} vs ${b[k]}`);
      }
    });
  });

  it('M1 -> H1 aggregation equals the provider H1 bars of the same hours (XAUUSD, Oanda, May 2014)', () => {
    // Exception: the 22:00 UTC hour, when the market reopens after the daily 21:15-22:00 break. The
    // provider's H1 file lacks the Sunday 22:00 bars and its weekday 22:00 bars disagree with the minutes
    // in high/close/spread (they look built from part of the hour), so that hour is left out; all other
    // 251 hours must match exactly.
    const m1 = data('xauusd_oanda_m1_2014-05.csv');
    const first = m1[0]!.time;
    const last = m1[m1.length - 1]!.time;
    const h1 = new Map(
      data('xauusd_oanda_h1_2006-2019.csv')
        .filter((b) => b.time >= first && b.time <= last)
        .map((b) => [b.time, b]),
    );
    const agg = new BarAggregator('H1', 'M1');
    let compared = 0;
    for (const b of m1) {
      const n = agg.update(b);
      for (let i = 0; i < n; i++) {
        const got = agg.closed(i);
        if (new Date(got.time).getUTCHours() === 22) continue;
        const want = h1.get(got.time);
        expect(want, new Date(got.time).toISOString()).toBeDefined();
        expect([got.open, got.high, got.low, got.close, got.spread]).toEqual([
          want!.open,
          want!.high,
          want!.low,
          want!.close,
          want!.spread,
        ]);
        compared++;
      }
    }
    expect(compared).toBe([...h1.keys()].filter((t) => new Date(t).getUTCHours() !== 22).length);
    expect(compared).toBe(251);
  });

  it('atr equals WilderAtr(14) over M15 bars built by a naive group-by of the M1 file', () => {
    const m1 = data('xauusd_oanda_m1_2014-05.csv');
    const M15 = 900_000;
    const groups = new Map<number, Bar[]>();
    for (const b of m1) {
      const k = Math.floor(b.time / M15) * M15;
      const g = groups.get(k);
      if (g) g.push(b);
      else groups.set(k, [b]);
    }
    const ref = new WilderAtr(14);
    for (const g of groups.values())
      ref.update(Math.max(...g.map((b) => b.high)), Math.min(...g.map((b) => b.low)), g[g.length - 1]!.close);
    const sf = new SymbolFeatures(CFG, 'M15', 'M1');
    for (const b of m1) sf.onBar(b);
    // the file's last M15 bucket ends with its 23:59 bar, so every bucket is closed
    expect(sf.snapshot(emptyMarketFeatures()).atr).toBe(ref.value);
  });
});
