// Warden's MCP server: the tools an agent (Claude, ChatGPT, any MCP client) uses to read the account
// and to propose exit-plan changes that run in shadow until a person (or, where the config allows, the
// agent) approves them. Every tool is a call of Warden's own HTTP API with the bearer token and the
// `x-warden-mcp` header, so an agent's action is the API's action: the same checks, and the same
// decision records, naming `mcp` as their source. In `warden serve` the calls are made in process
// (Fastify's inject); `warden mcp` (stdio) makes them over HTTP to a running serve.
//
// What the tools can express is the limit of what an agent can do: switch a position's exits on or off,
// and propose a change of its triggers, partial size or trailing switch. No tool takes a stop, a
// volume or a side: an agent can never loosen a stop, open a position or raise a volume.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { glossaryMarkdown } from '../service/glossary.ts';
import { planFields } from '../service/positionActions.ts';

/** One call of Warden's HTTP API: the status and the parsed JSON body. */
export type WardenApiCall = (
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

export const MCP_SERVER_NAME = 'warden';

const ticket = z
  .string()
  .regex(/^[A-Za-z0-9_.:/-]{1,64}$/, 'a ticket is 1 to 64 letters, digits, _ . - : or / (as list_positions gives it)')
  .describe("the position's ticket, as list_positions gives it");
const proposalId = z.string().regex(/^p-\d{1,9}$/, 'a proposal id is p-<number>, as list_proposals gives it');
// The change an agent may propose: the plan's base triggers, the partial's size, trailing on or off,
// with the API's own fields and ranges (a value outside is the tool's input error, naming the field).
const planChange = z
  .strictObject(planFields)
  .refine(
    (p) => Object.keys(p).length > 0,
    'give at least one of breakevenPct, partialPct, partialClosePct, trailingEnabled',
  )
  .describe('the change: at least one field');

const text = (s: string): CallToolResult => ({ content: [{ type: 'text', text: s }] });
const failed = (s: string): CallToolResult => ({ content: [{ type: 'text', text: s }], isError: true });

/** Shows an answer as the tool's result: a summary line, then the JSON; a 4xx/5xx is the tool's error with the API's message. */
function answer(r: { status: number; body: unknown }, summary: (body: unknown) => string): CallToolResult {
  if (r.status >= 400) {
    const b = r.body as { message?: unknown } | null;
    return failed(
      `Warden answered ${r.status}: ${typeof b?.message === 'string' ? b.message : JSON.stringify(r.body)}`,
    );
  }
  return text(`${summary(r.body)}\n\n${JSON.stringify(r.body, null, 2)}`);
}

const enc = encodeURIComponent;
const count = (b: unknown, what: string): string =>
  Array.isArray(b) ? `${b.length} ${what}${b.length === 1 ? '' : 's'}` : what;

interface DecisionJson {
  seq: number;
  time: string;
  rule: string;
  outcome: string;
  reason: string;
  oldSl: number | null;
  newSl: number | null;
  note: string;
}

/** What a rule's outcome means, in words (the decision journal's codes). */
const OUTCOMES: Readonly<Record<string, string>> = {
  intent: 'decided to act and sent the request',
  wait: 'waited (its trigger not reached, or nothing to do yet)',
  skip: 'would have acted, but a constraint stopped it',
  done: 'is done (breakeven in place, partial taken)',
  info: 'noted a plan value or a change',
  shadow: 'would have acted (shadow mode: nothing sent)',
};

/** The reasons a stop did not move, in words. */
const REASONS: Readonly<Record<string, string>> = {
  not_tighter: 'the candidate stop was not tighter than the stop (a stop only tightens)',
  below_min_change: 'the move was below the minimum change',
  critical_gate_failed: "the trail's critical gate held it (partial not done, R below the gate)",
  gate_no_data: 'a trailing gate had no data yet (features warming up) and no data does not pass',
  trigger_not_reached: 'the price had not come far enough toward the target',
  stops_level: "the broker's stops level was in the way",
  freeze_level: "the broker's freeze level was in the way",
  dtms_owns_stop: 'DTMS owns the stop while it defends the trade',
  already_protected: 'the stop was already at or beyond the level',
  breakeven_pending: 'the trail waits for breakeven',
  trailing_disabled: 'trailing is off for this position',
  atr_unavailable: 'ATR was not available',
};

/**
 * The position's latest stop decisions in words: for each rule that could move the stop (breakeven,
 * trail, DTMS, a restore, a person's change), its last outcome, the reason code and the gate values
 * the record carries, newest first.
 */
export function explainDecisions(ticketText: string, decisions: readonly DecisionJson[]): string {
  if (decisions.length === 0) return `No decision is recorded for ${ticketText} yet.`;
  const stopRules = new Set(['breakeven', 'trail', 'dtms', 'restore', 'manual', 'partial', 'triggers']);
  const latest = new Map<string, DecisionJson>();
  for (const d of [...decisions].reverse()) if (stopRules.has(d.rule) && !latest.has(d.rule)) latest.set(d.rule, d);
  const moved = [...decisions]
    .reverse()
    .find((d) => d.newSl !== null && d.oldSl !== null && d.newSl !== d.oldSl && d.outcome === 'intent');
  const lines = [`Position ${ticketText}:`];
  if (moved)
    lines.push(
      `The stop last moved at ${moved.time}: ${moved.oldSl} -> ${moved.newSl}, by ${moved.rule} (${moved.reason}${moved.note ? `; ${moved.note}` : ''}).`,
    );
  else lines.push('Warden has not moved the stop in the decisions looked at.');
  for (const [rule, d] of latest) {
    const why = REASONS[d.reason];
    lines.push(
      `- ${rule} at ${d.time}: ${OUTCOMES[d.outcome] ?? d.outcome} (${d.reason}${why ? `: ${why}` : ''})${d.note ? `; ${d.note}` : ''}.`,
    );
  }
  lines.push(
    'The notes carry the values the rules saw (gates, triggers, ATR); the glossary resource explains the terms.',
  );
  return lines.join('\n');
}

/** The MCP server with Warden's tools and resources, calling the API through `call`. */
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export function createWardenMcpServer(call: WardenApiCall, o: { version: string }): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: o.version },
    {
      instructions:
        "Warden manages the exits of open trading positions (breakeven, partial profit, ATR trailing, the DTMS defence). Read with list_positions, get_position, explain_decision, recent_decisions, dtms_status, account_summary. To change a position's plan, run what_if first, then propose_plan_change: the proposal runs in shadow (nothing changes) until it is approved (approve_proposal, or a person on the dashboard when the config requires it). No tool can loosen a stop, open a position or raise a volume.",
    },
  );
  const readOnly = { readOnlyHint: true, destructiveHint: false, openWorldHint: false } as const;

  server.registerTool(
    'list_positions',
    {
      title: 'Open positions',
      description:
        'The open positions Warden manages: ticket, symbol, side, volume, entry, stop, target, profit, R, exit plan flags, DTMS state.',
      inputSchema: {},
      annotations: readOnly,
    },
    async () => answer(await call('GET', '/api/positions?limit=500'), (b) => count(b, 'position')),
  );

  server.registerTool(
    'get_position',
    {
      title: 'One position',
      description:
        'A position: its exit plan (triggers in % of the way to TP, partial, trailing), DTMS state and score, and its stop path (the initial stop and every applied move).',
      inputSchema: { ticket },
      annotations: readOnly,
    },
    async ({ ticket: t }) => {
      const position = await call('GET', `/api/positions/${enc(t)}`);
      if (position.status >= 400) return answer(position, () => '');
      const stops = await call('GET', `/api/positions/${enc(t)}/stops`);
      return answer(
        { status: 200, body: { position: position.body, stopPath: stops.status < 400 ? stops.body : null } },
        () => `position ${t}`,
      );
    },
  );

  server.registerTool(
    'explain_decision',
    {
      title: 'Why the stop moved, or did not',
      description:
        "Explains in words why a position's stop moved or did not: the last move and each stop rule's latest outcome, with the reason and the gate values from the decision journal.",
      inputSchema: {
        ticket,
        limit: z.number().int().min(1).max(500).default(200).describe('how many of the latest decisions to look at'),
      },
      annotations: readOnly,
    },
    async ({ ticket: t, limit }) => {
      const r = await call('GET', `/api/positions/${enc(t)}/decisions?limit=${limit}`);
      if (r.status >= 400) return answer(r, () => '');
      return text(explainDecisions(t, r.body as DecisionJson[]));
    },
  );

  server.registerTool(
    'recent_decisions',
    {
      title: 'Recent decisions',
      description:
        'The latest decisions over the account, oldest first: rule, outcome, reason, stops, notes (manual changes and proposals included, with their source).',
      inputSchema: { limit: z.number().int().min(1).max(500).default(50) },
      annotations: readOnly,
    },
    async ({ limit }) => answer(await call('GET', `/api/decisions/recent?limit=${limit}`), (b) => count(b, 'decision')),
  );

  server.registerTool(
    'dtms_status',
    {
      title: 'DTMS over the account',
      description:
        'The defensive state machine over the account: positions per state, hedges, deep checks, and its engine (cadence, thresholds, the loss rails and the losses they see now).',
      inputSchema: {},
      annotations: readOnly,
    },
    async () => {
      const status = await call('GET', '/api/dtms/status');
      const engine = await call('GET', '/api/dtms/engine');
      if (status.status >= 400) return answer(status, () => '');
      return answer({ status: 200, body: { status: status.body, engine: engine.body } }, () => 'DTMS');
    },
  );

  server.registerTool(
    'account_summary',
    {
      title: 'The account',
      description:
        "Balance, equity, open and today's realized P/L, exposure per symbol, the mode (paper, live, shadow) and health; stale figures are marked with when they were read.",
      inputSchema: {},
      annotations: readOnly,
    },
    async () =>
      answer(await call('GET', '/api/account'), (b) => {
        const a = b as {
          mode: string;
          balance: number | null;
          equity: number | null;
          currency: string | null;
          health: { status: string };
        };
        return `${a.mode}: balance ${a.balance ?? 'n/a'} ${a.currency ?? ''}, equity ${a.equity ?? 'n/a'}, health ${a.health.status}`;
      }),
  );

  server.registerTool(
    'what_if',
    {
      title: 'What a plan change would have done',
      description:
        "Replays the position's bars since it opened under its plan as it is and under the change, on the same simulator, and puts both beside what actually happened. Nothing changes.",
      inputSchema: { ticket, change: planChange },
      annotations: readOnly,
    },
    async ({ ticket: t, change }) =>
      answer(await call('POST', `/api/positions/${enc(t)}/what-if`, change), (b) => {
        const w = b as { current: { r: number | null }; proposed: { r: number | null }; differenceR: number | null };
        return `current plan ${w.current.r ?? 'n/a'} R, with the change ${w.proposed.r ?? 'n/a'} R (difference ${w.differenceR ?? 'n/a'} R)`;
      }),
  );

  server.registerTool(
    'propose_plan_change',
    {
      title: 'Propose a plan change',
      description:
        "Proposes a change of a position's plan. It runs in shadow first: nothing changes until it is approved; get_proposal shows its what-if beside the actual. Recorded in the decision history with the rationale.",
      inputSchema: {
        ticket,
        change: planChange,
        rationale: z
          .string()
          .min(1)
          .max(500)
          .describe('why, in a sentence: kept with the proposal and in the decision history'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ ticket: t, change, rationale }) =>
      answer(
        await call('POST', '/api/proposals', { ticket: t, patch: change, rationale }),
        (b) => `proposal ${(b as { id: string }).id} created, in shadow`,
      ),
  );

  server.registerTool(
    'list_proposals',
    {
      title: 'Proposals',
      description:
        'Plan proposals, latest first: shadow (proposed, nothing changed), approved, rejected, void (the position is no longer managed).',
      inputSchema: {
        status: z.enum(['shadow', 'approved', 'rejected', 'void']).optional(),
        ticket: ticket.optional(),
        limit: z.number().int().min(1).max(200).default(50),
      },
      annotations: readOnly,
    },
    async ({ status, ticket: t, limit }) => {
      const q = new URLSearchParams({ limit: String(limit) });
      if (status) q.set('status', status);
      if (t) q.set('ticket', t);
      return answer(await call('GET', `/api/proposals?${q.toString()}`), (b) => count(b, 'proposal'));
    },
  );

  server.registerTool(
    'get_proposal',
    {
      title: 'A proposal in shadow',
      description:
        'A proposal; while in shadow, its what-if recomputed on the bars up to now, beside what actually happened.',
      inputSchema: { id: proposalId },
      annotations: readOnly,
    },
    async ({ id }) =>
      answer(
        await call('GET', `/api/proposals/${enc(id)}`),
        (b) => `proposal ${id}: ${(b as { proposal: { status: string } }).proposal.status}`,
      ),
  );

  for (const [verb, what] of [
    [
      'approve',
      "Applies a proposal in shadow to its position's plan (the same checks as a plan change). Refused when the config requires a person on the dashboard to approve.",
    ],
    ['reject', 'Rejects a proposal in shadow: the plan stays as it is.'],
  ] as const) {
    server.registerTool(
      `${verb}_proposal`,
      {
        title: `${verb[0]!.toUpperCase()}${verb.slice(1)} a proposal`,
        description: what,
        inputSchema: { id: proposalId, note: z.string().max(500).default('').describe('why, kept with the decision') },
        annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
      },
      async ({ id, note }) =>
        answer(
          await call('POST', `/api/proposals/${enc(id)}/${verb}`, { note }),
          (b) => `proposal ${id}: ${(b as { status: string }).status}`,
        ),
    );
  }

  server.registerTool(
    'set_exits',
    {
      title: "Switch a position's exits",
      description:
        "Turns a position's intelligent exits (breakeven, partial, trailing) on or off. Off leaves the stop where it is (DTMS, if it defends the position, goes on). Recorded as a manual decision from mcp.",
      inputSchema: { ticket, enabled: z.boolean() },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ ticket: t, enabled }) =>
      answer(
        await call('POST', `/api/positions/${enc(t)}/exits/${enabled ? 'enable' : 'disable'}`),
        () => `exits ${enabled ? 'on' : 'off'} for ${t}`,
      ),
  );

  server.registerResource(
    'config',
    'warden://config',
    {
      title: 'The effective config',
      description: 'The config Warden runs with, defaults filled in, secrets hidden',
      mimeType: 'application/json',
    },
    async (uri) => {
      const r = await call('GET', '/api/config');
      if (r.status >= 400) throw new Error(`Warden answered ${r.status} for its config`);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(r.body, null, 2) }] };
    },
  );
  server.registerResource(
    'glossary',
    'warden://glossary',
    {
      title: 'Glossary',
      description: 'The terms of the tools and the dashboard (R, BE, ATR, RMAG, VWAP, HVN, DTMS, ...)',
      mimeType: 'text/markdown',
    },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/markdown', text: glossaryMarkdown() }],
    }),
  );
  return server;
}
