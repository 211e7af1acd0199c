// What the executor needs from a broker, whatever the venue: the account's open positions, and one
// request per intent answered as applied, rejected or unknown (brokerAnswer.ts). Asynchronous: real
// venues answer over the network. Adapters (paper, ccxt, MetaApi) implement it; nothing above the
// execution layer sees a venue's API.
import type { Bar, Instrument, Intent, Position, Timeframe } from '../domain/types.ts';
import type { BrokerAnswer } from './brokerAnswer.ts';

/** Hedging: a position per order, opposite positions side by side. Netting: one position per symbol. */
export type AccountMode = 'hedging' | 'netting';

export interface BrokerQuote {
  /** Epoch ms of the quote. */
  time: number;
  bid: number;
  ask: number;
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
  watchQuotes?(symbols: readonly string[], onQuote: (symbol: string, quote: BrokerQuote) => void): Promise<() => Promise<void>>;
  /** Releases the venue's connections (streams, sockets); the paper account has none. */
  close?(): Promise<void>;
}
