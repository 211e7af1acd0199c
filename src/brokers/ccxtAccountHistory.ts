// What a Binance USD-M account booked, read through ccxt: the wallet's bookings (realized profit, fees)
// and a closed position's fills with what made each.
import type { Exchange } from 'ccxt';
import type { z } from 'zod';
import type { BookedProfit, ClosedPositionFacts, ClosedPositionQuery, DealCause, PositionDeal } from './brokerPort.ts';
import { errorClasses } from './ccxtErrors.ts';
import { clientOrderId, INCOME_PAGE, incomeInfo, orderInfo, userTradeInfo } from './ccxtRecords.ts';

/** Binance refuses a userTrades window longer than 7 days (startTime to endTime); fills are read a week at a time. */
const TRADES_WINDOW_MS = 7 * 24 * 3_600_000;
/** Fills per userTrades request (Binance's most). */
const TRADES_PAGE = 1000;

/**
 * The wallet's bookings since `since` (GET /fapi/v1/income through fetchLedger, paged by time): a
 * REALIZED_PNL is a profit; COMMISSION and FUNDING_FEE are fees; transfers and bonuses are not
 * trading results and are left out. A page ends where the next starts (same millisecond included),
 * so a booking seen twice (same id and type) is counted once.
 */
export async function bookedSince(ex: Exchange, since: number): Promise<BookedProfit[]> {
  const seen = new Set<string>();
  const out: BookedProfit[] = [];
  for (let from = since; ; ) {
    const page = await ex.fetchLedger(undefined, from, INCOME_PAGE);
    let last = from;
    for (const e of page) {
      const r = incomeInfo.safeParse(e.info);
      if (!r.success) continue;
      const x = r.data;
      last = Math.max(last, x.time);
      const id = `${x.tranId ?? `${x.time}:${x.symbol ?? ''}:${x.income}`}:${x.incomeType}`;
      if (seen.has(id) || x.time < since) continue;
      seen.add(id);
      const symbol = x.symbol ? (ex.safeMarket(x.symbol, undefined, undefined, 'swap').symbol ?? x.symbol) : '';
      if (x.incomeType === 'REALIZED_PNL') out.push({ time: x.time, symbol, profit: x.income, fees: 0 });
      else if (x.incomeType === 'COMMISSION' || x.incomeType === 'FUNDING_FEE')
        out.push({ time: x.time, symbol, profit: 0, fees: x.income });
    }
    if (page.length < INCOME_PAGE || last <= from) break;
    from = last;
  }
  return out.sort((a, b) => a.time - b.time);
}

/**
 * A closed position's fills: the account's fills of its symbol (`marketId`: the venue's id of it) on
 * its side between Warden first seeing it and seeing it gone (Binance has no position id), each
 * closing fill's order asked once for what made it.
 */
export async function closedPositionFills(
  ex: Exchange,
  marketId: string | undefined,
  hedged: boolean,
  q: ClosedPositionQuery,
): Promise<ClosedPositionFacts | null> {
  const positionSide = hedged ? (q.side === 'buy' ? 'LONG' : 'SHORT') : 'BOTH';
  const closing = q.side === 'buy' ? 'SELL' : 'BUY';
  const fills: z.infer<typeof userTradeInfo>[] = [];
  for (let from = q.since; from <= q.until; from += TRADES_WINDOW_MS) {
    const to = Math.min(q.until, from + TRADES_WINDOW_MS - 1);
    for (let cursor = from; ; ) {
      const page = await ex.fetchMyTrades(q.symbol, cursor, TRADES_PAGE, { until: to });
      for (const t of page) {
        const r = userTradeInfo.safeParse(t.info);
        if (
          r.success &&
          r.data.symbol === marketId &&
          (r.data.positionSide ?? 'BOTH') === positionSide &&
          r.data.time >= q.since &&
          r.data.time <= q.until
        )
          fills.push(r.data);
      }
      const lastTime = Math.max(...page.map((t) => Number(t.timestamp ?? Number.NaN)).filter(Number.isFinite));
      if (page.length < TRADES_PAGE || !(lastTime >= cursor)) break;
      cursor = lastTime + 1;
    }
  }
  if (fills.length === 0) return null;
  const mine = new Map(q.requestIds.map((id) => [clientOrderId(id), id]));
  const causes = new Map<string, { cause: DealCause; requestId: string }>();
  for (const f of fills) {
    if (f.side !== closing || causes.has(f.orderId)) continue;
    causes.set(f.orderId, await causeOf(ex, q.symbol, f.orderId, mine));
  }
  const deals: PositionDeal[] = fills
    .sort((a, b) => a.time - b.time)
    .map((f) => {
      const c = f.side === closing ? causes.get(f.orderId)! : { cause: 'unknown' as const, requestId: '' };
      const fees = f.commission === undefined ? Number.NaN : -f.commission;
      return {
        time: f.time,
        entry: f.side === closing ? 'out' : 'in',
        volume: f.qty,
        price: f.price,
        profit: f.realizedPnl ?? Number.NaN,
        fees,
        cause: c.cause,
        requestId: c.requestId,
      };
    });
  const notes = [
    `Binance fills carry no position id: the ${q.symbol} ${q.side === 'buy' ? 'long' : 'short'} fills between ${new Date(q.since).toISOString()} and ${new Date(q.until).toISOString()} are taken as this position's`,
  ];
  return { deals, notes };
}

/** What made a closing fill: its order's client id or type (see closedPositionFills). */
async function causeOf(
  ex: Exchange,
  symbol: string,
  orderId: string,
  mine: ReadonlyMap<string, string>,
): Promise<{ cause: DealCause; requestId: string }> {
  let info: z.infer<typeof orderInfo>;
  try {
    const order = await ex.fetchOrder(orderId, symbol);
    info = orderInfo.parse(order.info);
  } catch (err) {
    if (
      errorClasses(err).includes('OrderNotFound') ||
      /"code"\s*:\s*-2013\b/.test(err instanceof Error ? err.message : '')
    )
      return { cause: 'unknown', requestId: '' };
    throw err;
  }
  const requestId = info.clientOrderId === undefined ? undefined : mine.get(info.clientOrderId);
  if (requestId !== undefined) return { cause: 'request', requestId };
  const type = info.origType ?? info.type ?? '';
  if (type === 'STOP_MARKET' || type === 'STOP') return { cause: 'sl', requestId: '' };
  if (type === 'TAKE_PROFIT_MARKET' || type === 'TAKE_PROFIT') return { cause: 'tp', requestId: '' };
  if (type === 'LIQUIDATION' || info.clientOrderId?.startsWith('autoclose-') === true)
    return { cause: 'stop_out', requestId: '' };
  return { cause: 'outside', requestId: '' };
}
