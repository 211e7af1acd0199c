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
// - atr: WilderAtr(14) on closed bars of the ATR timeframe; atrH1: WilderAtr(14) on closed H1 bars;
//   the same on each further timeframe asked for (strategy templates that trail on their own
//   timeframe: atrsInto). A forming bar never touches them (a partial range would make trail
//   distances saw-tooth).
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
//
// warmUp(history) seeds a fresh instance from closed bars per timeframe (warmUp.ts): each higher
// timeframe's state takes its own bars, then the base bars follow; a base bar inside a bucket that a
// directly-fed bar already covers is not aggregated again (no partial duplicate of a fed bar). With
// the same bars underneath, the result is exactly what feeding those base bars would have built; the
// previous day comes from the directly-fed bars before the first base bar. readiness() says which
// features have no value yet and what they lack, by counting each timeframe's closed bars.
//
// The folds of their own: each timeframe's indicators and MTF score (timeframeState.ts), the swing
// levels (swingLevels.ts), the previous day (previousDay.ts); the periods and what history each
// feature needs (featureRequirements.ts).
import type { Bar, Timeframe } from '../domain/types.ts';
import { TIMEFRAME_MS, TIMEFRAMES } from '../domain/types.ts';
import type { FeaturesConfig } from '../config/schema.ts';
import type { MarketFeatures, VwapZone } from './snapshot.ts';
import { copyBar, newBar } from './barAggregator.ts';
import {
  ADX_PERIOD,
  ATR_PERIOD,
  BOLL_PERIOD,
  DAY_MS,
  EMA_LONG,
  EMA_SHORT,
  effectiveTimeframe,
  MACD_FAST,
  MACD_SIGNAL,
  MACD_SLOW,
  MTF_TIMEFRAMES,
  RSI_PERIOD,
  SLOPE_BARS,
  SQUEEZE_WINDOW,
  symbolFeatureRequirements,
  type EffectiveTimeframes,
} from './featureRequirements.ts';
import { Adx, Bollinger, Ema, Macd, Rsi, WilderAtr } from './indicators.ts';
import { PreviousDay } from './previousDay.ts';
import { SessionVwap } from './sessionVwap.ts';
import { SwingLevels } from './swingLevels.ts';
import { TimeframeState } from './timeframeState.ts';
import { VolumeProfile } from './volumeProfile.ts';
import type { FeatureGap, FeatureReadiness, FeatureRequirement, TimeframeHistory } from './warmUp.ts';

/** Squeeze when fewer than this many of the last 100 widths are below the current one (20th percentile). */
const SQUEEZE_RANK = 20;
/** Two swing levels within this many ATRs of each other are equal highs (lows). */
const EQUAL_LEVEL_ATR = 0.1;

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
  /** Per timeframe of TIMEFRAMES, the ATR that serves it (its own, or the base's for a finer one); null: none kept. */
  private readonly atrByTf: (WilderAtr | null)[];
  private readonly trailTimeframes: readonly Timeframe[];

  // committed base-bar values
  private lastClose = NaN;
  private lastSpread = NaN;

  // features timeframe
  private readonly ema50 = new Ema(EMA_SHORT);
  private readonly rsi = new Rsi(RSI_PERIOD);
  private readonly boll = new Bollinger(BOLL_PERIOD, 2);
  private readonly vwap: SessionVwap;
  private readonly ema50Ring = new Float64Array(SLOPE_BARS + 1);
  private readonly ema200Ring = new Float64Array(SLOPE_BARS + 1);
  private slopeHead = 0;
  private slopeCount = 0;
  private readonly widthRing = new Float64Array(SQUEEZE_WINDOW);
  private widthHead = 0;
  private widthCount = 0;
  private squeeze: -1 | 0 | 1 = -1;
  private readonly swings = new SwingLevels();

  private readonly day = new PreviousDay();
  /** Open time of the first features-timeframe bar (the session VWAP's readiness). */
  private featuresFrom = NaN;

  // forming overlay (discarded by onBar)
  private formingActive = false;
  private readonly formingBar: Bar = newBar();
  /** Scratch for the pending features-timeframe bar in snapshot(); not state. */
  private readonly scratchPending: Bar = newBar();

  constructor(
    config: FeaturesConfig,
    atrTimeframe: Timeframe = 'M15',
    baseTimeframe: Timeframe = 'M1',
    trailTimeframes: readonly Timeframe[] = [],
  ) {
    this.config = config;
    this.trailTimeframes = trailTimeframes;
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
    this.featTf.ema200 = new Ema(EMA_LONG);
    this.featTf.adx = new Adx(ADX_PERIOD);
    this.atrTf = stateFor(e.atr);
    this.atrTf.atr = new WilderAtr(ATR_PERIOD);
    this.atrH1Tf = stateFor(e.atrH1);
    this.atrH1Tf.atr ??= new WilderAtr(ATR_PERIOD);
    this.vpTf = stateFor(e.volumeProfile);
    this.vpTf.vp = new VolumeProfile(config.volumeProfileBars, config.volumeProfileBins);
    for (const tf of mtf) {
      const s = stateFor(tf);
      s.isMtf = true;
      s.ema200 ??= new Ema(EMA_LONG);
      s.adx ??= new Adx(ADX_PERIOD);
      s.macd = new Macd(MACD_FAST, MACD_SLOW, MACD_SIGNAL);
    }
    for (const tf of trailTimeframes) stateFor(effectiveTimeframe(tf, base)).atr ??= new WilderAtr(ATR_PERIOD);
    this.atrByTf = TIMEFRAMES.map(
      (tf) => this.tfs.find((x) => x.timeframe === effectiveTimeframe(tf, base))?.atr ?? null,
    );
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
    this.swings.reset();
    this.day.reset();
    this.featuresFrom = NaN;
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
    this.day.update(bar, this.baseMs);
    const tfs = this.tfs;
    for (let i = 0; i < tfs.length; i++) {
      const s = tfs[i]!;
      if (bar.time < s.directUntil) continue; // inside a bar warmUp fed directly
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

  /**
   * Seeds a fresh instance from closed bars per timeframe (oldest first): every higher-timeframe state
   * takes its own timeframe's bars, then `history[base]` goes through onBar. A timeframe without bars
   * in `history` is built from the base bars as usual. Bars that are not newer than the previous one of
   * their series, or not prices, are skipped. Not on the hot path (it allocates a little).
   */
  warmUp(history: TimeframeHistory): void {
    if (this.barsSeen > 0 || this.tfs.some((s) => s.closedBars > 0))
      throw new Error('SymbolFeatures.warmUp: only on a fresh instance');
    const baseTf = this.effective.base;
    const base = history[baseTf] ?? [];
    const fed: { tfMs: number; bars: readonly Bar[] }[] = [];
    for (const s of this.tfs) {
      if (s.timeframe === baseTf) continue;
      const bars = history[s.timeframe];
      if (bars === undefined || bars.length === 0) continue;
      const kept: Bar[] = [];
      for (const b of bars) {
        if (!SymbolFeatures.validBar(b) || !(b.time >= s.directUntil)) continue;
        s.directUntil = b.time + s.agg.tfMs;
        this.onTfClose(s, b);
        kept.push(b);
      }
      if (kept.length > 0) fed.push({ tfMs: s.agg.tfMs, bars: kept });
    }
    // The previous day from the fed bars before the first base bar: finer series where they reach,
    // coarser ones before that (the days a coarse bar crosses into a finer series' time are left out).
    fed.sort((a, b) => a.tfMs - b.tfMs);
    let bound = base.length > 0 ? base[0]!.time : Number.POSITIVE_INFINITY;
    const segments: { tfMs: number; bars: readonly Bar[] }[] = [];
    for (const f of fed) {
      const inside = f.bars.filter((b) => b.time + f.tfMs <= bound);
      if (inside.length === 0) continue;
      segments.push({ tfMs: f.tfMs, bars: inside });
      bound = inside[0]!.time;
    }
    for (let i = segments.length - 1; i >= 0; i--)
      for (const b of segments[i]!.bars) this.day.update(b, segments[i]!.tfMs);
    for (const b of base) this.onBar(b);
  }

  private onTfClose(s: TimeframeState, b: Readonly<Bar>): void {
    s.fold(b);
    if (s.isFeatures) {
      if (Number.isNaN(this.featuresFrom)) this.featuresFrom = b.time;
      this.onFeaturesClose(s, b);
    }
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
    this.swings.update(b.high, b.low);
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

  /** What each feature needs (symbolFeatureRequirements for this instance's settings). */
  requirements(): readonly FeatureRequirement[] {
    this.reqs ??= symbolFeatureRequirements(
      this.config,
      this.atrTf.timeframe,
      this.effective.base,
      this.trailTimeframes,
    );
    return this.reqs;
  }

  private reqs: FeatureRequirement[] | null = null;

  /**
   * Which features have no value yet, and how many closed bars of their timeframe they have against
   * what they need. Counts closed bars (directly fed or aggregated) of each timeframe; the session
   * VWAP and the previous day are judged by the time their bars cover. Allocates: not for the hot path.
   */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  readiness(): FeatureReadiness {
    const missing: FeatureGap[] = [];
    const newest = this.barsSeen > 0 ? this.lastBarTime + this.baseMs : Number.NaN;
    for (const r of this.requirements()) {
      const s = this.tfs.find((x) => x.timeframe === r.timeframe);
      const tfMs = TIMEFRAME_MS[r.timeframe];
      let have = s?.closedBars ?? 0;
      let needed = r.barsNeeded;
      if (r.feature === 'vwap') {
        // Ready when the features bars reach back to the start of the newest bar's session.
        const start = Number.isFinite(newest)
          ? this.vwap.sessionOf(newest - 1) * DAY_MS + this.vwap.anchorHourUtc * 3_600_000
          : Number.NaN;
        needed = Number.isFinite(start) ? Math.max(1, Math.ceil((newest - start) / tfMs)) : 1;
        have =
          Number.isFinite(this.featuresFrom) && Number.isFinite(newest)
            ? Math.max(0, Math.floor((newest - this.featuresFrom) / tfMs))
            : 0;
        if (!(this.featuresFrom <= start))
          missing.push({
            feature: r.feature,
            timeframe: r.timeframe,
            barsNeeded: needed,
            barsHave: Math.min(have, needed - 1),
          });
        continue;
      }
      if (r.feature === 'pdh/pdl') {
        const end = Number.isFinite(newest) ? newest : this.day.end;
        have =
          Number.isFinite(this.day.from) && Number.isFinite(end)
            ? Math.max(0, Math.floor((end - this.day.from) / tfMs))
            : 0;
        const known = !Number.isNaN(this.day.pdh);
        if (!known)
          missing.push({
            feature: r.feature,
            timeframe: r.timeframe,
            barsNeeded: Math.max(needed, have + 1),
            barsHave: have,
          });
        continue;
      }
      if (have < needed)
        missing.push({ feature: r.feature, timeframe: r.timeframe, barsNeeded: needed, barsHave: have });
    }
    return { featuresReady: missing.length === 0, missing };
  }

  /**
   * Writes the ATR(14) of each timeframe into `out` (indexed as TIMEFRAMES; NaN where none is kept or
   * it is not ready yet). Closed bars only, as `atr`. Allocates nothing.
   */
  atrsInto(out: Float64Array): void {
    const a = this.atrByTf;
    for (let i = 0; i < a.length; i++) out[i] = a[i]?.value ?? NaN;
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
    const day = this.day;
    if (newestDay !== day.day && day.counts()) {
      out.pdh = day.high;
      out.pdl = day.low;
    } else {
      out.pdh = day.pdh;
      out.pdl = day.pdl;
    }

    out.equalHighsAbove = atrOk ? this.swings.equalHighsAbove(price, EQUAL_LEVEL_ATR * atr) : 0;
    out.equalLowsBelow = atrOk ? this.swings.equalLowsBelow(price, EQUAL_LEVEL_ATR * atr) : 0;
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
