// The ccxt exchange the ccxt adapter talks to: the adapter's options, and the exchange they make.
// ccxt is a heavy module, so it is loaded on first use; the markets are loaded once (or preloaded).
import type { Exchange } from 'ccxt';
import type { Market } from './ccxtMarkets.ts';

export interface CcxtBrokerOptions {
  exchangeId: 'binanceusdm';
  apiKey?: string;
  secret?: string;
  /** Binance demo trading (demo-fapi.binance.com); the futures testnet is gone from ccxt. */
  demo?: boolean;
  /** The account's position mode; read from the venue (fetchPositionMode) when not given. */
  hedgeMode?: boolean;
  /** The HTTP transport (tests pass a fake exchange). */
  fetchImplementation?: typeof fetch;
  /** Markets preloaded (ccxt unified markets, keyed by symbol): no exchangeInfo request. */
  markets?: Record<string, Market>;
  /** ccxt's own throttle; on unless turned off (tests). */
  enableRateLimit?: boolean;
  /** ccxt's request timeout, ms. */
  timeoutMs?: number;
  /** Wall clock (epoch ms): tells a closed bar from the one still forming (default Date.now). */
  clock?: () => number;
}

type CcxtModule = { default: Record<string, unknown> };

/** Loads ccxt and makes the exchange of `o`, its markets loaded. */
export async function openExchange(o: CcxtBrokerOptions): Promise<Exchange> {
  const mod = (await import('ccxt')) as unknown as CcxtModule;
  const Ctor = mod.default[o.exchangeId] as (new (config: Record<string, unknown>) => Exchange) | undefined;
  if (typeof Ctor !== 'function') throw new Error(`ccxt has no exchange ${o.exchangeId}`);
  const ex = new Ctor({
    ...(o.apiKey !== undefined ? { apiKey: o.apiKey } : {}),
    ...(o.secret !== undefined ? { secret: o.secret } : {}),
    ...(o.fetchImplementation ? { fetchImplementation: o.fetchImplementation } : {}),
    enableRateLimit: o.enableRateLimit ?? true,
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    // Futures only: no spot currency endpoints, no warning for account-wide open orders.
    options: { fetchCurrencies: false, warnOnFetchOpenOrdersWithoutSymbol: false, adjustForTimeDifference: false },
  });
  if (o.demo) ex.enableDemoTrading(true);
  if (o.markets) ex.setMarkets(o.markets);
  else await ex.loadMarkets();
  return ex;
}
