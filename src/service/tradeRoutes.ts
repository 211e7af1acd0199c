// The API of closed trades: the list (GET /api/trades/closed, newest close first, paged by the last
// trade's lifetime, filtered by symbol and close time) and a ticket's closed lifetimes (GET
// /api/trades/closed/{ticket}), each with its stop path and its latest decisions. Read from the store
// (execution/closedTrades.ts makes the records); times are ISO 8601, unknown figures null, and every
// record says where each figure came from.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClosedTrade, WardenStore } from '../store/store.ts';
import {
  closedLifetimeSchema,
  closedTradeQuery,
  closedTradeSchema,
  closedTradesQuery,
  errorSchema,
  ticketParams,
} from './apiSchemas.ts';
import { decisionJson } from './journalPages.ts';
import { isoTime } from './views.ts';

/** The trade page of a ticket (the dashboard's). */
export const tradePage = (ticket: string): string => `/dtms/trade/${encodeURIComponent(ticket)}`;
/** Where a ticket's closed trades are in the API. */
export const closedTradePath = (ticket: string): string => `/api/trades/closed/${encodeURIComponent(ticket)}`;

/** A closed trade as the API gives it: ISO times, the lifetime named, and its page. */
export function closedTradeJson(t: ClosedTrade) {
  return {
    ticket: t.ticket,
    lifetime: t.key,
    symbol: t.symbol,
    side: t.side,
    openTime: isoTime(t.openTime),
    closeTime: isoTime(t.closeTime),
    entryPrice: t.entryPrice,
    volume: { ...t.volume },
    exitPrice: t.exitPrice,
    exitReason: t.exitReason,
    realizedProfit: t.realizedProfit,
    partialsProfit: t.partialsProfit,
    hedgesProfit: t.hedgesProfit,
    fees: t.fees,
    initialSl: t.initialSl,
    riskMoney: t.riskMoney,
    r: t.r,
    deals: t.deals.map((d) => ({ ...d, time: isoTime(d.time) })),
    hedges: t.hedges.map((h) => ({ ...h })),
    sources: { ...t.sources },
    history: { ...t.history },
    notes: [...t.notes],
    recordedAt: isoTime(t.recordedAt),
    page: tradePage(t.ticket),
  };
}

/** A lifetime's stop over time: its initial stop, then every move the venue applied to the position. */
function stopPath(store: WardenStore, t: ClosedTrade): { time: string; sl: number; by: string }[] {
  const stops: { time: string; sl: number; by: string }[] = [];
  if (t.initialSl !== null) stops.push({ time: isoTime(t.openTime), sl: t.initialSl, by: 'initial' });
  for (const i of store.intentsFor(t.key, { kind: 'move_stop', status: 'applied' })) {
    if (i.intent.targetId === t.ticket)
      stops.push({
        time: isoTime(i.intent.time),
        sl: i.intent.newSl,
        by: i.intent.rule === 'dtms' ? i.intent.action : i.intent.rule,
      });
  }
  return stops;
}

/** A full page has a next one (RFC 8288 Link header, relative to the server). */
function linkNext(reply: FastifyReply, path: string, query: Record<string, string | number | undefined>): void {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  reply.header('link', `<${path}?${q.toString()}>; rel="next"`);
}

export function registerTradeRoutes(app: FastifyInstance, o: { store: WardenStore }): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = o;

  api.get(
    '/api/trades/closed',
    {
      schema: {
        operationId: 'listClosedTrades',
        summary:
          'closed trades, newest close first: entry, exit (price, reason), realized profit with Warden\'s partials and DTMS hedges, R, and where each figure came from; symbol=, from= and to= (ISO 8601 close times) filter; a full page has a Link header (rel="next") to the next one (after=<last lifetime>)',
        querystring: closedTradesQuery,
        response: { 200: z.array(closedTradeSchema), 400: errorSchema },
      },
    },
    (req, reply) => {
      const { limit, after, symbol, from, to } = req.query;
      let cursor: { closeTime: number; key: string } | undefined;
      if (after !== undefined) {
        const t = store.closedTrade(after);
        if (t === null) {
          reply.code(400);
          return {
            error: 'bad_request',
            message: `querystring.after: no closed trade ${after} (the cursor is the lifetime of the last trade received)`,
          };
        }
        cursor = { closeTime: t.closeTime, key: t.key };
      }
      const page = store.closedTradePage({
        limit,
        ...(symbol !== undefined ? { symbol } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(cursor ? { after: cursor } : {}),
      });
      if (page.length === limit) {
        linkNext(reply, '/api/trades/closed', {
          after: page.at(-1)!.key,
          limit,
          symbol,
          from: from === undefined ? undefined : isoTime(from),
          to: to === undefined ? undefined : isoTime(to),
        });
      }
      return page.map(closedTradeJson);
    },
  );

  api.get(
    '/api/trades/closed/:ticket',
    {
      schema: {
        operationId: 'getClosedTrade',
        summary:
          'a ticket\'s closed lifetimes, oldest first (a venue may reuse a ticket): each trade with its stop path and its latest decisions; a full page has a Link header (rel="next") to the next one (after=<last lifetime>)',
        params: ticketParams,
        querystring: closedTradeQuery,
        response: { 200: z.array(closedLifetimeSchema), 400: errorSchema, 404: errorSchema },
      },
    },
    (req, reply) => {
      const { ticket } = req.params;
      const { limit, after, decisions } = req.query;
      const all = store.closedTradesOf(ticket);
      if (all.length === 0) {
        reply.code(404);
        return { error: 'not_found', message: `no closed trade of ticket ${ticket}` };
      }
      let start = 0;
      if (after !== undefined) {
        start = all.findIndex((t) => t.key === after) + 1;
        if (start === 0) {
          reply.code(400);
          return {
            error: 'bad_request',
            message: `querystring.after: ${after} is not a closed lifetime of ticket ${ticket}`,
          };
        }
      }
      const page = all.slice(start, start + limit);
      if (page.length === limit && start + limit < all.length)
        linkNext(reply, closedTradePath(ticket), { after: page.at(-1)!.key, limit, decisions });
      return page.map((t) => {
        const records = store.decisionPage({ positionIds: [t.key] }, { limit: decisions + 1 });
        const shown = records.slice(Math.max(0, records.length - decisions));
        const oldest = shown[0];
        return {
          trade: closedTradeJson(t),
          stops: stopPath(store, t),
          decisions: shown.map(decisionJson),
          olderDecisions:
            records.length > decisions && oldest !== undefined
              ? `/api/positions/${encodeURIComponent(ticket)}/decisions?before=${oldest.seq}&limit=${decisions}`
              : null,
        };
      });
    },
  );
}
