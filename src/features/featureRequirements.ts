// What the symbol's market features are made of, and so what history they need: the indicator periods
// and windows, the timeframes each feature is read on for a given base timeframe, and per feature and
// timeframe the closed bars it needs before it has a value (symbolFeatureRequirements).
import { TIMEFRAME_MS, type Timeframe } from '../domain/types.ts';
import type { FeaturesConfig } from '../config/schema.ts';
import { convergenceBars, type FeatureRequirement } from './warmUp.ts';

export const DAY_MS = 86_400_000;
export const ATR_PERIOD = 14;
/** EMA slopes compare the EMA now with this many closed features bars ago. */
export const SLOPE_BARS = 20;
export const SQUEEZE_WINDOW = 100;
/** Swing highs/lows: a bar whose high (low) is the extreme of this many bars on each side. */
export const SWING_SIDE = 5;
export const SWING_SPAN = 2 * SWING_SIDE + 1;
export const MTF_TIMEFRAMES: readonly Timeframe[] = ['M5', 'M15', 'H1'];
export const EMA_LONG = 200;
export const EMA_SHORT = 50;
export const RSI_PERIOD = 14;
export const ADX_PERIOD = 14;
export const BOLL_PERIOD = 20;
export const MACD_FAST = 12;
export const MACD_SLOW = 26;
export const MACD_SIGNAL = 9;

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

/**
 * What each market feature needs, per timeframe (see warmUp.ts for barsNeeded and barsWanted), for a
 * SymbolFeatures made with the same arguments. Read from the definitions above: the indicators' own
 * `ready` rules, the slope and squeeze windows, and the exponential averages' convergence.
 */
export function symbolFeatureRequirements(
  config: FeaturesConfig,
  atrTimeframe: Timeframe = 'M15',
  baseTimeframe: Timeframe = 'M1',
  trailTimeframes: readonly Timeframe[] = [],
): FeatureRequirement[] {
  const base = baseTimeframe;
  const features = effectiveTimeframe(config.timeframe, base);
  const wilder = convergenceBars(1 / ATR_PERIOD);
  const ema200 = convergenceBars(2 / (EMA_LONG + 1));
  const ema50 = convergenceBars(2 / (EMA_SHORT + 1));
  const req = (
    feature: string,
    timeframe: Timeframe,
    barsNeeded: number,
    barsWanted = barsNeeded,
  ): FeatureRequirement => ({ feature, timeframe, barsNeeded, barsWanted: Math.max(barsNeeded, barsWanted) });
  const out: FeatureRequirement[] = [
    // WilderAtr is ready after `period` bars and then forgets its seed mean at 1/period per bar.
    req('atr', effectiveTimeframe(atrTimeframe, base), ATR_PERIOD, ATR_PERIOD + wilder),
    req('atrH1', effectiveTimeframe('H1', base), ATR_PERIOD, ATR_PERIOD + wilder),
    req('ema200/rmag', features, EMA_LONG, EMA_LONG + ema200),
    // A slope compares the EMA now with SLOPE_BARS closed bars ago: both must exist.
    req('ema200 slope', features, EMA_LONG + SLOPE_BARS, EMA_LONG + ema200 + SLOPE_BARS),
    req('ema50 slope', features, EMA_SHORT + SLOPE_BARS, EMA_SHORT + ema50 + SLOPE_BARS),
    // Rsi is ready after period + 1 closes (the first only sets the previous close); Adx after 2 x period.
    req('rsi', features, RSI_PERIOD + 1, RSI_PERIOD + 1 + wilder),
    req('adx', features, 2 * ADX_PERIOD, 2 * ADX_PERIOD + wilder),
    // The squeeze ranks the last SQUEEZE_WINDOW widths; the first width needs BOLL_PERIOD closes.
    req('bollinger/squeeze', features, BOLL_PERIOD + SQUEEZE_WINDOW - 1),
    req('swings', features, SWING_SPAN),
    // The session VWAP from its anchor: at most a day of bars.
    req('vwap', features, Math.ceil(DAY_MS / TIMEFRAME_MS[features])),
    req('volume profile/hvn', effectiveTimeframe(config.volumeProfileTimeframe, base), config.volumeProfileBars),
    // A full previous day plus today so far: two days of H1 bars at most.
    req(
      'pdh/pdl',
      effectiveTimeframe('H1', base),
      Math.ceil((2 * DAY_MS) / TIMEFRAME_MS[effectiveTimeframe('H1', base)]),
    ),
  ];
  for (const tf of MTF_TIMEFRAMES) {
    if (TIMEFRAME_MS[tf] < TIMEFRAME_MS[base]) continue;
    // EMA200, MACD(12, 26, 9) and ADX(14) of that timeframe must all be ready.
    out.push(req(`mtf ${tf}`, tf, Math.max(EMA_LONG, MACD_SLOW + MACD_SIGNAL - 1, 2 * ADX_PERIOD), EMA_LONG + ema200));
  }
  const own = [effectiveTimeframe(atrTimeframe, base), effectiveTimeframe('H1', base)];
  for (const tf of trailTimeframes) {
    const e = effectiveTimeframe(tf, base);
    if (own.includes(e)) continue;
    own.push(e);
    out.push(req(`trail atr ${e}`, e, ATR_PERIOD, ATR_PERIOD + wilder));
  }
  return out;
}
