import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Side } from '../../src/domain/types.ts';
import { adaptiveThresholds, type DtmsRegime } from '../../src/dtms/regime.ts';
import {
  DEFAULT_SCORE_PARAMS,
  emptyDtmsSignals,
  missingLayers,
  newDtmsScore,
  scoreDtmsSignals,
  weightOf,
  type DtmsLayer,
  type DtmsSignals,
} from '../../src/dtms/signalScore.ts';

const LONDON_TREND: DtmsRegime = { session: 'LONDON', volatility: 'NORMAL', structure: 'TREND' };
const th = adaptiveThresholds('XAUUSD', LONDON_TREND); // vwap slope 0.001, RSI 45, volume flip 0.65

const score = (side: Side, patch: Partial<DtmsSignals>, regime = LONDON_TREND) =>
  scoreDtmsSignals(
    side,
    { ...emptyDtmsSignals(), ...patch },
    regime,
    adaptiveThresholds('XAUUSD', regime),
    newDtmsScore(),
  );

describe('DTMS layers fire both ways, for buys and sells', () => {
  // Each case: [layer, side, signals, expected raw layer score]
  const cases: [DtmsLayer, Side, Partial<DtmsSignals>, number][] = [
    // structure: price beyond the last swing (by more than 0.03%) or beyond the prior 15-bar range (0.25%)
    ['structure', 'buy', { price: 2010, swingHigh: 2000, swingLow: 1980 }, 3],
    ['structure', 'buy', { price: 1975, swingHigh: 2000, swingLow: 1980 }, -3],
    ['structure', 'buy', { price: 1975, swingHigh: 2000, swingLow: 1980, priorHigh: 2005, priorLow: 1990 }, -6],
    ['structure', 'sell', { price: 1975, swingHigh: 2000, swingLow: 1980 }, 3],
    ['structure', 'sell', { price: 2010, swingHigh: 2000, swingLow: 1980 }, -3],
    ['structure', 'sell', { price: 2010, priorHigh: 2000, priorLow: 1990 }, -3],
    ['structure', 'buy', { price: 2000.5, swingHigh: 2000, swingLow: 1980 }, 0], // inside the 0.03% buffer
    // VWAP + volume: a flip needs |slope| >= 0.001 and two crosses
    ['vwapVolume', 'buy', { vwapSlope: -0.002, vwapCrosses: 2 }, -2],
    ['vwapVolume', 'buy', { vwapSlope: 0.002, vwapCrosses: 2 }, 1],
    ['vwapVolume', 'sell', { vwapSlope: 0.002, vwapCrosses: 3 }, -2],
    ['vwapVolume', 'sell', { vwapSlope: -0.002, vwapCrosses: 2 }, 1],
    ['vwapVolume', 'buy', { vwapSlope: -0.002, vwapCrosses: 1 }, 0],
    ['vwapVolume', 'buy', { buyVolume: 30, sellVolume: 70 }, -1],
    ['vwapVolume', 'buy', { buyVolume: 40, sellVolume: 60 }, -0.5],
    ['vwapVolume', 'buy', { buyVolume: 70, sellVolume: 30 }, 1],
    ['vwapVolume', 'sell', { buyVolume: 70, sellVolume: 30 }, -1],
    ['vwapVolume', 'sell', { buyVolume: 30, sellVolume: 70 }, 1],
    // momentum: RSI level + 2-bar trend, MACD histogram run
    ['momentum', 'buy', { rsi: 40, rsiTwoBarsAgo: 48 }, -2],
    ['momentum', 'buy', { rsi: 60, rsiTwoBarsAgo: 55, macdHist3: 1, macdHist2: 2, macdHist1: 3 }, 2],
    ['momentum', 'buy', { macdHist3: 3, macdHist2: 2, macdHist1: 1 }, -1],
    ['momentum', 'sell', { rsi: 60, rsiTwoBarsAgo: 52 }, -2],
    ['momentum', 'sell', { rsi: 40, rsiTwoBarsAgo: 45, macdHist3: 3, macdHist2: 2, macdHist1: 1 }, 2],
    ['momentum', 'sell', { rsi: 75, rsiTwoBarsAgo: 70, macdHist3: 1, macdHist2: 2, macdHist1: 3 }, -3],
    // EMA alignment
    ['emaAlignment', 'buy', { ema50Slope: 0.001, ema200Slope: 0.0005 }, 1],
    ['emaAlignment', 'buy', { ema50Slope: -0.001, ema200Slope: -0.0005 }, -1],
    ['emaAlignment', 'sell', { ema50Slope: -0.001, ema200Slope: -0.0005 }, 1],
    ['emaAlignment', 'sell', { ema50Slope: 0.001, ema200Slope: 0.0005 }, -1],
    ['emaAlignment', 'sell', { ema50Slope: 0.001, ema200Slope: -0.0005 }, -1.5],
    // order-flow delta
    ['deltaPressure', 'buy', { deltaZ: 1.2 }, 1],
    ['deltaPressure', 'buy', { deltaZ: -1.2 }, -1],
    ['deltaPressure', 'sell', { deltaZ: -1.2 }, 1],
    ['deltaPressure', 'sell', { deltaZ: 1.2 }, -1],
    ['deltaPressure', 'sell', { deltaZ: 0.3 }, 0],
    // candle conviction (last M5 bar, body >= 65% of the range)
    ['candleConviction', 'buy', { m5Open: 100, m5High: 110.5, m5Low: 99.5, m5Close: 110 }, 1],
    ['candleConviction', 'buy', { m5Open: 110, m5High: 110.5, m5Low: 99.5, m5Close: 100 }, -1],
    ['candleConviction', 'buy', { m5Open: 110, m5High: 110.5, m5Low: 99.5, m5Close: 100, vwap: 105 }, -2],
    ['candleConviction', 'sell', { m5Open: 110, m5High: 110.5, m5Low: 99.5, m5Close: 100 }, 1],
    ['candleConviction', 'sell', { m5Open: 100, m5High: 110.5, m5Low: 99.5, m5Close: 110, vwap: 105 }, -2],
    ['candleConviction', 'sell', { m5Open: 100, m5High: 110, m5Low: 90, m5Close: 101 }, 0], // a doji: no conviction
  ];
  for (const [layer, side, signals, expected] of cases) {
    it(`${layer}, ${side}: ${JSON.stringify(signals)} -> ${expected}`, () => {
      const s = score(side, signals);
      expect(s[layer]).toBe(expected);
      expect(missingLayers(s)).not.toContain(layer);
    });
  }
});

describe('DTMS score', () => {
  it('a layer without data contributes 0 and is reported missing', () => {
    const s = score('buy', { rsi: 60, rsiTwoBarsAgo: 55 });
    expect(s.momentum).toBe(1);
    expect(s.total).toBe(2); // momentum weight 2
    expect(missingLayers(s)).toEqual(['structure', 'vwapVolume', 'emaAlignment', 'deltaPressure', 'candleConviction']);
  });

  it('weights the layers by regime: RANGE, HIGH volatility and the ASIAN session all apply', () => {
    const p = DEFAULT_SCORE_PARAMS;
    expect(weightOf(p, 'structure', false, false, false)).toBe(3);
    expect(weightOf(p, 'structure', true, false, false)).toBeCloseTo(2.1, 12);
    expect(weightOf(p, 'structure', false, true, false)).toBeCloseTo(3.6, 12);
    expect(weightOf(p, 'vwapVolume', true, true, true)).toBeCloseTo(2 * 1.3 * 0.9 * 0.8, 12);
    const asianRange: DtmsRegime = { session: 'ASIAN', volatility: 'NORMAL', structure: 'RANGE' };
    const s = score('buy', { ema50Slope: -0.001, ema200Slope: -0.001 }, asianRange);
    expect(s.emaAlignment).toBe(-1);
    expect(s.weightedEmaAlignment).toBeCloseTo(-1.5 * 0.8 * 0.8, 12);
  });

  it('counts the original warnings: structural, vwap (flip and volume), momentum', () => {
    const s = score('buy', {
      price: 1975,
      swingHigh: 2000,
      swingLow: 1980,
      priorHigh: 2005,
      priorLow: 1990,
      vwapSlope: -0.002,
      vwapCrosses: 2,
      buyVolume: 20,
      sellVolume: 80,
      rsi: 40,
      rsiTwoBarsAgo: 44,
      macdHist3: 3,
      macdHist2: 2,
      macdHist1: 1,
    });
    expect([s.structuralWarnings, s.vwapWarnings, s.momentumWarnings]).toEqual([2, 2, 2]);
    expect(s.vwapFlipAgainst && s.volumeFlipAgainst).toBe(true);
    expect(s.total).toBe(-6 * 3 - 3 * 2 - 3 * 2);
    expect(s.confluence).toBe('ADVERSE');
  });

  it('uses the regime thresholds: low volatility moves the RSI level to 40 and the volume flip to 72%', () => {
    const low: DtmsRegime = { session: 'LONDON', volatility: 'LOW', structure: 'TREND' };
    expect(score('buy', { rsi: 42, rsiTwoBarsAgo: 44 }, LONDON_TREND).momentum).toBe(-2);
    expect(score('buy', { rsi: 42, rsiTwoBarsAgo: 44 }, low).momentum).toBe(0);
    expect(score('buy', { buyVolume: 30, sellVolume: 70 }, low).vwapVolume).toBe(-0.5);
  });

  it('confluence: favourable, adverse, mixed and neutral', () => {
    expect(score('buy', {}).confluence).toBe('NEUTRAL');
    expect(score('buy', { price: 2010, swingHigh: 2000, swingLow: 1980, deltaZ: 1 }).confluence).toBe('FAVOURABLE');
    const mixed = score('buy', {
      price: 2010,
      swingHigh: 2000,
      swingLow: 1980,
      vwapSlope: -0.002,
      vwapCrosses: 2,
      rsi: 40,
      rsiTwoBarsAgo: 45,
    });
    expect(mixed.confluence).toBe('MIXED'); // +9 against -4 -4: 9/17
    expect(mixed.confluenceRatio).toBeCloseTo(9 / 17, 12);
  });

  it('a sell mirrors a buy: the same scores under the mirrored market (property)', () => {
    // Integer prices reflected around C keep the arithmetic exact; buffers 0 make the structure rules exact mirrors.
    const p = { ...DEFAULT_SCORE_PARAMS, bosBuffer: 0, chochBuffer: 0 };
    const C = 10_000;
    const price = fc.integer({ min: 9_000, max: 11_000 });
    const opt = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.constant(NaN as unknown as T));
    const view = fc
      .record({
        price,
        swingHigh: opt(price),
        swingLow: opt(price),
        priorHigh: opt(price),
        priorLow: opt(price),
        vwap: opt(price),
        vwapSlope: opt(fc.integer({ min: -30, max: 30 }).map((x) => x / 10_000)),
        vwapCrosses: fc.nat(4),
        buyVolume: opt(fc.integer({ min: 0, max: 100 })),
        sellVolume: opt(fc.integer({ min: 0, max: 100 })),
        deltaZ: opt(fc.integer({ min: -20, max: 20 }).map((x) => x / 10)),
        rsi: opt(fc.integer({ min: 0, max: 100 })),
        rsiTwoBarsAgo: opt(fc.integer({ min: 0, max: 100 })),
        macdHist3: opt(fc.integer({ min: -5, max: 5 })),
        macdHist2: opt(fc.integer({ min: -5, max: 5 })),
        macdHist1: opt(fc.integer({ min: -5, max: 5 })),
        ema50Slope: opt(fc.integer({ min: -5, max: 5 })),
        ema200Slope: opt(fc.integer({ min: -5, max: 5 })),
        m5Open: price,
        m5High: price,
        m5Low: price,
        m5Close: price,
      })
      .filter((v) => v.m5High >= Math.max(v.m5Open, v.m5Close, v.m5Low) && v.m5Low <= Math.min(v.m5Open, v.m5Close));
    const mirror = (v: DtmsSignals): DtmsSignals => ({
      price: 2 * C - v.price,
      swingHigh: 2 * C - v.swingLow,
      swingLow: 2 * C - v.swingHigh,
      priorHigh: 2 * C - v.priorLow,
      priorLow: 2 * C - v.priorHigh,
      vwap: 2 * C - v.vwap,
      vwapSlope: -v.vwapSlope,
      vwapCrosses: v.vwapCrosses,
      buyVolume: v.sellVolume,
      sellVolume: v.buyVolume,
      deltaZ: -v.deltaZ,
      rsi: 100 - v.rsi,
      rsiTwoBarsAgo: 100 - v.rsiTwoBarsAgo,
      macdHist3: -v.macdHist3,
      macdHist2: -v.macdHist2,
      macdHist1: -v.macdHist1,
      ema50Slope: -v.ema50Slope,
      ema200Slope: -v.ema200Slope,
      m5Open: 2 * C - v.m5Open,
      m5High: 2 * C - v.m5Low,
      m5Low: 2 * C - v.m5High,
      m5Close: 2 * C - v.m5Close,
    });
    fc.assert(
      fc.property(
        view,
        fc.constantFrom<DtmsRegime>(LONDON_TREND, { session: 'ASIAN', volatility: 'HIGH', structure: 'RANGE' }),
        (v, regime) => {
          const t = adaptiveThresholds('XAUUSD', regime);
          const buy = scoreDtmsSignals('buy', v, regime, t, newDtmsScore(), p);
          const sell = scoreDtmsSignals('sell', mirror(v), regime, t, newDtmsScore(), p);
          expect(sell).toEqual(buy);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('uses the XAUUSD thresholds the test assumes', () => {
    expect(th).toEqual({ vwapSlope: 0.001, rsi: 45, volumeFlipShare: 0.65 });
  });
});
