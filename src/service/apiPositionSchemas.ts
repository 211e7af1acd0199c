// The HTTP API's request and response schemas (zod): fastify validates requests and serializes
// responses with them, and the OpenAPI document (/openapi.json) is generated from them.
//
// Every time in an answer is an ISO 8601 UTC string (null when not known), whatever the engine keeps
// (epoch ms): one format for every client. The one exception is Bar.time, epoch ms, as the pages' chart
// library takes it.
import { z } from 'zod';

export const errorSchema = z.object({ error: z.string(), message: z.string() }).meta({ id: 'Error' });

export const ticketParams = z.object({
  ticket: z
    .string()
    .regex(
      /^[A-Za-z0-9_.:/-]{1,64}$/,
      'a ticket is 1 to 64 letters, digits, _ . - : or / (a Binance position is BTC/USDT:USDT:long)',
    ),
});
export const limitQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/**
 * Pages of the decision journal and of the positions list are bounded: a request above the cap is
 * refused (400, naming it) rather than cut short, so a client never takes a capped page for the whole.
 */
export const DECISIONS_PAGE_MAX = 500;
export const POSITIONS_PAGE_MAX = 500;
/** The positions a list answers without `limit`; more pages through `after` (the overview asks for pages of the cap). */
export const POSITIONS_PAGE_DEFAULT = 100;

const pageLimit = (max: number, fallback: number, cursor: string) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max, `at most ${max} a page; ask for the next page with ${cursor}`)
    .default(fallback);

export const decisionsPageQuery = z.object({
  limit: pageLimit(DECISIONS_PAGE_MAX, 100, 'before=<seq of the oldest record received>').describe(
    `records a page, 1 to ${DECISIONS_PAGE_MAX} (default 100)`,
  ),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'only records older than this journal seq (the `seq` of the oldest record of the previous page); left out: the latest',
    ),
});

export const positionsPageQuery = z.object({
  limit: pageLimit(POSITIONS_PAGE_MAX, POSITIONS_PAGE_DEFAULT, 'after=<last ticket received>').describe(
    `positions a page, 1 to ${POSITIONS_PAGE_MAX} (default ${POSITIONS_PAGE_DEFAULT})`,
  ),
  after: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe(
      'only positions whose ticket comes after this one (numeric tickets by value, then the others by text): the last ticket of the previous page',
    ),
});

const nullableNumber = z.number().nullable();

/** A time in an answer: ISO 8601, UTC; null when not known. */
const time = (what: string) => z.string().nullable().describe(`${what} (ISO 8601, UTC; null: not known)`);

/** How a would-be or actual position ended. */
const exitSchema = z
  .object({ time: time('when it ended'), price: z.number(), how: z.string(), by: z.string() })
  .nullable();

export const positionSchema = z
  .object({
    ticket: z.string().describe("the venue's ticket"),
    lifetime: z
      .string()
      .describe(
        "the lifetime Warden manages under the ticket ('<ticket>#<n>'): a ticket a venue reuses for a later position is another lifetime, with its own history",
      ),
    symbol: z.string(),
    side: z.enum(['buy', 'sell']),
    volume: z.number(),
    entry: z.number(),
    sl: nullableNumber,
    tp: nullableNumber,
    price: nullableNumber,
    profit: nullableNumber.describe(
      'the floating profit of what is still open, at the last evaluated price (quote currency)',
    ),
    realizedProfit: nullableNumber.describe(
      "what Warden's requests realized so far: its partial closes and the DTMS hedges it closed, at the fills the venue answered with (quote currency)",
    ),
    rAchieved: nullableNumber,
    progressPct: nullableNumber,
    stopOwner: z.enum(['exit_plan', 'dtms']),
    exits: z.object({
      enabled: z.boolean(),
      tradeType: z.string(),
      breakevenPct: z
        .number()
        .describe(
          'breakeven trigger the engine uses, % of the way from entry to TP (of 2R without a TP): the base as the advanced triggers adjust it',
        ),
      baseBreakevenPct: z
        .number()
        .describe("the breakeven trigger's base (the trade type's, or the trader's), % of the way from entry to TP"),
      breakevenR: z
        .number()
        .nullable()
        .describe(
          'breakeven trigger in R of profit (exits.breakeven.atR as the advanced rules left it); null: at breakevenPct % of the way to TP',
        ),
      partialPct: z
        .number()
        .describe(
          'partial-profit trigger the engine uses, % of the way from entry to TP (of 2R without a TP): the base as the advanced triggers adjust it',
        ),
      basePartialPct: z.number().describe("the partial trigger's base, % of the way from entry to TP"),
      partialClosePct: z.number(),
      initialVolume: z.number().describe('the volume when Warden started managing the position'),
      closedVolume: z
        .number()
        .describe("the volume Warden's requests closed since (partials, DTMS), as the venue confirmed"),
      breakevenDone: z.boolean(),
      partialDone: z.boolean(),
      trailingEnabled: z.boolean(),
      trailingActive: z.boolean(),
      trailNow: z.boolean(),
      trailMoves: z.number(),
      pending: z.string().nullable(),
      strategy: z
        .string()
        .nullable()
        .describe('the strategy template the plan was made from (exits.strategies); null: none, the exits defaults'),
      strategySource: z
        .enum(['api', 'comment', 'config'])
        .nullable()
        .describe(
          'where the template was named: strategy_type on POST /api/trades, a !strategy:NAME comment, or exits.strategyBySymbol',
        ),
      trailingMultiplier: z
        .number()
        .describe(
          "the trail distance in ATR before the session's adjustment and the gates' widening (the template's, else the symbol's)",
        ),
      bufferMultiplier: z
        .number()
        .describe("the breakeven buffer in ATR before the session's adjustment (the template's, else the symbol's)"),
      trailingTimeframe: z.string().describe('the timeframe of the ATR the trail distance is measured in'),
    }),
    dtms: z
      .object({
        enabled: z
          .boolean()
          .describe(
            "false: a trader took the position out of DTMS's hands (POST .../dtms/disable): no check, no action",
          ),
        disabledAt: z.string().nullable().describe('when (engine time, ISO 8601, UTC); null while DTMS defends it'),
        disabledReason: z.string().nullable(),
        state: z.string(),
        since: time('when DTMS entered this state (engine time)'),
        score: nullableNumber,
        episode: z.number(),
        hedgeId: z.string().nullable(),
        queued: z.array(z.string()),
      })
      .nullable(),
    shadow: z
      .object({
        wouldBeSl: nullableNumber.describe(
          "the stop Warden would have placed (the venue's when it would not have moved it)",
        ),
        wouldBeVolume: z.number(),
        decisions: z.number().describe('intents Warden would have sent for it; none was sent'),
        wouldBeR: nullableNumber.describe('the would-be result so far, R (open parts at the last price)'),
        actualR: nullableNumber.describe('the actual result so far, R'),
        wouldBeExit: exitSchema.describe('how the would-be position ended; null while open'),
      })
      .nullable()
      .describe("shadow mode (null: live): what Warden would have done; sl and volume above are then the venue's"),
  })
  .meta({ id: 'Position' });

const triggerChangeSchema = z.object({
  base: z.number().describe('the base set, % of the way from entry to TP'),
  effective: z
    .number()
    .describe(
      'the trigger the engine uses now: the base as the advanced triggers adjust it, % of the way from entry to TP',
    ),
  adjustedBy: z.string().nullable().describe('the rules that moved it from the base, in words; null: none did'),
});

/** A trigger change's outcome, per trigger the request named (a trigger it left out is absent). */
export const planAppliedSchema = z
  .object({ breakevenPct: triggerChangeSchema.optional(), partialPct: triggerChangeSchema.optional() })
  .describe(
    'per trigger the request set: its base, the value the engine uses now, and the advanced rules that moved it (recomputed at once with the market as it is)',
  );

/** The answer to a plan change: the position as it is now, and what became of each trigger set. */
export const planChangeSchema = positionSchema.extend({ applied: planAppliedSchema }).meta({ id: 'PlanChange' });

/** The answer to a trade registration: the position, and with exit parameters given, what became of them. */
export const registeredTradeSchema = positionSchema
  .extend({ applied: planAppliedSchema.optional() })
  .meta({ id: 'RegisteredTrade' });

export const shadowReportSchema = z
  .object({
    mode: z.enum(['live', 'shadow']),
    shadowed: z.array(z.string()).describe('symbols decided on and not sent'),
    promoted: z.array(z.string()).describe('symbols promoted to live since the account started in shadow mode'),
    totals: z.object({
      positions: z.number(),
      final: z.number(),
      acted: z.number(),
      decisions: z.number(),
      shadowMeanR: nullableNumber,
      actualMeanR: nullableNumber,
      diffMeanR: nullableNumber.describe('mean of (would-be R - actual R) over positions with a stop'),
      diffSeR: nullableNumber.describe('its standard error'),
      better: z.number(),
      worse: z.number(),
      same: z.number(),
    }),
    positions: z.array(
      z.object({
        ticket: z.string(),
        symbol: z.string(),
        side: z.enum(['buy', 'sell']),
        entryPrice: z.number(),
        openTime: time("when the position opened (null: the venue keeps no open time, as Binance's)"),
        virtual: z.boolean().describe('a would-be DTMS hedge the venue does not have'),
        decisions: z.number(),
        wouldBeSl: nullableNumber,
        venueSl: nullableNumber,
        wouldBeVolume: z.number(),
        venueVolume: z.number(),
        shadowExit: exitSchema.describe('how the would-be position ended; null while open'),
        actualExit: exitSchema.describe('how the position ended at the venue; null while open'),
        shadowR: nullableNumber,
        actualR: nullableNumber,
        final: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'ShadowReport' });

export const promoteBody = z.strictObject({
  symbol: z.string().min(1).max(64).describe('the symbol to promote from shadow to live, as the venue spells it'),
});
export const promoteSchema = z
  .object({
    symbol: z.string(),
    positions: z.array(z.string()).describe("the lifetimes ended: managed afresh from the venue's stops"),
  })
  .meta({ id: 'Promotion' });

export const decisionSchema = z
  .object({
    seq: z
      .number()
      .int()
      .describe(
        "the record's place in the decision journal (rising): the cursor of the next, older page (before=<seq>)",
      ),
    time: z.string(),
    positionId: z.string().describe("the venue's ticket ('' for a record of the whole account)"),
    lifetime: z.string().describe("the position's lifetime under that ticket ('<ticket>#<n>')"),
    symbol: z.string(),
    rule: z.string(),
    outcome: z.string(),
    reason: z.string(),
    intentId: z.string(),
    oldSl: nullableNumber,
    newSl: nullableNumber,
    volume: nullableNumber,
    price: nullableNumber,
    dtmsState: z.string(),
    score: nullableNumber,
    note: z.string(),
  })
  .meta({ id: 'Decision' });

export const healthSchema = z
  .object({
    status: z.enum(['healthy', 'degraded', 'idle']),
    reasons: z.array(z.string()),
    at: z.string(),
    positions: z.number(),
    hedges: z.number(),
    breakers: z.array(
      z.object({ symbol: z.string(), failures: z.number(), reopensAt: z.string(), lastError: z.string() }),
    ),
    feeds: z.array(z.object({ symbol: z.string(), lastBarAt: z.string().nullable(), stale: z.boolean() })),
    features: z
      .array(
        z.object({
          symbol: z.string(),
          featuresReady: z.boolean(),
          missing: z.array(
            z.object({ feature: z.string(), timeframe: z.string(), barsNeeded: z.number(), barsHave: z.number() }),
          ),
        }),
      )
      .describe(
        'per symbol: every feature has a value, or which ones lack closed bars of their timeframe (they fill as bars arrive)',
      ),
    unresolvedIntents: z.array(z.object({ id: z.string(), positionId: z.string(), status: z.string() })),
    recentRejections: z.array(
      z.object({ id: z.string(), positionId: z.string(), code: z.string().nullable(), reason: z.string() }),
    ),
    engine: z
      .object({
        lagSeconds: z.number().describe('how long the oldest bar waiting to be stepped has waited'),
        barsBehind: z.number(),
        lastStepAt: z.string().nullable().describe('when the last step ended (null before the first)'),
      })
      .describe("the engine's pace: degraded past execution.maxLagSec"),
  })
  .meta({ id: 'Health' });

/**
 * /api/dtms/trade/{ticket} for a ticket Warden does not manage: the API's error shape and the DTMS
 * trade JSON's (success false, a summary, trade_info null) in one body, so both kinds of client read it.
 */
export const dtmsTradeNotFoundSchema = z
  .object({
    error: z.literal('not_found'),
    message: z.string(),
    success: z.literal(false),
    summary: z.string(),
    trade_info: z.null(),
  })
  .meta({ id: 'DtmsTradeNotFound' });

export const dtmsTradeSchema = z
  .object({
    success: z.literal(true),
    summary: z.string(),
    trade_info: z.object({
      ticket: z.string(),
      symbol: z.string(),
      type: z.enum(['BUY', 'SELL']),
      volume: z.number(),
      open_price: z.number(),
      current_price: nullableNumber,
      profit: nullableNumber,
      sl: nullableNumber,
      tp: nullableNumber,
      state: z.string(),
      current_score: nullableNumber,
      state_entry_time: z.string().nullable(),
      warnings: z.object({ structural: z.number(), vwap: z.number(), momentum: z.number() }),
      actions_taken: z.array(
        z.object({ time: z.string(), action: z.string(), kind: z.string(), status: z.string(), reason: z.string() }),
      ),
      performance: z.object({ r_achieved: nullableNumber, progress_pct: nullableNumber, profit: nullableNumber }),
      protection_active: z.boolean(),
      intelligent_exits: z.object({
        breakeven_triggered: z.boolean(),
        partial_profit_triggered: z.boolean(),
        trailing_stop_active: z.boolean(),
      }),
    }),
  })
  .meta({ id: 'DtmsTrade' });

export const dtmsStatusSchema = z
  .object({
    enabled: z.boolean(),
    positions: z.number(),
    byState: z.record(z.string(), z.number()),
    hedges: z.number(),
    deepChecks: z.number(),
  })
  .meta({ id: 'DtmsStatus' });

export const exitsSwitchSchema = z
  .object({
    ticket: z.string(),
    enabled: z.boolean(),
    dtmsDefends: z.boolean().describe('DTMS still defends the position (its exits switch leaves DTMS as it is)'),
    message: z.string(),
  })
  .meta({ id: 'ExitsSwitch' });

/** Taking a position out of DTMS's hands, or giving it back: the trader's reason goes into the decision record. */
export const dtmsSwitchBodySchema = z
  .strictObject({ reason: z.string().trim().min(1).max(300).optional().describe('why, for the decision record') })
  .meta({ id: 'DtmsSwitchBody' });

export const dtmsSwitchSchema = z
  .object({
    ticket: z.string(),
    enabled: z.boolean().describe('DTMS defends the position now'),
    message: z.string().describe('what changed, as the decision record says it'),
    position: positionSchema,
  })
  .meta({ id: 'DtmsSwitch' });

export const symbolParams = z.object({
  symbol: z.string().regex(/^[A-Za-z0-9_.#-]{1,32}$/, 'a symbol is 1 to 32 letters, digits, _ . # or -'),
});

export const barSchema = z
  .object({
    time: z.number().describe('epoch ms (UTC): chart data'),
    open: z.number(),
    high: z.number(),
    low: z.number(),
    close: z.number(),
  })
  .meta({ id: 'Bar' });

export const stopPathSchema = z
  .object({
    ticket: z.string(),
    symbol: z.string(),
    side: z.enum(['buy', 'sell']),
    entry: z.number(),
    openTime: time("when the position opened (null: the venue keeps no open time, as Binance's)"),
    tp: nullableNumber,
    stops: z
      .array(
        z.object({
          time: time("when the venue applied it (the initial stop's: the open time)"),
          sl: z.number(),
          by: z.string(),
        }),
      )
      .describe('the stop over time: the initial one, then every applied move (breakeven, trail, DTMS)'),
  })
  .meta({ id: 'StopPath' });

export const dtmsEngineSchema = z
  .object({
    enabled: z.boolean(),
    deepCheckSec: z.number(),
    fastCheckSec: z.number(),
    hedgedFastCheckSec: z.number(),
    cooldownSec: z.number(),
    scores: z.record(z.string(), z.number()),
    rails: z.object({
      dailyLossLimitPct: z.number(),
      hourlyLossLimitPct: z.number(),
      maxConsecutiveStops: z.number(),
      spreadSpikeFactor: z.number(),
      staleDataSec: z.number(),
    }),
    losses: z
      .object({ dailyLossPct: z.number(), hourlyLossPct: z.number(), consecutiveStops: z.number() })
      .describe(
        "what the loss rails see now: today's and the last hour's realized loss in % of the balance before it (0: no loss), and the losing stops in a row",
      ),
    deepChecks: z.number(),
    positions: z.number(),
    hedges: z.number(),
  })
  .meta({ id: 'DtmsEngine' });

// ---- closed trades --------------------------------------------------------------------------------

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

const figure = nullableNumber;
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

// ---- the account --------------------------------------------------------------------------------

const money = z.number().nullable();
export const accountSchema = z
  .object({
    mode: z
      .enum(['paper', 'live', 'shadow'])
      .describe(
        "shadow: Warden decides and sends nothing (for the symbols in `shadowed`); paper: the embedded paper account; live: Warden's decisions go to the venue",
      ),
    venue: z.enum(['paper', 'ccxt', 'metaapi']),
    account: z.string().describe('which account, for a person (no secret in it)'),
    shadowed: z.array(z.string()).describe('symbols decided on and not sent (shadow mode)'),
    currency: z.string().nullable().describe("the account's currency; null until the venue has answered"),
    balance: money,
    equity: money.describe('the balance plus the floating profit of what is open'),
    openProfit: money.describe(
      'equity - balance: the floating profit of every open position at the venue (account currency)',
    ),
    margin: money,
    freeMargin: money,
    today: z
      .object({
        from: z
          .string()
          .describe("UTC midnight of the session clock (the played market's time on paper): the day counted"),
        realized: money.describe(
          'profit + fees booked since `from`: partials, closes, stops and targets, on every symbol of the account',
        ),
        profit: money,
        fees: money.describe('commission, swap and funding (a charge is negative)'),
        bookings: z.number(),
      })
      .describe("today's realized P/L as the venue booked it"),
    exposure: z
      .array(
        z.object({
          symbol: z.string(),
          positions: z.number(),
          buyVolume: z.number(),
          sellVolume: z.number(),
          netVolume: z.number().describe('bought minus sold, lots'),
        }),
      )
      .describe("the venue's open positions per symbol (Warden's, its hedges and any other)"),
    health: z.object({ status: z.string(), reasons: z.array(z.string()) }),
    readAt: z.string().nullable().describe('when the oldest of these figures was read from the venue (null: never)'),
    stale: z.boolean().describe('true: the last read failed (see errors) and the figures are from readAt'),
    errors: z.array(z.string()).describe("the last read's failures, one per part"),
    notes: z
      .array(z.string())
      .describe('what the figures leave out (a profit no rate converts; a venue that does not report a figure)'),
    at: z.string().describe('when this answer was made (wall clock)'),
  })
  .meta({ id: 'Account' });

// ---- plan proposals and what-ifs -------------------------------------------------------------------

const proposalPatchSchema = z
  .object({
    breakevenPct: z.number().optional(),
    partialPct: z.number().optional(),
    partialClosePct: z.number().optional(),
    trailingEnabled: z.boolean().optional(),
  })
  .describe(
    'the change: base breakeven and partial triggers in % of the way from entry to TP, the partial size in % of the volume, trailing on/off',
  );

export const proposalSchema = z
  .object({
    id: z.string(),
    ticket: z.string(),
    lifetime: z.string(),
    symbol: z.string(),
    patch: proposalPatchSchema,
    rationale: z.string(),
    proposedBy: z.string().describe("where it came from: 'mcp', 'api', 'page'"),
    createdAt: z.string(),
    status: z
      .enum(['shadow', 'approved', 'rejected', 'void'])
      .describe(
        'shadow: proposed, nothing changed, its what-if beside the actual; approved: applied to the plan; rejected; void: the position is no longer managed',
      ),
    decidedAt: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decisionNote: z.string(),
  })
  .meta({ id: 'Proposal' });

const whatIfOutcomeSchema = z.object({
  exitReason: z
    .string()
    .describe('how the replayed trade ended (end_of_data: still open at the last bar, valued at its close)'),
  exitTime: z.string(),
  exitPrice: z.number(),
  r: z.number().nullable(),
  profit: z.number().describe('quote currency, partials included'),
  breakeven: z.boolean(),
  partial: z.boolean(),
  trailMoves: z.number(),
  open: z.boolean(),
});

export const whatIfSchema = z
  .object({
    ticket: z.string(),
    lifetime: z.string(),
    symbol: z.string(),
    patch: proposalPatchSchema,
    bars: z.number(),
    from: z.string(),
    to: z.string(),
    current: whatIfOutcomeSchema.describe('the position replayed under its plan as it is now'),
    proposed: whatIfOutcomeSchema.describe('the position replayed under the plan with the change'),
    differenceR: z
      .number()
      .nullable()
      .describe('proposed.r - current.r: the same entry, the same bars, the same simulator'),
    actual: z
      .object({ sl: z.number().nullable(), volume: z.number(), profit: z.number() })
      .describe(
        "what actually happened so far: the venue's stop and volume now, the floating profit at the last price",
      ),
    notes: z.array(z.string()),
  })
  .meta({ id: 'WhatIf' });

export const proposalDetailSchema = z
  .object({
    proposal: proposalSchema,
    whatIf: whatIfSchema.nullable(),
    whatIfUnavailable: z.string().nullable().describe('why there is no what-if (not in shadow, the bars are not held)'),
  })
  .meta({ id: 'ProposalDetail' });
