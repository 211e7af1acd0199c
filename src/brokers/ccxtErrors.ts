// ccxt's (and Binance's) errors as the executor's answers.
//
// Error mapping (raw Binance codes first, then ccxt's error classes):
// | Binance code / ccxt class                          | Answer                  | RETCODE              |
// |----------------------------------------------------|-------------------------|----------------------|
// | -1003, -4005 (HTTP 429/418), RateLimitExceeded, DDoSProtection | rejected, retryable (Retry-After) | TOO_MANY_REQUESTS |
// | -1021 (timestamp outside recvWindow), InvalidNonce | rejected, retryable     | REJECT               |
// | ExchangeNotAvailable, OnMaintenance                | rejected, retryable     | TRADE_DISABLED       |
// | RequestTimeout                                     | unknown                 | TIMEOUT              |
// | NetworkError (other)                               | unknown                 | CONNECTION           |
// | -2021 (stop would trigger at once)                 | rejected                | INVALID_STOPS        |
// | -4014 (price off the tick grid)                    | rejected                | INVALID_PRICE        |
// | -4164 (min notional), -4003, -1111, -4005 qty      | rejected                | INVALID_VOLUME       |
// | -2022 (reduce-only refused)                        | rejected                | INVALID_CLOSE_VOLUME |
// | -2019, InsufficientFunds                           | rejected                | NO_MONEY             |
// | -2011, -2013, OrderNotFound                        | rejected                | REJECT               |
// | -1106, -1121, -4061, -4120, InvalidOrder, BadRequest, BadSymbol | rejected   | INVALID              |
// | AuthenticationError, other ExchangeError           | rejected                | REJECT               |
// | an error not from ccxt                             | unknown                 | ERROR                |
// | (the client-id lookup) -2013 / OrderNotFound       | not an error: the order is sent                |
// | (the client-id lookup) order NEW, nothing filled   | unknown                 | TIMEOUT              |
// Every rejection above is not retryable unless the table says so. A lookup that fails otherwise
// answers as its error does (a timeout: unknown), and nothing is sent.
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';

/** The ccxt error class names of an error, most specific first (ccxt's classes extend each other). */
export function errorClasses(err: unknown): string[] {
  const names: string[] = [];
  let proto: unknown = err !== null && typeof err === 'object' ? Object.getPrototypeOf(err) : null;
  while (proto !== null && proto !== Object.prototype) {
    const ctor = (proto as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) names.push(ctor.name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

const RAW_CODES: Readonly<Record<number, { code: number; retryable: boolean }>> = {
  [-1003]: { code: RETCODE.TOO_MANY_REQUESTS, retryable: true },
  [-1021]: { code: RETCODE.REJECT, retryable: true },
  [-1106]: { code: RETCODE.INVALID, retryable: false },
  [-1111]: { code: RETCODE.INVALID_VOLUME, retryable: false },
  [-1121]: { code: RETCODE.INVALID, retryable: false },
  [-2011]: { code: RETCODE.REJECT, retryable: false },
  [-2013]: { code: RETCODE.REJECT, retryable: false },
  [-2019]: { code: RETCODE.NO_MONEY, retryable: false },
  [-2021]: { code: RETCODE.INVALID_STOPS, retryable: false },
  [-2022]: { code: RETCODE.INVALID_CLOSE_VOLUME, retryable: false },
  [-4003]: { code: RETCODE.INVALID_VOLUME, retryable: false },
  [-4005]: { code: RETCODE.INVALID_VOLUME, retryable: false },
  [-4014]: { code: RETCODE.INVALID_PRICE, retryable: false },
  [-4061]: { code: RETCODE.INVALID, retryable: false },
  [-4120]: { code: RETCODE.INVALID, retryable: false },
  [-4164]: { code: RETCODE.INVALID_VOLUME, retryable: false },
};

/** Removes what must never reach a log: query strings (signatures) and the credentials themselves. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/\?[^\s"']*/g, '?…');
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out.length > 400 ? `${out.slice(0, 400)}…` : out;
}

/** A ccxt (or transport) error as the executor's answer: see the table in the header. */
export function answerForError(err: unknown, secrets: readonly string[] = [], retryAfterMs?: number): BrokerAnswer {
  const message = redact(err instanceof Error ? err.message : String(err), secrets);
  const classes = errorClasses(err);
  const is = (name: string) => classes.includes(name);
  const raw = /"code"\s*:\s*(-\d+)/.exec(message);
  const rawCode = raw ? Number(raw[1]) : null;
  const mapped = rawCode !== null ? RAW_CODES[rawCode] : undefined;
  const rejected = (code: number, retryable: boolean): BrokerAnswer => ({
    outcome: 'rejected',
    retryable,
    code,
    reason: message || 'refused by the exchange',
    ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
  if (mapped) return rejected(mapped.code, mapped.retryable);
  if (is('RateLimitExceeded') || is('DDoSProtection')) return rejected(RETCODE.TOO_MANY_REQUESTS, true);
  if (is('ExchangeNotAvailable')) return rejected(RETCODE.TRADE_DISABLED, true);
  if (is('InvalidNonce')) return rejected(RETCODE.REJECT, true);
  if (is('RequestTimeout')) return { outcome: 'unknown', code: RETCODE.TIMEOUT, reason: message };
  if (is('NetworkError')) return { outcome: 'unknown', code: RETCODE.CONNECTION, reason: message };
  if (is('InsufficientFunds')) return rejected(RETCODE.NO_MONEY, false);
  if (is('OrderNotFound')) return rejected(RETCODE.REJECT, false);
  if (is('InvalidOrder') || is('BadRequest') || is('NotSupported')) return rejected(RETCODE.INVALID, false);
  if (is('ExchangeError')) return rejected(RETCODE.REJECT, false);
  return { outcome: 'unknown', code: RETCODE.ERROR, reason: message };
}
