// ATR trailing, only after breakeven is confirmed: trail distance = ATR x multiplier (symbol and
// session specific, widened by the gates). A move is sent only if it tightens the stop by at least
// the symbol's minimum change (% of price), respects the stops and freeze levels, and is rounded
// to the tick on the safe side. A stop never loosens.
import type { Instrument, Intent, Position } from '../domain/types.ts';
import { isTighterStop, roundStop } from '../domain/rounding.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import type { DecisionOutcome, DecisionReason } from './decisionRecord.ts';
import { beginRecord, emitRecord, repeatsDropped, sendIntent, type EvalContext } from './evalContext.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE, type ExitPlan } from './exitPlan.ts';
import { trailingMultiplierFor, type ResolvedSymbolParams } from './symbolParams.ts';
import { copyTrailingGates, evaluateTrailingGates, type GateParams } from './trailingGates.ts';
import { frozen, respectsStopsLevel, stopLimit } from './stopRules.ts';

export function decideTrailing(
  plan: ExitPlan,
  pos: Position,
  inst: Instrument,
  params: ResolvedSymbolParams,
  gates: GateParams,
  f: MarketFeatures,
  ctx: EvalContext,
  out: Intent[],
): boolean {
  // Every outcome goes through trailRecord, which builds the record only when the sink keeps it: most
  // evaluations of a trailing position repeat "not tighter" bar after bar.
  if (!ctx.exits.trailing.enabled || !plan.trailingEnabled) return trailRecord(ctx, plan, pos, f, 'wait', 'trailing_disabled', false, NaN, NaN, NaN);
  if (plan.breakevenState !== BREAKEVEN_DONE) return trailRecord(ctx, plan, pos, f, 'wait', 'breakeven_pending', false, NaN, NaN, NaN);
  const failures = evaluateTrailingGates(plan.side, plan.partialState === PARTIAL_DONE, ctx.rAchieved, f, gates, ctx.gates);
  if (failures < 0) return trailRecord(ctx, plan, pos, f, 'wait', 'critical_gate_failed', true, NaN, NaN, NaN);
  plan.trailingActive = true;
  const base = trailingMultiplierFor(params, ctx.session);
  const mult = failures <= ctx.exits.trailing.maxAdvisoryFailures ? base : base * ctx.exits.trailing.wideFactor;
  plan.trailingMultiplier = mult;
  if (!(f.atr > 0)) return trailRecord(ctx, plan, pos, f, 'skip', 'atr_unavailable', true, mult, NaN, NaN);
  const distance = f.atr * mult;
  const s = plan.side === 'buy' ? 1 : -1;
  let sl = roundStop(plan.side, ctx.price - s * distance, inst.tickSize);
  const limit = stopLimit(plan.side, inst, ctx.bid, ctx.ask);
  // Closer than the broker allows: trail to the nearest allowed level instead (further from price is safe).
  if (!respectsStopsLevel(plan.side, sl, limit)) sl = roundStop(plan.side, limit, inst.tickSize);
  if (!isTighterStop(plan.side, sl, pos.sl)) return trailRecord(ctx, plan, pos, f, 'wait', 'not_tighter', true, mult, distance, sl);
  if (pos.sl !== null && Math.abs(sl - pos.sl) < (ctx.price * params.minSlChangePct) / 100) {
    return trailRecord(ctx, plan, pos, f, 'skip', 'below_min_change', true, mult, distance, sl);
  }
  if (frozen(inst, ctx.price, pos.sl)) return trailRecord(ctx, plan, pos, f, 'skip', 'freeze_level', true, mult, distance, sl);
  trailRecord(ctx, plan, pos, f, 'intent', 'intent_sent', true, mult, distance, sl);
  const reason = `trail ${mult.toFixed(3)} x ATR ${f.atr.toPrecision(6)} (${failures} advisory gate failure${failures === 1 ? '' : 's'})`;
  sendIntent(ctx, plan, pos, out, 'move_stop', 'trail', plan.trailEpisode + 1, sl, 0, reason);
  return true;
}

/**
 * The trail rule's record for this outcome, built only when the sink keeps it (a change, an intent, or
 * a sink that keeps everything); an intent's record is left for sendIntent to emit. Returns false (no
 * intent) so a decision can `return trailRecord(...)`.
 */
function trailRecord(
  ctx: EvalContext,
  plan: ExitPlan,
  pos: Position,
  f: MarketFeatures,
  outcome: DecisionOutcome,
  reason: DecisionReason,
  gated: boolean,
  multiplier: number,
  distance: number,
  newSl: number,
): false {
  if (outcome !== 'intent' && repeatsDropped(ctx, plan.lastTrail, reason)) return false;
  const r = beginRecord(ctx, plan, 'trail');
  r.atr = f.atr;
  r.oldSl = pos.sl ?? NaN;
  if (gated) copyTrailingGates(ctx.gates, r);
  r.multiplier = multiplier;
  r.distance = distance;
  r.newSl = newSl;
  if (outcome !== 'intent') emitRecord(ctx, plan, outcome, reason);
  return false;
}
