// The API's schemas of open positions and what acts on them: a position and its plan changes, shadow
// mode, the decision journal, the session's health, DTMS's answers, chart bars and the stop path; with
// the error body, the ticket parameter and the page limits the other schema modules share.
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

/** A page's `limit`: above `max` it is refused with the cursor that asks for the next page. */
export const pageLimit = (max: number, fallback: number, cursor: string) =>
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
