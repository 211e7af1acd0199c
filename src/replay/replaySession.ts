// Replay: the exact engine that runs live, fed by recorded bars, with the paper broker filling
// stops and targets inside each bar and answering every intent. Per bar, in this order:
//   1. entries due at this bar open at its open price;
//   2. the broker fills SLs/TPs the bar touched (gaps fill at the open); those positions close;
//   3. the engine folds the closed bar into the features and evaluates every open position at the
//      bar's close (DTMS, then the exit plan); each intent goes to the broker at that close, and its
//      answer goes back to the engine (an "unknown" answer is reconciled from the broker's view of the
//      positions at once).
// DTMS hedges are broker positions of their own, booked to the trade they hedge (their profit counts in
// its R and profit); a DTMS re-add is a trade of its own. The loss-limit rails see the account's
// realized losses of the day and of the last hour, and the stops in a row.
// When the realized balance is 0 or below at the end of a bar, the account is gone: what is open closes
// at that bar's close (`balance_gone`) and the replay stops; the entries still to come are not taken.
// Deterministic: the same bars, entries, config and broker options give byte-identical outputs.
import type { OrderGateway } from '../brokers/brokerPort.ts';
import { resolveAccountDefaults } from '../config/accountDefaults.ts';
import type { WardenConfig } from '../config/schema.ts';
import { PaperBroker, type PaperBrokerOptions, type PaperBrokerSnapshot, type PaperFill } from '../brokers/paperBroker.ts';
import { ceilToStep, floorToStep, roundStop } from '../domain/rounding.ts';
import { TIMEFRAME_MS, type Bar, type Instrument, type Intent, type Position, type Timeframe } from '../domain/types.ts';
import type { EngineSnapshot } from '../engine/engineState.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import { IntentExecutor, MemoryJournal, type ImmediateVenue, type SettledIntent } from '../execution/intentExecutor.ts';
import type { RetryPolicy } from '../execution/retryPolicy.ts';
import { TRIGGER_FACTORS } from '../exits/advancedTriggers.ts';
import { explainDecision, type DecisionRecord, type DecisionSink } from '../exits/decisionRecord.ts';
import { BREAKEVEN_DONE, PARTIAL_SKIPPED } from '../exits/exitPlan.ts';
import type { BarSeries } from '../market/barSeries.ts';
import type { BarSource } from '../market/barSource.ts';
import { DEFAULT_MAX_GAP_MS, GapFinder } from '../market/gaps.ts';
import { AccountRiskBook, type AccountRiskState } from './accountRiskBook.ts';
import { DecisionLineBuilder, rounded, type DecisionKind, type DecisionResult, type LineWriter } from './decisionLog.ts';
import type { ReplayEntry } from './entries.ts';
import { accountCurrency, computeMetrics, toAccountCurrency } from './metrics.ts';
import type { BalanceGone, DtmsSummary, ExitReason, GapSummary, TradeChart, TradeRow } from './reportModel.ts';
import { TradeBook, type TradeBookState, type TradeState } from './tradeBook.ts';
import { DEFAULT_MAX_TRADE_CHARTS } from './reportHtml.ts';

export type { PlacedTrade, TradeState } from './tradeBook.ts';

export interface ReplayInput {
  config: WardenConfig;
  instrument: Instrument;
  /** The bars, played once in order (never needed whole). */
  bars: BarSource;
  timeframe: Timeframe;
  entries: readonly ReplayEntry[];
  broker: Omit<PaperBrokerOptions, 'timeframeMs'>;
  decisions: LineWriter;
  startingBalance: number;
  /**
   * A hole between two bars longer than this is a data boundary, not a market closure (e.g. separate
   * recorded days months apart): open positions close at the last bar before it, the features start
   * afresh after it, and a file entry inside it is refused. Default 96 h (a weekend with a holiday).
   */
  maxGapMs?: number;
  /** Trades whose stop path and events are kept for report.html (the first ones); default DEFAULT_MAX_TRADE_CHARTS. */
  chartTrades?: number;
  /** Called every `progressEvery` bars and at the end. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
  /** Go on from a checkpoint of an earlier run with the same inputs (its decision lines are not written again). */
  resume?: ReplayCheckpoint;
  /**
   * Played in lockstep with other replays of the same bars (replayInLockstep): this replay's engine reads
   * the market `market` folds, which takes each bar between this replay's entries and fills and its
   * evaluation (see ReplayPlay), as its own engine would have.
   */
  market?: ExitEngine;
  /** Take a checkpoint before each of these bar indexes, and hand it to `onCheckpoint` (keep or persist it; see ReplayCheckpoint). */
  checkpointAt?: readonly number[];
  onCheckpoint?: (checkpoint: ReplayCheckpoint) => void;
}

/**
 * Everything a replay has built before bar `next`, as plain data (JSON through plainJson): the trades,
 * the tallies, the loss-limit rails' view, and the engine's and the paper broker's lasting state. The
 * market state is not in it: a resumed replay feeds bars 0..next-1 to a fresh engine (features only,
 * the same data boundaries), which rebuilds it exactly. `lines`: decision lines written before `next`.
 * Everything is a copy except the settled trades, which never change again: shared, to be read only.
 */
export interface ReplayCheckpoint extends TradeBookState, AccountRiskState {
  next: number;
  lines: number;
  nextEntry: number;
  entriesRejected: number;
  positionBars: number;
  tallies: [string, Record<string, number>][];
  engine: EngineSnapshot;
  broker: PaperBrokerSnapshot;
}

export interface ReplayResult {
  trades: TradeState[];
  rows: TradeRow[];
  metrics: ReturnType<typeof computeMetrics>['metrics'];
  equity: [number, number][];
  counts: Record<string, number>;
  currency: string;
  entriesRejected: number;
  broker: PaperBroker;
  bars: number;
  /** Sum over bars of the positions open at the bar (mean concurrency = positionBars / bars). */
  positionBars: number;
  dtms: DtmsSummary;
  /** Set when the balance went (see the file comment); null otherwise. */
  balanceGone: BalanceGone | null;
  /** The holes between bars (all of them: found while the bars played, before the balance went or not). */
  gaps: GapSummary;
}

/**
 * Skips written to decisions.jsonl: a broker constraint or missing data stopped a rule that would
 * have acted. Routine trailing outcomes (candidate not tighter, or below the minimum change) are not
 * written: they flip bar by bar and would be a third of the file (they stay in the live journal).
 */
const SKIP_WORTH_KNOWING = new Set(['stops_level', 'freeze_level', 'atr_unavailable', 'partial_below_min_lot', 'remainder_below_min_lot', 'already_protected']);

/** Writes the skips worth knowing and DTMS's decisions, marks RMAG-tightened trades, keeps intent explanations. */
class ReplaySink implements DecisionSink {
  readonly keepsUnchanged = false;
  readonly explained = new Map<string, string>();
  constructor(
    private readonly trades: Map<string, TradeState>,
    private readonly lines: DecisionLineBuilder,
    private readonly digits: number,
    private readonly count: (prefix: string, name: string) => void,
    /** Plans are enabled (exits.autoEnable): an RMAG tightening of a plan that manages nothing changes nothing, and is not counted. */
    private readonly plansEnabled: boolean,
  ) {}

  record(r: DecisionRecord): void {
    if (r.rule === 'dtms' && r.outcome !== 'intent') {
      this.dtms(r);
      return;
    }
    if (r.rule === 'triggers') {
      if (this.plansEnabled && (r.factors & TRIGGER_FACTORS.rmag_stretched) !== 0) {
        const t = this.trades.get(r.positionId);
        if (t) t.rmag = true;
      }
      return;
    }
    if (r.rule === 'trail' && r.criticalGate === 1) {
      const t = this.trades.get(r.positionId);
      if (t) t.trailGatePassed = true;
    }
    if (r.outcome === 'intent') {
      this.explained.set(r.intentId, explainDecision(r));
      return;
    }
    if (!r.changed || !SKIP_WORTH_KNOWING.has(r.reason)) return;
    if (r.rule !== 'breakeven' && r.rule !== 'partial' && r.rule !== 'trail') return;
    const t = this.trades.get(r.positionId);
    const d = this.digits;
    const l = this.lines.begin(r.time, r.positionId, r.side, r.rule, 'skipped');
    l.oldSl = rounded(r.oldSl, d);
    l.newSl = rounded(r.newSl, d);
    l.volume = rounded(r.volume, 8);
    l.openVolume = t ? rounded(t.openVolume, 8) : null;
    l.price = rounded(r.price, d);
    l.reason = r.reason;
    l.detail = explainDecision(r);
    this.lines.emit();
  }

  // The last transition written: the skips it names in its detail (same bar, same position) are not
  // written again. Only ever compared within one bar, so a checkpoint between bars needs none of it.
  private transitionTime = NaN;
  private transitionOf = '';

  /** A DTMS transition, hold, skip or stop hand-over: one line each, tallied for the report. */
  private dtms(r: DecisionRecord): void {
    const t = this.trades.get(r.positionId);
    let reason: string;
    if (r.reason === 'dtms_transition') {
      this.transitionTime = r.time;
      this.transitionOf = r.positionId;
      reason = `${r.dtmsFrom} -> ${r.dtmsState}`;
      this.count('dtms_transitions', `${r.dtmsFrom}->${r.dtmsState}`);
      if (t && r.dtmsFrom === 'HEALTHY' && Number.isNaN(t.dtmsWarningTime)) t.dtmsWarningTime = r.time;
      if (t?.charted) t.events.push({ time: r.time, kind: 'dtms', price: r.price, label: `DTMS ${reason} (score ${Number.isFinite(r.score) ? r.score.toFixed(2) : 'n/a'})` });
    } else if (r.reason === 'dtms_hold') {
      reason = `dtms_hold: ${r.note.slice(0, r.note.indexOf(':'))}`;
      this.count('dtms_holds', r.note.slice(0, r.note.indexOf(':')));
    } else if (r.reason === 'dtms_action_skipped' || r.reason === 'dtms_action_abandoned') {
      reason = `${r.reason}: ${r.note}`;
      // Tallied by action and reason code ('open_hedge: loss_limit'), not by the figures in the detail.
      const action = r.note.slice(0, r.note.indexOf(':'));
      const code = r.note.slice(action.length + 2).split(':', 1)[0]!;
      this.count('dtms_skipped', r.reason === 'dtms_action_abandoned' ? `${action}: given up` : `${action}: ${code}`);
      // Skipped when the transition asked for it: its line names it already (tallied all the same).
      if (r.reason === 'dtms_action_skipped' && r.time === this.transitionTime && r.positionId === this.transitionOf) return;
    } else reason = r.reason;
    const l = this.lines.begin(r.time, r.positionId, r.side, 'dtms', r.outcome === 'skip' ? 'skipped' : 'info');
    l.openVolume = t ? rounded(t.openVolume, 8) : null;
    l.oldSl = rounded(r.oldSl, this.digits);
    l.price = rounded(r.price, this.digits);
    l.reason = reason;
    l.detail = r.note;
    this.lines.emit();
  }
}

const KIND_OF_RULE: Record<string, DecisionKind> = { breakeven: 'breakeven', partial: 'partial', trail: 'trail', dtms: 'dtms' };
/** Exit reasons that are a stop filling (the consecutive-stops rail counts those closed at a loss). */
const STOP_EXITS = new Set<ExitReason>(['initial_stop', 'breakeven_stop', 'trailing_stop', 'dtms_stop']);
/**
 * Replay sends each intent once: a refused one (requote included) is decided afresh at the next bar,
 * on that bar's prices, as a bar is the finest time replay has. No wait is ever taken.
 */
const SEND_ONCE: RetryPolicy = { maxSends: 1, baseDelayMs: 0, rateLimitDelayMs: 0, maxDelayMs: 0 };

/** Spread the whole replay uses for a bar: the data's, or the configured one (fixed, or when the data has none). */
function spreadOf(bar: Bar, inst: Instrument, o: ReplayInput['broker']): number {
  const cfg = (o.spreadPoints ?? 0) * inst.point;
  if (o.spreadMode === 'fixed') return cfg;
  return Number.isFinite(bar.spread) && bar.spread >= 0 ? bar.spread : cfg;
}

/**
 * The paper broker as the order gateway every venue implements, and as a venue that answers at once:
 * replay's intents take the same execution path as a live account's (journal, send, settle,
 * reconcile), without a promise per request.
 */
function paperGateway(broker: PaperBroker): OrderGateway & ImmediateVenue {
  return {
    name: 'paper',
    positions: () => Promise.resolve(broker.positions()),
    send: (intent) => Promise.resolve(broker.apply(intent)),
    sendNow: (intent) => broker.apply(intent),
    positionsNow: () => broker.positions(),
  };
}

export async function runReplay(input: ReplayInput): Promise<ReplayResult> {
  if (input.market !== undefined) throw new Error('runReplay: a replay with a shared market is played by replayInLockstep');
  const play = openReplay(input);
  const cursor = input.bars.open();
  let offset = 0;
  try {
    for (let chunk = cursor.next(); chunk !== null; chunk = cursor.next()) {
      for (let j = 0; j < chunk.length; j++) {
        const i = offset + j;
        if (play.beforeFold(i, chunk, j)) play.afterFold(i);
      }
      offset += chunk.length;
    }
  } finally {
    cursor.close();
    play.release();
  }
  return play.finish();
}

/**
 * A replay played bar by bar from outside (runReplay, or replayInLockstep with several of them). For
 * each bar in order: `beforeFold` (entries and fills; true when the engine is to take the bar), then,
 * when it said true, `afterFold` (the engine at the bar's close and its intents). In lockstep the
 * shared market takes the bar in between, where this replay's own engine would have. `finish` once
 * every bar was given; `release` in any case.
 */
export interface ReplayPlay {
  /** The bar being played (its spread set): what the shared market takes in lockstep. */
  readonly bar: Readonly<Bar>;
  beforeFold(i: number, chunk: BarSeries, j: number): boolean;
  afterFold(i: number): void;
  finish(): ReplayResult;
  release(): void;
}

export function openReplay(input: ReplayInput): ReplayPlay {
  const { config, instrument: inst, bars: source, entries } = input;
  const tfMs = TIMEFRAME_MS[input.timeframe];
  const digits = inst.digits;
  // Tallies by prefix then name ('intents' -> 'trail' -> n), flattened to 'intents.trail' at the end:
  // building the joined key per event cost a string and a hash lookup each time.
  const tallies = new Map<string, Record<string, number>>();
  const count = (prefix: string, name: string) => {
    let t = tallies.get(prefix);
    if (t === undefined) tallies.set(prefix, (t = {}));
    t[name] = (t[name] ?? 0) + 1;
  };
  const broker = new PaperBroker(inst, { ...input.broker, timeframeMs: tfMs });
  const risk = new AccountRiskBook(input.startingBalance);
  const book = new TradeBook(broker, risk, inst.canonical, input.chartTrades ?? DEFAULT_MAX_TRADE_CHARTS);
  const lines = new DecisionLineBuilder(input.decisions, inst.symbol);
  const sink = new ReplaySink(book.open, lines, digits, count, config.exits.autoEnable);
  // Replay plays on the paper broker: a setting left to the account takes the paper account's value.
  const engine = new ExitEngine(resolveAccountDefaults(config, { real: false }), { baseTimeframe: input.timeframe, sink, ...(input.market ? { market: input.market } : {}) });
  engine.addInstrument(inst);
  // The loss-limit rails see the account's realized losses of the day and of the last hour, and the stops in a row.
  engine.setAccountRisk(risk.risk);
  const venue = paperGateway(broker);
  const executor = new IntentExecutor(venue, new MemoryJournal({ forgetSettled: true }), {
    retry: SEND_ONCE,
    clock: () => broker.quote().time,
    sleep: () => Promise.resolve(),
  });
  const symbol = inst.symbol;
  const ccy = accountCurrency(inst.canonical);

  const bar: Bar = { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, spread: NaN };
  const out: Intent[] = [];
  let nextEntry = 0;
  let entriesRejected = 0;
  let positionBars = 0;
  const progressEvery = input.progressEvery ?? 65_536;

  /** Starts a line about trade `t`; set what it says, then `lines.emit()`. */
  const line = (t: TradeState, time: number, kind: DecisionKind, result: DecisionResult) => {
    const l = lines.begin(time, t.id, t.side, kind, result);
    l.openVolume = rounded(t.openVolume, 8);
    return l;
  };

  /** The trade's own position is closed: the book, the engine, and the tally. */
  const finish = (t: TradeState, idx: number, time: number, reason: ExitReason): void => {
    book.finish(t, idx, time, reason, STOP_EXITS.has(reason));
    const plan = engine.untrack(t.id);
    if (plan) {
      t.breakeven = plan.breakevenState === BREAKEVEN_DONE;
      t.partialSkipped = plan.partialState === PARTIAL_SKIPPED;
      t.tradeType = plan.tradeType;
    }
    count('close', reason);
  };

  const refuseEntry = (e: ReplayEntry, why: string, sl: number | null = e.sl, price = NaN, code = 0): void => {
    entriesRejected++;
    count('entries', 'rejected');
    const l = lines.begin(bar.time, '', e.side, 'open', 'rejected');
    l.newSl = rounded(sl, digits);
    l.volume = rounded(e.volume, 8);
    l.price = rounded(price, digits);
    l.reason = `entry ${e.source} ${why}`;
    l.code = code;
    lines.emit();
  };

  const openEntry = (e: ReplayEntry, idx: number): void => {
    const buy = e.side === 'buy';
    const q = broker.quote();
    const fill = buy ? q.ask : q.bid;
    let sl = e.sl;
    let tp = e.tp;
    if (Number.isFinite(e.slDistance)) {
      sl = roundStop(e.side, buy ? fill - e.slDistance : fill + e.slDistance, inst.tickSize);
      // A target rounds toward the entry: never promise more than was decided.
      const rawTp = buy ? fill + e.tpDistance : fill - e.tpDistance;
      tp = buy ? floorToStep(rawTp, inst.tickSize) : ceilToStep(rawTp, inst.tickSize);
    }
    // A netting account holds one position per symbol: an entry while it is open would be netted into
    // it (added, reduced or reversed), which is not a trade of its own. Such an entry is not taken, and says why.
    if (input.broker.accountMode === 'netting' && book.open.size > 0) {
      refuseEntry(e, 'not taken: a netting account already holds a position in the symbol, and the entry would net into it', sl, fill);
      return;
    }
    const a = broker.open({ requestId: `entry:${e.source}`, side: e.side, volume: e.volume, sl, tp, comment: e.comment, exempt: true });
    if (a.outcome !== 'applied') {
      refuseEntry(e, `refused by the broker: ${a.reason}`, sl, fill, a.code);
      return;
    }
    const p = broker.position(a.positionId)!;
    const t = book.add(p, idx, bar.time, e.comment);
    t.highest = bar.high;
    t.lowest = bar.low;
    count('entries', 'opened');
    const plan = engine.track(p, bar.time);
    t.tradeType = plan.tradeType;
    const l = line(t, bar.time, 'open', 'applied');
    l.newSl = rounded(p.sl, digits);
    l.volume = rounded(p.volume, 8);
    l.price = rounded(p.entryPrice, digits);
    l.reason = `entry ${e.source}${e.comment ? ` (${e.comment})` : ''}`;
    l.code = a.code;
    l.detail = `${plan.tradeType} (${plan.tradeTypeReason}); breakeven at ${plan.breakevenPct}%, partial ${plan.partialClosePct}% at ${plan.partialPct}%`;
    lines.emit();
  };

  /** The price of the broker's last deal for a position (an "unknown" answer that took effect), else `fallback`. */
  const lastDealPrice = (positionId: string, fallback: number): number => {
    const deals = broker.deals;
    for (let k = deals.length - 1; k >= 0 && k >= deals.length - 8; k--) if (deals[k]!.positionId === positionId) return deals[k]!.price;
    return fallback;
  };

  /** The line about an intent and the broker's answer (written after the answer is applied). */
  const intentLine = (it: Intent, positionId: string, side: string, kind: DecisionKind, result: DecisionResult, before: number | null, reason: string, code: number, detail: string, time: number): void => {
    const l = lines.begin(time, positionId, side, kind, result);
    l.intentId = it.id;
    l.oldSl = rounded(it.oldSl, digits);
    if (it.kind === 'move_stop' || it.kind === 'open') l.newSl = rounded(it.newSl, digits);
    if (it.kind !== 'move_stop') l.volume = rounded(it.volume, 8);
    l.openVolume = rounded(before, 8);
    l.price = rounded(it.price, digits);
    l.reason = reason;
    l.code = code;
    l.detail = detail;
    lines.emit();
  };

  const dtmsApplied = (t: TradeState, it: Intent): void => {
    if (it.rule !== 'dtms') return;
    t.dtmsActions++;
    count('dtms_actions', it.action);
  };

  /**
   * An intent the broker applied (the engine already knows): its effect on replay's view of the trade,
   * and its line. `price`: the fill, or the quote for a stop move; `openedId`: the ticket an open created.
   */
  const applied = (t: TradeState, it: Intent, price: number, openedId: string, code: number, reason: string, detail: string, before: number, time: number, idx: number): void => {
    const chart = t.charted;
    switch (it.kind) {
      case 'move_stop': {
        t.sl = it.newSl;
        t.slSetBy = it.rule === 'breakeven' ? 'breakeven' : it.rule === 'dtms' ? 'dtms' : 'trail';
        if (it.rule === 'breakeven') {
          t.breakeven = true;
          if (Number.isNaN(t.breakevenTime)) t.breakevenTime = time;
        } else if (it.rule === 'trail') {
          if (t.trailMoves === 0) t.firstTrailTime = time;
          t.trailMoves++;
        } else if (it.rule === 'dtms' && Number.isNaN(t.dtmsStopTime)) t.dtmsStopTime = time;
        dtmsApplied(t, it);
        if (chart) t.stopPath.push([time, it.newSl]);
        if (chart) t.events.push({ time, kind: it.rule === 'breakeven' ? 'breakeven' : it.rule === 'dtms' ? 'dtms' : 'trail', price: it.newSl, label: `${it.rule === 'dtms' ? it.action : it.rule}: SL ${it.oldSl ?? 'none'} -> ${it.newSl}` });
        intentLine(it, t.id, t.side, KIND_OF_RULE[it.rule]!, 'applied', before, reason, code, detail, time);
        break;
      }
      case 'close_partial': {
        book.recordClose(t, time, price, it.volume);
        if (it.rule === 'partial') t.partial = true;
        dtmsApplied(t, it);
        const p = broker.position(t.id);
        t.openVolume = p ? p.volume : 0;
        if (chart) t.events.push({ time, kind: it.rule === 'dtms' ? 'dtms' : 'partial', price, label: `${it.rule === 'dtms' ? it.action : 'partial'}: closed ${it.volume} at ${price}` });
        intentLine(it, t.id, t.side, KIND_OF_RULE[it.rule]!, 'applied', before, reason, code, detail, time);
        break;
      }
      case 'close': {
        dtmsApplied(t, it);
        if (it.targetId === t.id) {
          // DTMS closed the position itself (netting account instead of a hedge, or CLOSED).
          book.recordClose(t, time, price, before);
          if (chart) t.events.push({ time, kind: 'exit', price, label: `${it.action}: closed at ${price}` });
          intentLine(it, t.id, t.side, 'close', 'applied', before, reason, code, detail, time);
          finish(t, idx, time, 'dtms_close');
        } else {
          book.recordHedgeClose(it.targetId, time, price);
          if (chart) t.events.push({ time, kind: 'dtms', price, label: `${it.action}: hedge #${it.targetId} closed at ${price}` });
          intentLine(it, it.targetId, it.side, 'close', 'applied', it.volume, reason, code, detail, time);
        }
        break;
      }
      case 'open': {
        dtmsApplied(t, it);
        const p = broker.position(openedId);
        if (it.action === 'open_hedge') {
          book.hedgeOpened(openedId, t);
          if (chart) t.events.push({ time, kind: 'dtms', price, label: `open_hedge: ${it.side} ${it.volume} (#${openedId}) at ${price}` });
          intentLine(it, openedId, it.side, 'open', 'applied', null, reason, code, detail, time);
        } else if (p) {
          // A re-add is a trade of its own, managed (and defended) like every other.
          const nt = book.add(p, idx, time, it.comment);
          // Opened at bar idx's close: its excursions count that bar, as the trades opened at its open do.
          nt.highest = bar.high;
          nt.lowest = bar.low;
          nt.reAddOf = t.id;
          count('entries', 're_add');
          if (chart) t.events.push({ time, kind: 'dtms', price, label: `re_add: ${it.side} ${it.volume} (#${openedId}) at ${price}` });
          intentLine(it, openedId, it.side, 'open', 'applied', null, reason, code, detail, time);
          const plan = engine.track(p, time);
          nt.tradeType = plan.tradeType;
        }
        break;
      }
    }
    if (it.kind === 'move_stop' || it.kind === 'close_partial') {
      const p = broker.position(t.id);
      if (p) engine.track(p, time);
    }
  };

  /** The line's position for a refused or unsettled intent: the hedge for a hedge close, '' for an open. */
  const subjectOf = (t: TradeState, it: Intent): [string, string, DecisionKind] =>
    it.kind === 'open' ? ['', it.side, 'open'] : it.kind === 'close' ? (it.targetId === t.id ? [t.id, t.side, 'close'] : [it.targetId, it.side, 'close']) : [t.id, t.side, KIND_OF_RULE[it.rule]!];

  /** The trade an intent is about (an orphaned hedge's close names its closed position: found through the hedge). */
  const tradeOf = (it: Intent): TradeState | undefined => book.open.get(it.positionId) ?? book.hedgeOf.get(it.targetId);

  /**
   * What replay writes and books for an intent the executor settled (it told the engine already): the
   * answer's line, and for an unknown answer the line saying so, then reconciliation's verdict.
   */
  const written = (s: SettledIntent, t: TradeState, before: number, now: number, idx: number): void => {
    const it = s.intent;
    const detail = sink.explained.get(it.id) ?? it.reason;
    sink.explained.delete(it.id);
    count('intents', it.rule);
    const a = s.answer!;
    if (s.how === 'answer' && a.outcome === 'applied') {
      applied(t, it, a.price, a.positionId, a.code, it.reason, detail, before, now, idx);
      return;
    }
    const [subject, side, kind] = subjectOf(t, it);
    const onHedge = it.kind === 'close' && it.targetId !== t.id;
    if (s.how === 'answer') {
      count('rejected', it.rule);
      intentLine(it, subject, side, kind, 'rejected', onHedge ? it.volume : before, s.reason, a.code, detail, now);
      return;
    }
    count('unknown', it.rule);
    intentLine(it, subject, side, kind, 'unknown', onHedge ? it.volume : before, a.outcome === 'unknown' ? a.reason : s.reason, a.code, detail, now);
    if (s.settled === 'applied') {
      // The fill price is the broker's: its last deal for the position (a stop move has none: the quote).
      const dealOf = it.kind === 'open' ? s.openedId : it.kind === 'move_stop' ? '' : it.targetId || t.id;
      const price = dealOf === '' ? it.price : lastDealPrice(dealOf, it.price);
      applied(t, it, price, s.openedId, a.code, 'reconciled: the broker shows the change took effect', detail, before, now, idx);
    } else {
      count('rejected', it.rule);
      intentLine(it, subject, side, kind, 'rejected', onHedge ? it.volume : before, 'reconciled: the broker shows no change; the decision will be taken afresh', a.code, detail, now);
    }
  };

  /** A step's intents through the executor, one at a time in the engine's order, each written as it settles. */
  const execute = (intents: readonly Intent[], now: number, idx: number): void => {
    // Only intents about a trade replay holds are sent (the same ones replay always sent).
    const sendable: Intent[] = [];
    const trades: TradeState[] = [];
    for (const it of intents) {
      const t = tradeOf(it);
      if (!t) continue;
      sendable.push(it);
      trades.push(t);
    }
    if (sendable.length === 0) return;
    // Each trade's open volume as it was when its intent was decided (its line shows it).
    const before = trades.map((t) => t.openVolume);
    let k = 0;
    executor.executeStepNow(sendable, engine, venue, (s) => {
      const j = k++;
      written(s, trades[j]!, before[j]!, now, idx);
    });
  };

  /** A DTMS hedge that left the book (its own stop or target, inside the bar): booked to its trade. */
  const hedgeFilled = (f: PaperFill): void => {
    const owner = book.recordHedgeClose(f.positionId, f.time, f.price);
    if (!owner) return;
    const reason = f.reason === 'tp' ? 'hedge take_profit' : 'hedge stop';
    if (owner.charted) owner.events.push({ time: f.time, kind: 'dtms', price: f.price, label: `${reason}: #${f.positionId} closed at ${f.price}` });
    const l = lines.begin(f.time, f.positionId, owner.side === 'buy' ? 'sell' : 'buy', 'close', 'applied');
    l.volume = rounded(f.volume, 8);
    l.openVolume = rounded(f.volume, 8);
    l.price = rounded(f.price, digits);
    l.reason = `${reason}${f.gap ? ', gap fill at the open' : ''} (hedge of #${owner.id})`;
    lines.emit();
    engine.untrack(f.positionId);
  };

  /** Closes every open position at the current quote (end of data, data boundary): hedges first. */
  const closeAll = (idx: number, time: number, reason: ExitReason): void => {
    const label = reason === 'data_gap' ? 'data boundary ahead' : reason === 'balance_gone' ? 'balance gone' : 'end of data';
    for (const [hedgeId, owner] of [...book.hedgeOf]) {
      const volume = broker.position(hedgeId)?.volume ?? 0;
      const a = broker.close(`${reason}:${hedgeId}`, hedgeId, true);
      if (a.outcome !== 'applied') throw new Error(`replay: the paper broker refused the ${reason} close of hedge #${hedgeId}: ${'reason' in a ? a.reason : ''}`);
      book.recordHedgeClose(hedgeId, time, a.price);
      if (owner.charted) owner.events.push({ time, kind: 'dtms', price: a.price, label: `${label}: hedge #${hedgeId} closed at ${a.price}` });
      const l = lines.begin(time, hedgeId, owner.side === 'buy' ? 'sell' : 'buy', 'close', 'applied');
      l.volume = rounded(volume, 8);
      l.openVolume = rounded(volume, 8);
      l.price = rounded(a.price, digits);
      l.reason = `${reason} (hedge of #${owner.id})`;
      l.code = a.code;
      lines.emit();
      engine.untrack(hedgeId);
    }
    for (const t of [...book.open.values()]) {
      const before = t.openVolume;
      const a = broker.close(`${reason}:${t.id}`, t.id, true);
      if (a.outcome !== 'applied') throw new Error(`replay: the paper broker refused the ${reason} close of #${t.id}: ${'reason' in a ? a.reason : ''}`);
      book.recordClose(t, time, a.price, before);
      if (t.charted) t.events.push({ time, kind: 'exit', price: a.price, label: `${label}: closed at ${a.price}` });
      const l = line(t, time, 'close', 'applied');
      l.oldSl = rounded(t.sl, digits);
      l.volume = rounded(before, 8);
      l.price = rounded(a.price, digits);
      l.reason = reason;
      l.code = a.code;
      lines.emit();
      finish(t, idx, time, reason);
    }
  };

  /** The stops and targets a bar touched: those trades close (a hedge's fill is booked to its trade). */
  const fillBar = (idx: number): void => {
    const fills = broker.fillBar(bar);
    for (let k = 0; k < fills.length; k++) {
      const f = fills[k]!;
      const t = book.open.get(f.positionId);
      if (!t) {
        hedgeFilled(f);
        continue;
      }
      const before = t.openVolume;
      book.recordClose(t, f.time, f.price, f.volume);
      if (f.gap) t.gapFill = true;
      const reason: ExitReason =
        f.reason === 'tp' ? 'take_profit' : t.slSetBy === 'breakeven' ? 'breakeven_stop' : t.slSetBy === 'trail' ? 'trailing_stop' : t.slSetBy === 'dtms' ? 'dtms_stop' : 'initial_stop';
      if (t.charted) t.events.push({ time: f.time, kind: 'exit', price: f.price, label: `${reason.replace('_', ' ')}${f.gap ? ' (gap: filled at the open)' : ''} at ${f.price}` });
      const l = line(t, f.time, 'close', 'applied');
      l.oldSl = rounded(t.sl, digits);
      l.volume = rounded(f.volume, 8);
      l.openVolume = rounded(before, 8);
      l.price = rounded(f.price, digits);
      l.reason = f.gap ? `${reason}, gap fill at the open` : reason;
      lines.emit();
      finish(t, idx, f.time, reason);
    }
  };

  const maxGap = input.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  const n = source.length;
  const linesBefore = input.decisions.count;

  const checkpoint = (next: number): ReplayCheckpoint => {
    const b = book.state();
    const r = risk.state();
    return {
      next,
      lines: input.decisions.count - linesBefore + (input.resume?.lines ?? 0),
      nextEntry,
      entriesRejected,
      positionBars,
      tradeCount: b.tradeCount,
      settled: b.settled,
      unsettled: b.unsettled,
      open: b.open,
      hedgeOf: b.hedgeOf,
      hedgesOpened: b.hedgesOpened,
      hedgeProfit: b.hedgeProfit,
      tallies: [...tallies].map(([k, v]) => [k, { ...v }]),
      risk: r.risk,
      balance: r.balance,
      riskDay: r.riskDay,
      dayStartBalance: r.dayStartBalance,
      dayProfit: r.dayProfit,
      hourCloses: r.hourCloses,
      hourProfit: r.hourProfit,
      engine: engine.snapshot(),
      broker: broker.snapshot(),
    };
  };

  const cp = input.resume;
  // A resumed replay feeds bars 0..next-1 to the engine only (features), then picks the checkpoint up.
  const from = cp ? cp.next : 0;
  let restored = cp === undefined;
  const restore = (): void => {
    restored = true;
    if (!cp) return;
    // The settled trades are shared with the checkpoint (neither side changes them); the others are copied.
    book.restore(cp);
    for (const [k, v] of cp.tallies) tallies.set(k, { ...v });
    nextEntry = cp.nextEntry;
    entriesRejected = cp.entriesRejected;
    positionBars = cp.positionBars;
    risk.restore(cp);
    engine.restoreSnapshot(cp.engine);
    broker.restore(cp.broker);
  };
  const checkpoints = new Set(input.checkpointAt ?? []);

  let balanceGone: BalanceGone | null = null;
  /**
   * At the end of bar `idx` (quotes at `time`, its close): when the realized balance is 0 or below, what
   * is open closes there and the run ends. True when it did.
   */
  const accountGone = (idx: number, time: number, close: number, spread: number): boolean => {
    if (risk.realizedBalance > 0) return false;
    if (book.open.size > 0 || book.hedgeOf.size > 0) {
      broker.setQuote(time, close, spread);
      closeAll(idx, time, 'balance_gone');
    }
    balanceGone = { time, entriesNotTaken: entries.length - nextEntry };
    return true;
  };

  // The previous bar's open time, close and spread: a data boundary closes at that close.
  let prevTime = Number.NaN;
  let prevClose = Number.NaN;
  let prevSpread = Number.NaN;

  /** Bar `i` (in `bar`, its spread set) up to the engine: entries and fills. False when the account went. */
  const beforeFold = (i: number): boolean => {
    if (checkpoints.size > 0 && checkpoints.has(i)) input.onCheckpoint?.(checkpoint(i));
    if (i > 0 && bar.time - prevTime > maxGap) {
      // Data boundary: close at the previous bar's close, then start the features afresh.
      const prevCloseTime = prevTime + tfMs;
      if (book.open.size > 0 || book.hedgeOf.size > 0) {
        broker.setQuote(prevCloseTime, prevClose, prevSpread);
        closeAll(i - 1, prevCloseTime, 'data_gap');
        if (accountGone(i - 1, prevCloseTime, prevClose, NaN)) return false;
      }
      engine.resetFeatures(symbol);
      count('data', 'boundaries');
    }
    // The open trades' excursions take this bar in (a trade opened now starts from it).
    if (book.open.size > 0) {
      for (const t of book.open.values()) {
        if (bar.high > t.highest) t.highest = bar.high;
        if (bar.low < t.lowest) t.lowest = bar.low;
      }
    }

    // 1. Entries due at this bar's open (one inside a data hole is refused: there was no market to enter).
    if (nextEntry < entries.length && entries[nextEntry]!.time <= bar.time) {
      broker.setQuote(bar.time, bar.open, bar.spread);
      while (nextEntry < entries.length && entries[nextEntry]!.time <= bar.time) {
        const e = entries[nextEntry++]!;
        if (bar.time - e.time > maxGap) refuseEntry(e, `no market data within ${maxGap / 3_600_000} h after the entry time (data boundary)`);
        else openEntry(e, i);
      }
    }

    // 2. Stops and targets inside the bar.
    if (book.open.size > 0 || book.hedgeOf.size > 0) fillBar(i);
    return true;
  };

  /** Bar `i` from the engine on: the engine and its intents. False when the account went. */
  const afterFold = (i: number): boolean => {
    // 3. The engine at the bar's close; its intents are answered at that close.
    positionBars += book.open.size;
    if (out.length !== 0) out.length = 0;
    const now = bar.time + tfMs;
    risk.update(now);
    engine.onBar(symbol, bar, out);
    if (out.length > 0) {
      broker.setQuote(now, bar.close, bar.spread);
      execute(out, now, i);
      out.length = 0;
    }
    if (accountGone(i, now, bar.close, bar.spread)) return false;
    if (input.onProgress && (i + 1) % progressEvery === 0) input.onProgress(i + 1, n);
    return true;
  };

  // One pass over the bars. Once the account is gone the rest only shows the holes between bars.
  const gaps = new GapFinder(tfMs);
  const scratch: Intent[] = [];
  let over = false;
  let played = 0;
  const passed = (i: number): void => {
    prevTime = bar.time;
    prevClose = bar.close;
    prevSpread = bar.spread;
    played = i + 1;
  };
  const playBefore = (i: number, chunk: BarSeries, j: number): boolean => {
    gaps.add(chunk.time[j]!);
    if (over) return false;
    chunk.read(j, bar);
    bar.spread = spreadOf(bar, inst, input.broker);
    if (i < from) {
      if (i > 0 && bar.time - prevTime > maxGap) engine.resetFeatures(symbol);
      engine.onBar(symbol, bar, scratch);
      passed(i);
      return false;
    }
    if (!restored) restore();
    if (beforeFold(i)) return true;
    over = true;
    passed(i);
    return false;
  };
  const playAfter = (i: number): void => {
    if (!afterFold(i)) over = true;
    passed(i);
  };

  const result = (): ReplayResult => {
  if (!restored) restore();

  // End of data: whatever is still open is closed at the last close, and says so.
  if (!over && played > 0 && (book.open.size > 0 || book.hedgeOf.size > 0)) {
    const lastTime = prevTime + tfMs;
    broker.setQuote(lastTime, bar.close, bar.spread);
    closeAll(played - 1, lastTime, 'end_of_data');
  }
  input.onProgress?.(n, n);

  const counts: Record<string, number> = {};
  const dtmsTallies = new Set(['dtms_transitions', 'dtms_actions', 'dtms_holds', 'dtms_skipped']);
  for (const [prefix, t] of tallies) {
    if (dtmsTallies.has(prefix)) continue; // in the DTMS summary
    for (const name of Object.keys(t)) counts[`${prefix}.${name}`] = t[name]!;
  }
  const all = book.all;
  const rows = all.map((t) => tradeRow(t, inst));
  const { metrics, equity } = computeMetrics(all, rows, input.startingBalance);
  const sorted = (prefix: string): Record<string, number> => {
    const t = tallies.get(prefix) ?? {};
    const o: Record<string, number> = {};
    for (const k of Object.keys(t).sort()) o[k] = t[k]!;
    return o;
  };
  const dtms: DtmsSummary = {
    enabled: config.dtms.enabled,
    deepChecks: engine.deepChecks,
    actionRate: metrics.dtmsActionRate,
    transitions: sorted('dtms_transitions'),
    actions: sorted('dtms_actions'),
    holds: sorted('dtms_holds'),
    skipped: sorted('dtms_skipped'),
    hedges: book.hedgesOpened,
    hedgeProfit: Number(book.hedgeProfit.toFixed(2)),
  };
  return { trades: all, rows, metrics, equity, counts, currency: ccy, entriesRejected, broker, bars: n, positionBars, dtms, balanceGone, gaps: gaps.summary() };
  };

  return { bar, beforeFold: playBefore, afterFold: playAfter, finish: result, release: () => broker.releaseFineBars() };
}

/**
 * The largest favourable and adverse moves from the entry price while the trade was open, in price
 * units: from the highest high and lowest low of the bars from the entry bar to the exit bar, both
 * included (the exit bar's far side may lie after the fill: a bar is the finest time replay has).
 */
export function tradeExcursions(t: Pick<TradeState, 'side' | 'entryPrice' | 'highest' | 'lowest'>): { favourable: number; adverse: number } {
  if (t.highest === -Infinity) return { favourable: 0, adverse: 0 };
  const up = Math.max(0, t.highest - t.entryPrice);
  const down = Math.max(0, t.entryPrice - t.lowest);
  return t.side === 'buy' ? { favourable: up, adverse: down } : { favourable: down, adverse: up };
}

const timeOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

function tradeRow(t: TradeState, inst: Instrument): TradeRow {
  const riskPrice = t.initialSl === null ? NaN : Math.abs(t.entryPrice - t.initialSl);
  const risk = riskPrice * t.volume * inst.contractSize;
  const ex = tradeExcursions(t);
  const inR = (x: number) => (riskPrice > 0 ? Number((x / riskPrice).toFixed(4)) : null);
  const flags: string[] = [];
  if (t.breakeven) flags.push('breakeven');
  if (t.partial) flags.push('partial');
  if (t.partialSkipped) flags.push('partial_skipped');
  if (t.trailMoves > 0) flags.push('trailed');
  if (t.rmag) flags.push('rmag');
  if (t.gapFill) flags.push('gap_fill');
  if (t.dtmsActions > 0) flags.push('dtms');
  if (t.hedged) flags.push('hedged');
  if (t.reAddOf !== '') flags.push('re_add');
  const exitPrice = t.exitVolume > 0 ? t.exitValue / t.exitVolume : NaN;
  const lastPrice = t.closes.length > 0 ? exitPrice : t.entryPrice;
  return {
    positionId: t.id,
    side: t.side,
    volume: t.volume,
    entryTime: t.entryTime,
    entryPrice: t.entryPrice,
    initialSl: t.initialSl,
    tp: t.tp,
    exitTime: t.exitTime,
    exitPrice: Number(exitPrice.toFixed(inst.digits + 2)),
    exitReason: t.exitReason ?? 'end_of_data',
    r: risk > 0 ? Number((t.realized / risk).toFixed(4)) : null,
    profit: Number(toAccountCurrency(t.realized, lastPrice, inst.canonical).toFixed(2)),
    tradeType: t.tradeType,
    flags,
    trailMoves: t.trailMoves,
    comment: t.comment,
    mfeR: inR(ex.favourable),
    maeR: inR(ex.adverse),
    breakevenTime: timeOrNull(t.breakevenTime),
    firstTrailTime: timeOrNull(t.firstTrailTime),
    trailGatePassed: t.trailGatePassed,
    dtmsWarningTime: timeOrNull(t.dtmsWarningTime),
    dtmsStopTime: timeOrNull(t.dtmsStopTime),
  };
}

/** A charted trade's bars, being gathered: buckets of `per` bars from `from` to `to`. */
interface ChartPlan {
  t: TradeState;
  from: number;
  to: number;
  per: number;
  time: number[];
  high: number[];
  low: number[];
  close: number[];
  h: number;
  l: number;
}

/**
 * The charts of the charted trades, in their order: price around each trade (bars from a little
 * before its entry to a little after its exit, downsampled to at most `points` buckets: the first
 * bar's time, the highest high, the lowest low, the last close), its stop path and events. One pass
 * over the bars, stopped once the last chart is complete.
 */
export function tradeCharts(trades: readonly TradeState[], source: BarSource, points = 200): TradeChart[] {
  const n = source.length;
  const plans: ChartPlan[] = trades
    .filter((t) => t.charted)
    .map((t) => {
      const span = Math.max(1, t.exitIdx - t.entryIdx);
      const pad = Math.max(5, Math.round(span * 0.15));
      const from = Math.max(0, t.entryIdx - pad);
      const to = Math.min(n - 1, Math.max(t.exitIdx, t.entryIdx) + pad);
      const per = Math.max(1, Math.ceil((to - from + 1) / points));
      return { t, from, to, per, time: [], high: [], low: [], close: [], h: -Infinity, l: Infinity };
    });
  const waiting = plans.filter((p) => p.from <= p.to).sort((a, b) => a.from - b.from);
  let next = 0;
  let active: ChartPlan[] = [];
  if (waiting.length > 0) {
    source.forEachChunk((chunk, offset) => {
      for (let j = 0; j < chunk.length; j++) {
        const k = offset + j;
        while (next < waiting.length && waiting[next]!.from <= k) active.push(waiting[next++]!);
        if (active.length === 0) {
          if (next === waiting.length) return false;
          continue;
        }
        let ended = false;
        for (const p of active) {
          const off = k - p.from;
          if (off % p.per === 0) {
            p.time.push(chunk.time[j]!);
            p.h = -Infinity;
            p.l = Infinity;
          }
          if (chunk.high[j]! > p.h) p.h = chunk.high[j]!;
          if (chunk.low[j]! < p.l) p.l = chunk.low[j]!;
          if (off % p.per === p.per - 1 || k === p.to) {
            p.high.push(p.h);
            p.low.push(p.l);
            p.close.push(chunk.close[j]!);
          }
          if (k === p.to) ended = true;
        }
        if (ended) active = active.filter((p) => k < p.to);
      }
      return true;
    });
  }
  return plans.map((p) => ({
    positionId: p.t.id,
    side: p.t.side,
    time: p.time,
    high: p.high,
    low: p.low,
    close: p.close,
    entry: { time: p.t.entryTime, price: p.t.entryPrice },
    tp: p.t.tp,
    stopPath: p.t.stopPath,
    events: p.t.events,
  }));
}

export type { Position };
