// What a health report is made of: Warden's status (healthy / degraded / idle) and the facts behind it,
// per symbol (feature circuit breakers, feeds, features still warming up) and per intent (unsettled,
// refused), with the engine's pace. Plain data: the live session makes it, the store keeps the last one,
// the feature breaker and the dashboard read parts of it.
import type { Timeframe } from './types.ts';

/** A feature without a value yet: how many closed bars of its timeframe it needs and has. */
export interface FeatureGap {
  feature: string;
  timeframe: Timeframe;
  barsNeeded: number;
  barsHave: number;
}

export interface FeatureReadiness {
  featuresReady: boolean;
  missing: FeatureGap[];
}

export type HealthStatus = 'healthy' | 'degraded' | 'idle';

export interface BreakerHealth {
  symbol: string;
  /** Consecutive feature failures. */
  failures: number;
  /** Epoch ms it opened, and when it lets the next bar through (half-open). */
  openedAt: number;
  reopensAt: number;
  lastError: string;
}

export interface FeedHealth {
  symbol: string;
  /** Close time of the last bar folded into the features (NaN: none yet). */
  lastBarAt: number;
  ageMs: number;
  stale: boolean;
}

/** A symbol's features: ready, or what they still lack (feature, timeframe, closed bars needed and had). */
export interface FeaturesHealth extends FeatureReadiness {
  symbol: string;
}

export interface IntentHealth {
  id: string;
  positionId: string;
  status: string;
  /** When it was journaled (unresolved) or refused (rejections). */
  at: number;
  /** The broker's code and reason (rejections). */
  code: string | null;
  reason: string;
}

export interface HealthReport {
  status: HealthStatus;
  /** Why it is degraded (or idle); empty when healthy. */
  reasons: string[];
  /** When the report was made (epoch ms, the session's clock: the market's time on a played market). */
  at: number;
  /** When it was written, on the wall clock (epoch ms): how `warden health` tells a session stopped. */
  reportedAt: number;
  positions: number;
  hedges: number;
  breakers: BreakerHealth[];
  feeds: FeedHealth[];
  /** Per symbol: are its features ready, and if not, what they lack. */
  features: FeaturesHealth[];
  /** Intents journaled but not known to be applied or rejected: no new decision for their position until settled. */
  unresolvedIntents: IntentHealth[];
  /** Intents the broker refused in the last REJECTION_WINDOW_MS. */
  recentRejections: IntentHealth[];
  /**
   * The engine's pace: how long its oldest waiting bar has waited (ms) and how many wait, and when
   * its last step ended (the wall clock, epoch ms; NaN before the first).
   */
  lag: EngineLagHealth;
}

export interface EngineLagHealth {
  lagMs: number;
  barsBehind: number;
  lastStepAt: number;
}
