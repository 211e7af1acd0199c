// What the executor needs from a broker, whatever the venue: the account's open positions, and one
// request per intent answered as applied, rejected or unknown (brokerAnswer.ts). Asynchronous: real
// venues answer over the network. Adapters (paper, ccxt, MetaApi) implement it; nothing above the
// execution layer sees a venue's API.
import type { Bar, Instrument, Intent, Position, Side, Timeframe } from '../domain/types.ts';
import type { BrokerAnswer } from './brokerAnswer.ts';

/** Hedging: a position per order, opposite positions side by side. Netting: one position per symbol. */
export type AccountMode = 'hedging' | 'netting';

export interface BrokerQuote {
  /** Epoch ms of the quote. */
  time: number;
  bid: number;
  ask: number;
}

/**
 * What made a deal, as far as the venue says: its stop loss or take profit filling, a margin stop-out,
 * one of Warden's requests (recognised by the client id it carried), a request from elsewhere (the
 * trader's terminal, another program), or nothing the venue tells.
 */
export type DealCause = 'sl' | 'tp' | 'stop_out' | 'request' | 'outside' | 'unknown';

/** One deal (fill) of a position as the venue booked it. */
export interface PositionDeal {
  /** Epoch ms. */
  time: number;
  /** MT5's deal entry: `in` opens or adds to the position, `out` closes (part of) it. */
  entry: 'in' | 'out';
  volume: number;
  price: number;
  /** The profit the venue booked on this deal (account currency; opens book 0); NaN when it does not say. */
  profit: number;
  /** Commission, swap and funding booked with it, signed as added to the profit (a charge is negative); NaN when not said. */
  fees: number;
  cause: DealCause;
  /** For cause `request`: the intent id (one of the query's `requestIds`) whose request made it; else ''. */
  requestId: string;
}

/** Which closed position to ask the venue about, and what Warden knows that helps to find it. */
export interface ClosedPositionQuery {
  /** The venue's ticket. */
  ticket: string;
  symbol: string;
  side: Side;
  /** Its deals lie between these (epoch ms): from its open (or when Warden first saw it) to when Warden saw it gone. */
  since: number;
  until: number;
  /** Warden's requests on it (intent ids): a deal one of them made is answered with cause `request` and that id. */
  requestIds: readonly string[];
}

/** What the venue's history says of a position: its deals, and what it cannot say, in words. */
export interface ClosedPositionFacts {
  /** Oldest first. */
  deals: PositionDeal[];
  notes: string[];
}

/** The account's money as the venue reports it, in the account's currency. */
export interface AccountFunds {
  /** The account's currency (USD, USDT, EUR). */
  currency: string;
  /** Deposits plus every profit booked (closed deals, fees). */
  balance: number;
  /** The balance plus the floating profit of what is open. */
  equity: number;
  /** Margin in use and free for new positions; null when the venue does not say. */
  margin: number | null;
  freeMargin: number | null;
  /** What the figures leave out or approximate, in words (empty: nothing). */
  notes: string[];
}

/** A profit the venue booked to the balance: a closing deal (a partial, a close, a stop, a target) and its fees. */
export interface BookedProfit {
  /** Epoch ms. */
  time: number;
  symbol: string;
  /** The deal's profit in the account's currency, fees apart. */
  profit: number;
  /** Commission, swap and funding booked with it (a charge is negative; 0 when none). */
  fees: number;
}

/** What execution needs of a broker: its positions, and requests answered (the executor and the live session take only this). */
export type OrderGateway = Pick<BrokerPort, 'name' | 'positions' | 'send'>;

export interface BrokerPort {
  /** A short name for logs and records, e.g. `paper`. */
  readonly name: string;
  /** Every open position of the account, fresh from the venue. Throws when the venue cannot be read. */
  positions(): Promise<Position[]>;
  /**
   * Sends one intent (its id goes with it as the request id). Answers: applied, rejected (with
   * `retryable`), or unknown (timeout: the positions tell). A thrown error is treated as unknown: the
   * request may have reached the venue.
   */
  send(intent: Intent): Promise<BrokerAnswer>;
  /**
   * The venue's rules for a symbol (tick size, digits, lot step, min and max lot, contract size, stops
   * and freeze levels), as the account reports them: never derived from the symbol's name. Throws for
   * a symbol the account cannot trade.
   */
  instrument(symbol: string): Promise<Instrument>;
  /** Hedging or netting: on netting, a DTMS hedge is a close instead. */
  accountMode(): Promise<AccountMode>;
  /** The latest quote of a symbol. Throws for a symbol the account cannot trade. */
  quote(symbol: string): Promise<BrokerQuote>;
  /**
   * The symbol's last `limit` closed bars of `timeframe`, oldest first (a bar still forming is left
   * out). The live feed of `warden serve` on a real account: history to build the features, then the
   * bars closed since. Throws for a symbol the account cannot trade or a timeframe the venue lacks.
   */
  candles(symbol: string, timeframe: Timeframe, limit: number): Promise<Bar[]>;
  /**
   * Streams the quotes of `symbols` where the venue pushes them: `onQuote` is called with each as it
   * arrives (on the venue's connection: it must neither throw nor wait). Resolves once the stream is
   * open, with the function that stops it; rejects when it cannot be opened (the caller polls `quote`
   * instead). Absent: this adapter has no stream.
   */
  watchQuotes?(
    symbols: readonly string[],
    onQuote: (symbol: string, quote: BrokerQuote) => void,
  ): Promise<() => Promise<void>>;
  /**
   * The venue's history of a position (`closedPosition` for a closed one, though it answers for an open
   * one too): its deals in the query's window. Null when the venue holds no deal of it (never had one,
   * or has forgotten it). Throws when the history cannot be read now (worth asking again later). Absent:
   * this venue keeps no history Warden can read.
   */
  closedPosition?(query: ClosedPositionQuery): Promise<ClosedPositionFacts | null>;
  /** The account's balance, equity and margin, fresh from the venue. Absent: the venue does not tell. */
  funds?(): Promise<AccountFunds>;
  /**
   * Every profit the venue booked at or after `since` (epoch ms), on any symbol of the account, oldest
   * first: today's realized P/L. Throws when the history cannot be read now. Absent: not told.
   */
  bookedSince?(since: number): Promise<BookedProfit[]>;
  /** Releases the venue's connections (streams, sockets); the paper account has none. */
  close?(): Promise<void>;
}
