// Advanced trigger adjustments: seven rules applied in this order (order matters: rule 5 can undo
// rule 3) to the trade type's base breakeven % / partial %, reading a typed feature set:
//   1. RMAG stretched: EMA200 distance > T or VWAP distance > 0.9 T, in ATR           -> set to 20 / 40
//      (T per symbol; the 0.9 and the 20 / 40 are config)
//   2. quality trend: EMA50 slope > 0.15, EMA200 slope > 0.05, |EMA200 distance| < 1.5 ATR,
//      not stretched                                                                  -> at least 40 / 70
//   3. volatility squeeze, not stretched                                              -> at most 25 / 50
//   4. fake momentum                                                                  -> at most 20 / 40
//   5. multi-timeframe alignment >= 2 on top of a quality trend                       -> at least 40 / 80
//   6. liquidity risk: previous-day extreme within 0.5 ATR, or equal highs/lows       -> at most 25 / 50
//   7. VWAP outer zone                                                                -> at most 25 / 45
// Every rule reads the trade's direction: the Python bot's rules did not, so a stretch or trend in
// favour of the trade tightened exactly like one against it.
//
// Direction choices (a trader's reading):
// 1. RMAG: "stretched" = price has run far from its mean IN THE TRADE'S FAVOUR (a buy far above
//    EMA200/VWAP, a sell far below): reversion threatens open profit, so exits tighten. A stretch
//    against the trade (a buy bought 5 ATR below EMA200) is a mean-reversion entry that reversion
//    helps, so it does not tighten. So both worked examples hold: BTCUSD (T = 4.0) at -5.0 sigma on a
//    buy does not tighten; XAUUSD (T = 2.0) at -2.5 sigma on a sell does.
// 2/5. Quality trend and MTF alignment count only in the trade's direction (they widen).
// 4. Fake momentum: momentum in the trade's direction (RSI > 50 for a buy, < 50 for a sell) with
//    RSI-in-direction / ADX > 3 and ADX < 20.
// 6. Liquidity risk: a previous-day extreme or equal highs/lows lying in the trade's path
//    (above a buy, below a sell) within 0.5 ATR.
// 7. VWAP outer zone on the trade's favourable side.
//
// Missing data (NaN inputs, a squeeze or VWAP zone of -1): with `noDataPasses` (the default, the
// original's rule, paper and replay) a rule without its data does not fire. Without it (a real
// account), a rule that tightens (1, 3, 4, 6, 7) and lacks an input fires: not knowing whether the
// price is stretched or a squeeze is on is treated as the risk it guards against, and the result says
// which rules had no data (`noData`). A rule that widens (2, 5) never fires without its data.
import type { Side } from '../domain/types.ts';
import { VWAP_ZONE_OUTER, type MarketFeatures } from '../features/snapshot.ts';

export const TRIGGER_FACTORS = {
  rmag_stretched: 1,
  quality_trend: 2,
  squeeze: 4,
  fake_momentum: 8,
  mtf_aligned: 16,
  liquidity_risk: 32,
  vwap_outer: 64,
} as const;
export type TriggerFactor = keyof typeof TRIGGER_FACTORS;

const FACTOR_ENTRIES = Object.entries(TRIGGER_FACTORS) as [TriggerFactor, number][];

/** Every rule on (the default). */
export const ALL_TRIGGERS = FACTOR_ENTRIES.reduce((m, [, bit]) => m | bit, 0);

/** The config's `exits.triggers` switches as a TRIGGER_FACTORS mask. */
export function enabledTriggers(t: {
  rmagStretched: boolean;
  qualityTrend: boolean;
  squeeze: boolean;
  fakeMomentum: boolean;
  mtfAligned: boolean;
  liquidityRisk: boolean;
  vwapOuter: boolean;
}): number {
  return (
    (t.rmagStretched ? TRIGGER_FACTORS.rmag_stretched : 0) |
    (t.qualityTrend ? TRIGGER_FACTORS.quality_trend : 0) |
    (t.squeeze ? TRIGGER_FACTORS.squeeze : 0) |
    (t.fakeMomentum ? TRIGGER_FACTORS.fake_momentum : 0) |
    (t.mtfAligned ? TRIGGER_FACTORS.mtf_aligned : 0) |
    (t.liquidityRisk ? TRIGGER_FACTORS.liquidity_risk : 0) |
    (t.vwapOuter ? TRIGGER_FACTORS.vwap_outer : 0)
  );
}

export function factorNames(mask: number): TriggerFactor[] {
  const out: TriggerFactor[] = [];
  for (const [k, bit] of FACTOR_ENTRIES) if (mask & bit) out.push(k);
  return out;
}

export interface TriggerParams {
  /** Bitmask of TRIGGER_FACTORS switched on in config (a rule that is off never fires). */
  enabled: number;
  rmagThreshold: number;
  vwapFactor: number;
  tightenBreakevenPct: number;
  tightenPartialPct: number;
  mtfMinAligned: number;
  /** A rule without its data does not fire (default true); false: a tightening rule without data fires. */
  noDataPasses?: boolean;
}

export interface TriggerResult {
  breakevenPct: number;
  partialPct: number;
  /** Bitmask of TRIGGER_FACTORS that fired. */
  factors: number;
  /** Bitmask of the tightening rules that fired for want of data (0 while no data passes). */
  noData?: number;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const gt = (x: number, y: number): boolean => x > y; // NaN compares false: missing data never fires a rule

/** Pure: the seven rules applied to the trade-type base percentages. Writes into `out` (no allocation). */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function advancedTriggers(
  side: Side,
  f: MarketFeatures,
  baseBreakevenPct: number,
  basePartialPct: number,
  params: TriggerParams,
  out: TriggerResult,
): TriggerResult {
  const direction = side === 'buy' ? 1 : -1;
  let breakevenPct = baseBreakevenPct;
  let partialPct = basePartialPct;
  let factors = 0;
  const strict = params.noDataPasses === false;
  let noData = 0;

  // 1. RMAG stretched in the trade's favour.
  const enabledRules = params.enabled;
  const rmagNoData = strict && (Number.isNaN(f.ema200Atr) || Number.isNaN(f.vwapAtr));
  const stretched =
    (enabledRules & TRIGGER_FACTORS.rmag_stretched) !== 0 &&
    (rmagNoData ||
      gt(direction * f.ema200Atr, params.rmagThreshold) ||
      gt(direction * f.vwapAtr, params.vwapFactor * params.rmagThreshold));
  if (stretched && rmagNoData) noData |= TRIGGER_FACTORS.rmag_stretched;
  if (stretched) {
    breakevenPct = params.tightenBreakevenPct;
    partialPct = params.tightenPartialPct;
    factors |= TRIGGER_FACTORS.rmag_stretched;
  }
  // 2. Quality trend in the trade's direction, not stretched.
  if (
    (enabledRules & TRIGGER_FACTORS.quality_trend) !== 0 &&
    !stretched &&
    gt(direction * f.ema50Slope, 0.15) &&
    gt(direction * f.ema200Slope, 0.05) &&
    Math.abs(f.ema200Atr) < 1.5
  ) {
    breakevenPct = Math.max(breakevenPct, 40);
    partialPct = Math.max(partialPct, 70);
    factors |= TRIGGER_FACTORS.quality_trend;
  }
  // 3. Volatility squeeze (breakout risk either way), not stretched.
  const squeezeNoData = strict && f.squeeze === -1;
  if ((enabledRules & TRIGGER_FACTORS.squeeze) !== 0 && !stretched && (f.squeeze === 1 || squeezeNoData)) {
    if (squeezeNoData) noData |= TRIGGER_FACTORS.squeeze;
    breakevenPct = Math.min(breakevenPct, 25);
    partialPct = Math.min(partialPct, 50);
    factors |= TRIGGER_FACTORS.squeeze;
  }
  // 4. Fake momentum in the trade's direction.
  const rsiDir = direction === 1 ? f.rsi : 100 - f.rsi;
  const momentumNoData = strict && (Number.isNaN(f.rsi) || Number.isNaN(f.adx));
  if (
    (enabledRules & TRIGGER_FACTORS.fake_momentum) !== 0 &&
    (momentumNoData || (gt(rsiDir, 50) && f.adx < 20 && gt(rsiDir / Math.max(f.adx, 1), 3)))
  ) {
    if (momentumNoData) noData |= TRIGGER_FACTORS.fake_momentum;
    breakevenPct = Math.min(breakevenPct, 20);
    partialPct = Math.min(partialPct, 40);
    factors |= TRIGGER_FACTORS.fake_momentum;
  }
  // 5. Multi-timeframe alignment in the trade's direction, on top of a quality trend.
  const aligned = direction === 1 ? f.mtfUp : f.mtfDown;
  if (
    (enabledRules & TRIGGER_FACTORS.mtf_aligned) !== 0 &&
    aligned >= params.mtfMinAligned &&
    factors & TRIGGER_FACTORS.quality_trend
  ) {
    breakevenPct = Math.max(breakevenPct, 40);
    partialPct = Math.max(partialPct, 80);
    factors |= TRIGGER_FACTORS.mtf_aligned;
  }
  // 6. Liquidity in the trade's path.
  const pathLevelAtr = direction === 1 ? (f.pdh - f.price) / f.atr : (f.price - f.pdl) / f.atr;
  const equalInPath = direction === 1 ? f.equalHighsAbove === 1 : f.equalLowsBelow === 1;
  const liquidityNoData = strict && Number.isNaN(pathLevelAtr);
  if (
    (enabledRules & TRIGGER_FACTORS.liquidity_risk) !== 0 &&
    (liquidityNoData || (pathLevelAtr >= 0 && pathLevelAtr < 0.5) || equalInPath)
  ) {
    if (liquidityNoData) noData |= TRIGGER_FACTORS.liquidity_risk;
    breakevenPct = Math.min(breakevenPct, 25);
    partialPct = Math.min(partialPct, 50);
    factors |= TRIGGER_FACTORS.liquidity_risk;
  }
  // 7. VWAP outer zone on the favourable side.
  const vwapNoData = strict && (f.vwapZone < 0 || Number.isNaN(f.vwapAtr));
  if (
    (enabledRules & TRIGGER_FACTORS.vwap_outer) !== 0 &&
    (vwapNoData || (f.vwapZone === VWAP_ZONE_OUTER && gt(direction * f.vwapAtr, 0)))
  ) {
    if (vwapNoData) noData |= TRIGGER_FACTORS.vwap_outer;
    breakevenPct = Math.min(breakevenPct, 25);
    partialPct = Math.min(partialPct, 45);
    factors |= TRIGGER_FACTORS.vwap_outer;
  }
  out.breakevenPct = round1(breakevenPct);
  out.partialPct = round1(partialPct);
  out.factors = factors;
  out.noData = noData;
  return out;
}
