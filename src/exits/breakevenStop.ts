// Breakeven: at breakeven % progress, move the SL to
// entry + spread - buffer for a buy (mirror for a sell), buffer = ATR x buffer multiplier
// (symbol- and session-specific), or 0.1% of entry when ATR is unavailable. `lock` mode:
// entry + spread + offset. Never loosens; done only when the broker confirms.
import type { Instrument, Intent, Position } from '../domain/types.ts';
import { isTighterStop, roundStop } from '../domain/rounding.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import { beginRecord, emitRecord, repeatsDropped, sendIntent, type EvalContext } from './evalContext.ts';
import { BREAKEVEN_DONE, planBufferMultiplier, progressReference, type ExitPlan } from './exitPlan.ts';
import type { ResolvedSymbolParams } from './symbolParams.ts';
import { frozen, respectsStopsLevel, stopLimit } from './stopRules.ts';

/** The breakeven stop price before broker constraints (pure; exported for tests and the API). */
export function breakevenTarget(
  plan: ExitPlan,
  inst: Instrument,
  atr: number,
  bufferMultiplier: number,
  spread: number,
  ctx: EvalContext,
): { sl: number; buffer: number } {
  const direction = plan.side === 'buy' ? 1 : -1;
  if (ctx.exits.breakevenMode === 'lock') {
    const offset = ctx.exits.lockOffsetPoints * inst.point;
    return { sl: roundStop(plan.side, plan.entry + direction * (spread + offset), inst.tickSize), buffer: -offset };
  }
  const buffer =
    Number.isFinite(atr) && atr > 0 ? atr * bufferMultiplier : (plan.entry * ctx.exits.fallbackBufferPct) / 100;
  return { sl: roundStop(plan.side, plan.entry + direction * (spread - buffer), inst.tickSize), buffer };
}

export function decideBreakeven(
  plan: ExitPlan,
  pos: Position,
  inst: Instrument,
  params: ResolvedSymbolParams,
  f: MarketFeatures,
  ctx: EvalContext,
  out: Intent[],
): boolean {
  // The plan's R replaces the trade type's % of the way to TP (scaled by the advanced rules); a
  // position without a stop has no R, and keeps the % of the way to its TP.
  const atR = Number.isNaN(plan.breakevenR) || !(plan.risk > 0) ? NaN : breakevenTriggerR(plan, pos);
  const byR = !Number.isNaN(atR);
  const reached = byR ? ctx.rAchieved >= atR : ctx.progress >= plan.breakevenPct / 100;
  if (
    !reached &&
    repeatsDropped(ctx, plan.lastBreakeven, Number.isNaN(ctx.progress) ? 'no_reference' : 'trigger_not_reached')
  )
    return false;
  const record = beginRecord(ctx, plan, 'breakeven');
  record.trigger = byR ? atR : plan.breakevenPct;
  record.atr = f.atr;
  record.oldSl = pos.sl ?? NaN;
  if (!reached) {
    emitRecord(ctx, plan, 'wait', Number.isNaN(ctx.progress) ? 'no_reference' : 'trigger_not_reached');
    return false;
  }
  // The record's `multiplier` is the buffer multiplier; its `distance` the buffer in price units.
  const bufferMultiplier = planBufferMultiplier(plan, params, ctx.session);
  record.multiplier = bufferMultiplier;
  const target = breakevenTarget(plan, inst, f.atr, bufferMultiplier, ctx.spread, ctx);
  record.distance = target.buffer;
  record.newSl = target.sl;

  if (!isTighterStop(plan.side, target.sl, pos.sl)) {
    // The current stop already protects at least as much as breakeven would: nothing to send.
    plan.breakevenState = BREAKEVEN_DONE;
    plan.breakevenReason = 'already_protected';
    emitRecord(ctx, plan, 'done', 'already_protected');
    return false;
  }
  if (!respectsStopsLevel(plan.side, target.sl, stopLimit(plan.side, inst, ctx.bid, ctx.ask))) {
    emitRecord(ctx, plan, 'skip', 'stops_level');
    return false;
  }
  if (frozen(inst, ctx.price, pos.sl)) {
    emitRecord(ctx, plan, 'skip', 'freeze_level');
    return false;
  }
  sendIntent(
    ctx,
    plan,
    pos,
    out,
    'move_stop',
    'breakeven',
    plan.breakevenEpisode + 1,
    target.sl,
    0,
    byR
      ? `breakeven at ${ctx.rAchieved.toFixed(2)}R (trigger ${atR.toFixed(2)}R)`
      : `breakeven at ${(ctx.progress * 100).toFixed(1)}% progress (trigger ${plan.breakevenPct}%)`,
  );
  return true;
}

/**
 * The profit, in R, at which this plan's breakeven triggers. With the plan's breakevenR: that R,
 * scaled as the advanced rules scaled the trade type's percent (RMAG stretched on an INTRADAY trade:
 * 20/30 of it; a quality trend: 40/30). Otherwise the trade type's % of the way to TP (2R without a
 * TP) as the advanced rules left it. NaN without an initial stop.
 */
export function breakevenTriggerR(plan: ExitPlan, pos: Position): number {
  if (!(plan.risk > 0)) return NaN;
  const atR = plan.breakevenR;
  if (!Number.isNaN(atR)) return plan.baseBreakevenPct > 0 ? (atR * plan.breakevenPct) / plan.baseBreakevenPct : atR;
  return ((plan.breakevenPct / 100) * progressReference(plan, pos.tp)) / plan.risk;
}
