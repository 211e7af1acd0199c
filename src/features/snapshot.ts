// The typed feature set the exit decisions read. It is side-neutral: values are signed in price terms
// (positive = price above the reference). Decisions turn them into "in the trade's direction" values
// with the position's side sign, so one snapshot per symbol serves every position on it.
//
// NaN means "not available yet" (warm-up, missing timeframe, no volume). Decisions treat NaN explicitly
// and say so in their decision records; they never silently substitute a number.

export const VWAP_ZONE_UNKNOWN = -1;
export const VWAP_ZONE_INSIDE = 0;
export const VWAP_ZONE_MID = 1;
export const VWAP_ZONE_OUTER = 2;
export type VwapZone = -1 | 0 | 1 | 2;
export const VWAP_ZONE_NAMES = ['inside', 'mid', 'outer'] as const;
export const vwapZoneName = (z: VwapZone): string => (z < 0 ? 'unknown' : VWAP_ZONE_NAMES[z as 0 | 1 | 2]);

export interface MarketFeatures {
  /** Close time (epoch ms) of the newest base bar folded in; 0 before the first bar. */
  time: number;
  /** Newest close (bid). */
  price: number;
  /** Newest spread in price units; NaN when the data has none. */
  spread: number;

  /** ATR(14), Wilder, on the symbol's ATR timeframe (default M15), closed bars only. */
  atr: number;
  /** ATR(14), Wilder, on H1, closed bars only (trade-type classifier). */
  atrH1: number;

  /** RMAG: (price - EMA200) / ATR on the features timeframe (M15). */
  ema200Atr: number;
  /** (price - session-anchored VWAP) / ATR. */
  vwapAtr: number;
  /** Zone of |vwapAtr|: inside <= 0.5, mid <= 1.5, outer above; -1 unknown. */
  vwapZone: VwapZone;

  /** EMA50 slope: (EMA50[now] - EMA50[20 bars ago]) / (20 * ATR); features timeframe. */
  ema50Slope: number;
  /** EMA200 slope, same normalisation. */
  ema200Slope: number;

  /** 1 when Bollinger(20, 2) width is below the 20th percentile of the last 100 widths; 0 not; -1 unknown. */
  squeeze: -1 | 0 | 1;

  /** RSI(14) Wilder on the features timeframe. */
  rsi: number;
  /** ADX(14) Wilder on the features timeframe. */
  adx: number;

  /**
   * Multi-timeframe alignment over M5, M15, H1. A timeframe is aligned up when at least two of
   * [close > EMA200, MACD(12,26,9) histogram > 0, ADX > 25] hold; down when at least two of
   * [close < EMA200, histogram < 0, ADX > 25] hold.
   */
  mtfUp: number;
  mtfDown: number;
  /** Number of the three timeframes with enough data to score. */
  mtfAvailable: number;

  /** Distance from price to the nearest high-volume node, in ATR; NaN when unknown. */
  hvnDistAtr: number;

  /** Previous UTC day's high and low (from base bars); NaN before a full day was seen. */
  pdh: number;
  pdl: number;
  /** 1 when two of the recent swing highs above price are within 0.1 ATR of each other (resting liquidity). */
  equalHighsAbove: 0 | 1;
  /** 1 when two of the recent swing lows below price are within 0.1 ATR of each other. */
  equalLowsBelow: 0 | 1;
}

export function emptyMarketFeatures(): MarketFeatures {
  return {
    time: 0,
    price: NaN,
    spread: NaN,
    atr: NaN,
    atrH1: NaN,
    ema200Atr: NaN,
    vwapAtr: NaN,
    vwapZone: VWAP_ZONE_UNKNOWN,
    ema50Slope: NaN,
    ema200Slope: NaN,
    squeeze: -1,
    rsi: NaN,
    adx: NaN,
    mtfUp: 0,
    mtfDown: 0,
    mtfAvailable: 0,
    hvnDistAtr: NaN,
    pdh: NaN,
    pdl: NaN,
    equalHighsAbove: 0,
    equalLowsBelow: 0,
  };
}
