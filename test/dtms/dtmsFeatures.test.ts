import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/types.ts';
import { DtmsFeatures } from '../../src/dtms/dtmsFeatures.ts';
import { adaptiveThresholds, classifyRegime } from '../../src/dtms/regime.ts';
import { newDtmsScore, scoreDtmsSignals } from '../../src/dtms/signalScore.ts';

const M15 = 900_000;
const T0 = Date.UTC(2024, 0, 2, 0, 0);
/** Feeds M15 bars (the base) with the given closes; high/low 0.5 around open/close. */
function feed(f: DtmsFeatures, closes: number[], from = 0, volume = 100): void {
  let prev = closes[0]!;
  closes.forEach((c, i) => {
    const bar: Bar = {
      time: T0 + (from + i) * M15,
      open: prev,
      high: Math.max(prev, c) + 0.5,
      low: Math.min(prev, c) - 0.5,
      close: c,
      volume,
      spread: 0.1,
    };
    f.onBar(bar);
    prev = c;
  });
}

describe('DTMS features from bars', () => {
  it('Cutler RSI: simple means of the last 14 gains and losses, now and two bars back', () => {
    const f = new DtmsFeatures('M15');
    const closes = [100, 101, 100.5, 102, 103, 102, 104, 103.5, 105, 104, 106, 107, 106.5, 108, 109, 108, 110];
    feed(f, closes);
    const rsiAt = (end: number) => {
      let g = 0;
      let l = 0;
      for (let i = end - 13; i <= end; i++) {
        const d = closes[i]! - closes[i - 1]!;
        if (d > 0) g += d;
        else l -= d;
      }
      return 100 - 100 / (1 + g / l);
    };
    const s = f.signals();
    expect(s.rsi).toBeCloseTo(rsiAt(16), 12);
    expect(s.rsiTwoBarsAgo).toBeCloseTo(rsiAt(14), 12);
  });

  it('MACD histogram and EMA slopes use pandas ewm(adjust=True) weights', () => {
    const f = new DtmsFeatures('M15');
    const closes = Array.from({ length: 230 }, (_, i) => 100 + 5 * Math.sin(i / 9) + i * 0.02);
    feed(f, closes);
    const ewm = (xs: number[], span: number) => {
      const a = 2 / (span + 1);
      let num = 0;
      let den = 0;
      return xs.map((x) => {
        num = x + (1 - a) * num;
        den = 1 + (1 - a) * den;
        return num / den;
      });
    };
    // direct weighted sums, as pandas defines them
    const direct = (xs: number[], span: number) => {
      const a = 2 / (span + 1);
      let num = 0;
      let den = 0;
      for (let i = 0; i < xs.length; i++) {
        const w = (1 - a) ** (xs.length - 1 - i);
        num += w * xs[i]!;
        den += w;
      }
      return num / den;
    };
    expect(ewm(closes, 50).at(-1)).toBeCloseTo(direct(closes, 50), 9);
    const e12 = ewm(closes, 12);
    const e26 = ewm(closes, 26);
    const macd = closes.map((_, i) => e12[i]! - e26[i]!);
    const signal = ewm(macd, 9);
    const hist = macd.map((m, i) => m - signal[i]!);
    const s = f.signals();
    expect([s.macdHist3, s.macdHist2, s.macdHist1].map((x) => x.toFixed(10))).toEqual(
      hist.slice(-3).map((x) => x.toFixed(10)),
    );
    const e50 = ewm(closes, 50);
    const e200 = ewm(closes, 200);
    expect(s.ema50Slope).toBeCloseTo((e50.at(-1)! - e50.at(-10)!) / e50.at(-10)!, 12);
    expect(s.ema200Slope).toBeCloseTo((e200.at(-1)! - e200.at(-10)!) / e200.at(-10)!, 12);
  });

  it('EMA alignment, MACD and RSI report no data until they have their bars', () => {
    const f = new DtmsFeatures('M15');
    feed(
      f,
      Array.from({ length: 20 }, (_, i) => 100 + i),
    );
    const s = f.signals();
    expect([s.ema50Slope, s.ema200Slope, s.macdHist1].every(Number.isNaN)).toBe(true);
    expect(Number.isNaN(s.rsi)).toBe(false);
  });

  it('structure: a rally through the last swing high scores +3 for a buy and -3 for a sell (the break is real, not self-referential)', () => {
    const f = new DtmsFeatures('M15');
    // a swing up to 105 and down to 95, a small range, then a breakout
    feed(f, [100, 102, 105, 102, 100, 97, 95, 97, 100, 101, 100, 99, 100, 101, 100, 100, 101, 100]);
    let s = f.signals();
    // the latest confirmed pivots: the small swing at 101 (high 101.5) and the dip at 99 (low 98.5)
    expect(s.swingHigh).toBe(101.5);
    expect(s.swingLow).toBe(98.5);
    const regime = classifyRegime(T0 + 10 * 3_600_000, NaN, NaN);
    const t = adaptiveThresholds('XAUUSD', regime);
    expect(scoreDtmsSignals('buy', s, regime, t, newDtmsScore()).structure).toBe(0);
    feed(f, [103, 106.5], 18);
    s = f.signals();
    expect(s.price).toBe(106.5);
    expect(s.swingHigh).toBe(101.5); // the breakout bar is not a confirmed swing yet
    expect(scoreDtmsSignals('buy', s, regime, t, newDtmsScore()).structure).toBe(3);
    expect(scoreDtmsSignals('sell', s, regime, t, newDtmsScore()).structure).toBe(-3);
  });

  it('regime inputs: ATR ratio and Bollinger width (population standard deviation)', () => {
    const f = new DtmsFeatures('M15');
    const closes = Array.from({ length: 40 }, (_, i) => 100 + (i % 2 === 0 ? 0 : 1));
    feed(f, closes);
    // the last 20 closes alternate 100/101: mean 100.5, population sd 0.5 -> width 4 x 0.5 / 100.5
    expect(f.bollingerWidth()).toBeCloseTo(2 / 100.5, 12);
    // every true range but the first is 2 (1 + 2 x 0.5): the ratio is about 1, NORMAL volatility
    expect(f.atrRatio()).toBeCloseTo(1, 2);
    expect(classifyRegime(T0, f.atrRatio(), f.bollingerWidth()).volatility).toBe('NORMAL');
    // then ranges of 5 for 14 bars: the current ATR is well above its mean
    feed(
      f,
      Array.from({ length: 14 }, (_, i) => 100 + (i % 2 === 0 ? 4 : 0)),
      40,
    );
    expect(f.atrRatio()).toBeGreaterThan(1.3);
    expect(classifyRegime(T0, f.atrRatio(), f.bollingerWidth()).volatility).toBe('HIGH');
  });

  it('the VWAP is volume-weighted from the session start; its slope is the typical price over two M5 bars', () => {
    const f = new DtmsFeatures('M5');
    const bars: Bar[] = [
      { time: T0, open: 100, high: 101, low: 99, close: 100, volume: 10, spread: 0 },
      { time: T0 + 300_000, open: 100, high: 103, low: 100, close: 102, volume: 30, spread: 0 },
      { time: T0 + 600_000, open: 102, high: 104, low: 101, close: 103.5, volume: 20, spread: 0 },
    ];
    for (const b of bars) f.onBar(b);
    const tp = bars.map((b) => (b.high + b.low + b.close) / 3);
    const s = f.signals();
    expect(s.vwap).toBeCloseTo((tp[0]! * 10 + tp[1]! * 30 + tp[2]! * 20) / 60, 12);
    expect(s.vwapSlope).toBeCloseTo((tp[2]! - tp[0]!) / tp[0]!, 12);
    expect([s.m5Open, s.m5High, s.m5Low, s.m5Close]).toEqual([102, 104, 101, 103.5]);
    expect([s.buyVolume, s.sellVolume, s.deltaZ].every(Number.isNaN)).toBe(true);
  });
});
