// `warden mcp`: Warden's MCP server over stdio, for an agent that launches its tools as a program
// (Claude Desktop, an IDE, any MCP client). It drives a running `warden serve` through its HTTP API
// with the API token: every tool is the API's call, recorded with source mcp, as the tools at /mcp
// are. The token: WARDEN_API_TOKEN, or the token file `warden serve` wrote beside its store
// (--token-file, default warden.db.token). With --store and no serve running, it reads a store instead
// (read-only: the positions as stored, the decisions, the proposals; no change, no what-if).
// stdout carries the protocol only; messages go to stderr.
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createWardenMcpServer, type WardenApiCall } from '../../mcp/wardenMcp.ts';
import { storeApi } from '../../mcp/storeApi.ts';
import { isPostgresUrl, openStore } from '../../store/openStore.ts';
import { StoreError, type WardenStore } from '../../store/store.ts';
import { MCP_HEADER } from '../../service/access.ts';
import { CliError } from '../errors.ts';
import { clockOf } from '../io.ts';
import { readVersion } from '../version.ts';

interface McpOptions {
  url: string;
  tokenFile: string;
  store?: string;
}

/** The token: the environment's, else the file's; a clear refusal naming both when neither has one. */
export function mcpToken(env: Readonly<Record<string, string | undefined>>, tokenFile: string): string {
  const fromEnv = env['WARDEN_API_TOKEN'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) throw new CliError('WARDEN_API_TOKEN must be at least 16 characters');
    return fromEnv;
  }
  if (!existsSync(tokenFile))
    throw new CliError(
      `no API token: set WARDEN_API_TOKEN, or give --token-file (the file warden serve wrote beside its store); ${tokenFile} does not exist`,
    );
  const t = readFileSync(tokenFile, 'utf8').trim();
  if (t.length < 16) throw new CliError(`${tokenFile}: not an API token (fewer than 16 characters)`);
  return t;
}

/** The API over HTTP: a refused connection is the tool's error (503, saying where it looked), never a crash. */
export function httpApi(base: URL, token: string, fetchImpl: typeof fetch = fetch): WardenApiCall {
  return async (method, path, body) => {
    try {
      const r = await fetchImpl(new URL(path, base), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          [MCP_HEADER]: '1',
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: the text stands
      }
      return { status: r.status, body: parsed };
    } catch (err) {
      const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      return {
        status: 503,
        body: {
          error: 'unreachable',
          message: `Warden cannot be reached at ${base.origin} (${why}): is warden serve running there?`,
        },
      };
    }
  };
}

export function register(program: Command): void {
  program
    .command('mcp')
    .description(
      "Warden's MCP server over stdio, driving a running warden serve (its tools are the API's calls, recorded with source mcp)",
    )
    .option('--url <url>', 'where warden serve answers', 'http://127.0.0.1:8080')
    .option(
      '--token-file <file>',
      'the API token file warden serve wrote beside its store (WARDEN_API_TOKEN wins)',
      'warden.db.token',
    )
    .option(
      '--store <file>',
      'read this store instead, with no serve running (read-only: positions as stored, decisions, proposals; no change)',
    )
    .action(async (o: McpOptions, cmd: Command) => {
      if (o.store !== undefined)
        return serveStdio(
          createWardenMcpServer(storeApi(openStoreReadOnly(o.store, clockOf(cmd)())), { version: readVersion() }),
          `reading ${o.store} (read-only)`,
        );
      let base: URL;
      try {
        base = new URL(o.url);
      } catch {
        throw new CliError(`--url: not a URL: ${o.url}`);
      }
      if (base.protocol !== 'http:' && base.protocol !== 'https:')
        throw new CliError(`--url: http or https only, got ${base.protocol}`);
      const token = mcpToken(process.env, o.tokenFile);
      return serveStdio(
        createWardenMcpServer(httpApi(base, token), { version: readVersion() }),
        `driving ${base.origin}`,
      );
    });
}

/** A store opened read-only (nothing written in it or beside it); a clear refusal when it cannot be. */
function openStoreReadOnly(file: string, now: number): WardenStore {
  if (!isPostgresUrl(file) && !existsSync(file))
    throw new CliError(`${file}: no store there (the file does not exist)`);
  try {
    return openStore(file, { now, readonly: true });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  }
}

/** Serves MCP over stdio until the client closes stdin. */
async function serveStdio(server: McpServer, what: string): Promise<void> {
  const transport = new StdioServerTransport();
  await server.connect(transport);
  process.stderr.write(`warden mcp: serving over stdio, ${what}\n`);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.close();
}
