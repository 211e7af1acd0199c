// The schemas of plan proposals and their what-ifs: a change to a position's exit plan proposed by an
// agent or a person, its approval, and the position replayed under the plan as it is and as proposed.
import { z } from 'zod';

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
