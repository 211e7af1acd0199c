// A stop Warden was moving went missing at the venue: on a venue that moves a stop as a cancel and a
// new order (the ccxt adapter places the new one first), a move interrupted between the two (a crash,
// a lost answer) leaves the position with no stop at all. The move is then not done, and the stop is put back before anything else is
// decided for the position, DTMS included: the stop that was decided, or, when the price has come
// within the venue's stops level of it, the tightest stop the venue accepts now. Never measured from
// "no stop": that would let a later rule place a stop looser than the one Warden took away.
import { roundStop } from '../domain/rounding.ts';
import type { Instrument, Intent, Position } from '../domain/types.ts';
import { beginRecord, emitRecord, sendIntent, type EvalContext } from './evalContext.ts';
import type { ExitPlan } from './exitPlan.ts';
import { measurePosition } from './evaluateExitPlan.ts';
import { respectsStopsLevel, stopLimit } from './stopRules.ts';

/** Puts a missing stop back (see the header). True when it sent the intent (nothing else is decided for the position now). */
export function restoreStop(plan: ExitPlan, pos: Position, inst: Instrument, ctx: EvalContext, out: Intent[]): boolean {
  if (!Number.isFinite(plan.restoreSl) || plan.pending !== null) return false;
  measurePosition(plan, pos, ctx);
  const record = beginRecord(ctx, plan, 'restore');
  record.oldSl = pos.sl ?? Number.NaN;
  if (pos.sl !== null) {
    // A stop is there again (the trader's, or the venue's own): nothing is missing now.
    record.newSl = pos.sl;
    record.note = `the stop is back at the venue (${pos.sl}): nothing to put back`;
    plan.restoreSl = Number.NaN;
    emitRecord(ctx, plan, 'done', 'already_protected');
    return false;
  }
  let sl = plan.restoreSl;
  let note = `a stop move was cut short at the venue (the old stop cancelled, the new one not placed): the decided stop ${sl} is put back`;
  const limit = stopLimit(plan.side, inst, ctx.bid, ctx.ask);
  if (!respectsStopsLevel(plan.side, sl, limit)) {
    sl = roundStop(plan.side, limit, inst.tickSize);
    note = `a stop move was cut short at the venue (the old stop cancelled, the new one not placed); the decided stop ${plan.restoreSl} is within the stops level of the price now: the tightest stop the venue accepts, ${sl}`;
  }
  record.newSl = sl;
  record.note = note;
  sendIntent(ctx, plan, pos, out, 'move_stop', 'restore', plan.restoreEpisode + 1, sl, 0, note);
  return true;
}
