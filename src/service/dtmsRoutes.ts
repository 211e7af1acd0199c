// Taking a position out of DTMS's hands, and giving it back: the trader's decision, made between two
// engine steps (AccountSession.act), recorded in the decision journal with their reason and stored
// before the answer (it outlives a restart with the position's DTMS state).
import { requestSource } from './access.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ticketOfKey } from '../domain/lifetime.ts';
import type { AccountSession } from '../execution/accountSession.ts';
import { dtmsSwitchBodySchema, dtmsSwitchSchema, errorSchema, ticketParams } from './apiSchemas.ts';
import { positionViewOfTicket } from './views.ts';

/** Whether DTMS defends the managed position under `ticket` now (false too when none is managed there). */
export function dtmsDefends(session: AccountSession, ticket: string): boolean {
  const key = session.managedKey(ticket);
  const def = key === undefined ? undefined : session.engine.defence(key);
  return def !== undefined && def.disabled === null;
}

export function registerDtmsRoutes(
  app: FastifyInstance,
  o: { session: AccountSession; requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<void> },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { session, requireToken } = o;

  for (const enable of [false, true]) {
    api.post(
      `/api/positions/:ticket/dtms/${enable ? 'enable' : 'disable'}`,
      {
        onRequest: requireToken,
        schema: {
          operationId: enable ? 'enableDtms' : 'disableDtms',
          summary: enable
            ? 'give a position back to DTMS: it picks up in the state it was left in, its timers counted from now'
            : "take a position out of DTMS's hands: no more checks or actions for it, the stop back to the exit plan, its hedge (if one is open) left open as it is; recorded with the reason",
          security: [{ bearer: [] }],
          params: ticketParams,
          // Fastify hands a request without a body over as null: the reason is optional, and so is the body.
          body: dtmsSwitchBodySchema.nullish(),
          response: { 200: dtmsSwitchSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req, reply) => {
        const t = req.params.ticket;
        const reason = req.body?.reason ?? 'no reason given';
        const source = requestSource(req.headers);
        const done = await session.act(() => {
          const key = session.managedKey(t);
          if (key === undefined) {
            const parent = session.engine.hedgedPosition(t);
            if (parent !== undefined)
              return {
                ok: false as const,
                status: 409 as const,
                message: `${t} is the DTMS hedge of position ${ticketOfKey(parent)}: switch DTMS for that position`,
              };
            return { ok: false as const, status: 404 as const, message: `no position ${t} under management` };
          }
          const r = enable
            ? session.engine.enableDefence(key, reason, source)
            : session.engine.disableDefence(key, reason, source);
          if (!r.ok)
            return {
              ok: false as const,
              status: r.problem === 'not_managed' ? (404 as const) : (409 as const),
              message: r.message,
            };
          return { ok: true as const, note: r.note };
        });
        if (!done.ok) {
          reply.code(done.status);
          return { error: done.status === 404 ? 'not_found' : 'conflict', message: done.message };
        }
        req.log.info(
          { ticket: t, dtms: enable ? 'enabled' : 'disabled', reason },
          enable ? 'position given back to DTMS through the API' : "position taken out of DTMS's hands through the API",
        );
        return { ticket: t, enabled: enable, message: done.note, position: positionViewOfTicket(session, t)! };
      },
    );
  }
}
