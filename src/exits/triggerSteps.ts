// Which advanced trigger rules moved a plan's triggers from their base, and by how much, in words: the
// answer a trader gets when a new base comes back as another effective value.
//
// The rules are applied one after the other (advancedTriggers), each from the values the earlier ones
// left, and a later rule may undo an earlier one (a squeeze lowers the partial, MTF alignment raises it
// again). So the steps are found by running the same pure function with the rules switched on one
// more at a time, in their order: the values after rule k are exactly the values the full run holds
// after rule k, and the last step ends at the full run's result.
import type { Side } from '../domain/types.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import {
  advancedTriggers,
  TRIGGER_FACTORS,
  type TriggerFactor,
  type TriggerParams,
  type TriggerResult,
} from './advancedTriggers.ts';

/** One rule that changed a trigger: from the value before it to the value after it, %. */
export interface TriggerStep {
  factor: TriggerFactor;
  from: number;
  to: number;
  /** The rule fired because its data was missing (only where a rule without data does not pass). */
  noData: boolean;
}

export interface TriggerSteps {
  /** The triggers the rules leave (advancedTriggers' result), %. */
  breakevenPct: number;
  partialPct: number;
  breakeven: TriggerStep[];
  partial: TriggerStep[];
}

const ORDER = Object.entries(TRIGGER_FACTORS) as [TriggerFactor, number][];

/** Pure: the advanced rules' steps from the base triggers to their result, per trigger. */
export function triggerSteps(
  side: Side,
  f: MarketFeatures,
  baseBreakevenPct: number,
  basePartialPct: number,
  p: TriggerParams,
): TriggerSteps {
  const scratch: TriggerResult = { breakevenPct: NaN, partialPct: NaN, factors: 0 };
  let on = 0;
  let prev = advancedTriggers(side, f, baseBreakevenPct, basePartialPct, { ...p, enabled: 0 }, scratch);
  let be = prev.breakevenPct;
  let pa = prev.partialPct;
  const out: TriggerSteps = { breakevenPct: be, partialPct: pa, breakeven: [], partial: [] };
  for (const [factor, bit] of ORDER) {
    if ((p.enabled & bit) === 0) continue;
    on |= bit;
    prev = advancedTriggers(side, f, baseBreakevenPct, basePartialPct, { ...p, enabled: on }, scratch);
    const noData = ((prev.noData ?? 0) & bit) !== 0;
    if (prev.breakevenPct !== be) out.breakeven.push({ factor, from: be, to: prev.breakevenPct, noData });
    if (prev.partialPct !== pa) out.partial.push({ factor, from: pa, to: prev.partialPct, noData });
    be = prev.breakevenPct;
    pa = prev.partialPct;
  }
  out.breakevenPct = be;
  out.partialPct = pa;
  return out;
}

const num = (x: number, d = 2): string => (Number.isFinite(x) ? String(Number(x.toFixed(d))) : 'n/a');
const signed = (x: number): string => (Number.isFinite(x) && x > 0 ? `+${num(x)}` : num(x));

/** What a rule saw, in the trade's direction, as a trader reads it. */
export function describeFactor(factor: TriggerFactor, side: Side, f: MarketFeatures, p: TriggerParams): string {
  const s = side === 'buy' ? 1 : -1;
  switch (factor) {
    case 'rmag_stretched':
      return `RMAG stretched in the trade's favour (price ${signed(s * f.ema200Atr)} ATR from EMA200 against the threshold ${num(p.rmagThreshold)}, ${signed(s * f.vwapAtr)} ATR from VWAP against ${num(p.vwapFactor * p.rmagThreshold)})`;
    case 'quality_trend':
      return `a quality trend in the trade's direction (EMA50 slope ${signed(s * f.ema50Slope)}, EMA200 slope ${signed(s * f.ema200Slope)})`;
    case 'squeeze':
      return 'a volatility squeeze (Bollinger width in its lowest 20% of the last 100 bars)';
    case 'fake_momentum': {
      const rsi = s === 1 ? f.rsi : 100 - f.rsi;
      return `fake momentum (RSI ${num(rsi, 1)} in the trade's direction on ADX ${num(f.adx, 1)})`;
    }
    case 'mtf_aligned':
      return `timeframes aligned with the trend (${num(s === 1 ? f.mtfUp : f.mtfDown, 0)} of M5, M15, H1)`;
    case 'liquidity_risk':
      return s === 1
        ? "liquidity in the trade's path (the previous day's high or equal highs within 0.5 ATR above)"
        : "liquidity in the trade's path (the previous day's low or equal lows within 0.5 ATR below)";
    case 'vwap_outer':
      return `price in the VWAP's outer zone on the trade's side (${signed(s * f.vwapAtr)} ATR)`;
  }
}

const NAMES: Readonly<Record<TriggerFactor, string>> = {
  rmag_stretched: 'RMAG stretch',
  quality_trend: 'quality trend',
  squeeze: 'volatility squeeze',
  fake_momentum: 'fake momentum',
  mtf_aligned: 'MTF alignment',
  liquidity_risk: 'liquidity risk',
  vwap_outer: 'VWAP outer zone',
};

/**
 * The rules that moved one trigger, in words ("the advanced triggers: a volatility squeeze, 30% -> 25%"),
 * or null when none did.
 */
export function adjustmentWords(
  steps: readonly TriggerStep[],
  side: Side,
  f: MarketFeatures,
  p: TriggerParams,
): string | null {
  if (steps.length === 0) return null;
  const parts = steps.map(
    (st) =>
      `${st.noData ? `${NAMES[st.factor]} (no data for it yet: taken as the risk it guards against)` : describeFactor(st.factor, side, f, p)}, ${num(st.from, 1)}% -> ${num(st.to, 1)}%`,
  );
  return `the advanced triggers: ${parts.join('; ')}`;
}
