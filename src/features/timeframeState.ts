// One timeframe of a symbol's features: the aggregator that builds its bars from the base bars, and
// whichever indicators read it (ATR, EMA200, MACD, ADX, volume profile), folded at each closed bar.
// On an MTF timeframe (M5, M15, H1) each closed bar also scores the trend: up when two of close above
// EMA200, MACD histogram above 0 and ADX above 25 agree (down alike).
import type { Bar, Timeframe } from '../domain/types.ts';
import { BarAggregator } from './barAggregator.ts';
import type { Adx, Ema, Macd, WilderAtr } from './indicators.ts';
import type { VolumeProfile } from './volumeProfile.ts';

/** ADX above this counts as a trend in the MTF score. */
const MTF_ADX_TREND = 25;

/** Per-timeframe state: the aggregator and whichever indicators this timeframe feeds. */
export class TimeframeState {
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
  /** Closed bars of this timeframe folded in so far (directly fed or aggregated): the readiness count. */
  closedBars = 0;
  /** End of the last directly-fed bar (warmUp): base bars before it are already in a fed bar. */
  directUntil = Number.NEGATIVE_INFINITY;

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
    this.closedBars = 0;
    this.directUntil = Number.NEGATIVE_INFINITY;
  }

  /** A closed bar of this timeframe into its indicators, then (MTF) its trend score. */
  fold(b: Readonly<Bar>): void {
    const c = b.close;
    this.closedBars++;
    this.atr?.update(b.high, b.low, c);
    this.ema200?.update(c);
    this.adx?.update(b.high, b.low, c);
    this.macd?.update(c);
    this.vp?.update(b);
    if (this.isMtf) {
      const ema = this.ema200!;
      const macd = this.macd!;
      const adx = this.adx!;
      this.mtfReady = ema.ready && macd.ready && adx.ready;
      if (this.mtfReady) {
        const e = ema.value;
        const h = macd.histogram;
        const trend = adx.value > MTF_ADX_TREND ? 1 : 0;
        this.mtfUp = (c > e ? 1 : 0) + (h > 0 ? 1 : 0) + trend >= 2;
        this.mtfDown = (c < e ? 1 : 0) + (h < 0 ? 1 : 0) + trend >= 2;
      }
    }
  }
}
