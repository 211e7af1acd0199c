// The API of plan proposals: propose a change to a position's plan (it runs in shadow: nothing
// changes), read it with its what-if beside the actual, approve or reject it (the token; the config
// may require a person on the dashboard), and a what-if of any change without proposing it. The MCP
// server's tools are these calls. Every proposal and decision is a `manual` decision record.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PlanProposal } from '../store/store.ts';
import { errorSchema, proposalDetailSchema, proposalSchema, ticketParams, whatIfSchema } from './apiSchemas.ts';
import { requestSource } from './access.ts';
import { planPatchSchema } from './positionActions.ts';
import { ProposalError, type ProposalBook, type WhatIf } from './proposals.ts';
import { isoTime } from './views.ts';

export function proposalJson(p: PlanProposal) {
  return {
    ...p,
    patch: { ...p.patch },
    createdAt: isoTime(p.createdAt),
    decidedAt: p.decidedAt === null ? null : isoTime(p.decidedAt),
  };
}

export function whatIfJson(w: WhatIf) {
  const side = (o: WhatIf['current']) => ({ ...o, exitTime: isoTime(o.exitTime) });
  return {
    ...w,
    patch: { ...w.patch },
    from: isoTime(w.from),
    to: isoTime(w.to),
    current: side(w.current),
    proposed: side(w.proposed),
  };
}

const idParams = z.object({ id: z.string().regex(/^p-\d{1,9}$/, 'a proposal id is p-<number>, as the list gives it') });
const listQuery = z.object({
  status: z.enum(['shadow', 'approved', 'rejected', 'void']).optional(),
  ticket: z
    .string()
    .regex(/^[A-Za-z0-9_.:/-]{1,64}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const proposeBody = z
  .strictObject({
    ticket: z.string().regex(/^[A-Za-z0-9_.:/-]{1,64}$/, 'a ticket is 1 to 64 letters, digits, _ . - : or /'),
    patch: planPatchSchema,
    rationale: z.string().trim().min(1, 'say why, in a sentence').max(500),
  })
  .meta({ id: 'ProposeChange' });
const decideBody = z.strictObject({ note: z.string().trim().max(500).default('') }).prefault({});

/** Answers a ProposalError with its status and message; anything else goes on to the error handler. */
function refused(reply: FastifyReply, err: unknown) {
  if (!(err instanceof ProposalError)) throw err;
  reply.code(err.status);
  const error = { 400: 'bad_request', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 422: 'unprocessable' }[
    err.status
  ];
  return { error, message: err.message };
}

export function registerProposalRoutes(
  app: FastifyInstance,
  o: { book: ProposalBook; requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<void> },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { book, requireToken } = o;

  api.get(
    '/api/proposals',
    {
      schema: {
        operationId: 'listProposals',
        summary: 'plan proposals, latest first (a proposal whose position is no longer managed is void)',
        querystring: listQuery,
        response: { 200: z.array(proposalSchema) },
      },
    },
    async (req) => (await book.list(req.query)).map(proposalJson),
  );

  api.get(
    '/api/proposals/:id',
    {
      schema: {
        operationId: 'getProposal',
        summary:
          'a proposal; in shadow, with its what-if (the position replayed under its plan and under the change, beside the actual)',
        params: idParams,
        response: { 200: proposalDetailSchema, 404: errorSchema },
      },
    },
    async (req, reply) => {
      const p = book.get(req.params.id);
      if (p === null) {
        reply.code(404);
        return { error: 'not_found', message: `no proposal ${req.params.id}` };
      }
      if (p.status !== 'shadow')
        return {
          proposal: proposalJson(p),
          whatIf: null,
          whatIfUnavailable: `${p.id} is ${p.status}: the what-if is shown while it is in shadow`,
        };
      try {
        return {
          proposal: proposalJson(p),
          whatIf: whatIfJson(await book.whatIf(p.ticket, p.patch)),
          whatIfUnavailable: null,
        };
      } catch (err) {
        if (!(err instanceof ProposalError)) throw err;
        return { proposal: proposalJson(p), whatIf: null, whatIfUnavailable: err.message };
      }
    },
  );

  api.post(
    '/api/proposals',
    {
      onRequest: requireToken,
      schema: {
        operationId: 'proposePlanChange',
        summary:
          "propose a change to a position's plan: it runs in shadow (nothing changes) until approved or rejected; recorded as a decision",
        security: [{ bearer: [] }],
        body: proposeBody,
        response: { 201: proposalSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (req, reply) => {
      try {
        const p = await book.propose(req.body.ticket, req.body.patch, req.body.rationale, requestSource(req.headers));
        reply.code(201);
        return proposalJson(p);
      } catch (err) {
        return refused(reply, err);
      }
    },
  );

  for (const [verb, what] of [
    [
      'approve',
      "apply a proposal in shadow to its position's plan (the same checks as a plan change; with proposals.approval: dashboard, only from the dashboard)",
    ],
    ['reject', 'reject a proposal in shadow: the plan stays as it is'],
  ] as const) {
    api.post(
      `/api/proposals/:id/${verb}`,
      {
        onRequest: requireToken,
        schema: {
          operationId: `${verb}Proposal`,
          summary: what,
          security: [{ bearer: [] }],
          params: idParams,
          body: decideBody,
          response: { 200: proposalSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req, reply) => {
        try {
          const source = requestSource(req.headers);
          const p =
            verb === 'approve'
              ? await book.approve(req.params.id, source, req.body.note)
              : await book.reject(req.params.id, source, req.body.note);
          return proposalJson(p);
        } catch (err) {
          return refused(reply, err);
        }
      },
    );
  }

  api.post(
    '/api/positions/:ticket/what-if',
    {
      schema: {
        operationId: 'whatIf',
        summary:
          "replay a position's bars since it opened under its plan and under a change, beside the actual: nothing changes",
        params: ticketParams,
        body: planPatchSchema,
        response: { 200: whatIfSchema, 404: errorSchema, 422: errorSchema },
      },
    },
    async (req, reply) => {
      try {
        return whatIfJson(await book.whatIf(req.params.ticket, req.body));
      } catch (err) {
        return refused(reply, err);
      }
    },
  );
}
