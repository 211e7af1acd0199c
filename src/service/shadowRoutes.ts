// The API of shadow mode: what Warden would have done on the account, position by position, beside what
// happened (GET /api/shadow), and a symbol promoted from shadow to live without a restart (POST
// /api/shadow/promote, with the token; recorded as a decision).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountSession } from '../execution/accountSession.ts';
import { shadowTotals } from '../execution/shadowBook.ts';
import { errorSchema, promoteBody, promoteSchema, shadowReportSchema } from './apiSchemas.ts';
import { shadowScoreView } from './views.ts';

/** The shadow report of a session as the API answers it: mode, symbols shadowed and promoted, totals and every position (times ISO). */
export function shadowReport(session: AccountSession) {
  const book = session.shadow;
  if (book === undefined)
    return { mode: 'live' as const, shadowed: [], promoted: [], totals: shadowTotals([]), positions: [] };
  const scores = book.scores();
  const snap = book.snapshot();
  return {
    mode: 'shadow' as const,
    shadowed: book.shadowed(),
    promoted: snap.promoted,
    totals: shadowTotals(scores),
    positions: scores.map(shadowScoreView),
  };
}

export function registerShadowRoutes(
  app: FastifyInstance,
  o: { session: AccountSession; requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<void> },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { session, requireToken } = o;

  api.get(
    '/api/shadow',
    {
      schema: {
        operationId: 'shadowReport',
        summary:
          'shadow mode: per position, the stop and volume Warden would have had and the would-be result beside the actual one (R), with totals; mode live when nothing is shadowed',
        response: { 200: shadowReportSchema },
      },
    },
    () => shadowReport(session),
  );

  api.post(
    '/api/shadow/promote',
    {
      onRequest: requireToken,
      schema: {
        operationId: 'promoteShadow',
        summary:
          "promote a symbol from shadow to live without a restart: its decisions are sent from now on, and its positions are managed afresh from the venue's stops (recorded as a decision)",
        security: [{ bearer: [] }],
        body: promoteBody,
        response: { 200: promoteSchema, 401: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => {
      const { symbol } = req.body;
      const ended = await session.promote(symbol);
      if (ended === null) {
        reply.code(409);
        const shadowed = session.shadow?.shadowed() ?? [];
        return {
          error: 'conflict',
          message:
            session.shadow === undefined
              ? 'the account is live (not started in shadow mode): nothing to promote'
              : `${symbol} is not shadowed (shadowed now: ${shadowed.join(', ') || 'none'})`,
        };
      }
      req.log.info({ symbol, positions: ended }, 'symbol promoted from shadow to live through the API');
      return { symbol, positions: ended };
    },
  );
}
