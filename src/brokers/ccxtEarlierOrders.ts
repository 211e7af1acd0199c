// Whether an intent's market order (close, partial close, open) is already at the venue. The intent
// id, sanitised to Binance's client id alphabet and 36 characters, is the order's client id (the same
// intent always gives the same one, in any process), so before sending the venue is asked for an order
// with that client id (GET /fapi/v1/order?origClientOrderId, weight 1):
// - Filled: applied, nothing sent (NO_CHANGES; DONE_PARTIAL when only part filled: the positions show
//   how much).
// - Still working (NEW, nothing filled): unknown, nothing sent (a second order would double it).
// - None (-2013), or ended with nothing filled: sent.
// Always asked, not only for intents this process has seen: after a restart the process has seen
// nothing, and Binance takes a client id again once its order is no longer open, so only the venue
// knows. The cost is one GET (one round trip) per market order, and market orders are the rare
// requests (partials, closes, hedges; stop moves are the frequent ones and need no extra query).
import type { Exchange, Order } from 'ccxt';
import type { Intent } from '../domain/types.ts';
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';
import { errorClasses } from './ccxtErrors.ts';
import { clientOrderId } from './ccxtRecords.ts';

/** An earlier market order of the same intent that the venue filled (wholly or in part). */
export interface Filled {
  /** Its average fill price (NaN when the venue gave none). */
  price: number;
  /** All of it filled. */
  whole: boolean;
}

/** A partial fill is applied all the same (MT5's DONE_PARTIAL): the positions show how much. */
export const filledCode = (f: Filled): number => (f.whole ? RETCODE.NO_CHANGES : RETCODE.DONE_PARTIAL);

/**
 * The market order the venue already holds under this intent's client id: filled (wholly or in
 * part) is the earlier send's fill; still working is unknown; none, or ended with nothing filled:
 * null, send. `name`: the adapter's, for the answer's reason.
 */
export async function earlierOrder(name: string, ex: Exchange, intent: Intent): Promise<Filled | BrokerAnswer | null> {
  const cid = clientOrderId(intent.id);
  let order: Order;
  try {
    order = await ex.fetchOrder(cid, intent.symbol, { origClientOrderId: cid });
  } catch (err) {
    if (
      errorClasses(err).includes('OrderNotFound') ||
      /"code"\s*:\s*-2013\b/.test(err instanceof Error ? err.message : '')
    )
      return null;
    throw err;
  }
  const filled = Number(order.filled ?? 0);
  const amount = Number(order.amount ?? filled);
  const price = [order.average, order.price].map(Number).find((v) => v > 0) ?? Number.NaN;
  if (filled > 0) return { price, whole: filled >= amount - 1e-12 };
  if (order.status === 'open')
    return {
      outcome: 'unknown',
      code: RETCODE.TIMEOUT,
      reason: `${name}: order ${cid} of this intent is still working at the venue (nothing filled yet); not sent again`,
    };
  return null;
}
