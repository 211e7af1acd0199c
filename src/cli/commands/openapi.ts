// `warden openapi [--for chatgpt] [--server-url URL] [--config FILE] [--json]`: the API's OpenAPI
// document, from the same schemas the server validates with, its notes (RMAG thresholds, gates,
// buffers) from the config given. `--for chatgpt` keeps the operations a ChatGPT custom action needs
// (the original openai.yaml's: intelligent exits enable, disable, status, history, recent, statistics;
// DTMS status, trade, actions, engine; register a trade; plus plan changes, giving a position back to
// DTMS and health), marks the ones that change something as consequential (ChatGPT then asks the user
// before each call), and names the public server URL the action calls (ChatGPT cannot reach a
// loopback address).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { PaperAccount } from '../../brokers/paperAccount.ts';
import type { WardenConfig } from '../../config/schema.ts';
import { loadConfigOption } from '../configArg.ts';
import { instrumentFromConfig } from '../../domain/instruments.ts';
import { AccountSession } from '../../execution/accountSession.ts';
import { createLogger } from '../../log.ts';
import { buildServer } from '../../service/server.ts';
import { openSqliteStore } from '../../store/sqliteStore.ts';
import { CliError } from '../errors.ts';
import { writeOut } from '../io.ts';
import { readVersion } from '../version.ts';

interface OpenApiOptions {
  for?: string;
  serverUrl?: string;
  config?: string;
  json?: boolean;
}

/**
 * The operations a ChatGPT action exposes. Left out: chart data for the pages; taking a position out
 * of DTMS's hands (disableDtms: no defence and its hedge left open, on a model's reading of a chat; a
 * trader does it on the page, with a reason); promoting a shadowed symbol to live (real orders).
 */
export const CHATGPT_OPERATIONS = [
  'enableExits',
  'disableExits',
  'enableDtms',
  'listPositions',
  'getPosition',
  'updatePlan',
  'startTrailing',
  'positionHistory',
  'recentDecisions',
  'getStatistics',
  'registerTrade',
  'getDtmsStatus',
  'getDtmsTrade',
  'getDtmsActions',
  'getDtmsEngine',
  'getHealth',
];

export function register(program: Command): void {
  program
    .command('openapi')
    .description("print the API's OpenAPI document (YAML; --json for JSON)")
    .option('--for <client>', 'chatgpt: only the operations of a ChatGPT custom action, with its server URL')
    .option('--server-url <url>', 'the public https URL the API is reached at (required with --for chatgpt)')
    .option(
      '--config <file>',
      'the Warden config the service runs with: the notes (RMAG thresholds, gates, buffers) are read from it',
    )
    .option('--json', 'JSON instead of YAML')
    .action((o: OpenApiOptions, cmd: Command) => openapi(o, cmd));
}

/** The document the server serves at /openapi.json, built without running anything (a scratch store, no market). */
export async function openApiDocument(
  config: WardenConfig = loadConfigOption(undefined),
): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-openapi-'));
  const store = openSqliteStore(path.join(dir, 'scratch.db'), { now: Date.now() });
  try {
    const instruments = config.service.market.symbols.map((s) => instrumentFromConfig(config, s, true));
    const session = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments,
      broker: new PaperAccount(instruments, { accountMode: 'hedging', timeframeMs: 60_000 }),
      store,
      clock: Date.now,
    });
    const app = await buildServer({
      session,
      store,
      token: 'x'.repeat(32),
      log: createLogger({ level: 'silent' }),
      version: readVersion(),
    });
    await app.ready();
    const doc = structuredClone(app.swagger()) as unknown as Record<string, unknown>;
    await app.close();
    return doc;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openapi(o: OpenApiOptions, cmd: Command): Promise<void> {
  if (o.for !== undefined && o.for !== 'chatgpt') throw new CliError(`--for accepts chatgpt, got "${o.for}"`);
  let server: string | undefined;
  if (o.serverUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(o.serverUrl);
    } catch {
      throw new CliError(`--server-url is not a URL: "${o.serverUrl}"`);
    }
    if (o.for === 'chatgpt' && u.protocol !== 'https:')
      throw new CliError('--server-url must be an https URL for a ChatGPT action (ChatGPT calls it from the internet)');
    server = u.toString().replace(/\/$/, '');
  } else if (o.for === 'chatgpt') {
    throw new CliError(
      '--for chatgpt needs --server-url https://... (the public address ChatGPT calls; Warden itself listens on loopback)',
    );
  }
  const doc = await openApiDocument(loadConfigOption(o.config));
  if (server !== undefined) doc.servers = [{ url: server }];
  if (o.for === 'chatgpt') {
    const paths = (doc.paths ?? {}) as Record<string, Record<string, { operationId?: string }>>;
    const kept: Record<string, Record<string, unknown>> = {};
    for (const [p, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.operationId === undefined || !CHATGPT_OPERATIONS.includes(op.operationId)) continue;
        // ChatGPT's own default for a non-GET operation, written out: it asks before every call that
        // changes a position, with no "always allow".
        (kept[p] ??= {})[method] = method === 'get' ? op : { ...op, 'x-openai-isConsequential': true };
      }
    }
    doc.paths = kept;
  }
  writeOut(cmd, o.json === true ? JSON.stringify(doc, null, 2) : stringify(doc, { lineWidth: 0 }));
}
