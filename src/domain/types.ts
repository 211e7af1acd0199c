// Plain domain types shared by every layer. No behaviour here beyond tiny helpers.

export type Side = 'buy' | 'sell';

/** Bar timeframes Warden knows. Higher timeframes are built from the base timeframe's bars. */
export type Timeframe = 'M1' | 'M5' | 'M15' | 'M30' | 'H1' | 'H4';

export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = {
  M1: 60_000,
  M5: 300_000,
  M15: 900_000,
  M30: 1_800_000,
  H1: 3_600_000,
  H4: 14_400_000,
};

export const TIMEFRAMES: readonly Timeframe[] = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4'];

/** One OHLC bar. `time` is the bar's OPEN time in epoch ms (UTC). Prices are bid prices. */
export interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Tick count or traded volume; 0 when unknown. */
  volume: number;
  /** Ask minus bid in price units at the bar's close; NaN when unknown. */
  spread: number;
}

/** Broker rules for one instrument. Levels are in points (1 point = `point` price units). */
export interface Instrument {
  /** Broker symbol as the broker spells it, e.g. `XAUUSDc`. */
  symbol: string;
  /** Canonical symbol every parameter table is keyed by, e.g. `XAUUSD`. */
  canonical: string;
  tickSize: number;
  digits: number;
  /** Price of one point; usually 10^-digits. */
  point: number;
  lotStep: number;
  minLot: number;
  maxLot: number;
  contractSize: number;
  stopsLevelPoints: number;
  freezeLevelPoints: number;
  hedging: boolean;
  /** Crypto trades around the clock; the WEEKEND trade type applies to crypto only. */
  crypto: boolean;
}

/**
 * An open position. As a venue reports it, `id` is the venue's ticket. A live session manages each
 * position as a lifetime (from open to close: the same ticket may come back later as another
 * position) and hands the engine the position with `id` = the lifetime's key and `ticket` = the
 * venue's id; requests always address `ticket` (see `ticketOf`).
 */
export interface Position {
  /** The venue's ticket, or the lifetime's key when `ticket` is set. */
  id: string;
  /** The venue's ticket when `id` is a lifetime key; absent when `id` is the ticket itself. */
  ticket?: string;
  account?: string;
  /** Broker symbol. */
  symbol: string;
  side: Side;
  /** Open volume in lots. */
  volume: number;
  entryPrice: number;
  /** Current stop loss, null when none. */
  sl: number | null;
  /** Current take profit, null when none. */
  tp: number | null;
  /** Epoch ms. */
  openTime: number;
  comment: string;
  strategyType?: string;
}

/** What the market looks like at one instant for one symbol, from the engine's point of view. */
export interface Quote {
  time: number;
  bid: number;
  ask: number;
}

/** open: a new market order (DTMS hedge or re-add); the others act on an existing position. */
export type IntentKind = 'move_stop' | 'close_partial' | 'close' | 'open';

/**
 * The rule that produced an intent or a decision record ('dtms': the defensive state machine;
 * 'lifetime': the live session telling positions apart: a lifetime began or ended, a ticket came back,
 * a venue gave no open time, a journal row belongs to another lifetime, the clock jumped; 'restore':
 * a stop Warden was moving went missing at the venue, and Warden puts one back).
 */
/** `manual`: a trader's change to a position (exits or DTMS switched, trailing started, the plan edited), recorded with its source. */
export type ExitRule =
  | 'classify'
  | 'triggers'
  | 'breakeven'
  | 'partial'
  | 'trail'
  | 'dtms'
  | 'lifetime'
  | 'restore'
  | 'manual';

/**
 * An instruction for the execution layer. `id` is derived from (position, rule, episode) so that the
 * same decision always carries the same id: the executor journals it and never applies an id twice.
 * The position part is the managed position's key: in a live session a lifetime key, which never
 * repeats in a store, so two positions that share a ticket never share an intent id.
 */
export interface Intent {
  id: string;
  positionId: string;
  symbol: string;
  kind: IntentKind;
  rule: ExitRule;
  episode: number;
  /** For move_stop: the new stop price (already tick-rounded on the safe side). */
  newSl: number;
  /** For move_stop: the stop the decision was made against (null when none). */
  oldSl: number | null;
  /** For close_partial / close: volume in lots (lot-step multiple, >= min lot). */
  volume: number;
  /** Decision time (epoch ms, the engine's clock). */
  time: number;
  /** Price (bid for a buy, ask for a sell) the decision saw. */
  price: number;
  reason: string;
  /**
   * The venue's ticket the request acts on: the managed position's own ticket, or its DTMS hedge's (a
   * hedge close); '' for an open. `positionId` is always the managed position the answer goes back to.
   */
  targetId: string;
  /** For open: the new order's side, and its stop in `newSl` (NaN: none). Else the position's side. */
  side: Side;
  /** For open: the new position's comment (names the managed position and the episode). */
  comment: string;
  /** The DTMS action this intent carries out ('' for the exit plan's rules). */
  action: string;
}

export const sideSign = (side: Side): 1 | -1 => (side === 'buy' ? 1 : -1);

/** The venue's ticket of a position (what every request to the venue addresses). */
export const ticketOf = (p: Pick<Position, 'id' | 'ticket'>): string => p.ticket ?? p.id;
