// DTMS market regime (session, volatility, structure) and the thresholds it scales, as the Python
// bot's classifier had them, with its defects fixed: the multipliers are looked up with the values
// the classifier actually returns (the original's case mismatches left every one at 1.0), symbols are
// canonical (a broker's `XAUUSDc` gets XAUUSD's base, not the default), and the volume-flip threshold
// is used by the VWAP + volume layer instead of a hard-coded 0.65.
import { bySymbol } from '../domain/symbols.ts';
import { sessionAt } from '../domain/sessions.ts';

export type DtmsSession = 'ASIAN' | 'LONDON' | 'OVERLAP' | 'NY';
export type DtmsVolatility = 'LOW' | 'NORMAL' | 'HIGH';
export type DtmsStructure = 'RANGE' | 'TREND';

export interface DtmsRegime {
  session: DtmsSession;
  volatility: DtmsVolatility;
  structure: DtmsStructure;
}

export interface RegimeParams {
  /** ATR ratio (current / its average) below which volatility is LOW, and above which it is HIGH. */
  lowVolatilityRatio: number;
  highVolatilityRatio: number;
  /** Bollinger(20, 2) width / middle below which the market is a RANGE. */
  rangeBollingerWidth: number;
  /** VWAP slope threshold base (relative change per M15 bar), by canonical symbol with DEFAULT. */
  vwapSlopeBase: Readonly<Record<string, number>>;
  sessionMultiplier: Readonly<Record<DtmsSession, number>>;
  volatilityMultiplier: Readonly<Record<DtmsVolatility, number>>;
  structureMultiplier: Readonly<Record<DtmsStructure, number>>;
  /** RSI level of the momentum layer (the original's 45, 40 in low volatility). */
  rsiThreshold: number;
  rsiThresholdLowVolatility: number;
  /** Opposite-side share of volume that counts as a volume flip (0.65; 0.72 in low volatility). */
  volumeFlipShare: number;
  volumeFlipShareLowVolatility: number;
}

/** The original's values (dtms_config / DTMSRegimeClassifier). */
export const DEFAULT_REGIME_PARAMS: RegimeParams = {
  lowVolatilityRatio: 0.7,
  highVolatilityRatio: 1.3,
  rangeBollingerWidth: 0.004,
  vwapSlopeBase: {
    DEFAULT: 0.001,
    XAUUSD: 0.001,
    BTCUSD: 0.002,
    EURUSD: 0.0005,
    GBPUSD: 0.0005,
    USDJPY: 0.0007,
    GBPJPY: 0.0007,
    EURJPY: 0.0007,
  },
  sessionMultiplier: { ASIAN: 1.5, LONDON: 1.0, NY: 0.8, OVERLAP: 0.7 },
  volatilityMultiplier: { LOW: 1.4, NORMAL: 1.0, HIGH: 0.8 },
  structureMultiplier: { RANGE: 1.3, TREND: 1.0 },
  rsiThreshold: 45,
  rsiThresholdLowVolatility: 40,
  volumeFlipShare: 0.65,
  volumeFlipShareLowVolatility: 0.72,
};

/**
 * The DTMS session of a time: the exit plan's sessions, except that 21:00-24:00 UTC counts as ASIAN
 * (the original has no post-New-York session).
 */
export function dtmsSessionAt(timeMs: number): DtmsSession {
  const s = sessionAt(timeMs);
  return s === 'POST_NY' ? 'ASIAN' : s;
}

/**
 * Regime from the engine's clock and two M15 measures. Missing data (NaN) classifies as the
 * original's fallback: NORMAL volatility, TREND structure.
 */
export function classifyRegime(
  timeMs: number,
  atrRatio: number,
  bollingerWidth: number,
  p: RegimeParams = DEFAULT_REGIME_PARAMS,
): DtmsRegime {
  const volatility: DtmsVolatility =
    atrRatio < p.lowVolatilityRatio ? 'LOW' : atrRatio > p.highVolatilityRatio ? 'HIGH' : 'NORMAL';
  const structure: DtmsStructure = bollingerWidth < p.rangeBollingerWidth ? 'RANGE' : 'TREND';
  return { session: dtmsSessionAt(timeMs), volatility, structure };
}

/** Thresholds the layers use in this regime. */
export interface DtmsThresholds {
  /** |VWAP slope| at or above which the VWAP has flipped (with two crosses). */
  vwapSlope: number;
  rsi: number;
  volumeFlipShare: number;
}

/** vwapSlope = base(symbol) x session x volatility x structure, clamped to 0.5..1.8 x base. */
export function adaptiveThresholds(
  canonical: string,
  regime: DtmsRegime,
  p: RegimeParams = DEFAULT_REGIME_PARAMS,
): DtmsThresholds {
  const base = bySymbol(p.vwapSlopeBase, canonical);
  const raw =
    base *
    p.sessionMultiplier[regime.session] *
    p.volatilityMultiplier[regime.volatility] *
    p.structureMultiplier[regime.structure];
  const low = regime.volatility === 'LOW';
  return {
    vwapSlope: Math.min(1.8 * base, Math.max(0.5 * base, raw)),
    rsi: low ? p.rsiThresholdLowVolatility : p.rsiThreshold,
    volumeFlipShare: low ? p.volumeFlipShareLowVolatility : p.volumeFlipShare,
  };
}
