// The closed-trade pages' request and response schemas: a trade Warden managed to its end, its figures
// with where each came from, and per lifetime its stop path and latest decisions. Times are ISO 8601
// UTC strings, as everywhere in the API.
import { z } from 'zod';
import { DECISIONS_PAGE_MAX, decisionSchema, errorSchema, pageLimit } from './apiPositionSchemas.ts';

export const CLOSED_TRADES_PAGE_MAX = 500;
export const CLOSED_LIFETIMES_PAGE_MAX = 100;

/** An ISO 8601 time with its offset (2026-03-11T10:00:00Z), as epoch ms. */
const isoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export const closedTradesQuery = z.object({
  limit: pageLimit(CLOSED_TRADES_PAGE_MAX, 100, 'after=<lifetime of the last trade received>').describe(
    `trades a page, 1 to ${CLOSED_TRADES_PAGE_MAX} (default 100)`,
  ),
  after: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe(
      'only trades after this one in the list (newest close first): the `lifetime` of the last trade of the previous page',
    ),
  symbol: z
    .string()
    .regex(/^[A-Za-z0-9_.#/:-]{1,64}$/, 'a symbol is 1 to 64 letters, digits, _ . # / : or -')
    .optional()
    .describe('only trades of this symbol, as the venue spells it'),
  from: isoTime.optional().describe('only trades closed at or after this time (ISO 8601, e.g. 2026-03-11T00:00:00Z)'),
  to: isoTime.optional().describe('only trades closed before this time (ISO 8601)'),
});

export const closedTradeQuery = z.object({
  limit: pageLimit(CLOSED_LIFETIMES_PAGE_MAX, 20, 'after=<lifetime of the last one received>').describe(
    `lifetimes a page, 1 to ${CLOSED_LIFETIMES_PAGE_MAX} (default 20), oldest first`,
  ),
  after: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('only lifetimes after this one (the `lifetime` of the last one of the previous page)'),
  decisions: z.coerce
    .number()
    .int()
    .min(1)
    .max(DECISIONS_PAGE_MAX)
    .default(200)
    .describe(
      `the latest decisions of each lifetime, 1 to ${DECISIONS_PAGE_MAX} (default 200); older ones from olderDecisions`,
    ),
});

const figure = z.number().nullable();
const closedSource = z.enum(['venue', 'journal', 'decision', 'lifetime', 'plan', 'none']);

export const closedTradeSchema = z
  .object({
    ticket: z.string().describe("the venue's ticket"),
    lifetime: z.string().describe("the lifetime Warden managed under the ticket ('<ticket>#<n>'): the list's cursor"),
    symbol: z.string(),
    side: z.enum(['buy', 'sell']),
    openTime: z.string().describe('ISO 8601, UTC'),
    closeTime: z
      .string()
      .describe('ISO 8601, UTC: the last closing deal (when Warden saw the position gone, if no deal is known)'),
    entryPrice: z.number(),
    volume: z.object({
      opened: figure.describe('the most the position held, lots'),
      closed: figure.describe('what the closing deals known closed, lots'),
      closedByWarden: z.number().describe("what of it Warden's requests closed (partials, DTMS)"),
    }),
    exitPrice: figure.describe(
      'volume-weighted over every closing deal, partials included; null when the closing deals are not all known',
    ),
    exitReason: z
      .enum(['sl', 'tp', 'warden_close', 'warden_partials', 'dtms_close', 'stop_out', 'outside', 'unknown'])
      .describe(
        "how the last closing deal came: the venue's stop loss or take profit, Warden's close, Warden's partials taking all of it, a DTMS action, a margin stop-out, a request from outside Warden (the trader), or not known",
      ),
    realizedProfit: figure.describe(
      "the whole trade's realized profit: every closing deal (Warden's partials among them) and the DTMS hedges booked to it, fees apart; null when a part is not known",
    ),
    partialsProfit: figure.describe("of it, Warden's partial closes"),
    hedgesProfit: figure.describe('of it, the DTMS hedges (null while one is open)'),
    fees: figure.describe('commission, swap and funding as the venue booked them (a charge is negative)'),
    initialSl: figure,
    riskMoney: figure.describe('one R: |entry - initial stop| x opened volume x contract size'),
    r: figure.describe('realizedProfit / riskMoney'),
    deals: z.array(
      z.object({
        time: z.string(),
        volume: z.number(),
        price: z.number(),
        profit: figure,
        by: z.enum(['sl', 'tp', 'stop_out', 'outside', 'unknown', 'warden', 'dtms']),
        intentId: z.string(),
        partial: z.boolean(),
        from: closedSource,
      }),
    ),
    hedges: z.array(
      z.object({
        ticket: z.string().nullable(),
        side: z.enum(['buy', 'sell']),
        volume: z.number(),
        openPrice: z.number(),
        closePrice: figure,
        profit: figure,
        from: closedSource,
      }),
    ),
    sources: z
      .object({
        entry: closedSource,
        exit: closedSource,
        realized: closedSource,
        openTime: closedSource,
        closeTime: closedSource,
        initialSl: closedSource,
      })
      .describe(
        "where each figure came from: venue (its history), journal (Warden's requests at the fills the venue answered), decision (the decision's price, no fill named), lifetime (what Warden saw), plan (the exit plan), none (not known: null)",
      ),
    history: z
      .object({
        venue: z.string(),
        status: z.enum(['answered', 'no_history', 'unsupported', 'failed', 'pending']),
        attempts: z.number(),
        error: z.string(),
      })
      .describe(
        "the venue's history: answered, held nothing of it, has none to ask, failed (after `attempts`), or pending (asked again soon)",
      ),
    notes: z.array(z.string()).describe('what could not be said, and why'),
    recordedAt: z.string(),
    page: z.string().describe("the trade's page"),
  })
  .meta({ id: 'ClosedTrade' });

export const closedLifetimeSchema = z
  .object({
    trade: closedTradeSchema,
    stops: z
      .array(z.object({ time: z.string(), sl: z.number(), by: z.string() }))
      .describe('the stop over time: the initial one, then every move the venue applied'),
    decisions: z.array(decisionSchema).describe("the lifetime's latest decisions, oldest first"),
    olderDecisions: z
      .string()
      .nullable()
      .describe(
        "where the older decisions are (the ticket's history, before the oldest here), null when these are all",
      ),
  })
  .meta({ id: 'ClosedLifetime' });

/** A position not under management: the one error body, and where its closed trade is when it closed. */
export const positionNotFoundSchema = errorSchema
  .extend({
    closed: z.string().optional().describe("the ticket's closed trades, when it closed under Warden's management"),
  })
  .meta({ id: 'PositionNotFound' });
