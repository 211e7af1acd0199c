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
import { resolveAccountDefaults } from '../config/accountDefaults.ts';
import type { WardenConfig } from '../config/schema.ts';
import { PaperBroker, type PaperBrokerOptions, type PaperBrokerSnapshot } from '../brokers/paperBroker.ts';
import {
  TIMEFRAME_MS,
  type Bar,
  type Instrument,
  type Intent,
  type Position,
  type Timeframe,
} from '../domain/types.ts';
import type { EngineSnapshot } from '../engine/engineState.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import type { BarSeries } from '../market/barSeries.ts';
import type { BarSource } from '../market/barSource.ts';
import { DEFAULT_MAX_GAP_MS, GapFinder } from '../market/gaps.ts';
import { AccountRiskBook, type AccountRiskState } from './accountRiskBook.ts';
import { DecisionLineBuilder, type LineWriter } from './decisionLog.ts';
import type { ReplayEntry } from './entries.ts';
import { accountCurrency, computeMetrics } from './metrics.ts';
import type { BalanceGone, DtmsSummary, GapSummary, TradeRow } from './reportModel.ts';
import { TradeBook, type TradeBookState, type TradeState } from './tradeBook.ts';
import { DEFAULT_MAX_TRADE_CHARTS } from './reportHtml.ts';
import { ReplayDesk } from './replayDesk.ts';
import { ReplayIntents } from './replayIntents.ts';
import { ReplaySink } from './replaySink.ts';
import { ReplayTallies } from './replayTallies.ts';
import { tradeRow } from './tradeRows.ts';

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

/** The tallies the DTMS summary shows (not among the report's other counts). */
const DTMS_TALLIES: ReadonlySet<string> = new Set(['dtms_transitions', 'dtms_actions', 'dtms_holds', 'dtms_skipped']);

/** Spread the whole replay uses for a bar: the data's, or the configured one (fixed, or when the data has none). */
function spreadOf(bar: Bar, inst: Instrument, brokerOptions: ReplayInput['broker']): number {
  const configured = (brokerOptions.spreadPoints ?? 0) * inst.point;
  if (brokerOptions.spreadMode === 'fixed') return configured;
  return Number.isFinite(bar.spread) && bar.spread >= 0 ? bar.spread : configured;
}

export async function runReplay(input: ReplayInput): Promise<ReplayResult> {
  if (input.market !== undefined)
    throw new Error('runReplay: a replay with a shared market is played by replayInLockstep');
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

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export function openReplay(input: ReplayInput): ReplayPlay {
  const { config, instrument: inst, bars: source, entries } = input;
  const tfMs = TIMEFRAME_MS[input.timeframe];
  const tallies = new ReplayTallies();
  const broker = new PaperBroker(inst, { ...input.broker, timeframeMs: tfMs });
  const risk = new AccountRiskBook(input.startingBalance);
  const book = new TradeBook(broker, risk, inst.canonical, input.chartTrades ?? DEFAULT_MAX_TRADE_CHARTS);
  const lines = new DecisionLineBuilder(input.decisions, inst.symbol);
  const sink = new ReplaySink(book.open, lines, inst.digits, tallies, config.exits.autoEnable);
  // Replay plays on the paper broker: a setting left to the account takes the paper account's value.
  const engine = new ExitEngine(resolveAccountDefaults(config, { real: false }), {
    baseTimeframe: input.timeframe,
    sink,
    ...(input.market ? { market: input.market } : {}),
  });
  engine.addInstrument(inst);
  // The loss-limit rails see the account's realized losses of the day and of the last hour, and the stops in a row.
  engine.setAccountRisk(risk.risk);
  const symbol = inst.symbol;
  const ccy = accountCurrency(inst.canonical);

  const bar: Bar = { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, spread: NaN };
  const desk = new ReplayDesk(broker, book, engine, lines, tallies, inst, bar, input.broker.accountMode === 'netting');
  const intents = new ReplayIntents(broker, book, engine, desk, lines, tallies, sink, bar, inst.digits);
  const out: Intent[] = [];
  let nextEntry = 0;
  let positionBars = 0;
  const progressEvery = input.progressEvery ?? 65_536;

  const maxGap = input.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  const n = source.length;
  const linesBefore = input.decisions.count;

  const checkpoint = (next: number): ReplayCheckpoint => {
    const bookState = book.state();
    const riskState = risk.state();
    return {
      next,
      lines: input.decisions.count - linesBefore + (input.resume?.lines ?? 0),
      nextEntry,
      entriesRejected: desk.entriesRejected,
      positionBars,
      tradeCount: bookState.tradeCount,
      settled: bookState.settled,
      unsettled: bookState.unsettled,
      open: bookState.open,
      hedgeOf: bookState.hedgeOf,
      hedgesOpened: bookState.hedgesOpened,
      hedgeProfit: bookState.hedgeProfit,
      tallies: tallies.copy(),
      risk: riskState.risk,
      balance: riskState.balance,
      riskDay: riskState.riskDay,
      dayStartBalance: riskState.dayStartBalance,
      dayProfit: riskState.dayProfit,
      hourCloses: riskState.hourCloses,
      hourProfit: riskState.hourProfit,
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
    tallies.restore(cp.tallies);
    nextEntry = cp.nextEntry;
    desk.entriesRejected = cp.entriesRejected;
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
      desk.closeAll(idx, time, 'balance_gone');
    }
    balanceGone = { time, entriesNotTaken: entries.length - nextEntry };
    return true;
  };

  // The previous bar's open time, close and spread: a data boundary closes at that close.
  let prevTime = Number.NaN;
  let prevClose = Number.NaN;
  let prevSpread = Number.NaN;

  /** Bar `i` (in `bar`, its spread set) up to the engine: entries and fills. False when the account went. */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  const beforeFold = (i: number): boolean => {
    if (checkpoints.size > 0 && checkpoints.has(i)) input.onCheckpoint?.(checkpoint(i));
    if (i > 0 && bar.time - prevTime > maxGap) {
      // Data boundary: close at the previous bar's close, then start the features afresh.
      const prevCloseTime = prevTime + tfMs;
      if (book.open.size > 0 || book.hedgeOf.size > 0) {
        broker.setQuote(prevCloseTime, prevClose, prevSpread);
        desk.closeAll(i - 1, prevCloseTime, 'data_gap');
        if (accountGone(i - 1, prevCloseTime, prevClose, NaN)) return false;
      }
      engine.resetFeatures(symbol);
      tallies.count('data', 'boundaries');
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
        if (bar.time - e.time > maxGap)
          desk.refuseEntry(e, `no market data within ${maxGap / 3_600_000} h after the entry time (data boundary)`);
        else desk.openEntry(e, i);
      }
    }

    // 2. Stops and targets inside the bar.
    if (book.open.size > 0 || book.hedgeOf.size > 0) desk.fillBar(i);
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
      intents.execute(out, now, i);
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
      desk.closeAll(played - 1, lastTime, 'end_of_data');
    }
    input.onProgress?.(n, n);

    const counts = tallies.flat(DTMS_TALLIES);
    const all = book.all;
    const rows = all.map((t) => tradeRow(t, inst));
    const { metrics, equity } = computeMetrics(all, rows, input.startingBalance);
    const dtms: DtmsSummary = {
      enabled: config.dtms.enabled,
      deepChecks: engine.deepChecks,
      actionRate: metrics.dtmsActionRate,
      transitions: tallies.sorted('dtms_transitions'),
      actions: tallies.sorted('dtms_actions'),
      holds: tallies.sorted('dtms_holds'),
      skipped: tallies.sorted('dtms_skipped'),
      hedges: book.hedgesOpened,
      hedgeProfit: Number(book.hedgeProfit.toFixed(2)),
    };
    return {
      trades: all,
      rows,
      metrics,
      equity,
      counts,
      currency: ccy,
      entriesRejected: desk.entriesRejected,
      broker,
      bars: n,
      positionBars,
      dtms,
      balanceGone,
      gaps: gaps.summary(),
    };
  };

  return { bar, beforeFold: playBefore, afterFold: playAfter, finish: result, release: () => broker.releaseFineBars() };
}

export type { Position };
