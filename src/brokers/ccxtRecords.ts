// What the ccxt adapter reads of Binance's payloads (ccxt's `info`), narrowed and checked by zod at the
// boundary, and the ids it makes: an intent's client order id, a position's id.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Side } from '../domain/types.ts';

export const algoOrderInfo = z.object({
  symbol: z.string(),
  side: z.string(),
  positionSide: z.string().optional(),
  orderType: z.string().optional(),
  type: z.string().optional(),
  triggerPrice: z.union([z.string(), z.number()]).optional(),
  stopPrice: z.union([z.string(), z.number()]).optional(),
  closePosition: z.boolean().optional(),
  reduceOnly: z.boolean().optional(),
  quantity: z.union([z.string(), z.number()]).optional(),
  algoId: z.union([z.string(), z.number()]).optional(),
  clientAlgoId: z.string().optional(),
  createTime: z.union([z.string(), z.number()]).optional(),
});
export type AlgoOrderInfo = z.infer<typeof algoOrderInfo>;

export const positionInfo = z.object({ positionSide: z.string().optional() }).passthrough();

export const decimal = z.union([z.string(), z.number()]).transform(Number);
/** A fill of GET /fapi/v1/userTrades (ccxt's fetchMyTrades `info`): what a closed trade reads of it. */
export const userTradeInfo = z.object({
  symbol: z.string(),
  orderId: z.union([z.string(), z.number()]).transform(String),
  side: z.enum(['BUY', 'SELL']),
  price: decimal,
  qty: decimal,
  realizedPnl: decimal.optional(),
  commission: decimal.optional(),
  time: decimal,
  positionSide: z.string().optional(),
});
/** GET /fapi/v3/account (ccxt's fetchBalance `info` on USD-M): the wallet's totals, in USDT. */
export const accountInfo = z.object({
  totalWalletBalance: decimal,
  totalMarginBalance: decimal,
  totalInitialMargin: decimal.optional(),
  availableBalance: decimal.optional(),
});
/** GET /fapi/v1/income (ccxt's fetchLedger `info` on USD-M): one booking to the wallet. */
export const incomeInfo = z.object({
  symbol: z.string().optional(),
  incomeType: z.string(),
  income: decimal,
  time: decimal,
  tranId: z.union([z.string(), z.number()]).transform(String).optional(),
});
/** Income a page of GET /fapi/v1/income holds at most. */
export const INCOME_PAGE = 1000;
/** GET /fapi/v1/order by orderId: what made a closing fill. */
export const orderInfo = z.object({
  clientOrderId: z.string().optional(),
  type: z.string().optional(),
  origType: z.string().optional(),
});

/** Binance's client order id alphabet and length. */
const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

/** The intent id as a Binance client order id: the same intent always gives the same client id. */
export function clientOrderId(intentId: string): string {
  const clean = intentId.replace(/[^.A-Z:/a-z0-9_-]/g, '_');
  if (CLIENT_ID.test(clean)) return clean;
  const hash = createHash('sha256').update(intentId).digest('hex').slice(0, 10);
  return `${clean.slice(0, 25)}-${hash}`;
}

/** The adapter's id of the position on `symbol` and `side` (Binance holds one per symbol and side). */
export function positionIdOf(symbol: string, side: Side): string {
  return `${symbol}:${side === 'buy' ? 'long' : 'short'}`;
}

/** `BTC/USDT:USDT:long` -> symbol and side; null when the id is not one of this adapter's. */
export function parsePositionId(id: string): { symbol: string; side: Side } | null {
  const at = id.lastIndexOf(':');
  if (at <= 0) return null;
  const tail = id.slice(at + 1);
  if (tail !== 'long' && tail !== 'short') return null;
  return { symbol: id.slice(0, at), side: tail === 'long' ? 'buy' : 'sell' };
}
