// DTMS inside the engine: its transitions and holds as decision records, the actions a transition
// asks for as broker intents through the exit plan's single flight (one intent in flight per
// position, whoever decided it), and the stop hand-overs between DTMS and the exit plan (one owner
// per stop: DTMS takes it on entering WARNING_L2 or HEDGED and gives it back on returning to
// HEALTHY). Deterministic and free of I/O like the rest of the core: the engine's clock and quotes in,
// records and intents out; the plan's pending intent, the defence's queue and ctx's scratch record are
// updated in place.
//
// An action is planned when it is SENT, at the quote of that evaluation, not when the transition
// asked for it: an action that waited behind another intent acts on the market as it is (a stop
// target from a stale price could be a loosening or sit inside the stops level by now).
import { decimalText } from '../domain/decimalText.ts';
import { ticketOf, type Intent, type IntentKind, type Position } from '../domain/types.ts';
import { beginRecord, type EvalContext } from '../exits/evalContext.ts';
import type { ExitPlan, IntentOutcome } from '../exits/exitPlan.ts';
import { fitComment, type DefensiveOrder } from './defensiveActions.ts';
import { snapshotTracked, type Tracked, type TrackedSnapshot } from './defendedPosition.ts';
import type { DefensiveDecision, DefensiveHold, DefensiveMonitor } from './defensiveMonitor.ts';
import { OPENING_OFF } from './monitorParams.ts';
import type { DtmsActionKind } from './defensiveState.ts';
import { missingLayers, type DtmsScore } from './signalScore.ts';

/** Sends of one action the broker may refuse before DTMS gives it up (and says so). */
export const MAX_ACTION_ATTEMPTS = 3;

/** The engine's DTMS bookkeeping of one managed position. Plain data besides the monitor's handle. */
export interface Defence {
  tracked: Tracked;
  /** Actions transitions asked for and not yet carried out, in order. */
  queue: DtmsActionKind[];
  /** Refused sends of the head action so far. */
  attempts: number;
  /** Why the head action's last send failed (for the record when it is given up). */
  lastRefusal: string;
  /** Stop owner as last recorded: hand-overs are recorded once each way. */
  ownsStop: boolean;
  /** Taken out of DTMS's hands by the trader (no check, no action) since `at`, and why; null: DTMS defends it. */
  disabled: DtmsDisabled | null;
}

/** A trader's decision to take a position out of DTMS's hands (engine time, their reason). */
export interface DtmsDisabled {
  at: number;
  reason: string;
}

export function newDefence(tracked: Tracked): Defence {
  return { tracked, queue: [], attempts: 0, lastRefusal: '', ownsStop: false, disabled: null };
}

/** A position's defence as plain data, for storage (the monitor's handle becomes its snapshot). */
export interface DefenceSnapshot {
  tracked: TrackedSnapshot;
  queue: DtmsActionKind[];
  attempts: number;
  lastRefusal: string;
  ownsStop: boolean;
  disabled: DtmsDisabled | null;
}

export function snapshotDefence(d: Defence): DefenceSnapshot {
  return {
    tracked: snapshotTracked(d.tracked),
    queue: [...d.queue],
    attempts: d.attempts,
    lastRefusal: d.lastRefusal,
    ownsStop: d.ownsStop,
    disabled: d.disabled === null ? null : { ...d.disabled },
  };
}

/** Puts a stored defence back on a handle the monitor restored (one saved without `disabled` is defended). */
export function restoreDefence(tracked: Tracked, snap: DefenceSnapshot): Defence {
  return {
    tracked,
    queue: [...snap.queue],
    attempts: snap.attempts,
    lastRefusal: snap.lastRefusal,
    ownsStop: snap.ownsStop,
    disabled: snap.disabled ? { ...snap.disabled } : null,
  };
}

const num = (x: number, d = 2): string => (Number.isFinite(x) ? decimalText(x, d) : 'n/a');

/** The score as a trader reads it: total, each weighted layer, and the layers that had no data. */
export function describeScore(s: DtmsScore): string {
  const missing = missingLayers(s);
  return (
    `score ${num(s.total)} = structure ${num(s.weightedStructure)}, vwap/volume ${num(s.weightedVwapVolume)}, ` +
    `momentum ${num(s.weightedMomentum)}, ema ${num(s.weightedEmaAlignment)}, delta ${num(s.weightedDeltaPressure)}, ` +
    `candle ${num(s.weightedCandleConviction)}` +
    (missing.length > 0 ? ` (no data: ${missing.join(', ')})` : '') +
    `; ${s.confluence.toLowerCase()} confluence${s.vwapFlipAgainst ? ', VWAP flipped against' : ''}${s.volumeFlipAgainst ? ', volume flipped against' : ''}`
  );
}

function describeOrder(o: DefensiveOrder): string {
  switch (o.kind) {
    case 'move_stop':
      return `SL -> ${o.newSl}`;
    case 'close_partial':
      return `close ${o.volume}`;
    case 'close':
      return o.hedge ? `close hedge #${o.ticket} (${o.volume})` : `close ${o.volume}`;
    case 'open':
      return `open ${o.purpose} ${o.side} ${o.volume}${o.sl === null ? '' : ` SL ${o.sl}`}`;
  }
}

/** One line for a transition (its states are the record's): why, on which score and regime, and what it asks for. */
export function describeTransition(d: DefensiveDecision): string {
  const regime = d.regime;
  const asked = d.orders.map((o) => `${o.action} (${describeOrder(o.order)})`);
  const skipped = d.skipped.map((s) => `${s.action} skipped: ${s.reason}`);
  return (
    `${d.trigger === 'vwap_flip' ? 'VWAP flip check' : 'deep check'}: ${d.reason}; ${describeScore(d.score)}; ` +
    `regime ${regime.session}/${regime.volatility}/${regime.structure}; ` +
    `actions: ${asked.length > 0 ? asked.join(', ') : 'none'}${skipped.length > 0 ? `; ${skipped.join('; ')}` : ''}` +
    (d.notes.length > 0 ? `; ${d.notes.join('; ')}` : '')
  );
}

/** Records a transition and queues its actions (those that planned an order; skips are in the record). */
export function takeTransition(ctx: EvalContext, plan: ExitPlan, def: Defence, d: DefensiveDecision): void {
  const record = beginRecord(ctx, plan, 'dtms');
  record.outcome = 'info';
  record.reason = 'dtms_transition';
  record.changed = true;
  record.dtmsFrom = d.from;
  record.dtmsState = d.to;
  record.score = d.score.total;
  record.note = describeTransition(d);
  ctx.sink.record(record);
  // A finished episode (back to HEALTHY) or the end (CLOSED) supersedes what the episode still had queued.
  if (d.to === 'HEALTHY' || d.to === 'CLOSED') {
    def.queue.length = 0;
    def.attempts = 0;
  }
  for (const o of d.orders) if (!def.queue.includes(o.action)) def.queue.push(o.action);
  // Each action that has no order (not tighter, below the min lot, loss limit...) is a record of its own: queryable.
  for (const sk of d.skipped) skipRecord(ctx, plan, def, sk.action, 'dtms_action_skipped', sk.reason);
}

export function recordHold(ctx: EvalContext, plan: ExitPlan, def: Defence, h: DefensiveHold): void {
  const record = beginRecord(ctx, plan, 'dtms');
  record.outcome = 'skip';
  record.reason = 'dtms_hold';
  record.changed = true;
  record.dtmsState = def.tracked.state.state;
  record.score = def.tracked.state.score;
  record.note = `${h.reason}: ${h.detail}; no check, no action`;
  ctx.sink.record(record);
}

/** Records a change of the stop's owner (both ways), once per change. */
export function recordOwnership(ctx: EvalContext, plan: ExitPlan, def: Defence): void {
  const owns = def.tracked.state.ownsStop;
  if (owns === def.ownsStop) return;
  def.ownsStop = owns;
  const record = beginRecord(ctx, plan, 'dtms');
  record.outcome = 'info';
  record.reason = owns ? 'stop_to_dtms' : 'stop_to_exit_plan';
  record.changed = true;
  record.dtmsState = def.tracked.state.state;
  record.score = def.tracked.state.score;
  record.oldSl = def.tracked.position.sl ?? NaN;
  record.note = owns
    ? `DTMS takes the stop in ${def.tracked.state.state}: breakeven and trailing stand aside`
    : `DTMS hands the stop back in ${def.tracked.state.state}: the exit plan continues from SL ${record.oldSl}, never loosening it`;
  ctx.sink.record(record);
}

function skipRecord(
  ctx: EvalContext,
  plan: ExitPlan,
  def: Defence,
  action: DtmsActionKind,
  reason: 'dtms_action_skipped' | 'dtms_action_abandoned',
  why: string,
): void {
  const record = beginRecord(ctx, plan, 'dtms');
  record.outcome = 'skip';
  record.reason = reason;
  record.changed = true;
  record.dtmsState = def.tracked.state.state;
  record.score = def.tracked.state.score;
  record.note = `${action}: ${why}`;
  ctx.sink.record(record);
}

const INTENT_KIND: Readonly<Record<DefensiveOrder['kind'], IntentKind>> = {
  move_stop: 'move_stop',
  close_partial: 'close_partial',
  close: 'close',
  open: 'open',
};

/**
 * Sends the next queued action when nothing is in flight for the position: planned now, at this
 * evaluation's quote. An action left without an order is dropped with its reason; one the broker
 * refused MAX_ACTION_ATTEMPTS times is given up, and both say so.
 */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function sendDefensiveIntent(
  ctx: EvalContext,
  plan: ExitPlan,
  pos: Position,
  def: Defence,
  monitor: DefensiveMonitor,
  out: Intent[],
): void {
  while (plan.pending === null && def.queue.length > 0) {
    const action = def.queue[0]!;
    if (action === 'open_hedge' && !monitor.opensPositions) {
      // Queued under a config that allowed it (stored before a restart): the netting account's way instead.
      skipRecord(
        ctx,
        plan,
        def,
        action,
        'dtms_action_skipped',
        `${OPENING_OFF}; the position is closed instead, as on a netting account`,
      );
      def.queue[0] = 'close_instead_of_hedge';
      def.attempts = 0;
      continue;
    }
    if (def.attempts >= MAX_ACTION_ATTEMPTS) {
      skipRecord(
        ctx,
        plan,
        def,
        action,
        'dtms_action_abandoned',
        `refused ${def.attempts} times (last: ${def.lastRefusal || 'no answer'}); given up`,
      );
      def.queue.shift();
      def.attempts = 0;
      continue;
    }
    const planned = monitor.planOrders(def.tracked, action);
    if (planned.skip !== null) {
      skipRecord(ctx, plan, def, action, 'dtms_action_skipped', planned.skip);
      def.queue.shift();
      def.attempts = 0;
      continue;
    }
    // Several orders (close_all with a hedge open): the first now, the action stays queued for the rest.
    const order = planned.orders[0]!;
    const state = def.tracked.state;
    const hedgeTarget = order.kind === 'close' && order.hedge;
    const id = `${plan.positionId}:dtms:${state.episode}:${action}${hedgeTarget ? ':hedge' : ''}${def.attempts > 0 ? `:${def.attempts + 1}` : ''}`;
    const kind = INTENT_KIND[order.kind];
    const newSl = order.kind === 'move_stop' ? order.newSl : order.kind === 'open' ? (order.sl ?? NaN) : NaN;
    const volume = order.kind === 'move_stop' ? NaN : order.volume;
    const targetId = order.kind === 'open' ? '' : order.kind === 'close' ? order.ticket : plan.ticket;
    // The episode in the comment: a restart finds THIS open among the broker's positions, not an older one.
    const comment = order.kind === 'open' ? fitComment(order.comment, `_${state.episode}`) : '';
    const side = order.kind === 'open' ? order.side : plan.side;
    out.push({
      id,
      positionId: plan.positionId,
      symbol: plan.symbol,
      kind,
      rule: 'dtms',
      episode: state.episode,
      newSl,
      oldSl: pos.sl,
      volume,
      time: ctx.now,
      price: ctx.price,
      reason: `${action} in ${state.state}: ${describeOrder(order)}`,
      targetId,
      side,
      comment,
      action,
    });
    plan.pending = {
      id,
      kind,
      rule: 'dtms',
      newSl,
      oldSl: pos.sl,
      volume,
      volumeBefore: pos.volume,
      time: ctx.now,
      targetId,
      comment,
      action,
    };
    const record = beginRecord(ctx, plan, 'dtms');
    record.intentId = id;
    record.newSl = newSl;
    record.oldSl = pos.sl ?? NaN;
    record.volume = volume;
    record.outcome = 'intent';
    record.reason = 'intent_sent';
    record.changed = true;
    record.dtmsState = state.state;
    record.score = state.score;
    record.note = `${action} in ${state.state} (episode ${state.episode}): ${describeOrder(order)}`;
    // On a hedging account a close in place of the hedge is there only because opening positions is off: said so.
    if (action === 'close_instead_of_hedge' && def.tracked.instrument.hedging)
      record.note += ` in place of a hedge: ${OPENING_OFF}`;
    ctx.sink.record(record);
    return;
  }
}

/**
 * The broker's answer to a DTMS intent (the plan's pending one, already cleared by the caller).
 * Applied: the action is done (a hedge's ticket is kept: `openedId`); for close_all the main close
 * follows its hedge's. Refused: the action stays at the head and is re-planned at the next evaluation.
 */
export function resolveDefensive(
  def: Defence,
  monitor: DefensiveMonitor,
  pending: { action: string; kind: IntentKind; targetId: string; volume: number },
  outcome: IntentOutcome,
  openedId: string,
  refusal: string,
): void {
  const action = pending.action as DtmsActionKind;
  if (def.queue[0] !== action) return; // superseded by a later transition
  const positionId = def.tracked.position.id;
  if (outcome === 'applied') {
    if (action === 'open_hedge') monitor.setHedge(positionId, openedId, pending.volume);
    const hedgeClosed = pending.kind === 'close' && pending.targetId !== ticketOf(def.tracked.position);
    if (hedgeClosed) monitor.setHedge(positionId, null, 0);
    def.attempts = 0;
    // close_all: after its hedge, the position itself (planned again at the next evaluation).
    if (!(action === 'close_all' && hedgeClosed)) def.queue.shift();
    return;
  }
  def.attempts++;
  def.lastRefusal = refusal;
}
