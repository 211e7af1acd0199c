// What Warden reads of the MetaApi SDK's objects, checked by zod at the boundary: positions, symbol
// specifications, prices, candles, deals, account information, trade responses.
import { z } from 'zod';
import type { DealCause } from './brokerPort.ts';

const time = z.union([z.date(), z.string(), z.number()]).transform((v, ctx) => {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) ctx.addIssue({ code: 'custom', message: `not a time: ${String(v)}` });
  return ms;
});
const price = z.number();
/** 0 is MT5's "no level". */
const level = z
  .number()
  .optional()
  .transform((v) => (v === undefined || v === 0 ? null : v));

export const positionSchema = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  type: z.enum(['POSITION_TYPE_BUY', 'POSITION_TYPE_SELL']),
  symbol: z.string().min(1),
  time,
  openPrice: price,
  currentPrice: price.optional(),
  stopLoss: level,
  takeProfit: level,
  volume: z.number().positive(),
  comment: z.string().optional(),
  brokerComment: z.string().optional(),
});
export type ParsedPosition = z.infer<typeof positionSchema>;

export const specSchema = z.object({
  symbol: z.string().min(1),
  tickSize: z.number().nonnegative(),
  minVolume: z.number().positive(),
  maxVolume: z.number().positive(),
  volumeStep: z.number().positive(),
  contractSize: z.number().positive(),
  digits: z.number().int().nonnegative(),
  point: z.number().positive(),
  stopsLevel: z.number().nonnegative(),
  freezeLevel: z.number().nonnegative(),
});
export type ParsedSpec = z.infer<typeof specSchema>;

export const priceSchema = z.object({ bid: price, ask: price, time });
export const accountSchema = z.object({ marginMode: z.string().min(1) });
/** MetatraderAccountInformation: the money, in the deposit currency. */
export const fundsSchema = z.object({
  currency: z.string().min(1),
  balance: z.number(),
  equity: z.number(),
  margin: z.number().optional(),
  freeMargin: z.number().optional(),
});
export const candleSchema = z.object({
  time,
  open: price,
  high: price,
  low: price,
  close: price,
  tickVolume: z.number().optional(),
  volume: z.number().optional(),
  spread: z.number().optional(),
});
export const dealSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  type: z.string(),
  entryType: z.string().optional(),
  symbol: z.string().optional(),
  price: z.number().optional(),
  positionId: z.union([z.string(), z.number()]).transform(String).optional(),
  comment: z.string().optional(),
  clientId: z.string().optional(),
});
export const dealsSchema = z.object({ deals: z.array(dealSchema), synchronizing: z.boolean().optional() });
/** A deal of a position's history (getDealsByPosition): what a closed trade reads of it. */
export const historyDealSchema = dealSchema.extend({
  time,
  volume: z.number().optional(),
  profit: z.number().optional(),
  commission: z.number().optional(),
  swap: z.number().optional(),
  reason: z.string().optional(),
});
export const historySchema = z.object({ deals: z.array(historyDealSchema), synchronizing: z.boolean().optional() });

/** MT5's deal reasons as what made the deal (a request by an expert is Warden's when its clientId is one of Warden's). */
export const DEAL_CAUSES: Readonly<Record<string, DealCause>> = {
  DEAL_REASON_SL: 'sl',
  DEAL_REASON_TP: 'tp',
  DEAL_REASON_SO: 'stop_out',
  DEAL_REASON_CLIENT: 'outside',
  DEAL_REASON_MOBILE: 'outside',
  DEAL_REASON_WEB: 'outside',
  DEAL_REASON_EXPERT: 'outside',
};
export const tradeResponseSchema = z.object({
  numericCode: z.number(),
  stringCode: z.string().optional(),
  orderId: z.union([z.string(), z.number()]).transform(String).optional(),
  positionId: z.union([z.string(), z.number()]).transform(String).optional(),
});

/** `value` as `schema` reads it, or an error naming what MetaApi sent malformed. */
export function parsed<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new Error(`metaapi: malformed ${what} from MetaApi: ${z.prettifyError(r.error).replace(/\s+/g, ' ')}`);
  return r.data;
}
