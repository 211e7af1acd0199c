// The engine's state as a live session keeps it in the store: each position with its plan, DTMS state
// and place in the engine's order, and the engine-wide state (time, hedges, orphans). Only what changed
// since the last commit is written; the cache of what was written follows the store only once a
// transaction commits, so a refused transaction can be made again as it was.
import type { Logger } from 'pino';
import { toPlainJson } from '../domain/plainJson.ts';
import type { EngineSnapshot } from '../engine/engineState.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import type { StoredSessionState, WardenStore } from '../store/store.ts';

/** What a commit writes of the engine's state: the positions that changed, those gone, the engine-wide state. */
export interface EngineStateChanges {
  writes: { p: EngineSnapshot['positions'][number]; order: number; json: string }[];
  gone: string[];
  state: StoredSessionState;
  stateJson: string;
}

export class StoredEngineState {
  /** What was last saved per position (plan, DTMS state, position, order as JSON): only changes are written. */
  private readonly saved = new Map<string, string>();
  private savedState = '';

  /**
   * Rebuilds the engine's positions, plans, DTMS state, hedges and orphans from the store, at `time` or
   * the stored time if later. Returns the positions restored.
   */
  restore(store: WardenStore, engine: ExitEngine, time: number, log: Logger | undefined): number {
    const plans = new Map(store.plans().map((p) => [p.positionId, p]));
    const defences = store.defences();
    const state: StoredSessionState | null = store.sessionState();
    const snap: EngineSnapshot = {
      time: Math.max(time, state?.time ?? Number.NEGATIVE_INFINITY),
      positions: [],
      hedges: [],
      orphans: [],
      deepChecks: state?.deepChecks ?? 0,
    };
    for (const { position } of store.positions()) {
      // Rows of a position are deleted together; a row left alone is dropped at the next save.
      this.saved.set(position.id, '');
      const plan = plans.get(position.id);
      if (plan === undefined || engine.instrument(position.symbol) === undefined) {
        log?.warn(
          { positionId: position.id, symbol: position.symbol },
          plan === undefined
            ? 'stored position without a plan: dropped'
            : 'stored position on an instrument this session does not manage: dropped',
        );
        continue;
      }
      snap.positions.push({ position, plan, defence: defences.get(position.id) ?? null });
    }
    for (const id of plans.keys()) if (!this.saved.has(id)) this.saved.set(id, '');
    if (state !== null) {
      snap.hedges = state.hedges;
      snap.orphans = state.orphans.filter((orphan) => engine.instrument(orphan.symbol) !== undefined);
    }
    engine.restoreSnapshot(snap);
    return snap.positions.length;
  }

  /** What of `snap` differs from what was last committed. */
  changes(snap: EngineSnapshot): EngineStateChanges {
    const live = new Set<string>();
    const writes: EngineStateChanges['writes'] = [];
    snap.positions.forEach((p, order) => {
      const id = p.position.id;
      live.add(id);
      const json = toPlainJson([p.plan, p.defence, p.position, order]);
      if (this.saved.get(id) !== json) writes.push({ p, order, json });
    });
    const gone = [...this.saved.keys()].filter((id) => !live.has(id));
    const state: StoredSessionState = {
      time: snap.time,
      hedges: snap.hedges,
      orphans: snap.orphans,
      deepChecks: snap.deepChecks,
    };
    return { writes, gone, state, stateJson: toPlainJson(state) };
  }

  /** Writes the positions that changed and deletes those gone (inside the commit's transaction). */
  writePositions(store: WardenStore, c: EngineStateChanges): void {
    if (c.writes.length > 0)
      store.saveManagedPositions(
        c.writes.map(({ p, order }) => ({ plan: p.plan, defence: p.defence, position: p.position, order })),
      );
    for (const id of c.gone) {
      store.deletePlan(id);
      store.deleteDefence(id);
      store.deletePosition(id);
    }
  }

  /** Writes the engine-wide state when it changed (inside the commit's transaction). */
  writeState(store: WardenStore, c: EngineStateChanges): void {
    if (c.stateJson !== this.savedState) store.saveSessionState(c.state);
  }

  /** The transaction that wrote `c` committed: the cache follows the store. */
  committed(c: EngineStateChanges): void {
    for (const w of c.writes) this.saved.set(w.p.position.id, w.json);
    for (const id of c.gone) this.saved.delete(id);
    this.savedState = c.stateJson;
  }
}
