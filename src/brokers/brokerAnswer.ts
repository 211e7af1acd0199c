// How a broker answers a request, classified the way the executor needs it:
// applied, rejected (retryable or not), or unknown (timeout: reconcile before deciding again).
// Codes are MetaTrader 5 trade return codes; other venues map theirs onto these classes.

export const RETCODE = {
  REQUOTE: 10004,
  REJECT: 10006,
  DONE: 10009,
  DONE_PARTIAL: 10010,
  ERROR: 10011,
  TIMEOUT: 10012,
  INVALID: 10013,
  INVALID_VOLUME: 10014,
  INVALID_PRICE: 10015,
  INVALID_STOPS: 10016,
  TRADE_DISABLED: 10017,
  MARKET_CLOSED: 10018,
  NO_MONEY: 10019,
  PRICE_CHANGED: 10020,
  PRICE_OFF: 10021,
  TOO_MANY_REQUESTS: 10024,
  NO_CHANGES: 10025,
  FROZEN: 10029,
  INVALID_FILL: 10030,
  CONNECTION: 10031,
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
  | {
      outcome: 'rejected';
      /** Sending the same request again may succeed (requote, price moved, rate limit): never for invalid input. */
      retryable: boolean;
      code: number;
      reason: string;
      /** The venue's own wait before a retry (rate limits), when it gives one. */
      retryAfterMs?: number;
    }
  | { outcome: 'unknown'; code: number; reason: string };

/** What a MetaTrader 5 trade return code means for the executor: send again, reconcile first, never resend, or done. */
export type RetcodeClass = 'applied' | 'retry' | 'unknown' | 'refused';

const RETRY_CODES: ReadonlySet<number> = new Set([
  RETCODE.REQUOTE,
  RETCODE.PRICE_CHANGED,
  RETCODE.PRICE_OFF,
  RETCODE.TOO_MANY_REQUESTS,
]);
const UNKNOWN_CODES: ReadonlySet<number> = new Set([RETCODE.TIMEOUT, RETCODE.CONNECTION, RETCODE.ERROR]);
const APPLIED_CODES: ReadonlySet<number> = new Set([
  RETCODE.DONE,
  RETCODE.DONE_PARTIAL,
  RETCODE.NO_CHANGES,
  10008 /* PLACED */,
]);

/**
 * Retry with a fresh price and bounded backoff: requote, price changed, off quotes, too many requests.
 * Outcome unknown (reconcile before deciding again): timeout, connection, generic error. Applied: done,
 * done partial, no changes, placed. Every other code is a refusal not to retry (invalid stops or
 * volume, market closed, frozen, no money, trading disabled, ...): the engine decides afresh.
 */
export function classifyRetcode(code: number): RetcodeClass {
  if (APPLIED_CODES.has(code)) return 'applied';
  if (RETRY_CODES.has(code)) return 'retry';
  if (UNKNOWN_CODES.has(code)) return 'unknown';
  return 'refused';
}
