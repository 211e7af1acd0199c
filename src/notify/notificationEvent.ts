// What a trader is told, as plain data: built from the decision records and execution results a live
// session produces. Only the records worth a message become events (intents, DTMS state changes, stop
// hand-overs); waits, skips and holds repeat far too often for a phone. Pure functions: no clock, no I/O.
import { decimalText } from '../domain/decimalText.ts';
import { closesHedge, ticketOfKey } from '../domain/lifetime.ts';
import type { ExitRule, Intent } from '../domain/types.ts';
import { SEVERITIES, type Severity } from '../config/notifySchema.ts';
import type { ExecutionResult } from '../execution/intentExecutor.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';

export type NotificationKind = 'action' | 'state_change' | 'failed_intent' | 'ownership';

/** True when `s` is at least as severe as `min`. */
export function atLeast(s: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(s) >= SEVERITIES.indexOf(min);
}

export interface NotificationEvent {
  kind: NotificationKind;
  severity: Severity;
  /** Epoch ms: the decision's time (engine clock), or when the broker's answer was seen. */
  time: number;
  positionId: string;
  /** Broker symbol, e.g. `XAUUSDc`. */
  symbol: string;
  rule: ExitRule;
  /** The intent the event is about ('' for state changes and hand-overs): pairs a "sent" with its answer. */
  intentId: string;
  /** One line, e.g. `XAUUSDc buy #123: breakeven SL 2400.5 -> 2405.12 sent`. */
  title: string;
  /** The details: prices, volumes, progress, the reason; a few short lines. */
  text: string;
}

export interface EventOptions {
  /** Decimals to show for a symbol's prices (its `digits`); unknown: up to 5, trailing zeros dropped. */
  priceDigits?: (symbol: string) => number | undefined;
}

const DEFAULT_PRICE_DIGITS = 5;

function priceFormatter(symbol: string, opts: EventOptions): (x: number) => string {
  const d = opts.priceDigits?.(symbol);
  const digits = d !== undefined && Number.isInteger(d) && d >= 0 && d <= 8 ? d : DEFAULT_PRICE_DIGITS;
  return (x) => (Number.isFinite(x) ? decimalText(x, digits) : 'n/a');
}

const num = (x: number, d: number): string => (Number.isFinite(x) ? decimalText(x, d) : 'n/a');
const lots = (x: number): string => `${num(x, 4)} lots`;
const pct = (fraction: number): string => `${num(fraction * 100, 1)}%`;

/** DTMS actions in trading words. */
const DTMS_ACTION_TEXT: Readonly<Record<string, string>> = {
  tighten_stop: 'tighten the stop',
  partial_close: 'close half',
  stop_to_breakeven: 'stop to entry',
  open_hedge: 'open a hedge',
  close_instead_of_hedge: 'close (no hedging on this account)',
  close_hedge: 'close the hedge',
  re_add: 're-add',
  close_all: 'close the position',
  close_orphan_hedge: 'close a hedge left behind',
};

/** DTMS actions whose failure leaves the position exposed: a refusal of one is critical. */
const PROTECTIVE_DTMS_ACTIONS: ReadonlySet<string> = new Set([
  'partial_close',
  'open_hedge',
  'close_instead_of_hedge',
  'close_all',
  'close_orphan_hedge',
]);
/** DTMS actions that cut or offset risk: worth a warning when sent. */
const RISK_CUTTING_DTMS_ACTIONS: ReadonlySet<string> = new Set(['open_hedge', 'close_instead_of_hedge', 'close_all']);

/** DTMS actions that open a new position (their stop is that position's). */
const OPEN_DTMS_ACTIONS: ReadonlySet<string> = new Set(['open_hedge', 're_add']);

const actionText = (action: string): string => DTMS_ACTION_TEXT[action] ?? action.replace(/_/g, ' ');

/** The DTMS action a record's note starts with (`tighten_stop in WARNING_L1 ...`, `close_orphan_hedge: ...`). */
function noteAction(note: string): string {
  const m = /^([a-z_]+)\b/.exec(note);
  return m?.[1] ?? '';
}

function stateSeverity(to: string): Severity {
  if (to === 'CLOSED') return 'critical';
  if (to === 'HEDGED' || to === 'WARNING_L2') return 'warning';
  return 'info';
}

// The venue's ticket, as the trader knows the position (a lifetime key names it with its lifetime).
const who = (r: { symbol: string; side: string; positionId: string }): string =>
  `${r.symbol} ${r.side} #${ticketOfKey(r.positionId)}`;

/**
 * The event for one decision record, or null when the record is not worth a message: only intents
 * sent (breakeven, partial, trail, DTMS actions), DTMS state changes and stop hand-overs are.
 */
export function eventFromDecision(r: DecisionRecord, opts: EventOptions = {}): NotificationEvent | null {
  const px = priceFormatter(r.symbol, opts);
  const base = { time: r.time, positionId: r.positionId, symbol: r.symbol, rule: r.rule };
  const at = `price ${px(r.price)}`;

  if (r.reason === 'dtms_transition') {
    return {
      ...base,
      kind: 'state_change',
      severity: stateSeverity(r.dtmsState),
      intentId: '',
      title: `${who(r)}: DTMS ${r.dtmsFrom || '?'} -> ${r.dtmsState} (score ${num(r.score, 2)})`,
      text: [`${r.dtmsFrom || '?'} -> ${r.dtmsState} at ${at}`, r.note].filter((l) => l !== '').join('\n'),
    };
  }

  if (r.reason === 'stop_to_dtms' || r.reason === 'stop_to_exit_plan') {
    const toDtms = r.reason === 'stop_to_dtms';
    return {
      ...base,
      kind: 'ownership',
      severity: 'info',
      intentId: '',
      title: `${who(r)}: ${toDtms ? 'DTMS takes the stop' : 'stop back to the exit plan'} (${r.dtmsState})`,
      text: [`SL ${px(r.oldSl)}, ${at}, DTMS score ${num(r.score, 2)}`, r.note].filter((l) => l !== '').join('\n'),
    };
  }

  if (r.outcome !== 'intent') return null;

  const id = r.intentId !== '' ? `\nintent ${r.intentId}` : '';
  switch (r.rule) {
    case 'breakeven':
      return {
        ...base,
        kind: 'action',
        severity: 'info',
        intentId: r.intentId,
        title: `${who(r)}: breakeven SL ${px(r.oldSl)} -> ${px(r.newSl)} sent`,
        text:
          `Stop to breakeven at ${pct(r.progress)} of the way to target (trigger ${num(r.trigger, 1)}%), ${at}\n` +
          `buffer ${px(r.distance)} = ATR ${px(r.atr)} x ${num(r.multiplier, 2)}` +
          id,
      };
    case 'partial':
      return {
        ...base,
        kind: 'action',
        severity: 'info',
        intentId: r.intentId,
        title: `${who(r)}: partial close ${lots(r.volume)} sent`,
        text:
          `Partial profit at ${pct(r.progress)} of the way to target (trigger ${num(r.trigger, 1)}%), ${at}, ${num(r.rAchieved, 2)} R` +
          id,
      };
    case 'trail':
      return {
        ...base,
        kind: 'action',
        severity: 'info',
        intentId: r.intentId,
        title: `${who(r)}: trailing SL ${px(r.oldSl)} -> ${px(r.newSl)} sent`,
        text:
          `Trailing stop at ${num(r.rAchieved, 2)} R, ${at}\n` +
          `distance ${px(r.distance)} = ATR ${px(r.atr)} x ${num(r.multiplier, 3)}` +
          (r.advisoryFailures > 0 ? ` (${r.advisoryFailures} advisory gates failed)` : '') +
          id,
      };
    case 'dtms': {
      const action = noteAction(r.note);
      const details: string[] = [];
      // An open's stop is the new position's own: no "from" (the record's oldSl is the managed position's).
      if (Number.isFinite(r.newSl))
        details.push(OPEN_DTMS_ACTIONS.has(action) ? `SL ${px(r.newSl)}` : `SL ${px(r.oldSl)} -> ${px(r.newSl)}`);
      if (Number.isFinite(r.volume)) details.push(lots(r.volume));
      return {
        ...base,
        kind: 'action',
        severity: RISK_CUTTING_DTMS_ACTIONS.has(action) ? 'warning' : 'info',
        intentId: r.intentId,
        title: `${who(r)}: DTMS ${actionText(action)}${details.length > 0 ? ` (${details.join(', ')})` : ''} sent`,
        text: [`${r.dtmsState ? `DTMS ${r.dtmsState}, ` : ''}${at}`, r.note].filter((l) => l !== '').join('\n') + id,
      };
    }
    case 'restore':
      return {
        ...base,
        kind: 'action',
        severity: 'warning',
        intentId: r.intentId,
        title: `${who(r)}: stop missing at the venue, SL ${px(r.newSl)} sent`,
        text: [`${at}`, r.note].filter((l) => l !== '').join('\n') + id,
      };
    case 'classify':
    case 'triggers':
    case 'lifetime':
    case 'manual':
      // These rules never send an intent; a record that says so is not a trader's business.
      return null;
  }
}

/** What an intent asks the broker for, in trading words. */
export function describeIntent(intent: Intent, opts: EventOptions = {}): string {
  const px = priceFormatter(intent.symbol, opts);
  switch (intent.kind) {
    case 'move_stop':
      return `SL ${intent.oldSl === null ? 'none' : px(intent.oldSl)} -> ${px(intent.newSl)}`;
    case 'close_partial':
      return `close ${lots(intent.volume)}`;
    case 'close':
      return closesHedge(intent)
        ? `close hedge #${intent.targetId} (${lots(intent.volume)})`
        : `close ${lots(intent.volume)}`;
    case 'open':
      return `open ${intent.side} ${lots(intent.volume)}${Number.isFinite(intent.newSl) ? ` SL ${px(intent.newSl)}` : ''}`;
  }
}

/** The rule (or DTMS action) behind an intent, as a trader names it. */
function intentLabel(intent: Intent): string {
  switch (intent.rule) {
    case 'breakeven':
      return 'breakeven';
    case 'partial':
      return 'partial close';
    case 'trail':
      return 'trailing stop';
    case 'dtms':
      return intent.action !== '' ? `DTMS ${actionText(intent.action)}` : 'DTMS action';
    default:
      return intent.rule;
  }
}

/**
 * The event for an intent's answer: 'applied' is a confirmed action, 'rejected' and 'unknown' are
 * failed intents. Null for 'pending' and for a duplicate (the id was settled in an earlier run, and
 * its event with it). `now` stamps the answer (default: the intent's decision time).
 */
export function eventFromExecution(
  result: ExecutionResult,
  now: number = result.intent.time,
  opts: EventOptions = {},
): NotificationEvent | null {
  if (result.duplicate || result.outcome === 'pending') return null;
  const it = result.intent;
  const px = priceFormatter(it.symbol, opts);
  const base = { time: now, positionId: it.positionId, symbol: it.symbol, rule: it.rule, intentId: it.id };
  // An open's side is the new order's and a hedge close's the hedge's: the managed position's side is shown only when it is the intent's.
  const ownSide = it.kind !== 'open' && !closesHedge(it);
  const head = `${it.symbol}${ownSide ? ` ${it.side}` : ''} #${it.positionId}: ${intentLabel(it)}`;
  const what = describeIntent(it, opts);
  const sends = result.sends > 1 ? ` after ${result.sends} sends` : '';
  const code = result.code !== null && result.code !== '' ? `code ${result.code}: ` : '';
  const asked = `asked: ${what} at price ${px(it.price)} (${it.reason})`;

  switch (result.outcome) {
    case 'applied': {
      const answer = result.answer;
      const fill =
        answer !== null && answer.outcome === 'applied' && Number.isFinite(answer.price)
          ? `, broker price ${px(answer.price)}`
          : '';
      const opened =
        answer !== null && answer.outcome === 'applied' && it.kind === 'open' && answer.positionId !== ''
          ? `, new position #${answer.positionId}`
          : '';
      return {
        ...base,
        kind: 'action',
        severity: 'info',
        title: `${head} done: ${what}`,
        text: `Confirmed by the broker${sends}${fill}${opened}\n${asked}\nintent ${it.id}`,
      };
    }
    case 'rejected':
      return {
        ...base,
        kind: 'failed_intent',
        severity: it.rule === 'dtms' && PROTECTIVE_DTMS_ACTIONS.has(it.action) ? 'critical' : 'warning',
        title: `${head} REJECTED: ${what}`,
        text: `Refused by the broker${sends}: ${code}${result.reason}\n${asked}\nintent ${it.id}`,
      };
    case 'unknown':
      return {
        ...base,
        kind: 'failed_intent',
        severity: it.rule === 'dtms' && PROTECTIVE_DTMS_ACTIONS.has(it.action) ? 'critical' : 'warning',
        title: `${head} outcome UNKNOWN: ${what}`,
        text:
          `No answer from the broker${sends}: ${code}${result.reason}; Warden reads the broker's positions to tell whether it took effect ` +
          `and decides nothing else for this position until then\n${asked}\nintent ${it.id}`,
      };
  }
}
