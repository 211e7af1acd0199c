// The market inputs of the DTMS score and regime for one symbol, built incrementally from closed base
// bars (M1 in replay): M5 and M15 bars are aggregated here, each closed bar is folded in once (the
// original froze forming bars and counted VWAP bars twice). `signals()` fills a DtmsSignals view at a
// deep check; the trade's own VWAP cross count is the caller's.
//
// Definitions (the original's, with its defects fixed):
// - structure: swings are M15 pivots (a high above the 2 bars before it and not below the 2 after),
//   confirmed 2 bars later;
//   the price is tested against the last confirmed swing and against the 15 closed bars before it,
//   never against a window that includes the price's own bar;
// - RSI(14) is Cutler's (simple means of gains and losses) on M15 closes, now and two bars before;
// - MACD(12, 26, 9) and EMA50/200 are pandas `ewm(span, adjust=True)` (bias-corrected) on M15 closes;
//   EMA slopes are (EMA now - EMA 9 bars ago) / EMA 9 bars ago;
// - VWAP: session VWAP of M5 typical prices weighted by volume, from the UTC anchor hour (not the
//   host's local midnight); its "slope" is the original's: the relative change of the M5 typical
//   price over the last two M5 bars;
// - regime inputs: ATR ratio = mean true range of the last 14 M15 bars / the mean of that ATR over
//   the last 280 bars; Bollinger(20, 2) width with the population standard deviation.
// - order flow from the bars' tick volume (no venue here gives real trades per side): each base bar's
//   volume is split by where it closed in its range (close at the high: all buying; at the low: all
//   selling; a bar without range: half each). Buy and sell volume are the sums over the last 15 base
//   bars, and the delta z-score is their net over those bars against the spread of one bar's net
//   delta over the last 300 bars (scaled by the square root of 15). Bars without volume are left out;
//   with fewer than 15 bars of volume the order-flow inputs are "no data".
//
// warmUp(history) seeds a fresh instance from closed M5 and M15 bars read directly (see
// features/warmUp.ts), then the base bars; a base bar inside a bucket a fed bar covers is not
// aggregated again. The EMAs are pandas' adjusted averages over every close seen, so a shorter start
// differs from a longer one by the weight of the closes it lacks (under 0.1% at barsWanted).
import { TIMEFRAME_MS, type Bar, type Timeframe } from '../domain/types.ts';
import { BarAggregator } from '../features/barAggregator.ts';
import { SessionVwap } from '../features/sessionVwap.ts';
import { effectiveTimeframe } from '../features/featureRequirements.ts';
import {
  convergenceBars,
  type FeatureGap,
  type FeatureReadiness,
  type FeatureRequirement,
  type TimeframeHistory,
} from '../features/warmUp.ts';
import { emptyDtmsSignals, type DtmsSignals } from './signalScore.ts';

const M15_KEPT = 300;
const PIVOT_SIDE = 2;
const PRIOR_RANGE_BARS = 15;
const RSI_PERIOD = 14;
const ATR_PERIOD = 14;
const ATR_MEAN_BARS = 280;
const BOLL_PERIOD = 20;
const EMA_SLOPE_BARS = 9;
const FLOW_WINDOW = 15;
const FLOW_SPREAD_BARS = 300;
const MACD_SLOW = 26;
const MACD_SIGNAL = 9;
const EMA_LONG = 200;
const DAY_MS = 86_400_000;

/**
 * What the DTMS layers need, per timeframe (barsNeeded: a value at all; barsWanted: the value a long
 * history gives, see features/warmUp.ts), read from the definitions above.
 */
export function dtmsFeatureRequirements(baseTimeframe: Timeframe = 'M1'): FeatureRequirement[] {
  const m5 = effectiveTimeframe('M5', baseTimeframe);
  const m15 = effectiveTimeframe('M15', baseTimeframe);
  const req = (
    feature: string,
    timeframe: Timeframe,
    barsNeeded: number,
    barsWanted = barsNeeded,
  ): FeatureRequirement => ({ feature, timeframe, barsNeeded, barsWanted: Math.max(barsNeeded, barsWanted) });
  return [
    // A pivot needs PIVOT_SIDE bars each side; the prior range PRIOR_RANGE_BARS bars.
    req('dtms structure', m15, PRIOR_RANGE_BARS),
    // The VWAP slope compares M5 typical prices two bars apart; the session VWAP wants its whole session.
    req('dtms vwapVolume', m5, 3, Math.ceil(DAY_MS / TIMEFRAME_MS[m5])),
    // RSI two bars back over RSI_PERIOD changes; three MACD histograms after the slow EMA's 26 closes.
    req(
      'dtms momentum',
      m15,
      Math.max(RSI_PERIOD + 1 + 2, MACD_SLOW + 2),
      MACD_SLOW + MACD_SIGNAL + convergenceBars(2 / (MACD_SLOW + 1)),
    ),
    // The EMA200 slope is read once the EMA has EMA_SLOPE_BARS closes beyond its span.
    req(
      'dtms emaAlignment',
      m15,
      EMA_LONG + EMA_SLOPE_BARS,
      EMA_LONG + EMA_SLOPE_BARS + convergenceBars(2 / (EMA_LONG + 1)),
    ),
    // Regime: the ATR ratio from 10 ATR values (all ATR_MEAN_BARS of them for a long history's ratio).
    req('dtms regime', m15, ATR_PERIOD + 9, Math.max(ATR_PERIOD + ATR_MEAN_BARS - 1, M15_KEPT)),
    req('dtms deltaPressure', baseTimeframe, FLOW_WINDOW, FLOW_SPREAD_BARS),
    req('dtms candleConviction', m5, 1),
  ];
}

/** pandas ewm(span, adjust=True): weights (1 - a)^i normalised, updated in O(1). */
class AdjustedEwm {
  private readonly keep: number;
  private num = 0;
  private den = 0;
  count = 0;
  value = NaN;
  constructor(span: number) {
    this.keep = 1 - 2 / (span + 1);
  }
  update(x: number): number {
    this.num = x + this.keep * this.num;
    this.den = 1 + this.keep * this.den;
    this.count++;
    this.value = this.num / this.den;
    return this.value;
  }
}

/** A ring of the last `size` numbers; at(0) is the newest. */
class Ring {
  private readonly data: Float64Array;
  private head = 0;
  length = 0;
  constructor(readonly size: number) {
    this.data = new Float64Array(size);
  }
  push(x: number): void {
    this.data[this.head] = x;
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
    if (this.length < this.size) this.length++;
  }
  /** The k-th newest value (0 = newest); NaN beyond what is kept. */
  at(k: number): number {
    if (k < 0 || k >= this.length) return NaN;
    let i = this.head - 1 - k;
    if (i < 0) i += this.size;
    return this.data[i]!;
  }
}

export class DtmsFeatures {
  private readonly m5: BarAggregator;
  private readonly m15: BarAggregator;
  private readonly vwap: SessionVwap;
  private readonly highs = new Ring(M15_KEPT);
  private readonly lows = new Ring(M15_KEPT);
  private readonly closes = new Ring(M15_KEPT);
  private readonly trueRanges = new Ring(M15_KEPT);
  private readonly atr14 = new Ring(ATR_MEAN_BARS);
  private readonly ema50 = new AdjustedEwm(50);
  private readonly ema200 = new AdjustedEwm(200);
  private readonly ema50s = new Ring(EMA_SLOPE_BARS + 1);
  private readonly ema200s = new Ring(EMA_SLOPE_BARS + 1);
  private readonly ema12 = new AdjustedEwm(12);
  private readonly ema26 = new AdjustedEwm(26);
  private readonly macdSignal = new AdjustedEwm(9);
  private readonly hist = new Ring(3);
  private swingHigh = NaN;
  private swingLow = NaN;
  /** The last three M5 typical prices (newest first) and the last closed M5 bar. */
  private readonly typical = new Ring(3);
  private readonly lastM5: Bar = { time: 0, open: NaN, high: NaN, low: NaN, close: NaN, volume: 0, spread: NaN };
  private lastPrice = NaN;
  /** Order flow: per base bar buy volume and net delta (buy - sell), and running sums over the kept bars. */
  private readonly flowBuy = new Ring(FLOW_WINDOW);
  private readonly flowVolume = new Ring(FLOW_WINDOW);
  private readonly flowDelta = new Ring(FLOW_SPREAD_BARS);
  private flowDeltaSum = 0;
  private flowDeltaSq = 0;
  /** Regime inputs, recomputed when an M15 bar closes (they read only closed M15 bars). */
  private cachedAtrRatio = NaN;
  private atr14Sum = 0;
  /** Signal fields that read only closed M15 bars, recomputed on the first signals() after an M15 close. */
  private readonly m15Signals: DtmsSignals = emptyDtmsSignals();
  private m15SignalsStale = true;
  private cachedBollingerWidth = NaN;
  /** M15 bars closed so far (the regime cache key). */
  m15Closed = 0;
  /** M5 bars closed so far, and base bars seen (readiness counts). */
  m5Closed = 0;
  baseBars = 0;
  /** End of the last M5 / M15 bar fed directly by warmUp: base bars before it are already in it. */
  private m5DirectUntil = Number.NEGATIVE_INFINITY;
  private m15DirectUntil = Number.NEGATIVE_INFINITY;
  private readonly baseTimeframe: Timeframe;

  /** On a base coarser than M5 or M15 (an H1 replay), the base bars stand in for them. */
  constructor(baseTimeframe: Timeframe = 'M1', vwapAnchorHourUtc = 0) {
    this.baseTimeframe = baseTimeframe;
    this.m5 = new BarAggregator(effectiveTimeframe('M5', baseTimeframe), baseTimeframe);
    this.m15 = new BarAggregator(effectiveTimeframe('M15', baseTimeframe), baseTimeframe);
    this.vwap = new SessionVwap(vwapAnchorHourUtc);
  }

  /** One closed base bar. */
  onBar(bar: Readonly<Bar>): void {
    this.lastPrice = bar.close;
    this.baseBars++;
    if (bar.volume > 0) this.foldFlow(bar);
    if (bar.time >= this.m5DirectUntil) {
      const n5 = this.m5.update(bar);
      for (let j = 0; j < n5; j++) this.onM5(this.m5.closed(j));
    }
    if (bar.time >= this.m15DirectUntil) {
      const n15 = this.m15.update(bar);
      for (let j = 0; j < n15; j++) this.onM15(this.m15.closed(j));
    }
  }

  /**
   * Seeds a fresh instance: the M5 and M15 bars of `history` (oldest first) fold in directly, then the
   * base bars through onBar. `onM15Bar` is told each directly-fed M15 bar (the monitor samples its
   * spread there, as it does when a base bar closes one). A timeframe that is the base's (an H1
   * replay) takes the base bars only.
   */
  warmUp(history: TimeframeHistory, onM15Bar?: (bar: Readonly<Bar>) => void): void {
    if (this.baseBars > 0 || this.m5Closed > 0 || this.m15Closed > 0)
      throw new Error('DtmsFeatures.warmUp: only on a fresh instance');
    const base = this.baseTimeframe;
    if (this.m5.timeframe !== base) {
      for (const b of history[this.m5.timeframe] ?? []) {
        if (!(b.time >= this.m5DirectUntil) || !Number.isFinite(b.close)) continue;
        this.m5DirectUntil = b.time + this.m5.tfMs;
        this.onM5(b);
      }
    }
    if (this.m15.timeframe !== base) {
      for (const b of history[this.m15.timeframe] ?? []) {
        if (!(b.time >= this.m15DirectUntil) || !Number.isFinite(b.close)) continue;
        this.m15DirectUntil = b.time + this.m15.tfMs;
        this.onM15(b);
        onM15Bar?.(b);
      }
    }
    for (const b of history[base] ?? []) this.onBar(b);
  }

  /** What the layers need (dtmsFeatureRequirements for this instance's base). */
  requirements(): readonly FeatureRequirement[] {
    this.reqs ??= dtmsFeatureRequirements(this.baseTimeframe);
    return this.reqs;
  }

  private reqs: FeatureRequirement[] | null = null;

  /** Which DTMS layers cannot score yet, with the closed bars of their timeframe they have and need. */
  readiness(): FeatureReadiness {
    const missing: FeatureGap[] = [];
    for (const r of this.requirements()) {
      const have =
        r.timeframe === this.baseTimeframe
          ? this.baseBars
          : r.timeframe === this.m5.timeframe
            ? this.m5Closed
            : this.m15Closed;
      // Order flow counts bars with volume; its window is what it needs.
      const counted = r.feature === 'dtms deltaPressure' ? this.flowVolume.length : have;
      if (counted < r.barsNeeded)
        missing.push({ feature: r.feature, timeframe: r.timeframe, barsNeeded: r.barsNeeded, barsHave: counted });
    }
    return { featuresReady: missing.length === 0, missing };
  }

  private foldFlow(bar: Readonly<Bar>): void {
    const range = bar.high - bar.low;
    const buyShare = range > 0 ? (bar.close - bar.low) / range : 0.5;
    const buy = bar.volume * buyShare;
    const delta = 2 * buy - bar.volume;
    this.flowBuy.push(buy);
    this.flowVolume.push(bar.volume);
    if (this.flowDelta.length === this.flowDelta.size) {
      const old = this.flowDelta.at(this.flowDelta.size - 1);
      this.flowDeltaSum -= old;
      this.flowDeltaSq -= old * old;
    }
    this.flowDelta.push(delta);
    this.flowDeltaSum += delta;
    this.flowDeltaSq += delta * delta;
  }

  /** Fills the order-flow inputs of `out` (NaN with fewer than FLOW_WINDOW bars of volume). */
  private flowSignals(out: DtmsSignals): void {
    if (this.flowVolume.length < FLOW_WINDOW) {
      out.buyVolume = NaN;
      out.sellVolume = NaN;
      out.deltaZ = NaN;
      return;
    }
    let buy = 0;
    let volume = 0;
    for (let k = 0; k < FLOW_WINDOW; k++) {
      buy += this.flowBuy.at(k);
      volume += this.flowVolume.at(k);
    }
    out.buyVolume = buy;
    out.sellVolume = volume - buy;
    const n = this.flowDelta.length;
    const mean = this.flowDeltaSum / n;
    const variance = Math.max(0, this.flowDeltaSq / n - mean * mean);
    const sd = Math.sqrt(variance) * Math.sqrt(FLOW_WINDOW);
    out.deltaZ = sd > 0 ? (2 * buy - volume) / sd : 0;
  }

  private onM5(b: Readonly<Bar>): void {
    this.m5Closed++;
    this.vwap.update(b);
    this.typical.push((b.high + b.low + b.close) / 3);
    const m = this.lastM5;
    m.time = b.time;
    m.open = b.open;
    m.high = b.high;
    m.low = b.low;
    m.close = b.close;
    m.volume = b.volume;
  }

  private onM15(b: Readonly<Bar>): void {
    const prevClose = this.closes.at(0);
    const tr = Number.isNaN(prevClose) ? b.high - b.low : Math.max(b.high, prevClose) - Math.min(b.low, prevClose);
    this.highs.push(b.high);
    this.lows.push(b.low);
    this.closes.push(b.close);
    this.trueRanges.push(tr);
    if (this.trueRanges.length >= ATR_PERIOD) {
      const atr = this.mean(this.trueRanges, ATR_PERIOD);
      // A running sum of the kept ATR values: their mean is read at every M15 close.
      if (this.atr14.length === this.atr14.size) this.atr14Sum -= this.atr14.at(this.atr14.size - 1);
      this.atr14.push(atr);
      this.atr14Sum += atr;
    }
    this.m15Closed++;
    this.cachedAtrRatio = this.computeAtrRatio();
    this.cachedBollingerWidth = this.computeBollingerWidth();
    this.m15SignalsStale = true;
    this.ema50s.push(this.ema50.update(b.close));
    this.ema200s.push(this.ema200.update(b.close));
    const macd = this.ema12.update(b.close) - this.ema26.update(b.close);
    const signal = this.macdSignal.update(macd);
    if (this.ema26.count >= 26) this.hist.push(macd - signal);
    // A pivot PIVOT_SIDE bars back is confirmed now that PIVOT_SIDE bars followed it.
    const span = 2 * PIVOT_SIDE + 1;
    if (this.highs.length >= span) {
      const h = this.highs.at(PIVOT_SIDE);
      const l = this.lows.at(PIVOT_SIDE);
      let isHigh = true;
      let isLow = true;
      // Strictly beyond the older bars, at least equal to the newer ones: a flat top counts once, at its first bar.
      for (let k = 0; k < span; k++) {
        if (k === PIVOT_SIDE) continue;
        const older = k > PIVOT_SIDE;
        const hk = this.highs.at(k);
        const lk = this.lows.at(k);
        if (older ? hk >= h : hk > h) isHigh = false;
        if (older ? lk <= l : lk < l) isLow = false;
      }
      if (isHigh) this.swingHigh = h;
      if (isLow) this.swingLow = l;
    }
  }

  private mean(r: Ring, n: number): number {
    let s = 0;
    for (let k = 0; k < n; k++) s += r.at(k);
    return s / n;
  }

  /** Cutler's RSI over the `period` changes ending `back` closed bars ago; NaN without enough bars. */
  private rsi(back: number): number {
    if (this.closes.length < RSI_PERIOD + 1 + back) return NaN;
    let gain = 0;
    let loss = 0;
    for (let k = back; k < back + RSI_PERIOD; k++) {
      const d = this.closes.at(k) - this.closes.at(k + 1);
      if (d > 0) gain += d;
      else loss -= d;
    }
    if (loss === 0) return gain > 0 ? 100 : 50;
    return 100 - 100 / (1 + gain / loss);
  }

  /** Mean true range of the last 14 M15 bars (the hedge's stop distance); NaN before 14 bars. */
  atr(): number {
    return this.atr14.at(0);
  }

  /** The latest price and the session VWAP and its slope (what a fast check reads), without the rest of signals(). */
  get price(): number {
    return this.lastPrice;
  }

  get vwapValue(): number {
    return this.vwap.ready ? this.vwap.value : NaN;
  }

  get vwapSlope(): number {
    const t0 = this.typical.at(0);
    const t2 = this.typical.at(2);
    return t2 > 0 ? (t0 - t2) / t2 : NaN;
  }

  /** ATR(14) now / its mean over the kept bars (regime volatility); NaN with fewer than 10 values. */
  atrRatio(): number {
    return this.cachedAtrRatio;
  }

  /** Bollinger(20, 2) width / middle on M15 closes (population standard deviation); NaN before 20 bars. */
  bollingerWidth(): number {
    return this.cachedBollingerWidth;
  }

  private computeAtrRatio(): number {
    const n = this.atr14.length;
    if (n < 10) return NaN;
    return this.atr14.at(0) / (this.atr14Sum / n);
  }

  private computeBollingerWidth(): number {
    if (this.closes.length < BOLL_PERIOD) return NaN;
    const m = this.mean(this.closes, BOLL_PERIOD);
    let v = 0;
    for (let k = 0; k < BOLL_PERIOD; k++) {
      const d = this.closes.at(k) - m;
      v += d * d;
    }
    return (4 * Math.sqrt(v / BOLL_PERIOD)) / m;
  }

  /** Fills `out` for a deep check at the latest price (vwapCrosses and order flow are left to the caller). */
  signals(out: DtmsSignals = emptyDtmsSignals()): DtmsSignals {
    const c = this.m15Signals;
    if (this.m15SignalsStale) {
      this.m15SignalsStale = false;
      if (this.highs.length >= PRIOR_RANGE_BARS) {
        let hi = -Infinity;
        let lo = Infinity;
        for (let k = 0; k < PRIOR_RANGE_BARS; k++) {
          hi = Math.max(hi, this.highs.at(k));
          lo = Math.min(lo, this.lows.at(k));
        }
        c.priorHigh = hi;
        c.priorLow = lo;
      } else {
        c.priorHigh = NaN;
        c.priorLow = NaN;
      }
      c.rsi = this.rsi(0);
      c.rsiTwoBarsAgo = this.rsi(2);
      c.macdHist1 = this.hist.at(0);
      c.macdHist2 = this.hist.at(1);
      c.macdHist3 = this.hist.at(2);
      c.ema50Slope = emaSlope(this.ema50s, this.ema50.count, 50);
      c.ema200Slope = emaSlope(this.ema200s, this.ema200.count, 200 + EMA_SLOPE_BARS);
    }
    out.price = this.lastPrice;
    out.swingHigh = this.swingHigh;
    out.swingLow = this.swingLow;
    out.priorHigh = c.priorHigh;
    out.priorLow = c.priorLow;
    out.vwap = this.vwapValue;
    out.vwapSlope = this.vwapSlope;
    out.rsi = c.rsi;
    out.rsiTwoBarsAgo = c.rsiTwoBarsAgo;
    out.macdHist1 = c.macdHist1;
    out.macdHist2 = c.macdHist2;
    out.macdHist3 = c.macdHist3;
    out.ema50Slope = c.ema50Slope;
    out.ema200Slope = c.ema200Slope;
    const m = this.lastM5;
    out.m5Open = m.open;
    out.m5High = m.high;
    out.m5Low = m.low;
    out.m5Close = m.close;
    this.flowSignals(out);
    return out;
  }
}

/** (EMA now - EMA 9 bars ago) / EMA 9 bars ago, once the EMA has seen `needed` closes; NaN before. */
function emaSlope(r: Ring, count: number, needed: number): number {
  return count >= needed && r.length > EMA_SLOPE_BARS ? (r.at(0) - r.at(EMA_SLOPE_BARS)) / r.at(EMA_SLOPE_BARS) : NaN;
}
