// The per-evaluation context: shared scratch objects and the market view of the current position.
// One instance per engine, reused for every position-bar so the hot loop allocates nothing.
import type { ExitRule } from '../domain/types.ts';
import type { Session } from '../domain/sessions.ts';
import type { ExitsConfig } from '../config/schema.ts';
import type { TriggerResult } from './advancedTriggers.ts';
import { newDecisionRecord, resetRecord, type DecisionOutcome, type DecisionReason, type DecisionRecord, type DecisionSink } from './decisionRecord.ts';
import type { ExitPlan } from './exitPlan.ts';

export interface EvalContext {
  exits: ExitsConfig;
  sink: DecisionSink;
  rec: DecisionRecord;
  trig: TriggerResult;
  /** Engine clock, epoch ms. */
  now: number;
  session: Session;
  bid: number;
  ask: number;
  /** ask - bid in price units (0 when the data has no spread). */
  spread: number;
  /** Exit-side price of the current position: bid for a buy, ask for a sell. */
  price: number;
  /** Favourable move / distance to TP (or 2R); NaN when neither TP nor SL is known. */
  progress: number;
  /** Favourable move / R; NaN without an initial stop. */
  rAchieved: number;
}

export function newEvalContext(exits: ExitsConfig, sink: DecisionSink): EvalContext {
  return {
    exits,
    sink,
    rec: newDecisionRecord(),
    trig: { breakevenPct: 0, partialPct: 0, factors: 0 },
    now: 0,
    session: 'ASIAN',
    bid: NaN,
    ask: NaN,
    spread: 0,
    price: NaN,
    progress: NaN,
    rAchieved: NaN,
  };
}

/** Starts the scratch record for one rule of one plan, with the common inputs filled in. */
export function beginRecord(ctx: EvalContext, plan: ExitPlan, rule: ExitRule): DecisionRecord {
  const r = ctx.rec;
  resetRecord(r);
  r.time = ctx.now;
  r.positionId = plan.positionId;
  r.symbol = plan.symbol;
  r.side = plan.side;
  r.rule = rule;
  r.session = ctx.session;
  r.price = ctx.price;
  r.spread = ctx.spread;
  r.progress = ctx.progress;
  r.rAchieved = ctx.rAchieved;
  return r;
}

/** Finishes the record: marks whether the rule's outcome changed since last time, hands it to the sink. */
export function emitRecord(ctx: EvalContext, plan: ExitPlan, outcome: DecisionOutcome, reason: DecisionReason): void {
  const r = ctx.rec;
  r.outcome = outcome;
  r.reason = reason;
  // Reasons are interned string literals, so this compare is a pointer compare. Each reason
  // implies one outcome, so the reason alone tells whether the rule's result changed.
  switch (r.rule) {
    case 'breakeven':
      r.changed = plan.lastBreakeven !== reason || outcome === 'intent';
      plan.lastBreakeven = reason;
      break;
    case 'partial':
      r.changed = plan.lastPartial !== reason || outcome === 'intent';
      plan.lastPartial = reason;
      break;
    case 'trail':
      r.changed = plan.lastTrail !== reason || outcome === 'intent';
      plan.lastTrail = reason;
      break;
    default:
      r.changed = true;
  }
  ctx.sink.record(r);
}
