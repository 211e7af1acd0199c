// The engine's state: per symbol (its instrument, features, rules, last quote and the positions on
// it) and per managed position (broker view, exit plan, DTMS defence); and the lasting part of it as
// plain data (JSON through plainJson), what a restart or a replay's checkpoint needs besides the bars.
// Market state is not in the snapshot: feeding the same bars rebuilds it.
import type { Instrument, Position } from '../domain/types.ts';
import type { SymbolRuleSet } from '../exits/evaluateExitPlan.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import type { Defence, DefenceSnapshot } from '../dtms/defensiveIntents.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import type { SymbolFeatures } from '../features/symbolFeatures.ts';
import type { OrphanHedge } from './hedgeBook.ts';

/** A managed position: the broker's view, its exit plan, and its DTMS bookkeeping. */
export interface PositionSlot {
  position: Position;
  plan: ExitPlan;
  /** DTMS bookkeeping; null when DTMS is disabled. */
  defence: Defence | null;
}

/** A symbol the engine knows: broker rules, features (its own or a shared market's), rules, positions, last quote. */
export interface SymbolState {
  instrument: Instrument;
  features: SymbolFeatures;
  snapshot: MarketFeatures;
  rules: SymbolRuleSet;
  slots: PositionSlot[];
  orphans: OrphanHedge[];
  lastBid: number;
  lastAsk: number;
}

/** One managed position as plain data: what a restart needs besides the bars (features are rebuilt from them). */
export interface PositionSnapshot {
  position: Position;
  plan: ExitPlan;
  defence: DefenceSnapshot | null;
}

/**
 * The engine's lasting state: every managed position (in evaluation order, so a restored engine decides
 * in the same order), the DTMS hedges and the orphaned hedges still to close. Market state is not in it:
 * feeding the same bars rebuilds the features exactly.
 */
export interface EngineSnapshot {
  time: number;
  positions: PositionSnapshot[];
  hedges: [hedgeId: string, positionId: string][];
  orphans: OrphanHedge[];
  /** DTMS deep checks run so far (a counter the reports show). */
  deepChecks: number;
}
