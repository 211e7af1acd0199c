// Warm-up from history per timeframe, and what each feature needs of it.
//
// A feature built from a higher timeframe (EMA200 on M15, ATR on H1) needs that many bars of THAT
// timeframe: read as base bars, 200 M15 bars are 3,000 M1 bars, 200 H1 bars 12,000, more than a venue
// gives in one history request. So a live start reads each timeframe's closed bars directly and feeds
// every higher-timeframe state from its own bars (SymbolFeatures.warmUp, DtmsFeatures.warmUp); the
// base bars then only cover the time after the last directly-fed bar of each timeframe.
//
// Two counts per feature:
// - barsNeeded: the closed bars of its timeframe before it has a value at all (its indicator's
//   `ready`); below it the feature is NaN and the report says "missing".
// - barsWanted: the bars after which the value no longer depends measurably on where the history
//   started: an exponential average forgets its seed by (1 - alpha)^n, so it is fed until that weight
//   is under CONVERGENCE_WEIGHT (EMA200: 691 more bars); a windowed value (Bollinger, the squeeze's
//   100 widths) needs exactly its window. Warm-up asks the venue for barsWanted.
import type { FeatureGap, FeatureReadiness } from '../domain/health.ts';
import type { Bar, Timeframe } from '../domain/types.ts';

// What a feature still lacks is part of the health report, whose types are the domain's.
export type { FeatureGap, FeatureReadiness };

/** Closed bars per timeframe, oldest first (the base timeframe's included, when there are any). */
export type TimeframeHistory = Partial<Record<Timeframe, readonly Bar[]>>;

export interface FeatureRequirement {
  /** What a trader reads: `ema200 slope`, `mtf H1`, `dtms emaAlignment`. */
  feature: string;
  timeframe: Timeframe;
  barsNeeded: number;
  barsWanted: number;
}

/** The starting value's weight left in an exponential average once it has converged (0.1%). */
export const CONVERGENCE_WEIGHT = 1e-3;

/** Bars after which an exponential average with smoothing `alpha` keeps less than CONVERGENCE_WEIGHT of its seed. */
export function convergenceBars(alpha: number): number {
  return Math.ceil(Math.log(CONVERGENCE_WEIGHT) / Math.log(1 - alpha));
}

/** The bars to read per timeframe: the most any requirement of that timeframe wants. */
export function barsPerTimeframe(reqs: readonly FeatureRequirement[]): Map<Timeframe, number> {
  const out = new Map<Timeframe, number>();
  for (const r of reqs) out.set(r.timeframe, Math.max(out.get(r.timeframe) ?? 0, r.barsWanted));
  return out;
}

/** Bars of a series that are closed before `before` (open time + tfMs <= before): the history a state can take directly. */
export function barsBefore(bars: readonly Bar[], tfMs: number, before: number): readonly Bar[] {
  let n = bars.length;
  while (n > 0 && bars[n - 1]!.time + tfMs > before) n--;
  return n === bars.length ? bars : bars.slice(0, n);
}
