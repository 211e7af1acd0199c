// Warden's MCP server over streamable HTTP at /mcp on `warden serve` (the embedded paper account, a
// temp SQLite store, a pinned clock), driven by the MCP SDK's own client: the token on every request,
// the tools and resources, and a propose -> what_if -> shadow -> approve round on a demo position, every
// step in the decision history with source mcp. With proposals.approval: dashboard (the default) an
// agent's approve is refused and the dashboard's goes through.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import {
  decisionSchema,
  positionSchema,
  proposalDetailSchema,
  proposalSchema,
  whatIfSchema,
} from '../../src/service/apiSchemas.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';
import { TOOLS } from './mcpTools.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'mcp-http-token-0123456789abcdef';

async function serve(name: string, approval: 'agent' | 'dashboard'): Promise<RunningService> {
  const config = configSchema.parse({
    service: { port: 0, market: { speed: 400, demoPositions: 2 } },
    proposals: { approval },
  });
  const store = openSqliteStore(join(dir, `${name}.db`), { now: PINNED_NOW });
  const service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
  expect(await waitUntil(() => service.loop.played >= 300 && service.session.engine.openPositions > 0, 1200)).toBe(
    true,
  );
  await service.loop.pause();
  return service;
}

async function connect(url: string, token: string | null): Promise<Client> {
  const client = new Client({ name: 'warden-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(
    new URL('/mcp', url),
    token === null ? {} : { requestInit: { headers: { authorization: `Bearer ${token}` } } },
  );
  await client.connect(transport);
  return client;
}

/** The text of a tool's result. */
function textOf(result: unknown): string {
  return ((result as CallToolResult).content[0] as { text: string }).text;
}

/** The text of a resource. */
function resourceText(r: { contents: { uri: string }[] }): string {
  const c = r.contents[0] as { text?: string } | undefined;
  return c?.text ?? '';
}

/** The tool's JSON (after its summary line), or its error text. */
function jsonOf(result: unknown): unknown {
  const r = result as CallToolResult;
  const t = textOf(r);
  expect(r.isError, t).toBeFalsy();
  return JSON.parse(t.slice(t.indexOf('\n\n') + 2));
}

describe('MCP over HTTP at /mcp', () => {
  it('needs the token; lists the tools (none takes a stop, a volume or a side) and the resources; runs propose -> what_if -> shadow -> approve, all in the decision history', async () => {
    const service = await serve('round', 'agent');
    const api = async (path: string) => (await fetch(new URL(path, service.url))).json();
    try {
      // No token, a wrong one: refused before any MCP message is read.
      await expect(connect(service.url, null)).rejects.toThrow(/unauthorized.*needs the API token/);
      await expect(connect(service.url, 'not-the-token-0123456789')).rejects.toThrow(
        /unauthorized.*the API token is not valid/,
      );
      const client = await connect(service.url, TOKEN);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      for (const t of tools) {
        const fields = JSON.stringify(t.inputSchema);
        for (const forbidden of ['"sl"', '"stopLoss"', '"newSl"', '"volume"', '"side"', '"price"'])
          expect(fields, `${t.name} takes ${forbidden}`).not.toContain(forbidden);
      }
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri).sort()).toEqual(['warden://config', 'warden://glossary']);
      const glossary = await client.readResource({ uri: 'warden://glossary' });
      expect(resourceText(glossary)).toContain('**RMAG**');
      const cfg = JSON.parse(resourceText(await client.readResource({ uri: 'warden://config' }))) as {
        service: { token?: string };
        proposals: { approval: string };
      };
      expect(cfg.proposals.approval).toBe('agent');
      // The token was given on the command line, not in the config: the config has none to hide.
      expect(cfg.service.token).toBeUndefined();

      // Reads: the same as the API's.
      const listed = positionSchema
        .array()
        .parse(jsonOf(await client.callTool({ name: 'list_positions', arguments: {} })));
      expect(listed.map((p) => p.ticket)).toEqual(
        positionSchema
          .array()
          .parse(await api('/api/positions?limit=500'))
          .map((p) => p.ticket),
      );
      const p = listed[0]!;
      const got = jsonOf(await client.callTool({ name: 'get_position', arguments: { ticket: p.ticket } })) as {
        position: { ticket: string };
        stopPath: { stops: unknown[] };
      };
      expect(got.position.ticket).toBe(p.ticket);
      expect(got.stopPath.stops.length).toBeGreaterThan(0);
      const why = await client.callTool({ name: 'explain_decision', arguments: { ticket: p.ticket } });
      expect(textOf(why)).toMatch(new RegExp(`^Position ${p.ticket}:`));
      expect(jsonOf(await client.callTool({ name: 'account_summary', arguments: {} }))).toMatchObject({
        mode: 'paper',
      });
      expect(jsonOf(await client.callTool({ name: 'dtms_status', arguments: {} }))).toHaveProperty('engine.losses');
      const unknown = await client.callTool({ name: 'get_position', arguments: { ticket: '999999999' } });
      expect(unknown.isError).toBe(true);
      expect(textOf(unknown)).toBe('Warden answered 404: no position 999999999 under management');
      // Bad input is the tool's error, naming the field.
      const bad = await client.callTool({ name: 'recent_decisions', arguments: { limit: 100_000 } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toMatch(/limit/);
      // A trigger beyond the target is refused at the tool's input, with the config's range (0 to 100).
      const beyond = await client.callTool({
        name: 'what_if',
        arguments: { ticket: listed[0]!.ticket, change: { breakevenPct: 150 } },
      });
      expect(beyond.isError).toBe(true);
      expect(JSON.stringify(beyond.content)).toMatch(/breakevenPct/);
      const empty = await client.callTool({
        name: 'propose_plan_change',
        arguments: { ticket: listed[0]!.ticket, change: {}, rationale: 'nothing' },
      });
      expect(empty.isError).toBe(true);

      // The round: what if trailing were switched the other way; propose it; it runs in shadow; approve.
      const change = { trailingEnabled: !p.exits.trailingEnabled };
      const w = whatIfSchema.parse(
        jsonOf(await client.callTool({ name: 'what_if', arguments: { ticket: p.ticket, change } })),
      );
      expect(w.ticket).toBe(p.ticket);
      expect(w.patch).toEqual(change);
      expect(w.bars).toBeGreaterThan(0);
      const proposed = proposalSchema.parse(
        jsonOf(
          await client.callTool({
            name: 'propose_plan_change',
            arguments: { ticket: p.ticket, change, rationale: 'the trend is strong: let the winner run' },
          }),
        ),
      );
      expect(proposed).toMatchObject({ ticket: p.ticket, status: 'shadow', proposedBy: 'mcp', patch: change });
      // In shadow: nothing changed; the what-if stands beside the actual.
      expect(positionSchema.parse(await api(`/api/positions/${p.ticket}`)).exits.trailingEnabled).toBe(
        p.exits.trailingEnabled,
      );
      const shadow = proposalDetailSchema.parse(
        jsonOf(await client.callTool({ name: 'get_proposal', arguments: { id: proposed.id } })),
      );
      expect(shadow.whatIf?.proposed).toEqual(w.proposed);
      expect(shadow.whatIf?.current).toEqual(w.current);
      const listedProposals = proposalSchema
        .array()
        .parse(jsonOf(await client.callTool({ name: 'list_proposals', arguments: { status: 'shadow' } })));
      expect(listedProposals.map((x) => x.id)).toEqual([proposed.id]);
      const approved = proposalSchema.parse(
        jsonOf(await client.callTool({ name: 'approve_proposal', arguments: { id: proposed.id, note: 'agreed' } })),
      );
      expect(approved).toMatchObject({ status: 'approved', decidedBy: 'mcp', decisionNote: 'agreed' });
      expect(positionSchema.parse(await api(`/api/positions/${p.ticket}`)).exits.trailingEnabled).toBe(
        change.trailingEnabled,
      );
      // Approved once: not again.
      const again = await client.callTool({ name: 'approve_proposal', arguments: { id: proposed.id } });
      expect(again.isError).toBe(true);
      expect(textOf(again)).toBe(`Warden answered 409: ${proposed.id} is approved already`);
      // Every step is in the position's decision history, from mcp.
      const history = decisionSchema
        .array()
        .parse(await api(`/api/positions/${p.ticket}/decisions?limit=500`))
        .filter((d) => d.rule === 'manual');
      expect(history.map((d) => d.note)).toEqual([
        `proposal ${proposed.id} (in shadow, nothing changed): trailing: ${p.exits.trailingEnabled ? 'on -> off' : 'off -> on'}; why: the trend is strong: let the winner run; source: mcp`,
        `plan: trailing: ${p.exits.trailingEnabled ? 'on -> off' : 'off -> on'} (proposal ${proposed.id} approved: agreed); source: mcp`,
      ]);
      // set_exits: off, recorded from mcp.
      jsonOf(await client.callTool({ name: 'set_exits', arguments: { ticket: p.ticket, enabled: false } }));
      expect(positionSchema.parse(await api(`/api/positions/${p.ticket}`)).exits.enabled).toBe(false);
      expect(
        decisionSchema
          .array()
          .parse(await api(`/api/positions/${p.ticket}/decisions?limit=500`))
          .at(-1)?.note,
      ).toBe('intelligent exits: on -> off; source: mcp');
      await client.close();
    } finally {
      await service.stop();
    }
  }, 60_000);

  it('with proposals.approval: dashboard, the agent cannot approve; a person on the dashboard can, and the agent can reject its own', async () => {
    const service = await serve('dashboard', 'dashboard');
    try {
      const client = await connect(service.url, TOKEN);
      const p = positionSchema
        .array()
        .parse(jsonOf(await client.callTool({ name: 'list_positions', arguments: {} })))[0]!;
      const change = { trailingEnabled: !p.exits.trailingEnabled };
      const first = proposalSchema.parse(
        jsonOf(
          await client.callTool({
            name: 'propose_plan_change',
            arguments: { ticket: p.ticket, change, rationale: 'try it' },
          }),
        ),
      );
      const refusedApprove = await client.callTool({ name: 'approve_proposal', arguments: { id: first.id } });
      expect(refusedApprove.isError).toBe(true);
      expect(textOf(refusedApprove)).toBe(
        `Warden answered 403: approval needs a person on the dashboard (proposals.approval: dashboard): open the position's page and approve ${first.id} there`,
      );
      // The dashboard's call (its page header) approves.
      const r = await fetch(new URL(`/api/proposals/${first.id}/approve`, service.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-warden-page': '1' },
        body: JSON.stringify({ note: 'looked at the what-if' }),
      });
      expect(r.status).toBe(200);
      expect(proposalSchema.parse(await r.json())).toMatchObject({ status: 'approved', decidedBy: 'page' });
      const second = proposalSchema.parse(
        jsonOf(
          await client.callTool({
            name: 'propose_plan_change',
            arguments: {
              ticket: p.ticket,
              change: { trailingEnabled: p.exits.trailingEnabled },
              rationale: 'back again',
            },
          }),
        ),
      );
      expect(
        proposalSchema.parse(
          jsonOf(
            await client.callTool({ name: 'reject_proposal', arguments: { id: second.id, note: 'changed my mind' } }),
          ),
        ),
      ).toMatchObject({ status: 'rejected', decidedBy: 'mcp' });
      // A change that changes nothing is refused.
      const same = await client.callTool({
        name: 'propose_plan_change',
        arguments: { ticket: p.ticket, change: { trailingEnabled: !p.exits.trailingEnabled }, rationale: 'again' },
      });
      expect(same.isError).toBe(true);
      expect(textOf(same)).toMatch(/409: the proposal changes nothing/);
      await client.close();
    } finally {
      await service.stop();
    }
  }, 60_000);
});
