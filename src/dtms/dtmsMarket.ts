// A symbol's market as DTMS reads it: its layers (DtmsFeatures), the recent spreads for the
// spread-spike rail, the last quote, and the regime and signals cached between checks. Built from the
// bars only, so monitors over the same bars can share one (DefensiveMonitor.shareSymbol).
import type { DtmsRegime, DtmsThresholds } from './regime.ts';
import { DtmsFeatures } from './dtmsFeatures.ts';
import { emptyDtmsSignals, type DtmsSignals } from './signalScore.ts';
import { SlidingMedian } from './slidingMedian.ts';
import type { Timeframe } from '../domain/types.ts';

export interface SymbolData {
  features: DtmsFeatures;
  /** Median of the spreads at the last M15 closes, for the spread-spike rail. */
  spreads: SlidingMedian;
  /** m15Closed when the last spread was sampled. */
  spreadM15: number;
  lastBarEnd: number;
  lastSpread: number;
  bid: number;
  ask: number;
  /** Regime and thresholds, cached until an M15 bar closes or the hour changes (fast checks run every bar). */
  regimeM15: number;
  regimeHour: number;
  regime: DtmsRegime;
  thresholds: DtmsThresholds;
  /** The signals read at `signalsAt` (engine time; a bar changes them only through onBar, which resets it). */
  signals: DtmsSignals;
  signalsAt: number;
}

/**
 * The spread-spike rail's reference: the median spread at the last 480 M15 closes (5 trading days).
 * One sample per M15 bar, not per base bar: the sorted window cost ~0.1 s per million M1 bars when fed
 * every bar.
 */
const SPREADS_KEPT = 480;

/** A symbol's market before its first bar. */
export function newSymbolData(baseTimeframe: Timeframe, vwapAnchorHourUtc: number): SymbolData {
  return {
    features: new DtmsFeatures(baseTimeframe, vwapAnchorHourUtc),
    spreads: new SlidingMedian(SPREADS_KEPT),
    spreadM15: -1,
    lastBarEnd: NaN,
    lastSpread: NaN,
    bid: NaN,
    ask: NaN,
    regimeM15: -1,
    regimeHour: NaN,
    regime: { session: 'ASIAN', volatility: 'NORMAL', structure: 'TREND' },
    thresholds: { vwapSlope: NaN, rsi: NaN, volumeFlipShare: NaN },
    signals: emptyDtmsSignals(),
    signalsAt: NaN,
  };
}

/** Forgets the market history (a data boundary) in place: layers, spreads, last bar, cached regime and signals. */
export function resetSymbolData(s: SymbolData, baseTimeframe: Timeframe, vwapAnchorHourUtc: number): void {
  s.features = new DtmsFeatures(baseTimeframe, vwapAnchorHourUtc);
  s.spreads = new SlidingMedian(SPREADS_KEPT);
  s.spreadM15 = -1;
  s.lastBarEnd = NaN;
  s.lastSpread = NaN;
  s.regimeM15 = -1;
  s.regimeHour = NaN;
  s.signalsAt = NaN;
}
