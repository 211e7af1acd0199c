// ATR trailing, only after breakeven is confirmed (or when the trader asks to trail now, or with
// breakeven switched off): trail distance = ATR x multiplier (symbol and session specific, widened by
// the gates), at most the breakeven stop's distance when breakeven triggered (the first trail step is
// measured from the breakeven stop), shrinking as the profit grows beyond 1R. A move is sent only if
// it tightens the stop by at least the minimum change (ATR units, and the symbol's % of price),
// respects the stops and freeze levels, and is rounded to the tick on the safe side. A stop never loosens.
import type { Instrument, Intent, Position } from '../domain/types.ts';
import { isTighterStop, offsetSteps, roundStop } from '../domain/rounding.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import type { DecisionOutcome } from './decisionRecord.ts';
import { beginRecord, emitRecord, repeatsDropped, sendIntent, type EvalContext } from './evalContext.ts';
import {
  BREAKEVEN_DONE,
  PARTIAL_DONE,
  planBufferMultiplier,
  planTrailingMultiplier,
  type ExitPlan,
} from './exitPlan.ts';
import { breakevenTarget, breakevenTriggerR } from './breakevenStop.ts';
import type { ResolvedSymbolParams } from './symbolParams.ts';
import { TIMEFRAME_INDEX } from './strategyTemplates.ts';
import { copyTrailingGates, evaluateTrailingGates, NO_DATA, type GateParams } from './trailingGates.ts';
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
  const reason = trailDecision(plan, pos, inst, params, gates, f, ctx);
  const c = ctx.trail;
  if (reason !== 'intent_sent') {
    // Built only when the sink keeps it: most evaluations repeat "not tighter" bar after bar.
    if (!repeatsDropped(ctx, plan.lastTrail, reason)) {
      trailRecord(ctx, plan, pos);
      emitRecord(ctx, plan, TRAIL_OUTCOME[reason], reason);
    }
    return false;
  }
  trailRecord(ctx, plan, pos);
  const failures = c.failures;
  const why = `trail ${c.multiplier.toFixed(3)} x ATR${plan.trailTimeframe === '' ? '' : `(${plan.trailTimeframe})`} ${c.atr.toPrecision(6)} (${failures} advisory gate failure${failures === 1 ? '' : 's'})`;
  sendIntent(ctx, plan, pos, out, 'move_stop', 'trail', plan.trailEpisode + 1, c.newSl, 0, why);
  return true;
}

type TrailReason =
  | 'trailing_disabled'
  | 'breakeven_pending'
  | 'critical_gate_failed'
  | 'gate_no_data'
  | 'atr_unavailable'
  | 'not_tighter'
  | 'below_min_change'
  | 'freeze_level'
  | 'intent_sent';

const TRAIL_OUTCOME: Readonly<Record<Exclude<TrailReason, 'intent_sent'>, DecisionOutcome>> = {
  trailing_disabled: 'wait',
  breakeven_pending: 'wait',
  critical_gate_failed: 'wait',
  gate_no_data: 'wait',
  atr_unavailable: 'skip',
  not_tighter: 'wait',
  below_min_change: 'skip',
  freeze_level: 'skip',
};

/** The trail rule's decision; what it computed is left in ctx.trail (and the gates in ctx.gates). */
function trailDecision(
  plan: ExitPlan,
  pos: Position,
  inst: Instrument,
  params: ResolvedSymbolParams,
  gates: GateParams,
  f: MarketFeatures,
  ctx: EvalContext,
): TrailReason {
  const c = ctx.trail;
  c.gated = false;
  c.multiplier = NaN;
  c.distance = NaN;
  c.newSl = NaN;
  // A strategy template may trail on another timeframe's ATR than the symbol's.
  const atr = plan.trailTimeframe === '' ? f.atr : ctx.atrByTimeframe[TIMEFRAME_INDEX[plan.trailTimeframe]]!;
  c.atr = atr;
  const tr = ctx.exits.trailing;
  if (!tr.enabled || !plan.trailingEnabled) return 'trailing_disabled';
  const breakevenOn = ctx.exits.breakeven.enabled;
  const breakevenDone = plan.breakevenState === BREAKEVEN_DONE;
  if (breakevenOn && !breakevenDone && !plan.trailNow) return 'breakeven_pending';
  // The critical gate asks for no more profit than breakeven did: a breakeven the advanced rules
  // pulled early (0.4-0.5R) would otherwise leave the trail waiting for 0.6R after it.
  const beR = breakevenOn ? breakevenTriggerR(plan, pos) : NaN;
  const criticalR = beR < gates.criticalRAchieved ? beR : gates.criticalRAchieved;
  const failures = evaluateTrailingGates(
    plan.side,
    plan.partialState === PARTIAL_DONE,
    ctx.rAchieved,
    criticalR,
    f,
    gates,
    ctx.gates,
  );
  c.gated = true;
  c.failures = failures;
  if (failures < 0 && !plan.trailNow) return failures === NO_DATA ? 'gate_no_data' : 'critical_gate_failed';
  plan.trailingActive = true;
  const base = planTrailingMultiplier(plan, params, ctx.session);
  const multiplier = failures <= ctx.exits.trailing.maxAdvisoryFailures ? base : base * ctx.exits.trailing.wideFactor;
  plan.trailingMultiplier = multiplier;
  c.multiplier = multiplier;
  if (!(atr > 0)) return 'atr_unavailable';
  let distance = atr * multiplier;
  if (tr.fromBreakevenStop && breakevenDone && beR > 0 && plan.risk > 0) {
    // The breakeven stop's distance from price when breakeven triggered: the profit at the trigger,
    // plus the buffer below entry (buffered mode) or less the lock offset, less the spread it adds.
    const buffer = breakevenTarget(
      plan,
      inst,
      f.atr,
      planBufferMultiplier(plan, params, ctx.session),
      ctx.spread,
      ctx,
    ).buffer;
    const fromBreakeven = beR * plan.risk + buffer - ctx.spread;
    if (fromBreakeven > 0 && fromBreakeven < distance) distance = fromBreakeven;
  }
  if (tr.tightenPerR > 0 && ctx.rAchieved > 1) distance *= Math.max(0.5, 1 - tr.tightenPerR * (ctx.rAchieved - 1));
  c.distance = distance;
  const direction = plan.side === 'buy' ? 1 : -1;
  let sl = roundStop(plan.side, ctx.price - direction * distance, inst.tickSize);
  const limit = stopLimit(plan.side, inst, ctx.bid, ctx.ask);
  // Closer than the broker allows: trail to the nearest allowed level instead (further from price is safe).
  if (!respectsStopsLevel(plan.side, sl, limit)) {
    sl = roundStop(plan.side, limit, inst.tickSize);
    // A price a hair off the tick grid can round onto the wrong side of its limit (the rounding's
    // tolerance): one tick further from the price then.
    if (!respectsStopsLevel(plan.side, sl, limit)) sl = offsetSteps(sl, -direction, inst.tickSize);
  }
  c.newSl = sl;
  if (!isTighterStop(plan.side, sl, pos.sl)) return 'not_tighter';
  if (pos.sl !== null) {
    const minChange = Math.max((ctx.price * params.minSlChangePct) / 100, f.atr * tr.minChangeAtr);
    if (Math.abs(sl - pos.sl) < minChange) return 'below_min_change';
  }
  if (frozen(inst, ctx.price, pos.sl)) return 'freeze_level';
  return 'intent_sent';
}

/** Fills the trail rule's record from ctx.trail / ctx.gates (an intent's is emitted by sendIntent). */
function trailRecord(ctx: EvalContext, plan: ExitPlan, pos: Position): void {
  const c = ctx.trail;
  const record = beginRecord(ctx, plan, 'trail');
  record.atr = c.atr;
  record.oldSl = pos.sl ?? NaN;
  if (c.gated) copyTrailingGates(ctx.gates, record);
  record.multiplier = c.multiplier;
  record.distance = c.distance;
  record.newSl = c.newSl;
}
