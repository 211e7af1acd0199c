// Replay: the exact engine that runs live, fed by recorded bars, with the paper broker filling
// stops and targets inside each bar and answering every intent. Per bar, in this order:
//   1. entries due at this bar open at its open price;
//   2. the broker fills SLs/TPs the bar touched (gaps fill at the open); those positions close;
//   3. the engine folds the closed bar into the features and evaluates every open position at the
//      bar's close; each intent goes to the broker at that close, and its answer goes back to the
//      engine (an "unknown" answer is reconciled from the broker's view of the position at once).
// Deterministic: the same bars, entries, config and broker options give byte-identical outputs.
import type { WardenConfig } from '../config/schema.ts';
import { PaperBroker, type PaperBrokerOptions } from '../brokers/paperBroker.ts';
import type { BrokerAnswer } from '../brokers/brokerAnswer.ts';
import { ceilToStep, floorToStep, roundStop } from '../domain/rounding.ts';
import { TIMEFRAME_MS, type Bar, type Instrument, type Intent, type Position, type Timeframe } from '../domain/types.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import { TRIGGER_FACTORS } from '../exits/advancedTriggers.ts';
import { explainDecision, type DecisionRecord, type DecisionSink } from '../exits/decisionRecord.ts';
import { BREAKEVEN_DONE, PARTIAL_SKIPPED } from '../exits/exitPlan.ts';
import type { BarSeries } from '../market/barSeries.ts';
import { DEFAULT_MAX_GAP_MS } from '../market/gaps.ts';
import { DecisionLineBuilder, rounded, type DecisionKind, type DecisionResult, type LineWriter } from './decisionLog.ts';
import type { ReplayEntry } from './entries.ts';
import { accountCurrency, computeMetrics, toAccountCurrency } from './metrics.ts';
import type { ExitReason, TradeChart, TradeRow } from './reportModel.ts';

export interface ReplayInput {
  config: WardenConfig;
  instrument: Instrument;
  series: BarSeries;
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
  /** Trades whose stop path and events are kept for report.html (the first ones); default 300. */
  chartTrades?: number;
  /** Called every `progressEvery` bars and at the end. */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

/** Everything replay learns about one position. */
export interface TradeState {
  id: string;
  side: 'buy' | 'sell';
  comment: string;
  entryIdx: number;
  entryTime: number;
  entryPrice: number;
  volume: number;
  openVolume: number;
  initialSl: number | null;
  tp: number | null;
  sl: number | null;
  slSetBy: 'initial' | 'breakeven' | 'trail';
  /** Quote currency, partial closes included. */
  realized: number;
  exitValue: number;
  exitVolume: number;
  exitIdx: number;
  exitTime: number;
  exitReason: ExitReason | null;
  tradeType: string;
  breakeven: boolean;
  partial: boolean;
  partialSkipped: boolean;
  trailMoves: number;
  rmag: boolean;
  gapFill: boolean;
  /** Stop path and events are kept for the charted trades only (memory and time on long replays). */
  charted: boolean;
  stopPath: [number, number | null][];
  events: TradeChart['events'];
  /** Account currency realized at each close: [time, profit]. */
  closes: [number, number][];
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
}

/**
 * Skips written to decisions.jsonl: a broker constraint or missing data stopped a rule that would
 * have acted. Routine trailing outcomes (candidate not tighter, or below the minimum change) are not
 * written: they flip bar by bar and would be a third of the file (they stay in the live journal).
 */
const SKIP_WORTH_KNOWING = new Set(['stops_level', 'freeze_level', 'atr_unavailable', 'partial_below_min_lot', 'remainder_below_min_lot', 'already_protected']);

/** Writes the skips worth knowing, marks RMAG-tightened trades, keeps intent explanations. */
class ReplaySink implements DecisionSink {
  readonly keepsUnchanged = false;
  readonly explained = new Map<string, string>();
  constructor(
    private readonly trades: Map<string, TradeState>,
    private readonly lines: DecisionLineBuilder,
    private readonly digits: number,
  ) {}

  record(r: DecisionRecord): void {
    if (r.rule === 'triggers') {
      if ((r.factors & TRIGGER_FACTORS.rmag_stretched) !== 0) {
        const t = this.trades.get(r.positionId);
        if (t) t.rmag = true;
      }
      return;
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
}

const KIND_OF_RULE: Record<string, DecisionKind> = { breakeven: 'breakeven', partial: 'partial', trail: 'trail' };

/** Spread the whole replay uses for a bar: the data's, or the configured one (fixed, or when the data has none). */
function spreadOf(bar: Bar, inst: Instrument, o: ReplayInput['broker']): number {
  const cfg = (o.spreadPoints ?? 0) * inst.point;
  if (o.spreadMode === 'fixed') return cfg;
  return Number.isFinite(bar.spread) && bar.spread >= 0 ? bar.spread : cfg;
}

export function runReplay(input: ReplayInput): ReplayResult {
  const { config, instrument: inst, series, entries } = input;
  const tfMs = TIMEFRAME_MS[input.timeframe];
  const digits = inst.digits;
  const trades = new Map<string, TradeState>();
  const all: TradeState[] = [];
  // Tallies by prefix then name ('intents' -> 'trail' -> n), flattened to 'intents.trail' at the end:
  // building the joined key per event cost a string and a hash lookup each time.
  const tallies = new Map<string, Record<string, number>>();
  const count = (prefix: string, name: string) => {
    let t = tallies.get(prefix);
    if (t === undefined) tallies.set(prefix, (t = {}));
    t[name] = (t[name] ?? 0) + 1;
  };
  const lines = new DecisionLineBuilder(input.decisions, inst.symbol);
  const sink = new ReplaySink(trades, lines, digits);
  const engine = new ExitEngine(config, { baseTimeframe: input.timeframe, sink });
  engine.addInstrument(inst);
  const broker = new PaperBroker(inst, { ...input.broker, timeframeMs: tfMs });
  const symbol = inst.symbol;
  const ccy = accountCurrency(inst.canonical);

  const bar: Bar = { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, spread: NaN };
  const out: Intent[] = [];
  let nextEntry = 0;
  let entriesRejected = 0;
  let positionBars = 0;
  const progressEvery = input.progressEvery ?? 65_536;
  const chartLimit = input.chartTrades ?? 300;

  /** Starts a line about trade `t`; set what it says, then `lines.emit()`. */
  const line = (t: TradeState, time: number, kind: DecisionKind, result: DecisionResult) => {
    const l = lines.begin(time, t.id, t.side, kind, result);
    l.openVolume = rounded(t.openVolume, 8);
    return l;
  };

  const recordClose = (t: TradeState, time: number, price: number, volume: number, profitQuote: number): void => {
    t.realized += profitQuote;
    t.exitValue += price * volume;
    t.exitVolume += volume;
    t.closes.push([time, toAccountCurrency(profitQuote, price, inst.canonical)]);
  };

  const finish = (t: TradeState, idx: number, time: number, reason: ExitReason): void => {
    t.exitIdx = idx;
    t.exitTime = time;
    t.exitReason = reason;
    t.openVolume = 0;
    const plan = engine.untrack(t.id);
    if (plan) {
      t.breakeven = plan.breakevenState === BREAKEVEN_DONE;
      t.partialSkipped = plan.partialState === PARTIAL_SKIPPED;
      t.tradeType = plan.tradeType;
    }
    trades.delete(t.id);
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
    const a = broker.open({ requestId: `entry:${e.source}`, side: e.side, volume: e.volume, sl, tp, comment: e.comment, exempt: true });
    if (a.outcome !== 'applied') {
      refuseEntry(e, `refused by the broker: ${a.reason}`, sl, fill, a.code);
      return;
    }
    const p = broker.position(a.positionId)!;
    const t: TradeState = {
      id: p.id,
      side: p.side,
      comment: e.comment,
      entryIdx: idx,
      entryTime: bar.time,
      entryPrice: p.entryPrice,
      volume: p.volume,
      openVolume: p.volume,
      initialSl: p.sl,
      tp: p.tp,
      sl: p.sl,
      slSetBy: 'initial',
      realized: 0,
      exitValue: 0,
      exitVolume: 0,
      exitIdx: -1,
      exitTime: NaN,
      exitReason: null,
      tradeType: '',
      breakeven: false,
      partial: false,
      partialSkipped: false,
      trailMoves: 0,
      rmag: false,
      gapFill: false,
      charted: all.length < chartLimit,
      stopPath: [[bar.time, p.sl]],
      events: [],
      closes: [],
    };
    trades.set(t.id, t);
    all.push(t);
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

  /** An intent's effect, as the broker applied it, on replay's view of the trade. */
  const applied = (t: TradeState, it: Intent, a: Extract<BrokerAnswer, { outcome: 'applied' }>, time: number): void => {
    const p = broker.position(t.id);
    if (it.kind === 'move_stop') {
      t.sl = it.newSl;
      t.slSetBy = it.rule === 'breakeven' ? 'breakeven' : 'trail';
      if (it.rule === 'breakeven') t.breakeven = true;
      else t.trailMoves++;
      if (t.charted) t.stopPath.push([time, it.newSl]);
      if (t.charted) t.events.push({ time, kind: it.rule === 'breakeven' ? 'breakeven' : 'trail', price: it.newSl, label: `${it.rule}: SL ${it.oldSl ?? 'none'} -> ${it.newSl}` });
      count('applied', it.rule);
    } else {
      recordClose(t, time, a.price, it.volume, broker.realizedProfit(t.id) - t.realized);
      t.partial = true;
      t.openVolume = p ? p.volume : 0;
      if (t.charted) t.events.push({ time, kind: 'partial', price: a.price, label: `partial: closed ${it.volume} at ${a.price}` });
      count('applied', it.rule);
    }
    if (p) engine.track(p, time);
  };

  /** Closes every open position at the current quote (end of data, data boundary). */
  const closeAll = (idx: number, time: number, reason: ExitReason): void => {
    for (const t of [...trades.values()]) {
      const before = t.openVolume;
      const a = broker.close(`${reason}:${t.id}`, t.id, true);
      if (a.outcome !== 'applied') throw new Error(`replay: the paper broker refused the ${reason} close of #${t.id}: ${'reason' in a ? a.reason : ''}`);
      recordClose(t, time, a.price, before, broker.realizedProfit(t.id) - t.realized);
      const label = reason === 'data_gap' ? 'data boundary ahead' : 'end of data';
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

  const maxGap = input.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  const n = series.length;
  for (let i = 0; i < n; i++) {
    series.read(i, bar);
    bar.spread = spreadOf(bar, inst, input.broker);

    if (i > 0 && bar.time - series.time[i - 1]! > maxGap) {
      // Data boundary: close at the previous bar's close, then start the features afresh.
      const prevClose = series.time[i - 1]! + tfMs;
      if (trades.size > 0) {
        broker.setQuote(prevClose, series.close[i - 1]!, spreadOf(series.bar(i - 1), inst, input.broker));
        closeAll(i - 1, prevClose, 'data_gap');
      }
      engine.resetFeatures(symbol);
      count('data', 'boundaries');
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
    if (trades.size > 0) {
      const fills = broker.fillBar(bar);
      for (let k = 0; k < fills.length; k++) {
        const f = fills[k]!;
        const t = trades.get(f.positionId);
        if (!t) continue;
        const before = t.openVolume;
        recordClose(t, f.time, f.price, f.volume, broker.realizedProfit(t.id) - t.realized);
        if (f.gap) t.gapFill = true;
        const reason: ExitReason = f.reason === 'tp' ? 'take_profit' : t.slSetBy === 'breakeven' ? 'breakeven_stop' : t.slSetBy === 'trail' ? 'trailing_stop' : 'initial_stop';
        if (t.charted) t.events.push({ time: f.time, kind: 'exit', price: f.price, label: `${reason.replace('_', ' ')}${f.gap ? ' (gap: filled at the open)' : ''} at ${f.price}` });
        const l = line(t, f.time, 'close', 'applied');
        l.oldSl = rounded(t.sl, digits);
        l.volume = rounded(f.volume, 8);
        l.openVolume = rounded(before, 8);
        l.price = rounded(f.price, digits);
        l.reason = f.gap ? `${reason}, gap fill at the open` : reason;
        lines.emit();
        finish(t, i, f.time, reason);
      }
    }

    // 3. The engine at the bar's close; intents answered at that close.
    positionBars += trades.size;
    if (out.length !== 0) out.length = 0;
    engine.onBar(symbol, bar, out);
    if (out.length > 0) {
      const now = bar.time + tfMs;
      broker.setQuote(now, bar.close, bar.spread);
      for (let k = 0; k < out.length; k++) {
        const it = out[k]!;
        const t = trades.get(it.positionId);
        if (!t) continue;
        const before = t.openVolume;
        const a = broker.apply(it);
        const kind = KIND_OF_RULE[it.rule] ?? 'close';
        const detail = sink.explained.get(it.id) ?? it.reason;
        sink.explained.delete(it.id);
        // The line about this intent and the broker's answer (written after the answer is applied).
        const intentLine = (result: DecisionResult, reason: string): void => {
          const l = lines.begin(now, t.id, t.side, kind, result);
          l.intentId = it.id;
          l.oldSl = rounded(it.oldSl, digits);
          if (it.kind === 'move_stop') l.newSl = rounded(it.newSl, digits);
          else l.volume = rounded(it.volume, 8);
          l.openVolume = rounded(before, 8);
          l.price = rounded(it.price, digits);
          l.reason = reason;
          l.code = a.code;
          l.detail = detail;
          lines.emit();
        };
        count('intents', it.rule);
        if (a.outcome === 'applied') {
          engine.resolve(it.positionId, it.id, 'applied');
          applied(t, it, a, now);
          intentLine('applied', it.reason);
        } else if (a.outcome === 'rejected') {
          engine.resolve(it.positionId, it.id, 'rejected');
          count('rejected', it.rule);
          intentLine('rejected', a.retryable ? `${a.reason} (retryable)` : a.reason);
        } else {
          count('unknown', it.rule);
          intentLine('unknown', a.reason);
          // Reconcile with the broker's view before anything else is decided for this position.
          const p = broker.position(t.id);
          const outcome = p ? engine.reconcile(p) : null;
          if (outcome === 'applied') {
            // The fill price is the broker's: its last deal for this position (a stop move has none: the quote).
            const deal = broker.deals[broker.deals.length - 1];
            const price = it.kind !== 'move_stop' && deal !== undefined && deal.positionId === t.id ? deal.price : it.price;
            applied(t, it, { outcome: 'applied', code: a.code, price, positionId: t.id }, now);
            intentLine('applied', 'reconciled: the position shows the change took effect');
          } else {
            count('rejected', it.rule);
            intentLine('rejected', 'reconciled: the position shows no change; the decision will be taken afresh');
          }
        }
      }
    }
    if (input.onProgress && (i + 1) % progressEvery === 0) input.onProgress(i + 1, n);
  }

  // End of data: whatever is still open is closed at the last close, and says so.
  if (n > 0 && trades.size > 0) {
    const lastTime = series.time[n - 1]! + tfMs;
    broker.setQuote(lastTime, bar.close, bar.spread);
    closeAll(n - 1, lastTime, 'end_of_data');
  }
  input.onProgress?.(n, n);

  const counts: Record<string, number> = {};
  for (const [prefix, t] of tallies) for (const name of Object.keys(t)) counts[`${prefix}.${name}`] = t[name]!;
  const rows = all.map((t) => tradeRow(t, inst));
  const { metrics, equity } = computeMetrics(all, rows, input.startingBalance);
  return { trades: all, rows, metrics, equity, counts, currency: ccy, entriesRejected, broker, bars: n, positionBars };
}

function tradeRow(t: TradeState, inst: Instrument): TradeRow {
  const risk = t.initialSl === null ? NaN : Math.abs(t.entryPrice - t.initialSl) * t.volume * inst.contractSize;
  const flags: string[] = [];
  if (t.breakeven) flags.push('breakeven');
  if (t.partial) flags.push('partial');
  if (t.partialSkipped) flags.push('partial_skipped');
  if (t.trailMoves > 0) flags.push('trailed');
  if (t.rmag) flags.push('rmag');
  if (t.gapFill) flags.push('gap_fill');
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
  };
}

/** The chart of one trade: price around it (downsampled to at most `points`), its stop path and events. */
export function tradeChart(t: TradeState, series: BarSeries, points = 200): TradeChart {
  const span = Math.max(1, t.exitIdx - t.entryIdx);
  const pad = Math.max(5, Math.round(span * 0.15));
  const from = Math.max(0, t.entryIdx - pad);
  const to = Math.min(series.length - 1, Math.max(t.exitIdx, t.entryIdx) + pad);
  const len = to - from + 1;
  const per = Math.max(1, Math.ceil(len / points));
  const time: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  for (let s = from; s <= to; s += per) {
    const e = Math.min(to, s + per - 1);
    let h = -Infinity;
    let l = Infinity;
    for (let k = s; k <= e; k++) {
      if (series.high[k]! > h) h = series.high[k]!;
      if (series.low[k]! < l) l = series.low[k]!;
    }
    time.push(series.time[s]!);
    high.push(h);
    low.push(l);
    close.push(series.close[e]!);
  }
  return {
    positionId: t.id,
    side: t.side,
    time,
    high,
    low,
    close,
    entry: { time: t.entryTime, price: t.entryPrice },
    tp: t.tp,
    stopPath: t.stopPath,
    events: t.events,
  };
}

export type { Position };
