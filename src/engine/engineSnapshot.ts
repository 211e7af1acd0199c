// The engine's lasting state taken and picked up again (EngineSnapshot): every managed position with its
// plan and defence, in evaluation order, the DTMS hedges and the orphaned hedges still to close. What a
// restart or a replay's checkpoint needs besides the bars (feeding the same bars rebuilds the market).
import type { Position } from '../domain/types.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import { restoreDefence, snapshotDefence } from '../dtms/defensiveIntents.ts';
import type { DefensiveMonitor } from '../dtms/defensiveMonitor.ts';
import type { EngineSnapshot, PositionSlot, PositionSnapshot, SymbolState } from './engineState.ts';
import type { HedgeBook } from './hedgeBook.ts';

/** The engine's lasting state at `time` (copies): see EngineSnapshot. */
export function takeSnapshot(
  symbols: Iterable<SymbolState>,
  hedges: HedgeBook,
  time: number,
  deepChecks: number,
): EngineSnapshot {
  const positions: PositionSnapshot[] = [];
  for (const sym of symbols) {
    for (const slot of sym.slots) {
      positions.push({
        position: { ...slot.position },
        plan: structuredClone(slot.plan),
        defence: slot.defence ? snapshotDefence(slot.defence) : null,
      });
    }
  }
  return { time, positions, hedges: hedges.entries(), orphans: hedges.orphanCopies(), deepChecks };
}

/** The engine's parts a snapshot is picked up into. */
export interface RestoreTarget {
  symbol(symbol: string): SymbolState;
  /** Registers a position with its plan (defended from `now` when DTMS is on) and returns its slot. */
  addSlot(sym: SymbolState, position: Position, plan: ExitPlan, now: number): PositionSlot;
  monitor: DefensiveMonitor | null;
  hedges: HedgeBook;
}

/**
 * Picks up the snapshot's positions, defences, hedges and orphans into `target` (see
 * ExitEngine.restoreSnapshot). Positions the snapshot defends are defended as they were; with DTMS off
 * here, they are not. Returns how many plans have a stop to put back (restoreSl).
 */
export function restoreFromSnapshot(snap: EngineSnapshot, target: RestoreTarget): number {
  const monitor = target.monitor;
  for (const saved of snap.positions) {
    const sym = target.symbol(saved.position.symbol);
    const position = { ...saved.position };
    const slot = target.addSlot(sym, position, structuredClone(saved.plan), snap.time);
    if (slot.defence && monitor && saved.defence) {
      slot.defence = restoreDefence(
        monitor.restoreTracked(position, sym.instrument, saved.defence.tracked),
        saved.defence,
      );
    }
  }
  for (const [hedgeId, positionId] of snap.hedges) target.hedges.opened(hedgeId, positionId);
  let restoring = 0;
  for (const saved of snap.positions) if (Number.isFinite(saved.plan.restoreSl)) restoring++;
  for (const orphan of snap.orphans) target.symbol(orphan.symbol).orphans.push({ ...orphan });
  if (monitor) monitor.deepChecks = snap.deepChecks;
  return restoring;
}
