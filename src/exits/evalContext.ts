// The per-evaluation context: shared scratch objects and the market view of the current position.
// One instance per engine, reused for every position-bar so the hot loop allocates nothing.
import type { ExitRule, Intent, IntentKind, Position } from '../domain/types.ts';
import type { Session } from '../domain/sessions.ts';
import type { ExitsConfig } from '../config/schema.ts';
import type { TriggerResult } from './advancedTriggers.ts';
import {
  newDecisionRecord,
  startRecord,
  type DecisionOutcome,
  type DecisionReason,
  type DecisionRecord,
  type DecisionSink,
} from './decisionRecord.ts';
import type { ExitPlan } from './exitPlan.ts';
import { newTrailingGateFields, type TrailingGateFields } from './trailingGates.ts';

export interface EvalContext {
  exits: ExitsConfig;
  sink: DecisionSink;
  record: DecisionRecord;
  triggerResult: TriggerResult;
  /** Trailing gates of the current evaluation (copied into `record` when a trail record is kept). */
  gates: TrailingGateFields;
  /** What the trail rule computed this evaluation (for its record). */
  trail: TrailComputation;
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
  /** DTMS owns the current position's stop (one owner per stop): breakeven and trailing stand aside. */
  dtmsOwnsStop: boolean;
  /**
   * The symbol's ATR(14) per timeframe, indexed as TIMEFRAMES (NaN: not kept): what a strategy
   * template's trail measures its distance in when it trails on another timeframe than the symbol's.
   */
  atrByTimeframe: Float64Array;
}

/** What one trail evaluation computed, for its record (doubles kept on an object: no boxing across calls). */
export interface TrailComputation {
  /** Gates were evaluated (into ctx.gates). */
  gated: boolean;
  multiplier: number;
  distance: number;
  newSl: number;
  failures: number;
  /** The ATR the distance is measured in (the plan's trail timeframe's). */
  atr: number;
}

export function newTrailComputation(): TrailComputation {
  return { gated: false, multiplier: NaN, distance: NaN, newSl: NaN, failures: 0, atr: NaN };
}

export function newEvalContext(exits: ExitsConfig, sink: DecisionSink): EvalContext {
  return {
    exits,
    sink,
    record: newDecisionRecord(),
    triggerResult: { breakevenPct: 0, partialPct: 0, factors: 0, noData: 0 },
    gates: newTrailingGateFields(),
    trail: newTrailComputation(),
    now: 0,
    session: 'ASIAN',
    bid: NaN,
    ask: NaN,
    spread: 0,
    price: NaN,
    progress: NaN,
    rAchieved: NaN,
    dtmsOwnsStop: false,
    atrByTimeframe: new Float64Array(6).fill(NaN),
  };
}

/**
 * True when this rule's outcome repeats its last one and the sink would drop the record anyway:
 * the rule can return without building it (most evaluations of a waiting plan end here).
 */
export function repeatsDropped(ctx: EvalContext, last: string, reason: DecisionReason): boolean {
  return last === reason && ctx.sink.keepsUnchanged === false;
}

/** Starts the scratch record for one rule of one plan, with the common inputs filled in. */
export function beginRecord(ctx: EvalContext, plan: ExitPlan, rule: ExitRule): DecisionRecord {
  const record = startRecord(ctx.record, ctx.now, plan, rule);
  record.session = ctx.session;
  record.price = ctx.price;
  record.spread = ctx.spread;
  record.progress = ctx.progress;
  record.rAchieved = ctx.rAchieved;
  return record;
}

/**
 * Emits the one intent of this evaluation: its id is (position, rule, episode) so re-deciding before
 * the broker answers can never produce a second id, and it becomes the plan's pending intent.
 */
export function sendIntent(
  ctx: EvalContext,
  plan: ExitPlan,
  pos: Position,
  out: Intent[],
  kind: IntentKind,
  rule: 'breakeven' | 'partial' | 'trail' | 'restore',
  episode: number,
  newSl: number,
  volume: number,
  reason: string,
): void {
  const id = `${plan.positionId}:${rule}:${episode}`;
  ctx.record.intentId = id;
  out.push({
    id,
    positionId: plan.positionId,
    symbol: plan.symbol,
    kind,
    rule,
    episode,
    newSl,
    oldSl: pos.sl,
    volume,
    time: ctx.now,
    price: ctx.price,
    reason,
    targetId: plan.ticket,
    side: plan.side,
    comment: '',
    action: '',
  });
  plan.pending = {
    id,
    kind,
    rule,
    newSl,
    oldSl: pos.sl,
    volume,
    volumeBefore: pos.volume,
    time: ctx.now,
    targetId: plan.ticket,
    comment: '',
    action: '',
  };
  emitRecord(ctx, plan, 'intent', 'intent_sent');
}

/** Finishes the record: marks whether the rule's outcome changed since last time, hands it to the sink. */
export function emitRecord(ctx: EvalContext, plan: ExitPlan, outcome: DecisionOutcome, reason: DecisionReason): void {
  const record = ctx.record;
  record.outcome = outcome;
  record.reason = reason;
  // Reasons are interned string literals, so this compare is a pointer compare. Each reason
  // implies one outcome, so the reason alone tells whether the rule's result changed.
  switch (record.rule) {
    case 'breakeven':
      record.changed = plan.lastBreakeven !== reason || outcome === 'intent';
      plan.lastBreakeven = reason;
      break;
    case 'partial':
      record.changed = plan.lastPartial !== reason || outcome === 'intent';
      plan.lastPartial = reason;
      break;
    case 'trail':
      record.changed = plan.lastTrail !== reason || outcome === 'intent';
      plan.lastTrail = reason;
      break;
    default:
      record.changed = true;
  }
  ctx.sink.record(record);
}
