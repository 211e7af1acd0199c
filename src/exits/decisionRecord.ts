// Every decision the exit plan takes, or declines, is described by a DecisionRecord: the rule, its
// inputs, the gate values, thresholds and multiplier, and the chosen action or why none, so a trader
// can see why a stop did or did not move. Records are flat (numbers and string literals) so the engine can fill one reused
// scratch object per rule without allocating; a sink that keeps records copies them (`copyRecord`).
import { decimalText } from '../domain/decimalText.ts';
import { factorNames } from './advancedTriggers.ts';
import type { ExitRule, Side } from '../domain/types.ts';

/** What happened to a rule this evaluation. */
export type DecisionOutcome =
  /** An intent was emitted. */
  | 'intent'
  /** The rule's trigger is not reached / nothing to do yet. */
  | 'wait'
  /** The rule would act but a constraint stops it (stops level, min change, min lot...). */
  | 'skip'
  /** The rule's work is complete (breakeven in place, partial taken or permanently skipped). */
  | 'done'
  /** Informational: a plan value was (re)computed (classification, triggers). */
  | 'info'
  /** Shadow mode: the intent Warden would have sent; nothing was sent. */
  | 'shadow';

export type DecisionReason =
  | 'disabled'
  | 'no_reference'
  | 'intent_in_flight'
  | 'trigger_not_reached'
  | 'intent_sent'
  | 'confirmed'
  | 'already_protected'
  | 'stops_level'
  | 'freeze_level'
  | 'not_tighter'
  | 'below_min_change'
  | 'atr_unavailable'
  | 'partial_below_min_lot'
  | 'remainder_below_min_lot'
  | 'after_breakeven'
  | 'breakeven_pending'
  | 'critical_gate_failed'
  /** A switched-on trailing gate has no data and no data does not pass (exits.noDataPasses): the trail waits. */
  | 'gate_no_data'
  | 'trailing_disabled'
  | 'classified'
  | 'triggers_set'
  | 'triggers_refreshed'
  | 'triggers_unchanged'
  /** The exit plan leaves the stop alone: DTMS owns it (from WARNING_L2 or HEDGED until HEALTHY again). */
  | 'dtms_owns_stop'
  /** DTMS: a deep check changed the state (from, to, score breakdown, regime, actions in the note). */
  | 'dtms_transition'
  /** DTMS: a due check did not run because the data could not be trusted (stale, spread spike). */
  | 'dtms_hold'
  /** DTMS: an action asked for produced no order (not tighter, below min lot, loss limit...). */
  | 'dtms_action_skipped'
  /** DTMS: the broker refused an action's order too many times; it is given up. */
  | 'dtms_action_abandoned'
  /** Stop ownership hand-overs, both ways. */
  | 'stop_to_dtms'
  | 'stop_to_exit_plan'
  /** Lifetimes (the live session): Warden sees a position open for the first time (adopted, opened by DTMS, or back after it closed). */
  | 'lifetime_started'
  /** The position is gone at the venue (closed, or its ticket now holds another position). */
  | 'lifetime_ended'
  /** The venue's ticket of a lifetime that ended holds a new position: a new lifetime, its history apart from the old one's. */
  | 'ticket_reused'
  /** The venue gives no open time for the position: its lifetime starts when Warden first saw it. */
  | 'open_time_unknown'
  /** The engine's intent id is already in the journal for another decision: not sent, decided afresh. */
  | 'journal_conflict'
  /** The session's clock went back, or jumped far ahead: recorded, the step goes on with the bar's time. */
  | 'clock_jump'
  /** An intent kept only after a store outage: not sent (its prices are gone), decided afresh. */
  | 'stale_decision'
  /** A stop move of Warden's was cut short at the venue (old stop gone, new one not there): the stop is put back. */
  | 'stop_cut_short'
  /** A trader changed the position by hand (rule `manual`): what, from what to what, and from where, in the note. */
  | 'manual_change'
  /** Shadow mode: the intent was applied to the would-be position only; nothing was sent to the venue. */
  | 'not_sent_shadow'
  /** Shadow mode: a symbol was promoted to live (the trader, through the API). */
  | 'promoted_to_live'
  /** DTMS: a trader took the position out of DTMS's hands (no check, no action), with their reason. */
  | 'dtms_disabled'
  /** DTMS: a trader gave the position back to DTMS. */
  | 'dtms_enabled';

/** Advisory gate results: 1 pass, 0 fail, -1 no data (shown as unknown; passes or holds the trail by exits.noDataPasses). */
export type GateValue = -1 | 0 | 1;

export interface DecisionRecord {
  time: number;
  positionId: string;
  symbol: string;
  side: Side;
  rule: ExitRule;
  outcome: DecisionOutcome;
  reason: DecisionReason;
  /** False when this rule gave the same outcome and reason last evaluation (sinks may drop it). */
  changed: boolean;
  session: string;

  /** Exit-side price the decision saw: bid for a buy, ask for a sell. */
  price: number;
  spread: number;
  /** Favourable move as a fraction of the distance to TP (or 2R without TP). */
  progress: number;
  rAchieved: number;
  /** Trigger in % of progress for breakeven / partial; R threshold for trailing's critical gate. */
  trigger: number;
  atr: number;
  /** Breakeven buffer (price units) or trail distance (price units). */
  distance: number;
  /** Buffer or trailing multiplier used. */
  multiplier: number;
  /** RMAG threshold (trailing gate / trigger rule 1). */
  threshold: number;
  oldSl: number;
  newSl: number;
  volume: number;
  intentId: string;

  /** Trailing gates. */
  criticalGate: GateValue;
  gateVolatility: GateValue;
  gateMtf: GateValue;
  gateRmag: GateValue;
  gateVwap: GateValue;
  gateHvn: GateValue;
  advisoryFailures: number;
  /** Raw gate inputs. */
  mtfAligned: number;
  rmag: number;
  vwapZone: number;
  hvnDistAtr: number;

  /** Trigger rules: resulting percentages, the factor bitmask (see TRIGGER_FACTORS) and the trade-type base they adjust. */
  breakevenPct: number;
  partialPct: number;
  factors: number;
  baseBreakevenPct: number;
  basePartialPct: number;
  /** DTMS: the state before and after the record ('' for the exit plan's rules) and the last deep-check score. */
  dtmsFrom: string;
  dtmsState: string;
  score: number;
  /** Free text only for rare records (classification reason, DTMS transitions); '' otherwise. */
  note: string;
}

export function newDecisionRecord(): DecisionRecord {
  const r = {} as DecisionRecord;
  resetRecord(r);
  return r;
}

/** Resets every field: one shape, so V8 keeps the object monomorphic. */
export function resetRecord(r: DecisionRecord): void {
  r.time = 0;
  r.positionId = '';
  r.symbol = '';
  r.side = 'buy';
  r.rule = 'breakeven';
  r.outcome = 'wait';
  r.reason = 'trigger_not_reached';
  r.changed = false;
  r.session = '';
  r.price = NaN;
  r.spread = NaN;
  r.progress = NaN;
  r.rAchieved = NaN;
  r.trigger = NaN;
  r.atr = NaN;
  r.distance = NaN;
  r.multiplier = NaN;
  r.threshold = NaN;
  r.oldSl = NaN;
  r.newSl = NaN;
  r.volume = NaN;
  r.intentId = '';
  r.criticalGate = -1;
  r.gateVolatility = -1;
  r.gateMtf = -1;
  r.gateRmag = -1;
  r.gateVwap = -1;
  r.gateHvn = -1;
  r.advisoryFailures = 0;
  r.mtfAligned = NaN;
  r.rmag = NaN;
  r.vwapZone = -1;
  r.hvnDistAtr = NaN;
  r.breakevenPct = NaN;
  r.partialPct = NaN;
  r.factors = 0;
  r.baseBreakevenPct = NaN;
  r.basePartialPct = NaN;
  r.dtmsFrom = '';
  r.dtmsState = '';
  r.score = NaN;
  r.note = '';
}

/** Resets `r` and fills who and when: the start of every record. */
export function startRecord(
  r: DecisionRecord,
  time: number,
  who: { positionId: string; symbol: string; side: Side },
  rule: ExitRule,
): DecisionRecord {
  resetRecord(r);
  r.time = time;
  r.positionId = who.positionId;
  r.symbol = who.symbol;
  r.side = who.side;
  r.rule = rule;
  return r;
}

export function copyRecord(r: DecisionRecord): DecisionRecord {
  return { ...r };
}

/** Where decision records go. The record passed in is reused by the engine: copy it to keep it. */
export interface DecisionSink {
  record(r: DecisionRecord): void;
  /**
   * False when the sink keeps only records whose outcome changed (and intents): the rules may then
   * skip building a record that repeats the last outcome. Undefined counts as true (every record).
   */
  readonly keepsUnchanged?: boolean;
}

/** Counts records and keeps none: the benchmark's sink (records are still built for every rule). */
export class CountingSink implements DecisionSink {
  count = 0;
  intents = 0;
  record(r: DecisionRecord): void {
    this.count++;
    if (r.outcome === 'intent') this.intents++;
  }
}

/** Keeps every record (tests). */
export class ArraySink implements DecisionSink {
  readonly records: DecisionRecord[] = [];
  record(r: DecisionRecord): void {
    this.records.push(copyRecord(r));
  }
}

/**
 * Keeps the records worth knowing: every intent and every change of a rule's outcome or reason, so
 * a trader can see why a stop did or did not move without one line per rule per bar. Queryable by
 * position and by recency; bounded (oldest dropped first).
 */
export class DecisionJournal implements DecisionSink {
  readonly keepsUnchanged = false;
  private readonly items: DecisionRecord[] = [];
  private readonly byPos = new Map<string, DecisionRecord[]>();
  constructor(private readonly capacity = 100_000) {}

  record(r: DecisionRecord): void {
    if (!r.changed && r.outcome !== 'intent') return;
    const copy = copyRecord(r);
    this.items.push(copy);
    let list = this.byPos.get(r.positionId);
    if (!list) this.byPos.set(r.positionId, (list = []));
    list.push(copy);
    if (this.items.length > this.capacity) {
      const dropped = this.items.shift()!;
      const l = this.byPos.get(dropped.positionId);
      if (l && l[0] === dropped) l.shift();
    }
  }

  forPosition(positionId: string): readonly DecisionRecord[] {
    return this.byPos.get(positionId) ?? [];
  }

  recent(limit = 100): readonly DecisionRecord[] {
    return this.items.slice(Math.max(0, this.items.length - limit));
  }

  get size(): number {
    return this.items.length;
  }
}

// Each number formatted once, as decimal digits (decimalText): replay explains every intent it writes,
// about 15 numbers each.
const fmt = (x: number, d = 5): string => (Number.isFinite(x) ? decimalText(x, d) : 'n/a');
const gate = (g: GateValue): string => (g === 1 ? 'ok' : g === 0 ? 'FAIL' : 'no data');

/** One human sentence for a record: why the stop did or did not move. Built only when asked. */
export function explainDecision(r: DecisionRecord): string {
  const head = `${r.symbol} ${r.side} #${r.positionId} ${r.rule}: ${r.outcome} (${r.reason})`;
  switch (r.rule) {
    case 'breakeven':
      return `${head}; progress ${fmt(r.progress * 100, 1)}% vs trigger ${fmt(r.trigger, 1)}%, ATR ${fmt(r.atr)}, buffer ${fmt(r.distance)} (x${fmt(r.multiplier, 2)}), SL ${fmt(r.oldSl)} -> ${fmt(r.newSl)}`;
    case 'partial':
      return `${head}; progress ${fmt(r.progress * 100, 1)}% vs trigger ${fmt(r.trigger, 1)}%, volume ${fmt(r.volume, 2)}`;
    case 'trail':
      return (
        `${head}; critical ${gate(r.criticalGate)} (R ${fmt(r.rAchieved, 2)} vs ${fmt(r.trigger, 2)}), ` +
        `volatility ${gate(r.gateVolatility)}, mtf ${gate(r.gateMtf)} (${fmt(r.mtfAligned, 0)}), ` +
        `rmag ${gate(r.gateRmag)} (${fmt(r.rmag, 2)} vs ${fmt(r.threshold, 2)}), vwap ${gate(r.gateVwap)}, ` +
        `hvn ${gate(r.gateHvn)} (${fmt(r.hvnDistAtr, 2)} ATR), failures ${r.advisoryFailures} -> x${fmt(r.multiplier, 3)}, ` +
        `distance ${fmt(r.distance)}, SL ${fmt(r.oldSl)} -> ${fmt(r.newSl)}`
      );
    case 'triggers': {
      // Built here, not when the record is made: most trigger records are never read.
      const names = factorNames(r.factors);
      const rmag = Number.isFinite(r.rmag) ? r.rmag.toFixed(2) : 'n/a';
      return (
        `${head}; breakeven ${fmt(r.breakevenPct, 1)}%, partial ${fmt(r.partialPct, 1)}%; ${names.length ? names.join(', ') : 'no adjustment'} ` +
        `(base ${r.baseBreakevenPct}/${r.basePartialPct}; RMAG ${rmag} vs threshold ${r.threshold} in the trade's direction)`
      );
    }
    case 'classify':
      return `${head}; ${r.note}`;
    case 'dtms':
      return r.reason === 'dtms_transition'
        ? `${head} ${r.dtmsFrom} -> ${r.dtmsState}; ${r.note}`
        : `${head}; ${r.note}`;
    case 'lifetime':
    case 'restore':
    case 'manual':
      return `${head}; ${r.note}`;
  }
}
