// A position DTMS defends: its state machine, check schedule, hedge and last score, with the symbol's
// market it reads; and what of it outlives a restart (TrackedSnapshot).
import type { Instrument, Position } from '../domain/types.ts';
import { newDefensiveState, type DefensiveState } from './defensiveState.ts';
import type { SymbolData } from './dtmsMarket.ts';
import type { DtmsRegime } from './regime.ts';
import { newDtmsScore, type DtmsScore } from './signalScore.ts';

/** A defended position, as `track` returns it: pass it to `evaluateTracked` to skip the lookups. */
export interface Tracked {
  position: Position;
  sym: SymbolData;
  state: DefensiveState;
  instrument: Instrument;
  initialRisk: number;
  vwapCrosses: number;
  lastFast: number;
  lastDeep: number;
  cooldownUntil: number;
  closedVolume: number;
  hedgeId: string | null;
  hedgeVolume: number;
  /** The last deep check's score with its per-layer breakdown, and the regime it was weighted for. */
  score: DtmsScore;
  regime: DtmsRegime | null;
  /** Engine time of the last deep check that ran (NaN before the first). */
  checkedAt: number;
}

/**
 * What of a defended position outlives a restart (plain data; the caller persists it): everything but
 * the broker's view of the position, its instrument and the symbol's market state.
 */
export type TrackedSnapshot = Omit<Tracked, 'position' | 'sym' | 'instrument'>;

/** A copy of the defended position's lasting state. */
export function snapshotTracked(t: Tracked): TrackedSnapshot {
  return {
    state: { ...t.state },
    initialRisk: t.initialRisk,
    vwapCrosses: t.vwapCrosses,
    lastFast: t.lastFast,
    lastDeep: t.lastDeep,
    cooldownUntil: t.cooldownUntil,
    closedVolume: t.closedVolume,
    hedgeId: t.hedgeId,
    hedgeVolume: t.hedgeVolume,
    score: { ...t.score },
    regime: t.regime === null ? null : { ...t.regime },
    checkedAt: t.checkedAt,
  };
}

/** A position defended from `now`: HEALTHY, its checks scheduled from now, no hedge, no score yet. */
export function newTracked(
  position: Position,
  sym: SymbolData,
  instrument: Instrument,
  initialRisk: number,
  now: number,
): Tracked {
  return {
    position,
    sym,
    state: newDefensiveState(position.id, now),
    instrument,
    initialRisk,
    vwapCrosses: 0,
    lastFast: now,
    lastDeep: now,
    cooldownUntil: now,
    closedVolume: 0,
    hedgeId: null,
    hedgeVolume: 0,
    score: newDtmsScore(),
    regime: null,
    checkedAt: NaN,
  };
}

/** Puts a snapshot's lasting state (copies) on a defended position of the same id. */
export function restoreTrackedState(t: Tracked, snap: TrackedSnapshot): void {
  t.state = { ...snap.state, positionId: t.position.id };
  t.initialRisk = snap.initialRisk;
  t.vwapCrosses = snap.vwapCrosses;
  t.lastFast = snap.lastFast;
  t.lastDeep = snap.lastDeep;
  t.cooldownUntil = snap.cooldownUntil;
  t.closedVolume = snap.closedVolume;
  t.hedgeId = snap.hedgeId;
  t.hedgeVolume = snap.hedgeVolume;
  Object.assign(t.score, snap.score);
  t.regime = snap.regime === null ? null : { ...snap.regime };
  t.checkedAt = snap.checkedAt;
}
