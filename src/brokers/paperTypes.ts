// The paper broker's vocabulary: its options and faults, the orders it takes, the fills and deals it
// books, its audit of the requests, and its state for a restart (plain data).
import type { Side } from '../domain/types.ts';
import type { BarSource } from '../market/barSource.ts';
import type { AccountMode } from './brokerPort.ts';

/** A failure a test makes the next request meet (the broker contract suite): see PaperBroker.failNext. */
export type InjectedFault = 'reject' | 'requote' | 'rate_limit' | 'timeout_applied' | 'timeout_lost';
export type IntrabarRule = 'stop_first' | 'target_first' | 'ohlc_path';

export interface PaperFaults {
  /** 0..1: share of requests that fail. */
  rate: number;
  seed: number;
  /** Relative weights of the failure kinds; default equal. */
  weights?: { reject: number; requote: number; timeout: number };
  /** Share of timeouts whose request took effect anyway; default 0.5. */
  timeoutApplied?: number;
}

export interface PaperBrokerOptions {
  accountMode: AccountMode;
  /** Which of SL/TP fills first when one bar touches both. Default 'stop_first'. */
  intrabar?: IntrabarRule;
  /**
   * Finer-timeframe bars (e.g. M1 under H1 replay) used to resolve a bar that touches both SL and TP;
   * read forward as the bars are filled (see FineBarWindow), never held whole.
   */
  fineBars?: BarSource;
  /** The replay bars' timeframe in ms (to find the fine bars inside a bar). */
  timeframeMs: number;
  /** Spread in POINTS used when a bar has none (NaN), or always when spreadMode is 'fixed'. Default 0. */
  spreadPoints?: number;
  spreadMode?: 'data' | 'fixed';
  faults?: PaperFaults;
  /** First ticket number; tickets are sequential strings. Default 100001. */
  firstTicket?: number;
}

export interface PaperFill {
  positionId: string;
  time: number;
  price: number;
  volume: number;
  reason: 'sl' | 'tp';
  /** The bar (or fine bar) opened beyond the level: filled at its open, not at the level. */
  gap: boolean;
}

export type PaperDealReason = 'open' | 'sl' | 'tp' | 'partial' | 'close' | 'net';

export interface PaperDeal {
  positionId: string;
  time: number;
  /** The position's side (not the side of the order that closed it). */
  side: Side;
  volume: number;
  price: number;
  reason: PaperDealReason;
  /** Quote currency: sign x (price - entry) x volume x contractSize; 0 for opens. */
  profit: number;
  /** The request that made the deal; '' for SL/TP fills. */
  requestId: string;
}

export interface PaperAudit {
  requests: number;
  applied: number;
  duplicateIds: number;
  loosened: number;
  overClose: number;
  faults: { reject: number; requote: number; timeout: number };
}

/**
 * The paper account's lasting state, for a restart (plain data): open positions, tickets, realized
 * profits, the ids that took effect, the audit, the deals, the quote and the fault generator's state.
 * The options (instrument, account mode, faults, fine bars) are the caller's to give again.
 */
export interface PaperBrokerSnapshot {
  nextTicket: number;
  quote: { time: number; bid: number; ask: number };
  book: PaperPosition[];
  realized: [string, number][];
  appliedIds: string[];
  audit: PaperAudit;
  deals: PaperDeal[];
  faultState: number | null;
}

/** An open position as the broker keeps it: volume as an integer count of lot steps. */
export interface PaperPosition {
  id: string;
  side: Side;
  lots: number;
  entry: number;
  sl: number | null;
  tp: number | null;
  openTime: number;
  comment: string;
}

/** The kinds of simulated fault a request may draw. */
export type FaultKind = 'reject' | 'requote' | 'timeout';

export interface PaperOrder {
  requestId: string;
  side: Side;
  volume: number;
  sl: number | null;
  tp: number | null;
  comment: string;
  /** A harness order (e.g. replay's recorded entry): no fault, not audited. Validation still applies. */
  exempt?: boolean;
}
