// Incremental market features of one symbol, fed one CLOSED base bar at a time (onBar) plus, optionally,
// the still-forming base bar (onFormingBar). snapshot(out) fills a caller-owned MarketFeatures.
//
// Pure: no I/O, no clock, no randomness; time comes from bar.time (bar OPEN time, epoch ms UTC).
// Hot path: onBar/onFormingBar/snapshot are O(1) amortised and create no objects, arrays or closures
// (numbers, Float64Array rings and preallocated Bar objects only; see bench/features.bench.ts for what V8
// itself still boxes). The volume profile updates when a bar of its timeframe closes (incrementally, with
// a bounded rebuild when its bin grid changes: volumeProfile.ts); the squeeze counts over a ring of 100
// widths when a features bar closes. Both are bounded constants per closed higher-timeframe bar.
//
// squeeze = 1 when fewer than 20 of the last 100 Bollinger widths (the current one included) are below
// the current width, i.e. the current width is among the lowest 20%: below the 20th percentile.
//
// Which bars feed what:
// - atr: WilderAtr(14) on closed bars of the ATR timeframe; atrH1: WilderAtr(14) on closed H1 bars.
//   A forming bar never touches them (a partial range would make trail distances saw-tooth).
// - Features timeframe (config.timeframe, default M15), closed bars: EMA50, EMA200 (SMA-seeded), RSI(14),
//   ADX(14), Bollinger(20, 2) and its squeeze ring, swing highs/lows, session VWAP.
// - Price-dependent outputs are evaluated at the newest price: price, spread, ema200Atr, vwapAtr,
//   vwapZone, hvnDistAtr, equalHighsAbove/equalLowsBelow, pdh/pdl's day switch. ema200Atr and vwapAtr
//   use EMA200 and VWAP *including the features bar in progress* (Ema.peek / SessionVwap.peek with the
//   pending features-timeframe bar built from the closed base bars of the current bucket plus the forming
//   base bar, whose close is the current price). So they move with price, and they are computed the same
//   way whether the newest price came from onBar or from onFormingBar. Nothing is committed by a peek.
//   (Rare edge: if a forming base bar already belongs to a LATER features bucket while the previous bucket
//   is still open because its last base bar never came, the peek sees the forming bar only; the open
//   bucket is committed by the next onBar as usual.)
// - mtf*: per M5 / M15 / H1, from that timeframe's closed bars: EMA200 (SMA-seeded), MACD(12, 26, 9)
//   histogram, ADX(14), and that bar's close.
// - pdh/pdl: previous UTC calendar day (of bar open times) from base bars, skipping days with under 6 h of
//   bars (forex's Sunday evening: Monday's previous day is Friday); the first day seen counts only
//   if its first bar opens at 00:00 UTC (otherwise it may be partial and is skipped).
//
// onFormingBar stores an overlay (price, spread, the forming bar) that onBar discards, so any number of
// onFormingBar calls followed by onBar(closed) leaves exactly the state onBar(closed) alone leaves.
import type { Bar, Timeframe } from '../domain/types.ts';
import { TIMEFRAME_MS } from '../domain/types.ts';
import type { FeaturesConfig } from '../config/schema.ts';
import type { MarketFeatures, VwapZone } from './snapshot.ts';
import { BarAggregator, copyBar, newBar } from './barAggregator.ts';
import { Adx, Bollinger, Ema, Macd, Rsi, WilderAtr } from './indicators.ts';
import { SessionVwap } from './sessionVwap.ts';
import { VolumeProfile } from './volumeProfile.ts';

const DAY_MS = 86_400_000;
/** A UTC day with less than this span of bars (forex's Sunday evening reopen) is not a previous day. */
const MIN_TRADING_DAY_MS = 6 * 3_600_000;
const ATR_PERIOD = 14;
const SLOPE_BARS = 20;
const SQUEEZE_WINDOW = 100;
/** Squeeze when fewer than this many of the last 100 widths are below the current one (20th percentile). */
const SQUEEZE_RANK = 20;
const SWING_SIDE = 5;
const SWING_SPAN = 2 * SWING_SIDE + 1;
const SWINGS_KEPT = 5;
const EQUAL_LEVEL_ATR = 0.1;
const MTF_ADX_TREND = 25;
const MTF_TIMEFRAMES: readonly Timeframe[] = ['M5', 'M15', 'H1'];

/** The timeframe actually used for a requested one: the base when the request is finer than the base. */
export function effectiveTimeframe(requested: Timeframe, base: Timeframe): Timeframe {
  return TIMEFRAME_MS[requested] < TIMEFRAME_MS[base] ? base : requested;
}

export interface EffectiveTimeframes {
  readonly base: Timeframe;
  readonly features: Timeframe;
  readonly atr: Timeframe;
  /** H1, or the base when the base is coarser (H4). */
  readonly atrH1: Timeframe;
  readonly volumeProfile: Timeframe;
  /**
   * The MTF timeframes that can be scored: M5, M15, H1 minus those finer than the base. A finer one is
   * left out (not replaced by the base, which would count the same timeframe twice); mtfAvailable then
   * cannot reach 3.
   */
  readonly mtf: readonly Timeframe[];
}

/** Per-timeframe state: the aggregator and whichever indicators this timeframe feeds. */
class TimeframeState {
  readonly timeframe: Timeframe;
  readonly agg: BarAggregator;
  atr: WilderAtr | null = null;
  ema200: Ema | null = null;
  macd: Macd | null = null;
  adx: Adx | null = null;
  vp: VolumeProfile | null = null;
  isMtf = false;
  isFeatures = false;
  /** MTF scoring of the last closed bar (valid when mtfReady). */
  mtfReady = false;
  mtfUp = false;
  mtfDown = false;

  constructor(timeframe: Timeframe, base: Timeframe) {
    this.timeframe = timeframe;
    this.agg = new BarAggregator(timeframe, base);
  }

  reset(): void {
    this.agg.reset();
    this.atr?.reset();
    this.ema200?.reset();
    this.macd?.reset();
    this.adx?.reset();
    this.vp?.reset();
    this.mtfReady = this.mtfUp = this.mtfDown = false;
  }
}

export class SymbolFeatures {
  readonly config: Readonly<FeaturesConfig>;
  readonly effective: EffectiveTimeframes;
  readonly baseMs: number;

  /** Base bars accepted by onBar. */
  barsSeen = 0;
  /** Base bars refused by onBar (not newer than the last one, or non-finite prices). */
  barsRejected = 0;
  /** Open time of the newest committed base bar; NaN before the first. */
  lastBarTime = NaN;

  private readonly tfs: TimeframeState[];
  private readonly featTf: TimeframeState;
  private readonly atrTf: TimeframeState;
  private readonly atrH1Tf: TimeframeState;
  private readonly vpTf: TimeframeState;

  // committed base-bar values
  private lastClose = NaN;
  private lastSpread = NaN;

  // features timeframe
  private readonly ema50 = new Ema(50);
  private readonly rsi = new Rsi(14);
  private readonly boll = new Bollinger(20, 2);
  private readonly vwap: SessionVwap;
  private readonly ema50Ring = new Float64Array(SLOPE_BARS + 1);
  private readonly ema200Ring = new Float64Array(SLOPE_BARS + 1);
  private slopeHead = 0;
  private slopeCount = 0;
  private readonly widthRing = new Float64Array(SQUEEZE_WINDOW);
  private widthHead = 0;
  private widthCount = 0;
  private squeeze: -1 | 0 | 1 = -1;
  private readonly swingHighsIn = new Float64Array(SWING_SPAN);
  private readonly swingLowsIn = new Float64Array(SWING_SPAN);
  private swingInHead = 0;
  private swingInCount = 0;
  private readonly swingHighs = new Float64Array(SWINGS_KEPT);
  private readonly swingLows = new Float64Array(SWINGS_KEPT);
  private swingHighHead = 0;
  private swingHighCount = 0;
  private swingLowHead = 0;
  private swingLowCount = 0;

  // previous UTC day
  private curDay = NaN;
  private curDayHigh = NaN;
  private curDayLow = NaN;
  private curDayFull = false;
  /** Open time of the current day's first base bar and end of its last one. */
  private curDayFirst = NaN;
  private curDayEnd = NaN;
  private pdh = NaN;
  private pdl = NaN;

  // forming overlay (discarded by onBar)
  private formingActive = false;
  private readonly formingBar: Bar = newBar();
  /** Scratch for the pending features-timeframe bar in snapshot(); not state. */
  private readonly scratchPending: Bar = newBar();

  constructor(config: FeaturesConfig, atrTimeframe: Timeframe = 'M15', baseTimeframe: Timeframe = 'M1') {
    this.config = config;
    const base = baseTimeframe;
    this.baseMs = TIMEFRAME_MS[base];
    const mtf = MTF_TIMEFRAMES.filter((tf) => TIMEFRAME_MS[tf] >= TIMEFRAME_MS[base]);
    this.effective = Object.freeze({
      base,
      features: effectiveTimeframe(config.timeframe, base),
      atr: effectiveTimeframe(atrTimeframe, base),
      atrH1: effectiveTimeframe('H1', base),
      volumeProfile: effectiveTimeframe(config.volumeProfileTimeframe, base),
      mtf: Object.freeze(mtf),
    });
    this.tfs = [];
    const stateFor = (tf: Timeframe): TimeframeState => {
      let s = this.tfs.find((x) => x.timeframe === tf);
      if (!s) {
        s = new TimeframeState(tf, base);
        this.tfs.push(s);
      }
      return s;
    };
    const e = this.effective;
    this.featTf = stateFor(e.features);
    this.featTf.isFeatures = true;
    this.featTf.ema200 = new Ema(200);
    this.featTf.adx = new Adx(14);
    this.atrTf = stateFor(e.atr);
    this.atrTf.atr = new WilderAtr(ATR_PERIOD);
    this.atrH1Tf = stateFor(e.atrH1);
    this.atrH1Tf.atr ??= new WilderAtr(ATR_PERIOD);
    this.vpTf = stateFor(e.volumeProfile);
    this.vpTf.vp = new VolumeProfile(config.volumeProfileBars, config.volumeProfileBins);
    for (const tf of mtf) {
      const s = stateFor(tf);
      s.isMtf = true;
      s.ema200 ??= new Ema(200);
      s.adx ??= new Adx(14);
      s.macd = new Macd(12, 26, 9);
    }
    // finest first, so a base bar updates M5 before M15 before H1 (order does not change results)
    this.tfs.sort((a, b) => TIMEFRAME_MS[a.timeframe] - TIMEFRAME_MS[b.timeframe]);
    this.vwap = new SessionVwap(config.vwapAnchorHourUtc);
  }

  /** Clears all state (e.g. at a jump between separate data sets). */
  reset(): void {
    this.barsSeen = this.barsRejected = 0;
    this.lastBarTime = this.lastClose = this.lastSpread = NaN;
    for (let i = 0; i < this.tfs.length; i++) this.tfs[i]!.reset();
    this.ema50.reset();
    this.rsi.reset();
    this.boll.reset();
    this.vwap.reset();
    this.ema50Ring.fill(0);
    this.ema200Ring.fill(0);
    this.slopeHead = this.slopeCount = 0;
    this.widthRing.fill(0);
    this.widthHead = this.widthCount = 0;
    this.squeeze = -1;
    this.swingHighsIn.fill(0);
    this.swingLowsIn.fill(0);
    this.swingInHead = this.swingInCount = 0;
    this.swingHighs.fill(0);
    this.swingLows.fill(0);
    this.swingHighHead = this.swingHighCount = this.swingLowHead = this.swingLowCount = 0;
    this.curDay = this.curDayHigh = this.curDayLow = this.pdh = this.pdl = NaN;
    this.curDayFull = false;
    this.curDayFirst = this.curDayEnd = NaN;
    this.clearForming();
  }

  private clearForming(): void {
    this.formingActive = false;
    const f = this.formingBar;
    f.time = 0;
    f.open = f.high = f.low = f.close = f.spread = NaN;
    f.volume = 0;
  }

  private static validBar(bar: Readonly<Bar>): boolean {
    return (
      Number.isFinite(bar.time) &&
      Number.isFinite(bar.open) &&
      Number.isFinite(bar.high) &&
      Number.isFinite(bar.low) &&
      Number.isFinite(bar.close) &&
      bar.high >= bar.low
    );
  }

  /**
   * Folds in one CLOSED base bar. Returns false (and changes nothing but barsRejected) when the bar is
   * not newer than the previous one or has non-finite prices.
   */
  onBar(bar: Readonly<Bar>): boolean {
    if (!SymbolFeatures.validBar(bar) || !(bar.time > this.lastBarTime || this.barsSeen === 0)) {
      this.barsRejected++;
      return false;
    }
    this.clearForming();
    this.barsSeen++;
    this.lastBarTime = bar.time;
    this.lastClose = bar.close;
    this.lastSpread = bar.spread;
    this.updateDay(bar);
    const tfs = this.tfs;
    for (let i = 0; i < tfs.length; i++) {
      const s = tfs[i]!;
      const n = s.agg.update(bar);
      for (let j = 0; j < n; j++) this.onTfClose(s, s.agg.closed(j));
    }
    return true;
  }

  /**
   * The still-forming base bar (its OHLC so far). Updates only the price-dependent outputs; never commits
   * indicator state. Ignored (returns false) when it is not newer than the last closed bar.
   */
  onFormingBar(bar: Readonly<Bar>): boolean {
    if (!SymbolFeatures.validBar(bar) || !(bar.time > this.lastBarTime || this.barsSeen === 0)) return false;
    copyBar(bar, this.formingBar);
    this.formingActive = true;
    return true;
  }

  private updateDay(bar: Readonly<Bar>): void {
    const day = Math.floor(bar.time / DAY_MS);
    if (day !== this.curDay) {
      if (this.dayCounts()) {
        this.pdh = this.curDayHigh;
        this.pdl = this.curDayLow;
      }
      // a later day is complete when it ends; the first day seen only if it starts at its first base bar
      const firstDay = Number.isNaN(this.curDay);
      this.curDayFull = !firstDay || bar.time - day * DAY_MS < this.baseMs;
      this.curDay = day;
      this.curDayHigh = bar.high;
      this.curDayLow = bar.low;
      this.curDayFirst = bar.time;
    } else {
      if (bar.high > this.curDayHigh) this.curDayHigh = bar.high;
      if (bar.low < this.curDayLow) this.curDayLow = bar.low;
    }
    this.curDayEnd = bar.time + this.baseMs;
  }

  /**
   * Whether the current day can serve as "the previous day": complete, and a trading day rather than
   * a stub such as forex's Sunday 22:00-24:00 reopen (Monday's previous day is then Friday).
   */
  private dayCounts(): boolean {
    return this.curDayFull && this.curDayEnd - this.curDayFirst >= MIN_TRADING_DAY_MS;
  }

  private onTfClose(s: TimeframeState, b: Readonly<Bar>): void {
    const c = b.close;
    s.atr?.update(b.high, b.low, c);
    s.ema200?.update(c);
    s.adx?.update(b.high, b.low, c);
    s.macd?.update(c);
    s.vp?.update(b);
    if (s.isMtf) {
      const ema = s.ema200!;
      const macd = s.macd!;
      const adx = s.adx!;
      s.mtfReady = ema.ready && macd.ready && adx.ready;
      if (s.mtfReady) {
        const e = ema.value;
        const h = macd.histogram;
        const trend = adx.value > MTF_ADX_TREND ? 1 : 0;
        s.mtfUp = (c > e ? 1 : 0) + (h > 0 ? 1 : 0) + trend >= 2;
        s.mtfDown = (c < e ? 1 : 0) + (h < 0 ? 1 : 0) + trend >= 2;
      }
    }
    if (s.isFeatures) this.onFeaturesClose(s, b);
  }

  private onFeaturesClose(s: TimeframeState, b: Readonly<Bar>): void {
    const c = b.close;
    this.ema50.update(c);
    this.rsi.update(c);
    this.vwap.update(b);
    // slopes: EMA values of the last 21 closed bars
    this.ema50Ring[this.slopeHead] = this.ema50.value;
    this.ema200Ring[this.slopeHead] = s.ema200!.value;
    this.slopeHead = this.slopeHead === SLOPE_BARS ? 0 : this.slopeHead + 1;
    if (this.slopeCount <= SLOPE_BARS) this.slopeCount++;
    // squeeze
    this.boll.update(c);
    if (this.boll.ready) {
      const w = this.boll.width;
      this.widthRing[this.widthHead] = w;
      this.widthHead = this.widthHead + 1 === SQUEEZE_WINDOW ? 0 : this.widthHead + 1;
      if (this.widthCount < SQUEEZE_WINDOW) this.widthCount++;
      if (this.widthCount === SQUEEZE_WINDOW) {
        let below = 0;
        const ring = this.widthRing;
        for (let i = 0; i < SQUEEZE_WINDOW; i++) if (ring[i]! < w) below++;
        this.squeeze = below < SQUEEZE_RANK ? 1 : 0;
      }
    }
    // swings: bar i is a swing high if its high is the max of bars i-5..i+5 (confirmed 5 bars later)
    const hi = this.swingHighsIn;
    const lo = this.swingLowsIn;
    hi[this.swingInHead] = b.high;
    lo[this.swingInHead] = b.low;
    this.swingInHead = this.swingInHead + 1 === SWING_SPAN ? 0 : this.swingInHead + 1;
    if (this.swingInCount < SWING_SPAN) this.swingInCount++;
    if (this.swingInCount === SWING_SPAN) {
      // after the write, swingInHead is the oldest; the middle is SWING_SIDE after it
      let mid = this.swingInHead + SWING_SIDE;
      if (mid >= SWING_SPAN) mid -= SWING_SPAN;
      const mh = hi[mid]!;
      const ml = lo[mid]!;
      let isHigh = true;
      let isLow = true;
      for (let i = 0; i < SWING_SPAN; i++) {
        if (hi[i]! > mh) isHigh = false;
        if (lo[i]! < ml) isLow = false;
      }
      if (isHigh) {
        this.swingHighs[this.swingHighHead] = mh;
        this.swingHighHead = this.swingHighHead + 1 === SWINGS_KEPT ? 0 : this.swingHighHead + 1;
        if (this.swingHighCount < SWINGS_KEPT) this.swingHighCount++;
      }
      if (isLow) {
        this.swingLows[this.swingLowHead] = ml;
        this.swingLowHead = this.swingLowHead + 1 === SWINGS_KEPT ? 0 : this.swingLowHead + 1;
        if (this.swingLowCount < SWINGS_KEPT) this.swingLowCount++;
      }
    }
  }

  /**
   * The features-timeframe bar in progress: the closed base bars of the current bucket plus the forming
   * base bar (written into a scratch Bar), or null when there is none.
   */
  private pendingFeaturesBar(): Readonly<Bar> | null {
    const fagg = this.featTf.agg;
    if (this.formingActive) return fagg.peekWith(this.formingBar, this.scratchPending);
    return fagg.forming;
  }

  /** True when the VWAP in the snapshot is time-weighted (the session so far has no volume). */
  get vwapTimeWeighted(): boolean {
    const pending = this.pendingFeaturesBar();
    return pending !== null ? this.vwap.peekTimeWeighted(pending) : this.vwap.timeWeighted;
  }

  /** True when the volume profile weighs every bar 1 (its window has no volume). */
  get volumeProfileTimeWeighted(): boolean {
    return this.vpTf.vp!.timeWeighted;
  }

  /** Fills `out` (caller-owned; nothing is allocated) and returns it. */
  snapshot(out: MarketFeatures): MarketFeatures {
    const forming = this.formingActive;
    const fb = this.formingBar;
    if (this.barsSeen === 0 && !forming) {
      resetFeatures(out);
      return out;
    }
    const price = forming ? fb.close : this.lastClose;
    out.time = (forming ? fb.time : this.lastBarTime) + this.baseMs;
    out.price = price;
    out.spread = forming ? fb.spread : this.lastSpread;

    const atrInd = this.atrTf.atr!;
    const atr = atrInd.value;
    const atrOk = atr > 0; // false for NaN
    out.atr = atr;
    out.atrH1 = this.atrH1Tf.atr!.value;

    const pending = this.pendingFeaturesBar();
    const ema200 = this.featTf.ema200!;
    const emaNow = pending !== null ? ema200.peek(pending.close) : ema200.value;
    const vwapNow = pending !== null ? this.vwap.peek(pending) : this.vwap.value;
    out.ema200Atr = atrOk ? (price - emaNow) / atr : NaN;
    const vwapAtr = atrOk ? (price - vwapNow) / atr : NaN;
    out.vwapAtr = vwapAtr;
    out.vwapZone = zoneOf(vwapAtr);

    // slopes over 20 closed features bars
    if (this.slopeCount > SLOPE_BARS && atrOk) {
      const now = this.slopeHead === 0 ? SLOPE_BARS : this.slopeHead - 1;
      const then = this.slopeHead; // oldest of the 21
      const d = SLOPE_BARS * atr;
      out.ema50Slope = (this.ema50Ring[now]! - this.ema50Ring[then]!) / d;
      out.ema200Slope = (this.ema200Ring[now]! - this.ema200Ring[then]!) / d;
    } else {
      out.ema50Slope = NaN;
      out.ema200Slope = NaN;
    }

    out.squeeze = this.squeeze;
    out.rsi = this.rsi.value;
    out.adx = this.featTf.adx!.value;

    let up = 0;
    let down = 0;
    let avail = 0;
    const tfs = this.tfs;
    for (let i = 0; i < tfs.length; i++) {
      const s = tfs[i]!;
      if (!s.isMtf || !s.mtfReady) continue;
      avail++;
      if (s.mtfUp) up++;
      if (s.mtfDown) down++;
    }
    out.mtfUp = up;
    out.mtfDown = down;
    out.mtfAvailable = avail;

    const hvnDist = this.vpTf.vp!.nearestHvnDistance(price);
    out.hvnDistAtr = atrOk ? hvnDist / atr : NaN;

    // previous day: when the newest bar (forming) opens on a later day, the committed day has ended
    const newestDay = Math.floor((forming ? fb.time : this.lastBarTime) / DAY_MS);
    if (newestDay !== this.curDay && this.dayCounts()) {
      out.pdh = this.curDayHigh;
      out.pdl = this.curDayLow;
    } else {
      out.pdh = this.pdh;
      out.pdl = this.pdl;
    }

    out.equalHighsAbove = atrOk ? equalLevels(this.swingHighs, this.swingHighCount, price, EQUAL_LEVEL_ATR * atr, 1) : 0;
    out.equalLowsBelow = atrOk ? equalLevels(this.swingLows, this.swingLowCount, price, EQUAL_LEVEL_ATR * atr, -1) : 0;
    return out;
  }
}

function zoneOf(vwapAtr: number): VwapZone {
  const a = Math.abs(vwapAtr);
  if (a <= 0.5) return 0;
  if (a <= 1.5) return 1;
  if (a > 1.5) return 2;
  return -1; // NaN
}

/** 1 when two stored levels on the given side of price (1 above, -1 below) are within tol of each other. */
function equalLevels(levels: Float64Array, count: number, price: number, tol: number, side: 1 | -1): 0 | 1 {
  for (let i = 0; i < count; i++) {
    const a = levels[i]!;
    if (side === 1 ? !(a > price) : !(a < price)) continue;
    for (let j = i + 1; j < count; j++) {
      const b = levels[j]!;
      if (side === 1 ? !(b > price) : !(b < price)) continue;
      if (Math.abs(a - b) <= tol) return 1;
    }
  }
  return 0;
}

function resetFeatures(out: MarketFeatures): void {
  out.time = 0;
  out.price = NaN;
  out.spread = NaN;
  out.atr = NaN;
  out.atrH1 = NaN;
  out.ema200Atr = NaN;
  out.vwapAtr = NaN;
  out.vwapZone = -1;
  out.ema50Slope = NaN;
  out.ema200Slope = NaN;
  out.squeeze = -1;
  out.rsi = NaN;
  out.adx = NaN;
  out.mtfUp = 0;
  out.mtfDown = 0;
  out.mtfAvailable = 0;
  out.hvnDistAtr = NaN;
  out.pdh = NaN;
  out.pdl = NaN;
  out.equalHighsAbove = 0;
  out.equalLowsBelow = 0;
}
