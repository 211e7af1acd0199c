// The API's plan operations beside the read views: change a plan's parameters, register a trade
// (the auto-registration path: a position just opened is managed at once, with the given
// parameters), and statistics over the intent journal. Mutations run between two engine steps
// (AccountSession.act) and are stored before the answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountSession } from '../execution/accountSession.ts';
import type { WardenStore } from '../store/store.ts';
import { errorSchema, planChangeSchema, positionSchema, registeredTradeSchema, ticketParams } from './apiSchemas.ts';
import { positionViewOfTicket, type LiveViews } from './views.ts';
import { requestSource } from './access.ts';
import { actionNotes, triggerRange } from './actionNotes.ts';
import { changePlan, planFields, planPatchSchema, startTrailing, type PlanApplied } from './positionActions.ts';
import { applyStrategy, strategyAsked } from './strategyChoice.ts';

export const registerTradeSchema = z
  .strictObject({
    // MT5 tickets are numbers: a JSON number is taken too, as the same ticket in digits.
    ticket: z
      .union([z.string(), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
      .transform((t) => String(t))
      .pipe(
        z
          .string()
          .regex(
            /^[A-Za-z0-9_.:/-]{1,64}$/,
            'a ticket is 1 to 64 letters, digits, _ . - : or / (a Binance position is BTC/USDT:USDT:long)',
          ),
      )
      .describe('the ticket as a string; an MT5 ticket may also be sent as a JSON number'),
    breakevenPct: planFields.breakevenPct,
    partialPct: planFields.partialPct,
    partialClosePct: planFields.partialClosePct,
    trailingEnabled: planFields.trailingEnabled,
    strategy_type: z
      .string()
      .max(64)
      .optional()
      .describe(
        "a strategy template's name (exits.strategies; the original bot's strategy_type values, any case): its exit parameters become the plan's base, the fields above then change them; an unknown name is refused (400) with the known ones",
      ),
  })
  .meta({ id: 'RegisterTrade' });

const statisticsQuery = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30),
  symbol: z
    .string()
    .regex(/^[A-Za-z0-9_.#-]{1,32}$/)
    .optional(),
});

export const statisticsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    symbol: z.string().nullable(),
    intents: z.number(),
    applied: z.number(),
    rejected: z.number(),
    unsettled: z.number(),
    /** Applied / (applied + rejected); null without answers. */
    successRate: z.number().nullable(),
    breakevens: z.number(),
    partials: z.number(),
    trailMoves: z.number(),
    dtmsActions: z.record(z.string(), z.number()),
    positionsManaged: z.number(),
  })
  .meta({ id: 'Statistics' });

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export function registerPlanRoutes(
  app: FastifyInstance,
  o: {
    session: AccountSession;
    store: WardenStore;
    views: LiveViews;
    requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { session, store, views, requireToken } = o;
  const notes = actionNotes(session.engine.config);
  const range = triggerRange();

  api.patch(
    '/api/positions/:ticket/plan',
    {
      onRequest: requireToken,
      schema: {
        operationId: 'updatePlan',
        summary: `change a position's base breakeven / partial triggers (% of the way from entry to TP, ${range.min} to ${range.max}), partial size (% of the volume) or trailing; the answer gives each trigger's base, the value used now and the rule that moved it`,
        description: notes.rmag,
        security: [{ bearer: [] }],
        params: ticketParams,
        body: planPatchSchema,
        response: { 200: planChangeSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => {
      const done = await changePlan(session, req.params.ticket, req.body, requestSource(req.headers));
      if (Array.isArray(done)) {
        reply.code(done[0]);
        return { error: done[0] === 404 ? 'not_found' : 'conflict', message: done[1] };
      }
      req.log.info(
        { ticket: req.params.ticket, patch: req.body, applied: done.applied },
        'plan changed through the API',
      );
      return { ...positionViewOfTicket(session, req.params.ticket)!, applied: done.applied };
    },
  );

  api.post(
    '/api/positions/:ticket/trailing/start',
    {
      onRequest: requireToken,
      schema: {
        operationId: 'startTrailing',
        summary:
          'start ATR trailing now, before breakeven and past the critical gate (the stop still only tightens, within the broker levels)',
        description: notes.trailing,
        security: [{ bearer: [] }],
        params: ticketParams,
        response: { 200: positionSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => {
      const t = req.params.ticket;
      const failed = await startTrailing(session, t, requestSource(req.headers));
      if (failed !== null) {
        reply.code(failed[0]);
        return { error: failed[0] === 404 ? 'not_found' : 'conflict', message: failed[1] };
      }
      req.log.info({ ticket: t }, 'trailing started through the API');
      return positionViewOfTicket(session, t)!;
    },
  );

  api.post(
    '/api/trades',
    {
      onRequest: requireToken,
      schema: {
        operationId: 'registerTrade',
        summary:
          'manage an open position now (it is at the broker), optionally with its own exit parameters; 201 when newly managed, 200 when it already was',
        description: notes.units,
        security: [{ bearer: [] }],
        body: registerTradeSchema,
        response: {
          200: registeredTradeSchema,
          201: registeredTradeSchema,
          400: errorSchema,
          401: errorSchema,
          404: errorSchema,
          409: errorSchema,
          503: errorSchema,
        },
      },
    },
    // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
    async (req, reply) => {
      const { ticket, strategy_type, ...params } = req.body;
      const strategy = strategy_type === undefined ? undefined : strategyAsked(session, strategy_type);
      if (strategy !== undefined && !strategy.ok) {
        reply.code(400);
        return { error: strategy.error, message: strategy.message };
      }
      const already = session.managedKey(ticket) !== undefined;
      if (!already) {
        try {
          await session.refreshFromBroker(strategy === undefined ? undefined : { ticket, name: strategy.name });
        } catch (err) {
          reply.code(503);
          return {
            error: 'broker_unavailable',
            message: `cannot read the broker's positions: ${err instanceof Error ? err.message : String(err)}`,
          };
        }
      }
      if (session.managedKey(ticket) === undefined) {
        reply.code(404);
        return { error: 'not_found', message: `no open position ${ticket} at the broker on a managed symbol` };
      }
      // The template first (a plan already managed, or adopted by a step meanwhile, changes to it), then the fields given beside it.
      if (strategy !== undefined) {
        const failed = await applyStrategy(session, ticket, strategy.name, requestSource(req.headers));
        if (failed !== null) {
          reply.code(failed[0]);
          return { error: failed[0] === 404 ? 'not_found' : 'conflict', message: failed[1] };
        }
      }
      let applied: PlanApplied | undefined;
      if (Object.keys(params).length > 0) {
        const done = await changePlan(session, ticket, params, requestSource(req.headers));
        if (Array.isArray(done)) {
          reply.code(done[0]);
          return { error: done[0] === 404 ? 'not_found' : 'conflict', message: done[1] };
        }
        applied = done.applied;
      }
      reply.code(already ? 200 : 201);
      return { ...positionViewOfTicket(session, ticket)!, ...(applied !== undefined ? { applied } : {}) };
    },
  );

  api.get(
    '/api/statistics',
    {
      schema: {
        operationId: 'getStatistics',
        summary:
          'what the exits and DTMS did over the last days: intents, answers, breakevens, partials, trail moves, DTMS actions',
        querystring: statisticsQuery,
        response: { 200: statisticsSchema },
      },
    },
    (req) => {
      const symbol = req.query.symbol ?? null;
      // Counted in the store over the window's index range, once per change of the session's state
      // (the journal changes only then): a window of months is not decoded on every request.
      // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
      return views.memo(`statistics:${req.query.days}:${symbol ?? ''}`, () => {
        const to = session.health().at;
        const from = to - req.query.days * 86_400_000;
        let intents = 0;
        let applied = 0;
        let rejected = 0;
        let breakevens = 0;
        let partials = 0;
        let trailMoves = 0;
        const dtmsActions: Record<string, number> = {};
        for (const c of store.intentCounts(from, symbol ?? undefined)) {
          intents += c.count;
          if (c.status === 'applied') applied += c.count;
          else if (c.status === 'rejected') rejected += c.count;
          if (c.status !== 'applied') continue;
          if (c.rule === 'breakeven') breakevens += c.count;
          else if (c.rule === 'partial') partials += c.count;
          else if (c.rule === 'trail') trailMoves += c.count;
          else if (c.rule === 'dtms') dtmsActions[c.action] = (dtmsActions[c.action] ?? 0) + c.count;
        }
        return {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          symbol,
          intents,
          applied,
          rejected,
          unsettled: intents - applied - rejected,
          successRate: applied + rejected > 0 ? Math.round((applied / (applied + rejected)) * 1000) / 1000 : null,
          breakevens,
          partials,
          trailMoves,
          dtmsActions,
          positionsManaged: session.engine.openPositions,
        };
      });
    },
  );
}
