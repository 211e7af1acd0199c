// The API's plan operations beside the read views: change a plan's parameters, register a trade
// (the seed's auto-registration path: a position just opened is managed at once, with the given
// parameters), and statistics over the intent journal. Mutations run between two engine steps
// (AccountSession.act) and are stored before the answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BREAKEVEN_DONE, PARTIAL_DONE, type ExitPlan } from '../exits/exitPlan.ts';
import type { AccountSession } from '../execution/accountSession.ts';
import type { WardenStore } from '../store/store.ts';
import { errorSchema, positionSchema, ticketParams } from './apiSchemas.ts';
import { positionViewOfTicket, type LiveViews } from './views.ts';
import { requestSource } from './access.ts';
import { startTrailing, type ManualSource } from './positionActions.ts';
import { applyStrategy, strategyAsked } from './strategyChoice.ts';

const pct = (lo: number, hi: number) => z.number().min(lo).max(hi);

/** What a trader may change in a plan: the base triggers (the advanced triggers adjust from them), the partial size, trailing. */
export const planPatchSchema = z
  .strictObject({
    breakevenPct: pct(5, 300).optional().describe('breakeven trigger, % of R (the advanced triggers adjust from it)'),
    partialPct: pct(5, 500).optional().describe('partial-profit trigger, % of R'),
    partialClosePct: pct(5, 95).optional().describe('share of the volume the partial close takes, %'),
    trailingEnabled: z.boolean().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'give at least one of breakevenPct, partialPct, partialClosePct, trailingEnabled')
  .meta({ id: 'PlanPatch' });

export const registerTradeSchema = z
  .strictObject({
    // MT5 tickets are numbers: a JSON number is taken too, as the same ticket in digits.
    ticket: z
      .union([z.string(), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
      .transform((t) => String(t))
      .pipe(z.string().regex(/^[A-Za-z0-9_.:/-]{1,64}$/, 'a ticket is 1 to 64 letters, digits, _ . - : or / (a Binance position is BTC/USDT:USDT:long)'))
      .describe('the ticket as a string; an MT5 ticket may also be sent as a JSON number'),
    breakevenPct: pct(5, 300).optional(),
    partialPct: pct(5, 500).optional(),
    partialClosePct: pct(5, 95).optional(),
    trailingEnabled: z.boolean().optional(),
    strategy_type: z
      .string()
      .max(64)
      .optional()
      .describe("a strategy template's name (exits.strategies; the original bot's strategy_type values, any case): its exit parameters become the plan's base, the fields above then change them; an unknown name is refused (400) with the known ones"),
  })
  .meta({ id: 'RegisterTrade' });

const statisticsQuery = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30),
  symbol: z.string().regex(/^[A-Za-z0-9_.#-]{1,32}$/).optional(),
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

export type Patch = z.infer<typeof planPatchSchema>;

/** Why a patch cannot apply to this plan now ('' when it can). */
export function patchProblem(plan: ExitPlan, p: Patch): string {
  if (p.breakevenPct !== undefined && plan.breakevenState === BREAKEVEN_DONE) return 'breakeven is already done for this position: its trigger can no longer change';
  if ((p.partialPct !== undefined || p.partialClosePct !== undefined) && plan.partialState === PARTIAL_DONE) return 'the partial close is already done for this position';
  const be = p.breakevenPct ?? plan.baseBreakevenPct;
  const pa = p.partialPct ?? plan.basePartialPct;
  if (!(pa > be)) return `partialPct (${pa}) must be above breakevenPct (${be}): the partial close comes after breakeven`;
  return '';
}

/** What a patch changes, in words with units ('' when it changes nothing): the `manual` record's text. */
export function patchChanges(plan: ExitPlan, p: Patch): string {
  const out: string[] = [];
  if (p.breakevenPct !== undefined && p.breakevenPct !== plan.baseBreakevenPct) {
    out.push(`breakeven trigger: ${Number.isFinite(plan.breakevenR) ? `${plan.breakevenR} R` : `${plan.baseBreakevenPct}%`} -> ${p.breakevenPct}% of the way to TP`);
  }
  if (p.partialPct !== undefined && p.partialPct !== plan.basePartialPct) out.push(`partial trigger: ${plan.basePartialPct}% -> ${p.partialPct}% of the way to TP`);
  if (p.partialClosePct !== undefined && p.partialClosePct !== plan.partialClosePct) out.push(`partial size: ${plan.partialClosePct}% -> ${p.partialClosePct}% of the volume`);
  if (p.trailingEnabled !== undefined && p.trailingEnabled !== plan.trailingEnabled) out.push(`trailing: ${plan.trailingEnabled ? 'on' : 'off'} -> ${p.trailingEnabled ? 'on' : 'off'}`);
  return out.join(', ');
}

export function applyPatch(plan: ExitPlan, p: Patch): void {
  // The base moves, and the current trigger with it; the next refresh adjusts it again from the new base.
  if (p.breakevenPct !== undefined) {
    plan.breakevenPct = p.breakevenPct + (plan.breakevenPct - plan.baseBreakevenPct);
    plan.baseBreakevenPct = p.breakevenPct;
    // The trader's percent replaces a breakeven set in R (exits.breakeven.atR) for this position.
    plan.breakevenR = NaN;
  }
  if (p.partialPct !== undefined) {
    plan.partialPct = p.partialPct + (plan.partialPct - plan.basePartialPct);
    plan.basePartialPct = p.partialPct;
  }
  if (p.partialClosePct !== undefined) plan.partialClosePct = p.partialClosePct;
  if (p.trailingEnabled !== undefined) plan.trailingEnabled = p.trailingEnabled;
}

export function registerPlanRoutes(
  app: FastifyInstance,
  o: { session: AccountSession; store: WardenStore; views: LiveViews; requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<void> },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { session, store, views, requireToken } = o;

  /** Applies a patch between two steps: null when applied, else [status, message]. */
  const patch = (ticket: string, p: Patch, source: ManualSource): Promise<[404 | 409, string] | null> =>
    session.act(() => {
      const key = session.managedKey(ticket);
      const plan = key === undefined ? undefined : session.engine.plan(key);
      if (key === undefined || !plan) return [404, `no position ${ticket} under management`] as [404 | 409, string];
      const problem = patchProblem(plan, p);
      if (problem !== '') return [409, problem] as [404 | 409, string];
      const changes = patchChanges(plan, p);
      if (changes !== '') session.recordManual(key, `plan: ${changes}`, source);
      applyPatch(plan, p);
      return null;
    });

  api.patch(
    '/api/positions/:ticket/plan',
    {
      onRequest: requireToken,
      schema: {
        operationId: 'updatePlan',
        summary: "change a position's exit parameters (breakeven and partial triggers, partial size, trailing)",
        security: [{ bearer: [] }],
        params: ticketParams,
        body: planPatchSchema,
        response: { 200: positionSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => {
      const failed = await patch(req.params.ticket, req.body, requestSource(req.headers));
      if (failed !== null) {
        reply.code(failed[0]);
        return { error: failed[0] === 404 ? 'not_found' : 'conflict', message: failed[1] };
      }
      req.log.info({ ticket: req.params.ticket, patch: req.body }, 'plan changed through the API');
      return positionViewOfTicket(session, req.params.ticket)!;
    },
  );

  api.post(
    '/api/positions/:ticket/trailing/start',
    {
      onRequest: requireToken,
      schema: {
        operationId: 'startTrailing',
        summary: 'start ATR trailing now, before breakeven (the stop still only tightens, within the broker levels)',
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
        summary: 'manage an open position now (it is at the broker), optionally with its own exit parameters; 201 when newly managed, 200 when it already was',
        security: [{ bearer: [] }],
        body: registerTradeSchema,
        response: { 200: positionSchema, 201: positionSchema, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema },
      },
    },
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
          return { error: 'broker_unavailable', message: `cannot read the broker's positions: ${err instanceof Error ? err.message : String(err)}` };
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
      if (Object.keys(params).length > 0) {
        const failed = await patch(ticket, params, requestSource(req.headers));
        if (failed !== null) {
          reply.code(failed[0]);
          return { error: failed[0] === 404 ? 'not_found' : 'conflict', message: failed[1] };
        }
      }
      reply.code(already ? 200 : 201);
      return positionViewOfTicket(session, ticket)!;
    },
  );

  api.get(
    '/api/statistics',
    { schema: { operationId: 'getStatistics', summary: 'what the exits and DTMS did over the last days: intents, answers, breakevens, partials, trail moves, DTMS actions', querystring: statisticsQuery, response: { 200: statisticsSchema } } },
    (req) => {
      const symbol = req.query.symbol ?? null;
      // Counted in the store over the window's index range, once per change of the session's state
      // (the journal changes only then): a window of months is not decoded on every request.
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
