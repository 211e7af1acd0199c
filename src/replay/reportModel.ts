// What a replay produces, as data: report.json is `ReplayReport` as written; report.html renders it
// with the per-trade charts. Times are epoch ms here and ISO-8601 UTC strings in the files.
import type { Side } from '../domain/types.ts';
import type { Gap, GapSummary } from '../market/gaps.ts';

// The gaps of the bars are part of the report (`ReplayReport.gaps`): their types live with the gap finder.
export type { Gap, GapSummary };

/** How a position ended. `breakeven_stop`/`trailing_stop`: the SL that filled was set by that rule. */
/** `data_gap`: closed at the last bar before a data boundary (a hole longer than the replay's max gap). */
/** `dtms_stop`: the SL that filled was set by DTMS; `dtms_close`: DTMS closed the position (netting hedge, CLOSED). */
/** `balance_gone`: closed when the realized balance fell to 0 or below (the replay stops there). */
export type ExitReason =
  | 'initial_stop'
  | 'breakeven_stop'
  | 'trailing_stop'
  | 'dtms_stop'
  | 'take_profit'
  | 'closed'
  | 'dtms_close'
  | 'data_gap'
  | 'end_of_data'
  | 'balance_gone';

/** The realized balance fell to 0 or below: what was open closed at that bar's close and the replay stopped. */
export interface BalanceGone {
  time: number;
  /** Entries after that point that were never taken. */
  entriesNotTaken: number;
}

export interface ReplayMetrics {
  trades: number;
  wins: number;
  losses: number;
  /** Share of trades with profit > 0 (0..1). */
  winRate: number;
  /** Mean R over trades with an initial stop; null when none has one. */
  expectancyR: number | null;
  /** Gross profit / gross loss; null when there is no loss. */
  profitFactor: number | null;
  /** Largest peak-to-trough fall of the realized equity curve, account currency (>= 0). */
  maxDrawdown: number;
  /** maxDrawdown as a share (0..1) of the equity peak it fell from. */
  maxDrawdownPct: number;
  netProfit: number;
  grossProfit: number;
  grossLoss: number;
  /** Seed success metrics, shares in 0..1. */
  rmagTriggerRate: number;
  breakevenRate: number;
  trailingActivationRate: number;
  /** Of the breakeven trades, those whose trail's critical gate passed at least once. */
  trailingGateRate: number;
  breakevenHitRate: number;
  dtmsActionRate: number;
  /** Trades whose stop DTMS moved within their first hour. */
  dtmsFirstHourRate: number;
}

export interface TradeRow {
  positionId: string;
  side: Side;
  volume: number;
  entryTime: number;
  entryPrice: number;
  initialSl: number | null;
  tp: number | null;
  exitTime: number;
  /** Volume-weighted exit price over all closes (partials included). */
  exitPrice: number;
  exitReason: ExitReason;
  /** Profit / (initial risk x volume x contract size); null without an initial stop. */
  r: number | null;
  /** Account currency, partial closes included. */
  profit: number;
  tradeType: string;
  /** e.g. breakeven, partial, trailed, rmag, gap_fill, partial_skipped, dtms, hedged, re_add. */
  flags: string[];
  trailMoves: number;
  comment: string;
  /** Largest favourable / adverse move from entry while open, in R (bar extremes, entry to exit bar); null without an initial stop. */
  mfeR: number | null;
  maeR: number | null;
  /** When breakeven and the first trail move were applied; null: never. */
  breakevenTime: number | null;
  firstTrailTime: number | null;
  /** The trail's critical gate passed at least once (counted as "trailing activated"). */
  trailGatePassed: boolean;
  /** When DTMS first left HEALTHY for the trade, and first moved its stop; null: never. */
  dtmsWarningTime: number | null;
  dtmsStopTime: number | null;
}

export interface DataSummary {
  files: string[];
  format: string;
  timeframe: string;
  bars: number;
  first: number;
  last: number;
  /** The finer-timeframe file used for intrabar fills, if any. */
  fillFile: string | null;
}

export interface ReplayReport {
  generatedBy: string;
  symbol: string;
  canonical: string;
  currency: string;
  startingBalance: number;
  data: DataSummary;
  gaps: GapSummary;
  entries: { source: string; count: number; rejected: number };
  /** Present only when the balance went: a run that never lost it writes exactly what it always wrote. */
  balanceGone?: BalanceGone;
  broker: { accountMode: 'hedging' | 'netting'; intrabar: string; spread: string; faults: string };
  metrics: ReplayMetrics;
  /** Intents by kind and result, skips by reason, closes by reason. */
  counts: Record<string, number>;
  dtms: DtmsSummary;
  /** Realized equity after each close: [time, equity]. */
  equity: [number, number][];
  trades: TradeRow[];
}

/** What DTMS did over the replay. */
export interface DtmsSummary {
  enabled: boolean;
  /** Deep checks run (every 15 min of engine time per defended position by default). */
  deepChecks: number;
  /** Trades with at least one DTMS action applied at the broker / trades. */
  actionRate: number;
  /** State changes by 'FROM->TO', e.g. 'HEALTHY->WARNING_L1'. */
  transitions: Record<string, number>;
  /** Actions applied at the broker, by action (tighten_stop, partial_close, open_hedge, ... close_orphan_hedge). */
  actions: Record<string, number>;
  /** Checks held back by bad data, by reason (stale_data, spread_spike). */
  holds: Record<string, number>;
  /** Actions that produced no order, or were given up after refusals, by reason. */
  skipped: Record<string, number>;
  /** Hedges opened, and their realized profit in the account currency (booked to the hedged trade). */
  hedges: number;
  hedgeProfit: number;
}

/** What report.html draws for one trade. Series are already downsampled by the replay. */
export interface TradeChart {
  positionId: string;
  side: Side;
  /** Price around the trade: bar open times and high/low/close (same length). */
  time: number[];
  high: number[];
  low: number[];
  close: number[];
  entry: { time: number; price: number };
  tp: number | null;
  /** Stop after each change, from the initial stop: a step line. Null entries: no stop. */
  stopPath: [number, number | null][];
  /** Stop moves, partial closes, DTMS transitions and actions, and the final exit, as markers. */
  events: { time: number; kind: 'breakeven' | 'trail' | 'partial' | 'dtms' | 'exit'; price: number; label: string }[];
}
