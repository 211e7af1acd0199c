// The per-position exit plan (a position's ExitRule and its working state), its registration and how
// intent outcomes change it. Plain data: numbers, booleans and interned strings, so it persists as JSON
// and stays small (the benchmark measures bytes per open position).
import {
  ticketOf,
  type ExitRule,
  type Instrument,
  type IntentKind,
  type Position,
  type Side,
  type Timeframe,
} from '../domain/types.ts';
import type { ExitsConfig, StrategyTemplate } from '../config/schema.ts';
import { decimalText } from '../domain/decimalText.ts';
import type { Session } from '../domain/sessions.ts';
import type { MarketFeatures } from '../features/snapshot.ts';
import {
  advancedTriggers,
  enabledTriggers,
  factorNames,
  type TriggerParams,
  type TriggerResult,
} from './advancedTriggers.ts';
import { bufferMultiplierFor, trailingMultiplierFor, type ResolvedSymbolParams } from './symbolParams.ts';
import type { TradeTypeClassifier, TradeType } from './tradeType.ts';
import { startRecord, type DecisionRecord, type DecisionReason, type DecisionSink } from './decisionRecord.ts';
import {
  chooseStrategy,
  strategyNote,
  templateFields,
  withoutStrategyToken,
  type StrategySource,
} from './strategyTemplates.ts';

export const BREAKEVEN_PENDING = 0;
export const BREAKEVEN_DONE = 1;
export const PARTIAL_PENDING = 0;
export const PARTIAL_DONE = 1;
export const PARTIAL_SKIPPED = 2;

/** The one intent in flight for a position (single flight): nothing else is decided until it resolves. */
export interface PendingIntent {
  id: string;
  kind: IntentKind;
  rule: ExitRule;
  newSl: number;
  /** For a stop move: the stop it was decided against (null: none). */
  oldSl: number | null;
  volume: number;
  /** Position volume when the intent was decided (tells a partial close took effect). */
  volumeBefore: number;
  time: number;
  /** The position the request acts on (the managed one, or its DTMS hedge); '' for an open. */
  targetId: string;
  /** For an open: the new position's comment (how a restart finds whether it went through). */
  comment: string;
  /** The DTMS action ('' for the exit plan's rules). */
  action: string;
}

export interface ExitPlan {
  /** The managed position's key (a live session's lifetime key; the ticket in replay). */
  positionId: string;
  /** The venue's ticket: what the plan's requests address. */
  ticket: string;
  symbol: string;
  canonical: string;
  side: Side;
  entry: number;
  /** Initial stop; NaN when the position had none. */
  initialSl: number;
  initialVolume: number;
  /**
   * Volume this plan's requests closed, as the venue confirmed them (partials, DTMS's half close):
   * counted when the venue's answer (or its positions, after an unknown answer) shows it done.
   */
  closedVolume: number;
  /** R = |entry - initial SL|; NaN without a stop. */
  risk: number;
  enabled: boolean;

  tradeType: TradeType;
  tradeTypeConfidence: number;
  tradeTypeReason: string;

  /** The strategy template the plan's base came from ('' none: the exits defaults) and where it was named. */
  strategy: string;
  strategySource: StrategySource | '';
  /** The template's trail multiplier and breakeven buffer multiplier, in place of the symbol's (NaN: the symbol's). */
  templateTrailingMultiplier: number;
  templateBufferMultiplier: number;
  /** Timeframe of the ATR the trail distance is measured in ('': the symbol's ATR timeframe). */
  trailTimeframe: Timeframe | '';

  baseBreakevenPct: number;
  /**
   * Breakeven at this many R of profit, scaled as the advanced rules scale breakevenPct against its
   * base; NaN: at breakevenPct of the way to TP. Set from `exits.breakeven.atR` when the plan is made
   * (a position without a stop has no R), and cleared when the trader sets a breakeven percent.
   */
  breakevenR: number;
  basePartialPct: number;
  partialClosePct: number;
  breakevenPct: number;
  partialPct: number;
  triggerFactors: number;
  triggersAt: number;

  breakevenState: number;
  /** Why breakeven is done: 'confirmed' (our intent applied) or 'already_protected'. */
  breakevenReason: DecisionReason | '';
  partialState: number;
  partialSkipReason: DecisionReason | '';
  /** Per-plan switch (the API's "disable trailing" and legacy `trailing_enabled`). */
  trailingEnabled: boolean;
  trailingActive: boolean;
  /**
   * The trader asked to trail now (the API's "start trailing"): trailing runs before breakeven and
   * without the critical gate; the stop still only tightens, within the broker's levels.
   */
  trailNow: boolean;
  /** Multiplier used by the latest trailing evaluation (legacy plans start at 1.5). */
  trailingMultiplier: number;
  trailMoves: number;

  /** Per-rule episode counters: an intent of a rule carries episode + 1; resolving it increments. */
  breakevenEpisode: number;
  partialEpisode: number;
  trailEpisode: number;
  restoreEpisode: number;
  /**
   * A stop move of Warden's was cut short at the venue (a venue that moves a stop as a cancel and a
   * new order, interrupted between the two): the old stop is gone, the new one not there. The stop to
   * put back (the one that was decided); NaN when nothing is missing.
   */
  restoreSl: number;
  pending: PendingIntent | null;

  /** Last outcome+reason per rule, so records carry `changed` and journals keep only changes. */
  lastBreakeven: string;
  lastPartial: string;
  lastTrail: string;
  lastTriggers: string;
}

/**
 * The distance a plan's progress is measured against: entry to TP, or 2R without a TP on the
 * profitable side; NaN with neither (no TP and no initial stop).
 */
export function progressReference(plan: Pick<ExitPlan, 'side' | 'entry' | 'risk'>, tp: number | null): number {
  if (tp !== null) {
    const tpDist = plan.side === 'buy' ? tp - plan.entry : plan.entry - tp;
    if (tpDist > 0) return tpDist;
  }
  return plan.risk > 0 ? 2 * plan.risk : NaN;
}

/** The template fields of a plan made without a template. */
export function noTemplate() {
  return {
    strategy: '',
    strategySource: '' as StrategySource | '',
    templateTrailingMultiplier: NaN,
    templateBufferMultiplier: NaN,
    trailTimeframe: '' as Timeframe | '',
  };
}

/** The progress fields of a plan nothing has happened to yet. */
export function freshPlanProgress(now: number, trailingMultiplier: number) {
  return {
    triggerFactors: 0,
    triggersAt: now,
    breakevenState: BREAKEVEN_PENDING,
    breakevenReason: '' as DecisionReason | '',
    partialState: PARTIAL_PENDING,
    partialSkipReason: '' as DecisionReason | '',
    trailingEnabled: true,
    trailingActive: false,
    trailNow: false,
    trailingMultiplier,
    trailMoves: 0,
    breakevenEpisode: 0,
    partialEpisode: 0,
    trailEpisode: 0,
    restoreEpisode: 0,
    restoreSl: NaN,
    pending: null as PendingIntent | null,
    lastBreakeven: '',
    lastPartial: '',
    lastTrail: '',
    lastTriggers: '',
  };
}

export function triggerParamsFor(exits: ExitsConfig, params: ResolvedSymbolParams): TriggerParams {
  return {
    enabled: enabledTriggers(exits.triggers),
    rmagThreshold: params.rmagThreshold,
    vwapFactor: exits.rmag.vwapFactor,
    tightenBreakevenPct: exits.rmag.tightenBreakevenPct,
    tightenPartialPct: exits.rmag.tightenPartialPct,
    mtfMinAligned: exits.trailing.mtfMinAligned,
    noDataPasses: exits.noDataPasses ?? true,
  };
}

export interface RegisterContext {
  exits: ExitsConfig;
  classifier: TradeTypeClassifier;
  sink: DecisionSink;
  record: DecisionRecord;
  triggerResult: TriggerResult;
}

/**
 * Registers a plan for a position Warden sees for the first time: classify the trade type, take its
 * base triggers, over them the strategy template's fields (strategyTemplates.ts), then apply the
 * advanced adjustments. Records both decisions.
 */
export function createExitPlan(
  position: Position,
  instrument: Instrument,
  params: ResolvedSymbolParams,
  features: MarketFeatures,
  now: number,
  ctx: RegisterContext,
): ExitPlan {
  const cls = ctx.classifier.classify({
    comment: withoutStrategyToken(position.comment),
    entryPrice: position.entryPrice,
    sl: position.sl,
    atrH1: features.atrH1,
    openTime: position.openTime || now,
    now,
    crypto: instrument.crypto,
  });
  const choice = chooseStrategy(ctx.exits, position, instrument.canonical);
  const initialSl = position.sl ?? NaN;
  const risk = position.sl === null ? NaN : Math.abs(position.entryPrice - position.sl);
  const base = templateFields(ctx.exits, cls.type, risk, choice.template);
  const plan: ExitPlan = {
    positionId: position.id,
    ticket: ticketOf(position),
    symbol: position.symbol,
    canonical: instrument.canonical,
    side: position.side,
    entry: position.entryPrice,
    initialSl,
    initialVolume: position.volume,
    closedVolume: 0,
    risk: risk > 0 ? risk : NaN,
    enabled: ctx.exits.autoEnable,
    tradeType: cls.type,
    tradeTypeConfidence: cls.confidence,
    tradeTypeReason: cls.reason,
    ...noTemplate(),
    strategy: choice.name,
    strategySource: choice.template === null ? '' : choice.source,
    breakevenPct: base.baseBreakevenPct,
    partialPct: base.basePartialPct,
    ...freshPlanProgress(now, params.trailingMultiplier),
    ...base,
  };

  const r = startRecord(ctx.record, now, plan, 'classify');
  r.outcome = 'info';
  r.reason = 'classified';
  r.changed = true;
  const template = strategyNote(ctx.exits, choice);
  r.note = `${cls.type} (confidence ${cls.confidence}): ${cls.reason}; base breakeven ${base.baseBreakevenPct}% / partial ${base.basePartialPct}% closing ${base.partialClosePct}%${template === '' ? '' : `; ${template}`}`;
  ctx.sink.record(r);

  applyTriggers(plan, features, triggerParamsFor(ctx.exits, params), now, ctx, 'triggers_set');
  return plan;
}

/**
 * Recomputes the advanced triggers from the trade-type BASE (not from the current values: the
 * original used the current values, which made every tightening sticky). Never after breakeven.
 */
export function applyTriggers(
  plan: ExitPlan,
  features: MarketFeatures,
  tp: TriggerParams,
  now: number,
  ctx: { sink: DecisionSink; record: DecisionRecord; triggerResult: TriggerResult },
  reason: 'triggers_set' | 'triggers_refreshed',
): void {
  const t = advancedTriggers(plan.side, features, plan.baseBreakevenPct, plan.basePartialPct, tp, ctx.triggerResult);
  const changedValues =
    t.breakevenPct !== plan.breakevenPct || t.partialPct !== plan.partialPct || t.factors !== plan.triggerFactors;
  plan.breakevenPct = t.breakevenPct;
  plan.partialPct = t.partialPct;
  plan.triggerFactors = t.factors;
  plan.triggersAt = now;
  const effective: DecisionReason =
    reason === 'triggers_set' ? 'triggers_set' : changedValues ? 'triggers_refreshed' : 'triggers_unchanged';
  const changed = reason === 'triggers_set' || changedValues;
  plan.lastTriggers = effective;
  // An unchanged refresh is not worth a record when the sink keeps changes only (every 5 min per plan).
  if (!changed && ctx.sink.keepsUnchanged === false) return;

  const r = startRecord(ctx.record, now, plan, 'triggers');
  r.outcome = 'info';
  r.reason = effective;
  r.changed = changed;
  r.price = features.price;
  r.atr = features.atr;
  r.threshold = tp.rmagThreshold;
  r.rmag = features.ema200Atr;
  r.breakevenPct = t.breakevenPct;
  r.partialPct = t.partialPct;
  r.factors = t.factors;
  r.baseBreakevenPct = plan.baseBreakevenPct;
  r.basePartialPct = plan.basePartialPct;
  // Rules that fired because their data was missing (only where no data does not pass): named for the trader.
  if ((t.noData ?? 0) !== 0) r.note = `no data: ${factorNames(t.noData ?? 0).join(', ')}`;
  ctx.sink.record(r);
}

export type IntentOutcome = 'applied' | 'rejected';

/**
 * The broker's answer to the plan's pending intent. An answer for any other id (a duplicate, a late
 * answer for an intent already resolved) changes nothing and returns false: one decision is applied
 * at most once.
 */
export function resolveIntent(plan: ExitPlan, intentId: string, outcome: IntentOutcome): boolean {
  const p = plan.pending;
  if (p === null || p.id !== intentId) return false;
  plan.pending = null;
  if (outcome === 'applied' && p.kind === 'close_partial' && p.targetId === plan.ticket && Number.isFinite(p.volume))
    plan.closedVolume = Number((plan.closedVolume + p.volume).toFixed(8));
  switch (p.rule) {
    case 'breakeven':
      plan.breakevenEpisode++;
      if (outcome === 'applied') {
        plan.breakevenState = BREAKEVEN_DONE;
        plan.breakevenReason = 'confirmed';
      }
      break;
    case 'partial':
      plan.partialEpisode++;
      if (outcome === 'applied') plan.partialState = PARTIAL_DONE;
      break;
    case 'trail':
      plan.trailEpisode++;
      if (outcome === 'applied') plan.trailMoves++;
      break;
    case 'restore':
      plan.restoreEpisode++;
      if (outcome === 'applied') plan.restoreSl = NaN;
      break;
    default:
      break;
  }
  return true;
}

/**
 * The trail multiplier before the gates widen it: the symbol's, session-adjusted; with a template's
 * multiplier, that one, scaled by the ratio the session applies to the symbol's.
 */
export function planTrailingMultiplier(plan: ExitPlan, p: ResolvedSymbolParams, session: Session): number {
  const symbol = trailingMultiplierFor(p, session);
  const t = plan.templateTrailingMultiplier;
  if (Number.isNaN(t) || symbol === p.trailingMultiplier) return Number.isNaN(t) ? symbol : t;
  return t * (symbol / p.trailingMultiplier);
}

/** The breakeven buffer multiplier: the symbol's, session-adjusted; a template's scaled the same way. */
export function planBufferMultiplier(plan: ExitPlan, p: ResolvedSymbolParams, session: Session): number {
  const symbol = bufferMultiplierFor(p, session);
  const t = plan.templateBufferMultiplier;
  if (Number.isNaN(t) || symbol === p.bufferMultiplier) return Number.isNaN(t) ? symbol : t;
  return t * (symbol / p.bufferMultiplier);
}

// A template chosen for a plan that exists ------------------------------------------------------------------

export type RetemplateResult = { ok: true; change: string } | { ok: false; message: string };

const same = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));
const pctText = (x: number): string => `${decimalText(x, 1)}%`;
const multText = (x: number, whose: string): string => (Number.isNaN(x) ? `the ${whose}'s` : decimalText(x, 2));

/**
 * Puts a plan on template `name` (from `source`): its base becomes what the template gives over the
 * exits defaults, as if the position had been registered with it, and the advanced triggers are worked
 * out again from the new base. Refused, changing nothing, when it would change a step already done
 * (breakeven, or the partial close, done or skipped). Returns the change in words ('' when the plan
 * already had it all), for the trader's `manual` record.
 */
export function retemplatePlan(
  plan: ExitPlan,
  exits: ExitsConfig,
  name: string,
  template: StrategyTemplate,
  source: StrategySource,
  features: MarketFeatures,
  triggers: TriggerParams,
  now: number,
  ctx: { sink: DecisionSink; record: DecisionRecord; triggerResult: TriggerResult },
): RetemplateResult {
  const next = templateFields(exits, plan.tradeType, plan.risk, template);
  const breakevenChanges =
    next.baseBreakevenPct !== plan.baseBreakevenPct ||
    !same(next.breakevenR, plan.breakevenR) ||
    !same(next.templateBufferMultiplier, plan.templateBufferMultiplier);
  const partialChanges = next.basePartialPct !== plan.basePartialPct || next.partialClosePct !== plan.partialClosePct;
  if (breakevenChanges && plan.breakevenState === BREAKEVEN_DONE) {
    return {
      ok: false,
      message: `breakeven is already done for this position: strategy template ${name} would change its trigger or buffer`,
    };
  }
  if (partialChanges && plan.partialState !== PARTIAL_PENDING) {
    return {
      ok: false,
      message: `the partial close is already ${plan.partialState === PARTIAL_DONE ? 'done' : 'skipped'} for this position: strategy template ${name} would change it`,
    };
  }
  const out: string[] = [];
  const breakevenText = (r: number, pct: number): string =>
    Number.isNaN(r) ? `${pctText(pct)} of the way to TP` : `${decimalText(r, 2)} R`;
  if (
    breakevenChanges &&
    (next.baseBreakevenPct !== plan.baseBreakevenPct || !same(next.breakevenR, plan.breakevenR))
  ) {
    out.push(
      `breakeven trigger: ${breakevenText(plan.breakevenR, plan.baseBreakevenPct)} -> ${breakevenText(next.breakevenR, next.baseBreakevenPct)}`,
    );
  }
  if (!same(next.templateBufferMultiplier, plan.templateBufferMultiplier))
    out.push(
      `breakeven buffer: ${multText(plan.templateBufferMultiplier, 'symbol')} -> ${multText(next.templateBufferMultiplier, 'symbol')} x ATR`,
    );
  if (next.basePartialPct !== plan.basePartialPct)
    out.push(`partial trigger: ${pctText(plan.basePartialPct)} -> ${pctText(next.basePartialPct)} of the way to TP`);
  if (next.partialClosePct !== plan.partialClosePct)
    out.push(`partial size: ${pctText(plan.partialClosePct)} -> ${pctText(next.partialClosePct)} of the volume`);
  if (next.trailingEnabled !== plan.trailingEnabled)
    out.push(`trailing: ${plan.trailingEnabled ? 'on' : 'off'} -> ${next.trailingEnabled ? 'on' : 'off'}`);
  if (!same(next.templateTrailingMultiplier, plan.templateTrailingMultiplier))
    out.push(
      `trail multiplier: ${multText(plan.templateTrailingMultiplier, 'symbol')} -> ${multText(next.templateTrailingMultiplier, 'symbol')}`,
    );
  if (next.trailTimeframe !== plan.trailTimeframe)
    out.push(
      `trail ATR timeframe: ${plan.trailTimeframe || "the symbol's"} -> ${next.trailTimeframe || "the symbol's"}`,
    );
  const renamed = name !== plan.strategy || source !== plan.strategySource;
  if (!renamed && out.length === 0) return { ok: true, change: '' };

  const was = plan.strategy === '' ? 'none' : `${plan.strategy} (${plan.strategySource})`;
  Object.assign(plan, next);
  plan.strategy = name;
  plan.strategySource = source;
  if (plan.breakevenState !== BREAKEVEN_DONE) {
    // Before breakeven both triggers are refreshed from the base anyway: recomputed now, and recorded.
    applyTriggers(plan, features, triggers, now, ctx, 'triggers_set');
  } else if (partialChanges) {
    // After breakeven the triggers are no longer refreshed: only the partial's is worked out again.
    plan.partialPct = advancedTriggers(
      plan.side,
      features,
      plan.baseBreakevenPct,
      plan.basePartialPct,
      triggers,
      ctx.triggerResult,
    ).partialPct;
  }
  return {
    ok: true,
    change: `strategy template: ${was} -> ${name} (${source})${out.length > 0 ? `; ${out.join(', ')}` : ''}`,
  };
}
