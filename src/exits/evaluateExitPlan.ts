// One evaluation of one position's exit plan: state + market in, intents + decision records out.
// Deterministic and free of I/O: no clock but ctx.now, no randomness, so the same inputs give the
// same intents and records. Not pure: for a hot loop without allocation it updates its arguments in
// place: `plan` (the pending intent resolved or set, triggers refreshed, breakeven / partial / trail
// progress, each rule's last outcome), `ctx` (this position's price, progress and R; the scratch
// record and trail computation; records go to ctx.sink) and `out` (the intents, appended). `pos`,
// `inst`, `rules` and the features are only read. Order: reconcile the intent in flight with the
// broker's view of the position, refresh the advanced triggers (before breakeven only, throttled),
// then breakeven, partial, trailing. Single flight: at most one intent per position at a time.
import type { Instrument, Intent, Position } from '../domain/types.ts';
import { isTighterStop } from '../domain/rounding.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import { decideBreakeven } from './breakevenStop.ts';
import { beginRecord, emitRecord, repeatsDropped, type EvalContext } from './evalContext.ts';
import {
  applyTriggers,
  BREAKEVEN_DONE,
  PARTIAL_PENDING,
  progressReference,
  resolveIntent,
  type ExitPlan,
} from './exitPlan.ts';
import type { TriggerParams } from './advancedTriggers.ts';
import { decidePartial } from './partialClose.ts';
import type { ResolvedSymbolParams } from './symbolParams.ts';
import { decideTrailing } from './trailingStop.ts';
import type { GateParams } from './trailingGates.ts';

/** Per-symbol constants the evaluation needs, computed once per symbol (not per position). */
export interface SymbolRuleSet {
  params: ResolvedSymbolParams;
  triggers: TriggerParams;
  gates: GateParams;
}

/**
 * Sets ctx.price / progress / rAchieved for this position. Progress is the favourable move as a
 * fraction of the distance from entry to TP; with no TP, of 2R (R = |entry - initial SL|).
 */
export function measurePosition(plan: ExitPlan, pos: Position, ctx: EvalContext): void {
  const buy = plan.side === 'buy';
  const price = buy ? ctx.bid : ctx.ask;
  const move = buy ? price - plan.entry : plan.entry - price;
  const ref = progressReference(plan, pos.tp);
  ctx.price = price;
  ctx.progress = move / ref;
  ctx.rAchieved = plan.risk > 0 ? move / plan.risk : NaN;
}

/**
 * Tells whether the broker's view of the position shows the pending intent took effect (the
 * position's SL reached the new stop, or its volume dropped by the partial), and resolves it.
 * This is how a restart or an "unknown" answer is settled without applying anything twice.
 */
export function reconcilePending(plan: ExitPlan, pos: Position): boolean {
  const pending = plan.pending;
  if (pending === null) return false;
  if (pending.kind === 'move_stop') {
    if (pos.sl !== null && !isTighterStop(plan.side, pending.newSl, pos.sl))
      return resolveIntent(plan, pending.id, 'applied');
  } else if (pending.kind === 'close_partial') {
    if (pos.volume <= pending.volumeBefore - pending.volume + 1e-9) return resolveIntent(plan, pending.id, 'applied');
  }
  return false;
}

export function evaluateExitPlan(
  plan: ExitPlan,
  pos: Position,
  inst: Instrument,
  rules: SymbolRuleSet,
  f: MarketFeatures,
  ctx: EvalContext,
  out: Intent[],
): void {
  if (!plan.enabled) return;
  measurePosition(plan, pos, ctx);
  reconcilePending(plan, pos);
  if (plan.pending !== null) {
    if (plan.pending.rule === 'dtms') return; // DTMS's intent has its own records
    const record = beginRecord(ctx, plan, plan.pending.rule);
    record.intentId = plan.pending.id;
    record.newSl = plan.pending.newSl;
    record.volume = plan.pending.volume;
    record.oldSl = pos.sl ?? NaN;
    emitRecord(ctx, plan, 'wait', 'intent_in_flight');
    return;
  }
  if (ctx.dtmsOwnsStop) {
    // The stop is DTMS's until it hands it back: no breakeven or trail move fights it (a partial
    // close is not a stop move and still runs).
    if (plan.partialState === PARTIAL_PENDING && ctx.exits.partial.enabled && decidePartial(plan, pos, inst, ctx, out))
      return;
    if (plan.breakevenState !== BREAKEVEN_DONE && !repeatsDropped(ctx, plan.lastBreakeven, 'dtms_owns_stop')) {
      beginRecord(ctx, plan, 'breakeven');
      emitRecord(ctx, plan, 'wait', 'dtms_owns_stop');
    }
    if (!repeatsDropped(ctx, plan.lastTrail, 'dtms_owns_stop')) {
      beginRecord(ctx, plan, 'trail');
      emitRecord(ctx, plan, 'wait', 'dtms_owns_stop');
    }
    return;
  }
  const exits = ctx.exits;
  if (plan.breakevenState !== BREAKEVEN_DONE && exits.breakeven.enabled) {
    if (ctx.now - plan.triggersAt >= exits.refreshIntervalSec * 1000) {
      applyTriggers(plan, f, rules.triggers, ctx.now, ctx, 'triggers_refreshed');
    }
    if (decideBreakeven(plan, pos, inst, rules.params, f, ctx, out)) return;
  }
  if (plan.partialState === PARTIAL_PENDING && exits.partial.enabled) {
    if (decidePartial(plan, pos, inst, ctx, out)) return;
  }
  // Before breakeven, trailing only repeats "breakeven pending": skip the call when that record would be dropped.
  if (
    plan.breakevenState !== BREAKEVEN_DONE &&
    exits.breakeven.enabled &&
    !plan.trailNow &&
    repeatsDropped(ctx, plan.lastTrail, 'breakeven_pending') &&
    plan.trailingEnabled &&
    exits.trailing.enabled
  )
    return;
  decideTrailing(plan, pos, inst, rules.params, rules.gates, f, ctx, out);
}
