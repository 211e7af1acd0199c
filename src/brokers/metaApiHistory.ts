// What the MetaApi adapter reads of the account's deal history: a closed position's deals, and the
// profits booked since a time. Only buy and sell deals are trading results: balance, credit,
// commission and the other non-trade deals are left out.
import type { z } from 'zod';
import type { BookedProfit, ClosedPositionFacts, ClosedPositionQuery, DealCause, PositionDeal } from './brokerPort.ts';
import { clientIdFor } from './metaApiClientIds.ts';
import type { MetaApiGateway } from './metaApiGateway.ts';
import { DEAL_CAUSES, type historyDealSchema, historySchema, parsed } from './metaApiRecords.ts';

type HistoryDeal = z.infer<typeof historyDealSchema>;

/** Deals per getDealsByTimeRange request (MetaApi's maximum). */
export const DEAL_PAGE = 1000;
/** Margin around a deal search window (broker and local clocks differ). */
export const DEAL_WINDOW_MS = 5 * 60_000;

/**
 * A position's deals from MetaApi's history (getDealsByPosition): DEAL_ENTRY_IN `in`; OUT, OUT_BY and
 * INOUT `out` (an INOUT deal reverses a netting position: its whole volume is taken as the close, said
 * in the notes). The cause is MT5's deal reason (DEAL_REASON_SL, _TP, _SO; a client, mobile, web or
 * expert deal is a request, Warden's when its clientId is one Warden's request carried); fees are
 * commission + swap as booked. While MetaApi still synchronizes the history and no closing deal is in
 * it yet, it throws (asked again later). Null when it holds no deal of the position.
 */
export async function closedPositionDeals(
  gw: MetaApiGateway,
  q: ClosedPositionQuery,
): Promise<ClosedPositionFacts | null> {
  const history = parsed(historySchema, await gw.getDealsByPosition(q.ticket), 'position deals');
  const mine = new Map<string, string>();
  for (const id of q.requestIds) {
    const clientId = clientIdFor(id);
    if (clientId !== undefined) mine.set(clientId, id);
  }
  const notes: string[] = [];
  const deals: PositionDeal[] = [];
  for (const d of history.deals) {
    if (d.type !== 'DEAL_TYPE_BUY' && d.type !== 'DEAL_TYPE_SELL') continue;
    if (d.positionId !== undefined && d.positionId !== q.ticket) continue;
    if (d.entryType === 'DEAL_ENTRY_INOUT')
      notes.push(`deal ${d.id} reversed the position (DEAL_ENTRY_INOUT): its whole volume is taken as the close`);
    deals.push(positionDeal(d, mine));
  }
  if (history.synchronizing === true && !deals.some((d) => d.entry === 'out'))
    throw new Error(`metaapi: MetaApi is still synchronizing the history of position ${q.ticket}`);
  if (deals.length === 0) return null;
  deals.sort((a, b) => a.time - b.time);
  return { deals, notes };
}

/** A buy or sell deal of the position; `mine`: Warden's request ids by the clientId they carried. */
function positionDeal(d: HistoryDeal, mine: ReadonlyMap<string, string>): PositionDeal {
  const requestId = d.clientId !== undefined ? (mine.get(d.clientId) ?? '') : '';
  const cause: DealCause = requestId !== '' ? 'request' : (DEAL_CAUSES[d.reason ?? ''] ?? 'unknown');
  const fees = d.commission === undefined && d.swap === undefined ? Number.NaN : (d.commission ?? 0) + (d.swap ?? 0);
  return {
    time: d.time,
    entry: d.entryType === 'DEAL_ENTRY_IN' ? 'in' : 'out',
    volume: d.volume ?? Number.NaN,
    price: d.price ?? Number.NaN,
    profit: d.profit ?? Number.NaN,
    fees,
    cause,
    requestId,
  };
}

/**
 * The profits MT5 booked since `since`, up to `now` and a margin (getDealsByTimeRange, paged): each buy or sell
 * deal that closes (DEAL_ENTRY_OUT, INOUT, OUT_BY) with its profit, and its commission and swap as
 * fees; an opening deal's commission is booked too (profit 0).
 */
export async function bookedDeals(gw: MetaApiGateway, since: number, now: number): Promise<BookedProfit[]> {
  const until = new Date(now + DEAL_WINDOW_MS);
  const out: BookedProfit[] = [];
  for (let offset = 0; ; offset += DEAL_PAGE) {
    const page = parsed(
      historySchema,
      await gw.getDealsByTimeRange(new Date(since), until, offset, DEAL_PAGE),
      'deals',
    );
    if (page.synchronizing === true) throw new Error('metaapi: MetaApi is still synchronizing the deals');
    for (const d of page.deals) {
      if (d.type !== 'DEAL_TYPE_BUY' && d.type !== 'DEAL_TYPE_SELL') continue;
      const closing = d.entryType !== undefined && d.entryType !== 'DEAL_ENTRY_IN';
      const fees = (d.commission ?? 0) + (d.swap ?? 0);
      const profit = closing ? (d.profit ?? 0) : 0;
      if (profit === 0 && fees === 0) continue;
      out.push({ time: d.time, symbol: d.symbol ?? '', profit, fees });
    }
    if (page.deals.length < DEAL_PAGE) break;
  }
  return out.sort((a, b) => a.time - b.time);
}
