// ATR trailing, only after breakeven is confirmed: trail distance = ATR x multiplier (symbol and
// session specific, widened by the gates). A move is sent only if it tightens the stop by at least
// the symbol's minimum change (% of price), respects the stops and freeze levels, and is rounded
// to the tick on the safe side. A stop never loosens.
import type { Instrument, Intent, Position } from '../domain/types.ts';
import { isTighterStop, roundStop } from '../domain/rounding.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import { beginRecord, emitRecord, repeatsDropped, sendIntent, type EvalContext } from './evalContext.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE, type ExitPlan } from './exitPlan.ts';
import { trailingMultiplierFor, type ResolvedSymbolParams } from './symbolParams.ts';
import { evaluateTrailingGates, type GateParams } from './trailingGates.ts';
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
  const disabled = !ctx.exits.trailing.enabled || !plan.trailingEnabled;
  if (disabled && repeatsDropped(ctx, plan.lastTrail, 'trailing_disabled')) return false;
  if (!disabled && plan.breakevenState !== BREAKEVEN_DONE && repeatsDropped(ctx, plan.lastTrail, 'breakeven_pending')) return false;
  const r = beginRecord(ctx, plan, 'trail');
  r.atr = f.atr;
  r.oldSl = pos.sl ?? NaN;
  if (disabled) {
    emitRecord(ctx, plan, 'wait', 'trailing_disabled');
    return false;
  }
  if (plan.breakevenState !== BREAKEVEN_DONE) {
    emitRecord(ctx, plan, 'wait', 'breakeven_pending');
    return false;
  }
  const failures = evaluateTrailingGates(plan.side, plan.partialState === PARTIAL_DONE, ctx.rAchieved, f, gates, r);
  if (failures < 0) {
    emitRecord(ctx, plan, 'wait', 'critical_gate_failed');
    return false;
  }
  plan.trailingActive = true;
  const base = trailingMultiplierFor(params, ctx.session);
  const mult = failures <= ctx.exits.trailing.maxAdvisoryFailures ? base : base * ctx.exits.trailing.wideFactor;
  plan.trailingMultiplier = mult;
  r.multiplier = mult;
  if (!(f.atr > 0)) {
    emitRecord(ctx, plan, 'skip', 'atr_unavailable');
    return false;
  }
  const distance = f.atr * mult;
  r.distance = distance;
  const s = plan.side === 'buy' ? 1 : -1;
  let sl = roundStop(plan.side, ctx.price - s * distance, inst.tickSize);
  const limit = stopLimit(plan.side, inst, ctx.bid, ctx.ask);
  // Closer than the broker allows: trail to the nearest allowed level instead (further from price is safe).
  if (!respectsStopsLevel(plan.side, sl, limit)) sl = roundStop(plan.side, limit, inst.tickSize);
  r.newSl = sl;
  if (!isTighterStop(plan.side, sl, pos.sl)) {
    emitRecord(ctx, plan, 'wait', 'not_tighter');
    return false;
  }
  if (pos.sl !== null && Math.abs(sl - pos.sl) < (ctx.price * params.minSlChangePct) / 100) {
    emitRecord(ctx, plan, 'skip', 'below_min_change');
    return false;
  }
  if (frozen(inst, ctx.price, pos.sl)) {
    emitRecord(ctx, plan, 'skip', 'freeze_level');
    return false;
  }
  const reason = `trail ${mult.toFixed(3)} x ATR ${f.atr.toPrecision(6)} (${failures} advisory gate failure${failures === 1 ? '' : 's'})`;
  sendIntent(ctx, plan, pos, out, 'move_stop', 'trail', plan.trailEpisode + 1, sl, 0, reason);
  return true;
}
