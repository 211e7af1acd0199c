// MetaApi's errors as the executor's answers.
//
// Error mapping (SDK errors are told apart by `name`: the SDK is optional, so no instanceof):
// | SDK error                               | Answer                         | RETCODE                   |
// |-----------------------------------------|--------------------------------|---------------------------|
// | TradeError, MT5 numericCode (>= 10000)  | classifyRetcode(numericCode)   | numericCode               |
// | TradeError, MT4 code (MQL4 ERR_*)       | as the MT5 code it matches     | see MT4_CODES             |
// | TradeError, MetaApi's own code (< 0, 4753, 4754: ERR_TRADE_TIMED_OUT, ERR_TRADE_POSITION_NOT_FOUND, ...) | as the MT5 code it matches | see METAAPI_CODES |
// | TradeError, stringCode only             | TRADE_RETCODE_<NAME> -> code   | RETCODE[NAME], else REJECT|
// | TooManyRequestsError                    | rejected, retryable, retryAfterMs from metadata.recommendedRetryTime | TOO_MANY_REQUESTS |
// | TimeoutError                            | unknown                        | TIMEOUT                   |
// | NotConnectedError, NotSynchronizedError, 'MetaApi connection closed', 'This connection has been closed' | unknown | CONNECTION |
// | NotFoundError                           | rejected                       | POSITION_CLOSED (open: INVALID) |
// | ValidationError                         | rejected                       | INVALID                   |
// | UnauthorizedError, ForbiddenError       | rejected                       | REJECT                    |
// | anything else (InternalError, ...)      | unknown                        | ERROR                     |
// classifyRetcode: retry -> rejected retryable; unknown -> unknown; refused -> rejected not retryable.
// A failure before anything was sent (connecting, reading the positions) is a rejection, retryable
// unless it is the SDK missing or the token refused; for a retry of an unknown request it stays unknown.
// The token is never put in a reason or a message: removed from every SDK message, with query strings.
import { classifyRetcode, RETCODE, type BrokerAnswer } from './brokerAnswer.ts';

/** MQL4 error codes (MetaApi on MT4) as the MT5 retcode of the same meaning; any other is REJECT. */
const MT4_CODES: Readonly<Record<number, number>> = {
  6: RETCODE.CONNECTION, // ERR_NO_CONNECTION
  128: RETCODE.TIMEOUT, // ERR_TRADE_TIMEOUT
  129: RETCODE.INVALID_PRICE,
  130: RETCODE.INVALID_STOPS,
  131: RETCODE.INVALID_VOLUME,
  132: RETCODE.MARKET_CLOSED,
  133: RETCODE.TRADE_DISABLED,
  134: RETCODE.NO_MONEY,
  135: RETCODE.PRICE_CHANGED,
  136: RETCODE.PRICE_OFF, // ERR_OFF_QUOTES
  138: RETCODE.REQUOTE,
  141: RETCODE.TOO_MANY_REQUESTS,
  145: RETCODE.FROZEN, // ERR_TRADE_MODIFY_DENIED: too close to the market
  149: RETCODE.HEDGE_PROHIBITED,
  4108: RETCODE.POSITION_CLOSED, // ERR_INVALID_TICKET
};

/**
 * MetaApi's own trade result codes (its MetatraderTradeResponse model, "MT5 error codes", next to the
 * MT5 retcodes) as the MT5 retcode of the same meaning, by numericCode and by stringCode. A trade
 * that timed out at MetaApi may have been executed: unknown, reconcile. -1 (a return code MetaApi
 * does not know) likewise.
 */
const METAAPI_CODES: Readonly<Record<string, number>> = {
  '-9': RETCODE.INVALID, // ERR_PIP_SIZE_NOT_DEFINED (relative stops in pips only)
  '-8': RETCODE.TRADE_DISABLED, // ERR_INVESTOR: connected with the investor password
  '-7': RETCODE.TIMEOUT, // ERR_TRADE_TIMED_OUT
  '-6': RETCODE.PRICE_OFF, // ERR_NO_QUOTES
  '-5': RETCODE.CONNECTION, // ERR_NOT_SYNCHRONIZED
  '-4': RETCODE.INVALID, // TRADE_RETCODE_ORDER_TYPE_NOT_SUPPORTED
  '-1': RETCODE.ERROR, // TRADE_RETCODE_UNKNOWN
  '4753': RETCODE.POSITION_CLOSED, // ERR_TRADE_POSITION_NOT_FOUND
  '4754': RETCODE.INVALID, // ERR_TRADE_ORDER_NOT_FOUND
  ERR_PIP_SIZE_NOT_DEFINED: RETCODE.INVALID,
  ERR_INVESTOR: RETCODE.TRADE_DISABLED,
  ERR_TRADE_TIMED_OUT: RETCODE.TIMEOUT,
  ERR_NO_QUOTES: RETCODE.PRICE_OFF,
  ERR_NOT_SYNCHRONIZED: RETCODE.CONNECTION,
  TRADE_RETCODE_ORDER_TYPE_NOT_SUPPORTED: RETCODE.INVALID,
  TRADE_RETCODE_UNKNOWN: RETCODE.ERROR,
  ERR_TRADE_POSITION_NOT_FOUND: RETCODE.POSITION_CLOSED,
  ERR_TRADE_ORDER_NOT_FOUND: RETCODE.INVALID,
};

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  numericCode?: unknown;
  stringCode?: unknown;
  metadata?: { recommendedRetryTime?: unknown } | null;
}

/** Removes the secrets (and query strings, which may carry them) from a message. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/\?[^\s"']*/g, '?…');
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out.length > 400 ? `${out.slice(0, 400)}…` : out;
}

/** An SDK error's name and message, the secrets removed. */
export function describeError(err: unknown, secrets: readonly string[]): string {
  const e = (err !== null && typeof err === 'object' ? err : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  return redact(name && name !== 'Error' ? `${name}: ${message}` : message, secrets);
}

/** The MT5 retcode a TradeError stands for (see the table in the header). */
function tradeErrorCode(numericCode: unknown, stringCode: unknown): number {
  const n = typeof numericCode === 'number' ? numericCode : Number(numericCode);
  if (Number.isInteger(n) && n >= 10000) return n;
  const own =
    (Number.isInteger(n) ? METAAPI_CODES[String(n)] : undefined) ??
    (typeof stringCode === 'string' && Object.hasOwn(METAAPI_CODES, stringCode)
      ? METAAPI_CODES[stringCode]
      : undefined);
  if (own !== undefined) return own;
  if (Number.isInteger(n) && n > 0) return MT4_CODES[n] ?? RETCODE.REJECT;
  if (typeof stringCode === 'string' && stringCode.startsWith('TRADE_RETCODE_')) {
    const known = (RETCODE as Readonly<Record<string, number>>)[stringCode.slice('TRADE_RETCODE_'.length)];
    if (known !== undefined) return known;
  }
  return RETCODE.REJECT;
}

/** An SDK error (from a request that was sent) as the executor's answer: see the table in the header. */
export function answerForMetaApiError(
  err: unknown,
  options: { secrets?: readonly string[]; now?: number; opening?: boolean } = {},
): BrokerAnswer {
  const secrets = options.secrets ?? [];
  const e = (err !== null && typeof err === 'object' ? err : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const reason = describeError(err, secrets) || 'MetaApi failed without a message';
  const rejected = (code: number, retryable: boolean, retryAfterMs?: number): BrokerAnswer => ({
    outcome: 'rejected',
    retryable,
    code,
    reason,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
  switch (name) {
    case 'TradeError': {
      const code = tradeErrorCode(e.numericCode, e.stringCode);
      const codeName =
        typeof e.stringCode === 'string' && e.stringCode ? e.stringCode : `code ${String(e.numericCode)}`;
      const why = `${codeName}: ${typeof e.message === 'string' && e.message ? redact(e.message, secrets) : 'trade refused'}`;
      const cls = classifyRetcode(code);
      if (cls === 'retry' || cls === 'refused')
        return { outcome: 'rejected', retryable: cls === 'retry', code, reason: why };
      // 'unknown', and a success code (the SDK never throws one): reconcile.
      return { outcome: 'unknown', code, reason: why };
    }
    case 'TooManyRequestsError': {
      const at = e.metadata?.recommendedRetryTime;
      const when =
        at instanceof Date
          ? at.getTime()
          : typeof at === 'string' || typeof at === 'number'
            ? new Date(at).getTime()
            : Number.NaN;
      const now = options.now ?? Date.now();
      return rejected(RETCODE.TOO_MANY_REQUESTS, true, Number.isFinite(when) ? Math.max(0, when - now) : undefined);
    }
    case 'TimeoutError':
      return { outcome: 'unknown', code: RETCODE.TIMEOUT, reason };
    case 'NotConnectedError':
    case 'NotSynchronizedError':
      return { outcome: 'unknown', code: RETCODE.CONNECTION, reason };
    case 'NotFoundError':
      // An open acts on no position: what was not found is the symbol.
      return rejected(options.opening === true ? RETCODE.INVALID : RETCODE.POSITION_CLOSED, false);
    case 'ValidationError':
      return rejected(RETCODE.INVALID, false);
    case 'UnauthorizedError':
    case 'ForbiddenError':
      return rejected(RETCODE.REJECT, false);
  }
  // 'MetaApi connection closed' (the socket went while waiting), 'This connection has been closed...' (a call on a closed connection).
  if (/connection closed|connection has been closed|disconnect|socket/i.test(reason))
    return { outcome: 'unknown', code: RETCODE.CONNECTION, reason };
  return { outcome: 'unknown', code: RETCODE.ERROR, reason };
}
