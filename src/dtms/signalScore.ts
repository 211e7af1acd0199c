// DTMS signal score: six layers (structure, VWAP + volume, momentum, delta pressure, EMA alignment,
// candle conviction) scored relative to the trade's direction, then weighted by regime. Pure: a
// `DtmsSignals` view in (numbers; NaN = no data), a caller-owned `DtmsScore` out, nothing allocated.
// The original's defects fixed here:
// - structure: breaks are measured against swings and ranges of the bars BEFORE the current one (the
//   original's windows included the tested bar, so no break could ever happen: always 0);
// - the regime multipliers apply (RANGE, HIGH volatility, ASIAN), not only the Asian one;
// - volume pressure uses the regime's flip share and its -1 adds a warning;
// - candle conviction can be positive (a conviction bar in the trade's favour), not -1 either way;
// - a layer without data scores 0 and says so (`known` false), instead of looking like "neutral".
import type { Side } from '../domain/types.ts';
import type { DtmsRegime, DtmsThresholds } from './regime.ts';

/** What the scorer reads: the DTMS features of the symbol at a deep check, plus the trade's own VWAP crosses. */
export interface DtmsSignals {
  /** Latest price (the current M15 close, or the newest price inside it). */
  price: number;
  /** M15 structure, from bars before the current one: the last confirmed swing high / low (pivots). */
  swingHigh: number;
  swingLow: number;
  /** Highest high / lowest low of the 15 M15 bars before the current one (change of character). */
  priorHigh: number;
  priorLow: number;
  /** Session VWAP, and the original's "VWAP slope": the relative change of the M5 typical price over two bars. */
  vwap: number;
  vwapSlope: number;
  /** The trade's count of closes on the wrong side of VWAP (state kept per trade, before this check). */
  vwapCrosses: number;
  /** Order flow, when given: buy and sell volume of the recent window, and net delta as a z-score. */
  buyVolume: number;
  sellVolume: number;
  deltaZ: number;
  /** M15 RSI(14) now and two bars ago. */
  rsi: number;
  rsiTwoBarsAgo: number;
  /** M15 MACD(12, 26, 9) histogram: the last three closed bars, oldest first. */
  macdHist3: number;
  macdHist2: number;
  macdHist1: number;
  /** M15 EMA50 / EMA200 slopes: (EMA now - EMA 9 bars ago) / EMA 9 bars ago. */
  ema50Slope: number;
  ema200Slope: number;
  /** The last M5 bar. */
  m5Open: number;
  m5High: number;
  m5Low: number;
  m5Close: number;
}

export function emptyDtmsSignals(): DtmsSignals {
  return {
    price: NaN,
    swingHigh: NaN,
    swingLow: NaN,
    priorHigh: NaN,
    priorLow: NaN,
    vwap: NaN,
    vwapSlope: NaN,
    vwapCrosses: 0,
    buyVolume: NaN,
    sellVolume: NaN,
    deltaZ: NaN,
    rsi: NaN,
    rsiTwoBarsAgo: NaN,
    macdHist3: NaN,
    macdHist2: NaN,
    macdHist1: NaN,
    ema50Slope: NaN,
    ema200Slope: NaN,
    m5Open: NaN,
    m5High: NaN,
    m5Low: NaN,
    m5Close: NaN,
  };
}

export const DTMS_LAYERS = [
  'structure',
  'vwapVolume',
  'momentum',
  'emaAlignment',
  'deltaPressure',
  'candleConviction',
] as const;
export type DtmsLayer = (typeof DTMS_LAYERS)[number];

export interface DtmsScoreParams {
  /** Base weights (the original: 3, 2, 2, 1.5, 1, 1). */
  weights: Readonly<Record<DtmsLayer, number>>;
  /** Multipliers by regime: applied when structure is RANGE, when volatility is HIGH, in the ASIAN session. */
  rangeMultipliers: Readonly<Record<DtmsLayer, number>>;
  highVolatilityMultipliers: Readonly<Record<DtmsLayer, number>>;
  asianMultipliers: Readonly<Record<DtmsLayer, number>>;
  /** Break buffer of a swing (BOS): 0.03%. */
  bosBuffer: number;
  /** Break buffer of the prior range (CHOCH): 0.25%. */
  chochBuffer: number;
  /** Body / range of a conviction bar: 0.65. */
  convictionBodyShare: number;
  /** |delta z| above which order flow counts: 0.5. */
  deltaZThreshold: number;
  /** Share of the stronger side for "high confluence": 0.7. */
  confluenceShare: number;
}

export const DEFAULT_SCORE_PARAMS: DtmsScoreParams = {
  weights: { structure: 3, vwapVolume: 2, momentum: 2, emaAlignment: 1.5, deltaPressure: 1, candleConviction: 1 },
  rangeMultipliers: {
    structure: 0.7,
    vwapVolume: 1.3,
    momentum: 1.0,
    emaAlignment: 0.8,
    deltaPressure: 1.2,
    candleConviction: 1.1,
  },
  highVolatilityMultipliers: {
    structure: 1.2,
    vwapVolume: 0.9,
    momentum: 0.8,
    emaAlignment: 1.0,
    deltaPressure: 1.1,
    candleConviction: 0.9,
  },
  asianMultipliers: {
    structure: 0.8,
    vwapVolume: 0.8,
    momentum: 0.8,
    emaAlignment: 0.8,
    deltaPressure: 0.8,
    candleConviction: 0.8,
  },
  bosBuffer: 0.0003,
  chochBuffer: 0.0025,
  convictionBodyShare: 0.65,
  deltaZThreshold: 0.5,
  confluenceShare: 0.7,
};

export type DtmsConfluence = 'FAVOURABLE' | 'ADVERSE' | 'MIXED' | 'NEUTRAL';

/** A score with its breakdown. Layer scores are raw (before weights); `weighted*` after. */
export interface DtmsScore {
  total: number;
  structure: number;
  vwapVolume: number;
  momentum: number;
  emaAlignment: number;
  deltaPressure: number;
  candleConviction: number;
  weightedStructure: number;
  weightedVwapVolume: number;
  weightedMomentum: number;
  weightedEmaAlignment: number;
  weightedDeltaPressure: number;
  weightedCandleConviction: number;
  /** Bit per layer (order of DTMS_LAYERS) that had the data it needs. */
  knownLayers: number;
  /** Layers whose weighted score is against the trade (< 0). */
  adverseLayers: number;
  /** Warning counts of the original: structural, vwap, momentum. */
  structuralWarnings: number;
  vwapWarnings: number;
  momentumWarnings: number;
  /** The VWAP flipped against the trade this check (slope and crosses), and volume flipped against it. */
  vwapFlipAgainst: boolean;
  volumeFlipAgainst: boolean;
  confluence: DtmsConfluence;
  /** Share of the stronger side of the weighted layer scores (0 when all are 0). */
  confluenceRatio: number;
}

export function newDtmsScore(): DtmsScore {
  return {
    total: 0,
    structure: 0,
    vwapVolume: 0,
    momentum: 0,
    emaAlignment: 0,
    deltaPressure: 0,
    candleConviction: 0,
    weightedStructure: 0,
    weightedVwapVolume: 0,
    weightedMomentum: 0,
    weightedEmaAlignment: 0,
    weightedDeltaPressure: 0,
    weightedCandleConviction: 0,
    knownLayers: 0,
    adverseLayers: 0,
    structuralWarnings: 0,
    vwapWarnings: 0,
    momentumWarnings: 0,
    vwapFlipAgainst: false,
    volumeFlipAgainst: false,
    confluence: 'NEUTRAL',
    confluenceRatio: 0,
  };
}

export const LAYER_BIT: Readonly<Record<DtmsLayer, number>> = {
  structure: 1,
  vwapVolume: 2,
  momentum: 4,
  emaAlignment: 8,
  deltaPressure: 16,
  candleConviction: 32,
};

const known = (x: number): boolean => !Number.isNaN(x);

/**
 * Structure: a break of the last swing by the BOS buffer in the trade's direction +3, against it -3;
 * a close beyond the prior 15-bar range against the trade (change of character) -3. Range -6..+3.
 */
function structureLayer(side: Side, s: DtmsSignals, p: DtmsScoreParams, out: DtmsScore): void {
  const buy = side === 'buy';
  const px = s.price;
  let score = 0;
  let bos = 0;
  const haveSwings = known(px) && known(s.swingHigh) && known(s.swingLow);
  if (haveSwings) {
    // Both at once (a swing low above the swing high, after a gap) cancel out: neither side is favoured.
    const up = px > s.swingHigh * (1 + p.bosBuffer) ? 3 : 0;
    const down = px < s.swingLow * (1 - p.bosBuffer) ? 3 : 0;
    bos = buy ? up - down : down - up;
  }
  let choch = 0;
  const haveRange = known(px) && known(s.priorHigh) && known(s.priorLow);
  if (haveRange) {
    if (buy ? px < s.priorLow * (1 - p.chochBuffer) : px > s.priorHigh * (1 + p.chochBuffer)) choch = -3;
  }
  score = bos + choch;
  out.structure = score;
  if (haveSwings || haveRange) out.knownLayers |= LAYER_BIT.structure;
  out.structuralWarnings = (bos < 0 ? 1 : 0) + (choch < 0 ? 1 : 0);
}

/**
 * VWAP + volume: a VWAP flip (|slope| >= threshold after two crosses) against the trade -2, with it
 * +1; order flow's opposite share above the flip share -1, above 0.55 -0.5, below 0.35 +1.
 */
function vwapVolumeLayer(side: Side, s: DtmsSignals, t: DtmsThresholds, out: DtmsScore): void {
  const buy = side === 'buy';
  let score = 0;
  let warnings = 0;
  out.vwapFlipAgainst = false;
  out.volumeFlipAgainst = false;
  const haveVwap = known(s.vwapSlope);
  if (haveVwap && Math.abs(s.vwapSlope) >= t.vwapSlope && s.vwapCrosses >= 2) {
    const against = buy ? s.vwapSlope < 0 : s.vwapSlope > 0;
    if (against) {
      score -= 2;
      warnings++;
      out.vwapFlipAgainst = true;
    } else {
      score += 1;
    }
  }
  const total = s.buyVolume + s.sellVolume;
  const haveFlow = total > 0; // false for NaN
  if (haveFlow) {
    const opposite = (buy ? s.sellVolume : s.buyVolume) / total;
    if (opposite > t.volumeFlipShare) {
      score -= 1;
      warnings++;
      out.volumeFlipAgainst = true;
    } else if (opposite > 0.55) {
      score -= 0.5;
    } else if (opposite < 0.35) {
      score += 1;
    }
  }
  out.vwapVolume = score;
  if (haveVwap || haveFlow) out.knownLayers |= LAYER_BIT.vwapVolume;
  out.vwapWarnings = warnings;
}

/** Momentum: RSI level and its 2-bar trend (-2..+1), plus a 2-step MACD histogram run (-1..+1). */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
function momentumLayer(side: Side, s: DtmsSignals, t: DtmsThresholds, out: DtmsScore): void {
  const buy = side === 'buy';
  let rsiScore = 0;
  const haveRsi = known(s.rsi) && known(s.rsiTwoBarsAgo);
  if (haveRsi) {
    const trend = s.rsi - s.rsiTwoBarsAgo;
    const th = t.rsi;
    if (buy) {
      if (s.rsi < th && trend < 0) rsiScore = -2;
      else if (s.rsi > 70 && trend > 0) rsiScore = -1;
      else if (s.rsi > 50 && trend > 0) rsiScore = 1;
    } else {
      if (s.rsi > 100 - th && trend > 0) rsiScore = -2;
      else if (s.rsi < 30 && trend < 0) rsiScore = -1;
      else if (s.rsi < 50 && trend < 0) rsiScore = 1;
    }
  }
  let macdScore = 0;
  const haveMacd = known(s.macdHist1) && known(s.macdHist2) && known(s.macdHist3);
  if (haveMacd) {
    const falling = s.macdHist1 < s.macdHist2 && s.macdHist2 < s.macdHist3;
    const rising = s.macdHist1 > s.macdHist2 && s.macdHist2 > s.macdHist3;
    if (falling) macdScore = buy ? -1 : 1;
    else if (rising) macdScore = buy ? 1 : -1;
  }
  out.momentum = rsiScore + macdScore;
  if (haveRsi || haveMacd) out.knownLayers |= LAYER_BIT.momentum;
  out.momentumWarnings = (rsiScore < -1 ? 1 : 0) + (macdScore < -0.5 ? 1 : 0);
}

/** EMA alignment: EMA50 and EMA200 sloping apart -1.5; EMA50 against the trade -1; both with it +1. */
function emaAlignmentLayer(side: Side, s: DtmsSignals, out: DtmsScore): void {
  const a = s.ema50Slope;
  const b = s.ema200Slope;
  if (!known(a) || !known(b)) {
    out.emaAlignment = 0;
    return;
  }
  out.knownLayers |= LAYER_BIT.emaAlignment;
  let score = 0;
  if (a * b < 0) score = -1.5;
  else if (side === 'buy') score = a < 0 ? -1 : a > 0 && b > 0 ? 1 : 0;
  else score = a > 0 ? -1 : a < 0 && b < 0 ? 1 : 0;
  out.emaAlignment = score;
}

/** Order-flow delta: |z| beyond the threshold against the trade -1, with it +1. */
function deltaPressureLayer(side: Side, s: DtmsSignals, p: DtmsScoreParams, out: DtmsScore): void {
  const z = s.deltaZ;
  if (!known(z)) {
    out.deltaPressure = 0;
    return;
  }
  out.knownLayers |= LAYER_BIT.deltaPressure;
  let score = 0;
  if (Math.abs(z) > p.deltaZThreshold) {
    const against = side === 'buy' ? z < 0 : z > 0;
    score = against ? -1 : 1;
  }
  out.deltaPressure = score;
}

/**
 * Candle conviction (last M5 bar, body >= 65% of its range): against the trade and closing through
 * VWAP -2, against the trade -1, with the trade +1.
 */
function candleConvictionLayer(side: Side, s: DtmsSignals, p: DtmsScoreParams, out: DtmsScore): void {
  const o = s.m5Open;
  const c = s.m5Close;
  const range = s.m5High - s.m5Low;
  if (!known(o) || !known(c) || !known(range)) {
    out.candleConviction = 0;
    return;
  }
  out.knownLayers |= LAYER_BIT.candleConviction;
  let score = 0;
  if (range > 0 && Math.abs(c - o) / range >= p.convictionBodyShare && c !== o) {
    const buy = side === 'buy';
    const against = buy ? c < o : c > o;
    if (!against) score = 1;
    else {
      const v = s.vwap;
      const throughVwap = known(v) && (buy ? c < v && v < o : c > v && v > o);
      score = throughVwap ? -2 : -1;
    }
  }
  out.candleConviction = score;
}

/** A layer's weight in this regime: base x RANGE x HIGH volatility x ASIAN multipliers, as they apply. */
export function weightOf(p: DtmsScoreParams, layer: DtmsLayer, range: boolean, high: boolean, asian: boolean): number {
  return (
    p.weights[layer] *
    (range ? p.rangeMultipliers[layer] : 1) *
    (high ? p.highVolatilityMultipliers[layer] : 1) *
    (asian ? p.asianMultipliers[layer] : 1)
  );
}

/** Scores every layer for a position of `side`, weights them for the regime and fills `out`. */
export function scoreDtmsSignals(
  side: Side,
  s: DtmsSignals,
  regime: DtmsRegime,
  t: DtmsThresholds,
  out: DtmsScore,
  p: DtmsScoreParams = DEFAULT_SCORE_PARAMS,
): DtmsScore {
  out.knownLayers = 0;
  structureLayer(side, s, p, out);
  vwapVolumeLayer(side, s, t, out);
  momentumLayer(side, s, t, out);
  emaAlignmentLayer(side, s, out);
  deltaPressureLayer(side, s, p, out);
  candleConvictionLayer(side, s, p, out);

  const range = regime.structure === 'RANGE';
  const high = regime.volatility === 'HIGH';
  const asian = regime.session === 'ASIAN';
  out.weightedStructure = out.structure * weightOf(p, 'structure', range, high, asian);
  out.weightedVwapVolume = out.vwapVolume * weightOf(p, 'vwapVolume', range, high, asian);
  out.weightedMomentum = out.momentum * weightOf(p, 'momentum', range, high, asian);
  out.weightedEmaAlignment = out.emaAlignment * weightOf(p, 'emaAlignment', range, high, asian);
  out.weightedDeltaPressure = out.deltaPressure * weightOf(p, 'deltaPressure', range, high, asian);
  out.weightedCandleConviction = out.candleConviction * weightOf(p, 'candleConviction', range, high, asian);

  const favourable =
    Math.max(0, out.weightedStructure) +
    Math.max(0, out.weightedVwapVolume) +
    Math.max(0, out.weightedMomentum) +
    Math.max(0, out.weightedEmaAlignment) +
    Math.max(0, out.weightedDeltaPressure) +
    Math.max(0, out.weightedCandleConviction);
  const adverse =
    Math.max(0, -out.weightedStructure) +
    Math.max(0, -out.weightedVwapVolume) +
    Math.max(0, -out.weightedMomentum) +
    Math.max(0, -out.weightedEmaAlignment) +
    Math.max(0, -out.weightedDeltaPressure) +
    Math.max(0, -out.weightedCandleConviction);
  out.total = favourable - adverse;
  out.adverseLayers =
    (out.weightedStructure < 0 ? 1 : 0) +
    (out.weightedVwapVolume < 0 ? 1 : 0) +
    (out.weightedMomentum < 0 ? 1 : 0) +
    (out.weightedEmaAlignment < 0 ? 1 : 0) +
    (out.weightedDeltaPressure < 0 ? 1 : 0) +
    (out.weightedCandleConviction < 0 ? 1 : 0);
  if (favourable + adverse === 0) {
    out.confluence = 'NEUTRAL';
    out.confluenceRatio = 0;
  } else {
    const ratio = Math.max(favourable, adverse) / (favourable + adverse);
    out.confluenceRatio = ratio;
    out.confluence = ratio >= p.confluenceShare ? (favourable > adverse ? 'FAVOURABLE' : 'ADVERSE') : 'MIXED';
  }
  return out;
}

/** The layers without data, by name (for the breakdown a trader reads). */
export function missingLayers(score: DtmsScore): DtmsLayer[] {
  return DTMS_LAYERS.filter((l) => (score.knownLayers & LAYER_BIT[l]) === 0);
}
