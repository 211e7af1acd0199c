// `warden mcp` over stdio, as an MCP client launches it: the SDK's own client starts the process, lists
// the tools, and drives a running `warden serve` (the embedded paper account) through it: a read, a
// proposal that runs in shadow with its what-if, and a rejection, recorded with source mcp. Without a
// token it refuses to start, naming where it looked; with the serve gone, a tool answers why.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { decisionSchema, positionSchema, proposalDetailSchema, proposalSchema } from '../../src/service/apiSchemas.ts';
import { startService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';
import { TOOLS } from './mcpTools.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-stdio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'mcp-stdio-token-0123456789abcdef';
const BIN = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));

const textOf = (r: unknown): string => ((r as CallToolResult).content[0] as { text: string }).text;
function jsonOf(r: unknown): unknown {
  const t = textOf(r);
  expect((r as CallToolResult).isError, t).toBeFalsy();
  return JSON.parse(t.slice(t.indexOf('\n\n') + 2));
}

describe('warden mcp (stdio)', () => {
  it('drives a running serve: tools, a read, a proposal in shadow with its what-if, a rejection; all recorded from mcp', async () => {
    const config = configSchema.parse({ service: { port: 0, market: { speed: 400, demoPositions: 2 } } });
    const store = openSqliteStore(join(dir, 'stdio.db'), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: TOKEN,
      tokenFile: join(dir, 'unused.token'),
    });
    const client = new Client({ name: 'warden-stdio-test', version: '1.0.0' });
    try {
      expect(await waitUntil(() => service.loop.played >= 300 && service.session.engine.openPositions > 0, 1200)).toBe(
        true,
      );
      await service.loop.pause();
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp', '--url', service.url],
        env: { ...(process.env as Record<string, string>), WARDEN_API_TOKEN: TOKEN },
        stderr: 'pipe',
      });
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(TOOLS);
      const listed = positionSchema
        .array()
        .parse(jsonOf(await client.callTool({ name: 'list_positions', arguments: {} })));
      expect(listed.length).toBe(service.session.engine.openPositions);
      const p = listed[0]!;
      const change = { trailingEnabled: !p.exits.trailingEnabled };
      const proposal = proposalSchema.parse(
        jsonOf(
          await client.callTool({
            name: 'propose_plan_change',
            arguments: { ticket: p.ticket, change, rationale: 'from the stdio client' },
          }),
        ),
      );
      expect(proposal).toMatchObject({ status: 'shadow', proposedBy: 'mcp' });
      const detail = proposalDetailSchema.parse(
        jsonOf(await client.callTool({ name: 'get_proposal', arguments: { id: proposal.id } })),
      );
      expect(detail.whatIf?.ticket).toBe(p.ticket);
      expect(
        proposalSchema.parse(
          jsonOf(await client.callTool({ name: 'reject_proposal', arguments: { id: proposal.id, note: 'not now' } })),
        ),
      ).toMatchObject({ status: 'rejected', decidedBy: 'mcp' });
      const manual = decisionSchema
        .array()
        .parse(await (await fetch(new URL(`/api/positions/${p.ticket}/decisions?limit=500`, service.url))).json())
        .filter((d) => d.rule === 'manual');
      expect(manual.map((d) => d.note.endsWith('; source: mcp'))).toEqual([true, true]);
      expect(manual[1]!.note).toBe(`proposal ${proposal.id} rejected: not now; the plan stays as it is; source: mcp`);
      // The serve goes away: a tool says so, the process stays up.
      await service.stop();
      const gone = await client.callTool({ name: 'account_summary', arguments: {} });
      expect(gone.isError).toBe(true);
      expect(textOf(gone)).toMatch(
        /^Warden answered 503: Warden cannot be reached at http:\/\/127\.0\.0\.1:\d+ \(.+\): is warden serve running there\?$/,
      );
    } finally {
      await client.close();
      await service.stop();
      store.close();
    }
  }, 120_000);

  it('--store reads the store the serve left (no serve running): positions, decisions and proposals; what needs a serve says so', async () => {
    const client = new Client({ name: 'warden-stdio-store', version: '1.0.0' });
    try {
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [BIN, 'mcp', '--store', join(dir, 'stdio.db')],
          stderr: 'pipe',
        }),
      );
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(TOOLS);
      const positions = jsonOf(await client.callTool({ name: 'list_positions', arguments: {} })) as {
        ticket: string;
        exits: unknown;
      }[];
      expect(positions.length).toBeGreaterThan(0);
      const proposals = proposalSchema
        .array()
        .parse(jsonOf(await client.callTool({ name: 'list_proposals', arguments: {} })));
      expect(proposals.map((p) => [p.status, p.decidedBy])).toEqual([['rejected', 'mcp']]);
      const recent = decisionSchema
        .array()
        .parse(jsonOf(await client.callTool({ name: 'recent_decisions', arguments: { limit: 500 } })));
      expect(recent.filter((d) => d.rule === 'manual' && d.note.endsWith('; source: mcp'))).toHaveLength(2);
      const why = await client.callTool({ name: 'explain_decision', arguments: { ticket: proposals[0]!.ticket } });
      expect(textOf(why)).toMatch(new RegExp(`^Position ${proposals[0]!.ticket}:`));
      for (const [name, args] of [
        ['account_summary', {}],
        ['propose_plan_change', { ticket: proposals[0]!.ticket, change: { trailingEnabled: true }, rationale: 'x' }],
      ] as const) {
        const r = await client.callTool({ name, arguments: args });
        expect(r.isError).toBe(true);
        expect(textOf(r)).toMatch(
          /^Warden answered 503: .* needs a running warden serve: this MCP server reads a store \(warden mcp --store\), and changes nothing$/,
        );
      }
    } finally {
      await client.close();
    }
  }, 120_000);

  it('refuses to start without a token, naming where it looked', () => {
    const env = { ...process.env };
    delete env['WARDEN_API_TOKEN'];
    const r = spawnSync(process.execPath, [BIN, 'mcp', '--token-file', join(dir, 'none.token')], {
      env,
      encoding: 'utf8',
      input: '',
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `no API token: set WARDEN_API_TOKEN, or give --token-file (the file warden serve wrote beside its store); ${join(dir, 'none.token')} does not exist`,
    );
  }, 60_000);
});
