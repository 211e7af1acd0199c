// What the executor needs from a broker, whatever the venue: the account's open positions, and one
// request per intent answered as applied, rejected or unknown (brokerAnswer.ts). Asynchronous: real
// venues answer over the network. Adapters (paper, ccxt, MetaApi) implement it; nothing above the
// execution layer sees a venue's API.
import type { Intent, Position } from '../domain/types.ts';
import type { BrokerAnswer } from './brokerAnswer.ts';

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
}
