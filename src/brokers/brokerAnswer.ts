// How a broker answers a request, classified the way the executor needs it (brokers.md §5/§6):
// applied, rejected (retryable or not), or unknown (timeout: reconcile before deciding again).
// Codes are MetaTrader 5 trade return codes; other venues map theirs onto these classes.

export const RETCODE = {
  REQUOTE: 10004,
  REJECT: 10006,
  DONE: 10009,
  ERROR: 10011,
  TIMEOUT: 10012,
  INVALID: 10013,
  INVALID_VOLUME: 10014,
  INVALID_PRICE: 10015,
  INVALID_STOPS: 10016,
  MARKET_CLOSED: 10018,
  PRICE_CHANGED: 10020,
  NO_CHANGES: 10025,
  FROZEN: 10029,
  POSITION_CLOSED: 10036,
  INVALID_CLOSE_VOLUME: 10038,
  HEDGE_PROHIBITED: 10046,
} as const;

export type BrokerAnswer =
  | {
      outcome: 'applied';
      code: number;
      /** Fill price for opens and closes; the current exit-side price for stop moves. */
      price: number;
      /** The position the request created (open / hedge), else the one it changed. */
      positionId: string;
    }
  | { outcome: 'rejected'; retryable: boolean; code: number; reason: string }
  | { outcome: 'unknown'; code: number; reason: string };
