// The service through its real HTTP server on a real port (loopback, port 0), with the engine loop
// playing the generated market into a real SQLite store: statuses and JSON bodies, the token on the
// mutating endpoints, 400 / 404 with messages, the DTMS trade JSON, the OpenAPI document,
// /metrics, and a clean stop. Then `warden serve` as a real process stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import {
  dtmsTradeSchema,
  healthSchema,
  planChangeSchema,
  positionSchema,
  stopPathSchema,
} from '../../src/service/apiSchemas.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-service-'));
const BIN = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));
let service: RunningService;
let store: WardenStore;
const TOKEN = 'test-token-0123456789abcdef';

beforeAll(async () => {
  const config = configSchema.parse({
    service: { port: 0, market: { speed: 400, warmupMinutes: 1500, demoPositions: 2 } },
  });
  store = openSqliteStore(join(dir, 'api.db'), { now: PINNED_NOW });
  service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
  // Let the loop play a few hundred bars, so positions have plans, decisions and DTMS checks.
  while (service.loop.played < 300) await new Promise((r) => setTimeout(r, 50));
}, 60_000);

afterAll(async () => {
  await service?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, service.url), init);

describe('the HTTP API on a real port', () => {
  it('GET /api/health: the health report', async () => {
    const r = await get('/api/health');
    expect([200, 503]).toContain(r.status);
    const body = healthSchema.parse(await r.json());
    expect(r.status).toBe(body.status === 'degraded' ? 503 : 200);
    expect(body.feeds.map((f) => f.symbol)).toEqual(['XAUUSDc', 'EURUSD', 'BTCUSDc']);
  });

  it('GET /api/positions and /api/positions/{ticket}: plans and DTMS state; 404 with a message for an unknown ticket', async () => {
    const r = await get('/api/positions');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const list = (await r.json()) as unknown[];
    expect(list.length).toBeGreaterThan(0);
    const first = positionSchema.parse(list[0]);
    const one = await get(`/api/positions/${first.ticket}`);
    expect(positionSchema.parse(await one.json()).ticket).toBe(first.ticket);
    const missing = await get('/api/positions/424242');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'no position 424242 under management' });
  });

  it("the router's refusals in the one error shape, without the URL; HEAD on the event stream completes", async () => {
    const bad = await get('/api/positions/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'bad_request',
      message: 'the URL is not valid (a malformed percent-encoding)',
    });
    const long = await get(`/api/positions/${'a'.repeat(200)}`);
    expect(long.status).toBe(400);
    expect(await long.json()).toEqual({ error: 'bad_request', message: 'a path parameter is too long' });
    const head = await get('/api/events', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await head.text()).toBe('');
  });

  it('400 with a message for a malformed ticket or query', async () => {
    const bad = await get('/api/positions/not%20a%20ticket!');
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: string; message: string };
    expect(body.error).toBe('bad_request');
    expect(body.message).toContain('a ticket is 1 to 64 letters, digits, _ . - : or /');
    const limit = await get('/api/decisions/recent?limit=0');
    expect(limit.status).toBe(400);
    expect(((await limit.json()) as { message: string }).message).toMatch(/^querystring\.limit: /);
    const route = await get('/api/nothing-here');
    expect(route.status).toBe(404);
    expect(await route.json()).toEqual({ error: 'not_found', message: 'no route GET /api/nothing-here' });
  });

  it('mutating endpoints need the bearer token: 401 without it or with a wrong one; with it, the plan is switched and stored', async () => {
    const ticket = positionSchema.parse(((await (await get('/api/positions')).json()) as unknown[])[0]).ticket;
    const path = `/api/positions/${ticket}/exits/disable`;
    const none = await get(path, { method: 'POST' });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toBe(
      'this endpoint needs the API token: Authorization: Bearer <token>',
    );
    const wrong = await get(path, { method: 'POST', headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toBe('the API token is not valid');
    const ok = await get(path, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      ticket,
      enabled: false,
      dtmsDefends: true,
      message: `intelligent exits off; DTMS still defends this position; POST /api/positions/${ticket}/dtms/disable to take it out of DTMS's hands`,
    });
    expect(positionSchema.parse(await (await get(`/api/positions/${ticket}`)).json()).exits.enabled).toBe(false);
    expect(store.plan(service.session.managedKey(ticket)!)?.enabled).toBe(false);
    const back = await get(`/api/positions/${ticket}/exits/enable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await back.json()).toEqual({
      ticket,
      enabled: true,
      dtmsDefends: true,
      message: 'intelligent exits on; DTMS defends this position too',
    });
    const unknown = await get('/api/positions/424242/exits/enable', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(unknown.status).toBe(404);
  });

  it('GET /api/dtms/trade/{ticket}: success, summary and trade_info; 404 for an unknown ticket', async () => {
    const ticket = positionSchema.parse(((await (await get('/api/positions')).json()) as unknown[])[0]).ticket;
    const r = await get(`/api/dtms/trade/${ticket}`);
    expect(r.status).toBe(200);
    const body = dtmsTradeSchema.parse(await r.json());
    expect(body.summary).toBe(`Trade ${ticket} is in ${body.trade_info.state} state`);
    expect(Object.keys(body.trade_info).sort()).toEqual(
      [
        'actions_taken',
        'current_price',
        'current_score',
        'intelligent_exits',
        'open_price',
        'performance',
        'profit',
        'protection_active',
        'sl',
        'state',
        'state_entry_time',
        'symbol',
        'ticket',
        'tp',
        'type',
        'volume',
        'warnings',
      ].sort(),
    );
    expect((await get('/api/dtms/trade/424242')).status).toBe(404);
    const status = (await (await get('/api/dtms/status')).json()) as { enabled: boolean; deepChecks: number };
    expect(status.enabled).toBe(true);
    expect(status.deepChecks).toBeGreaterThan(0);
  });

  it('decision history per position and recent decisions, with reasons', async () => {
    const recent = (await (await get('/api/decisions/recent?limit=50')).json()) as {
      positionId: string;
      reason: string;
    }[];
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThanOrEqual(50);
    const ticket = recent[recent.length - 1]!.positionId;
    const history = (await (await get(`/api/positions/${encodeURIComponent(ticket)}/decisions?limit=5`)).json()) as {
      positionId: string;
    }[];
    expect(history.every((d) => d.positionId === ticket)).toBe(true);
  });

  it('/openapi.json is an OpenAPI 3 document with every operation; /docs serves the UI; /metrics is Prometheus text', async () => {
    const doc = (await (await get('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string; security?: unknown }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0])).toEqual({
      valid: true,
    });
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((op) => op.operationId));
    expect(ops.sort()).toEqual(
      [
        'disableDtms',
        'disableExits',
        'enableDtms',
        'enableExits',
        'getAccount',
        'approveProposal',
        'getConfig',
        'getProposal',
        'listProposals',
        'proposePlanChange',
        'rejectProposal',
        'whatIf',
        'getDtmsActions',
        'getDtmsEngine',
        'getDtmsStatus',
        'getClosedTrade',
        'getDtmsTrade',
        'getHealth',
        'getPosition',
        'getStatistics',
        'listClosedTrades',
        'listPositions',
        'positionHistory',
        'promoteShadow',
        'recentBars',
        'recentDecisions',
        'registerTrade',
        'shadowReport',
        'startTrailing',
        'stopPath',
        'updatePlan',
      ].sort(),
    );
    expect(doc.paths['/api/positions/{ticket}/exits/disable']?.post?.security).toEqual([{ bearer: [] }]);
    expect((await get('/docs')).status).toBeLessThan(400);
    const m = await get('/metrics');
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await m.text();
    expect(text).toMatch(/^warden_positions \d+$/m);
    expect(text).toMatch(/^warden_bars_played \d+$/m);
  });
});

describe('plan changes, trade registration, statistics', () => {
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  it('PATCH /api/positions/{ticket}/plan changes the base triggers, partial size and trailing; refuses what cannot apply', async () => {
    const list = ((await (await get('/api/positions')).json()) as unknown[]).map((p) => positionSchema.parse(p));
    const p = list.find((x) => !x.exits.breakevenDone && !x.exits.partialDone);
    expect(p, 'a position before breakeven and partial').toBeDefined();
    // By default breakeven is set in R (1R, as the advanced rules scale it); the trader's percent replaces it.
    expect(p!.exits.breakevenR).toBeGreaterThan(0);
    const path = `/api/positions/${p!.ticket}/plan`;
    expect(
      (
        await get(path, {
          method: 'PATCH',
          body: JSON.stringify({ partialClosePct: 40 }),
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(401);
    const ok = await get(path, {
      method: 'PATCH',
      body: JSON.stringify({ breakevenPct: 35, partialPct: 90, partialClosePct: 40, trailingEnabled: false }),
      headers: auth,
    });
    expect(ok.status).toBe(200);
    // The position as it is now (what clients read), and per trigger set its base and the value used now.
    const v = planChangeSchema.parse(await ok.json());
    expect(v.applied.breakevenPct?.base).toBe(35);
    expect(v.applied.partialPct?.base).toBe(90);
    expect([v.applied.breakevenPct?.effective, v.applied.partialPct?.effective]).toEqual([
      v.exits.breakevenPct,
      v.exits.partialPct,
    ]);
    expect([v.exits.baseBreakevenPct, v.exits.basePartialPct]).toEqual([35, 90]);
    expect(v.exits.breakevenR).toBeNull();
    expect(v.exits.partialClosePct).toBe(40);
    expect(v.exits.trailingEnabled).toBe(false);
    const stored = store.plan(p!.lifetime)!;
    expect([stored.baseBreakevenPct, stored.basePartialPct, stored.partialClosePct, stored.trailingEnabled]).toEqual([
      35,
      90,
      40,
      false,
    ]);
    const order = await get(path, { method: 'PATCH', body: JSON.stringify({ partialPct: 30 }), headers: auth });
    expect(order.status).toBe(409);
    expect(await order.json()).toEqual({
      error: 'conflict',
      message: 'partialPct (30) must be above breakevenPct (35): the partial close comes after breakeven',
    });
    const empty = await get(path, { method: 'PATCH', body: '{}', headers: auth });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toContain(
      'give at least one of breakevenPct, partialPct, partialClosePct, trailingEnabled',
    );
    const unknownField = await get(path, { method: 'PATCH', body: JSON.stringify({ stopLoss: 1 }), headers: auth });
    expect(unknownField.status).toBe(400);
    const notJson = await get(path, { method: 'PATCH', body: '{oops', headers: auth });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe('bad_request');
  });

  it('POST /api/trades manages a position just opened at the broker at once (201), then answers 200; 404 when the broker has no such position', async () => {
    // The market holds still meanwhile, so the next bar does not pick the position up first.
    await service.loop.pause();
    const broker = service.paper!.broker('EURUSD');
    const q = broker.quote();
    const a = broker.open({
      requestId: 'hand:register',
      side: 'buy',
      volume: 0.2,
      sl: Number((q.ask - 0.005).toFixed(5)),
      tp: Number((q.ask + 0.01).toFixed(5)),
      comment: '',
      exempt: true,
    });
    expect(a.outcome).toBe('applied');
    const ticket = a.outcome === 'applied' ? a.positionId : '';
    const first = await get('/api/trades', {
      method: 'POST',
      body: JSON.stringify({ ticket, partialClosePct: 30 }),
      headers: auth,
    });
    expect(first.status).toBe(201);
    const v = positionSchema.parse(await first.json());
    expect([v.ticket, v.symbol, v.exits.partialClosePct]).toEqual([ticket, 'EURUSD', 30]);
    const again = await get('/api/trades', { method: 'POST', body: JSON.stringify({ ticket }), headers: auth });
    expect(again.status).toBe(200);
    service.loop.resume();
    const missing = await get('/api/trades', {
      method: 'POST',
      body: JSON.stringify({ ticket: '99999999' }),
      headers: auth,
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: 'not_found',
      message: 'no open position 99999999 at the broker on a managed symbol',
    });
  });

  it('POST /api/positions/{ticket}/trailing/start lets the plan trail before breakeven; 409 when trailing is off', async () => {
    await service.loop.pause();
    try {
      const list = ((await (await get('/api/positions')).json()) as unknown[]).map((p) => positionSchema.parse(p));
      const p = list.find((x) => x.exits.trailingEnabled)!;
      expect((await get(`/api/positions/${p.ticket}/trailing/start`, { method: 'POST' })).status).toBe(401);
      const ok = await get(`/api/positions/${p.ticket}/trailing/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(ok.status).toBe(200);
      expect(positionSchema.parse(await ok.json()).exits.trailNow).toBe(true);
      expect(store.plan(p.lifetime)?.trailNow).toBe(true);
      const off = list.find((x) => x.ticket !== p.ticket)!;
      await get(`/api/positions/${off.ticket}/plan`, {
        method: 'PATCH',
        body: JSON.stringify({ trailingEnabled: false }),
        headers: auth,
      });
      const refused = await get(`/api/positions/${off.ticket}/trailing/start`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(refused.status).toBe(409);
      expect(await refused.json()).toEqual({
        error: 'conflict',
        message: 'trailing is off for this position: turn it on first (PATCH its plan with trailingEnabled: true)',
      });
      expect(
        (
          await get('/api/positions/424242/trailing/start', {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}` },
          })
        ).status,
      ).toBe(404);
    } finally {
      service.loop.resume();
    }
  });

  it('GET /api/statistics adds up over the intent journal', async () => {
    const s = (await (await get('/api/statistics?days=30')).json()) as {
      intents: number;
      applied: number;
      rejected: number;
      unsettled: number;
      successRate: number | null;
      breakevens: number;
    };
    expect(s.intents).toBeGreaterThan(0);
    expect(s.applied + s.rejected + s.unsettled).toBe(s.intents);
    expect(s.successRate).toBe(
      s.applied + s.rejected > 0 ? Math.round((s.applied / (s.applied + s.rejected)) * 1000) / 1000 : null,
    );
    const xau = (await (await get('/api/statistics?symbol=XAUUSDc')).json()) as { intents: number; symbol: string };
    expect(xau.symbol).toBe('XAUUSDc');
    expect(xau.intents).toBeLessThanOrEqual(s.intents);
    expect((await get('/api/statistics?days=0')).status).toBe(400);
  });
});

describe('chart data and DTMS engine', () => {
  it('the stop path starts at the initial stop and follows the applied moves; recent bars per symbol; 404s', async () => {
    // The market holds still while the position and its stop path are read: a step between the two
    // may move the stop.
    await service.loop.pause();
    const list = ((await (await get('/api/positions')).json()) as unknown[]).map((p) => positionSchema.parse(p));
    const p = list[0]!;
    const path = stopPathSchema.parse(await (await get(`/api/positions/${p.ticket}/stops`)).json());
    service.loop.resume();
    expect(path.stops[0]!.by).toBe('initial');
    expect(path.stops[path.stops.length - 1]!.sl).toBe(p.sl);
    // ISO times, the initial stop's the open time; the moves in the order applied.
    expect(path.openTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(path.stops[0]!.time).toBe(path.openTime);
    const times = path.stops.map((s) => Date.parse(s.time!));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect((await get('/api/positions/424242/stops')).status).toBe(404);
    const bars = (await (await get(`/api/market/${p.symbol}/bars?limit=120`)).json()) as { time: number }[];
    expect(bars).toHaveLength(120);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.time).toBeGreaterThan(bars[i - 1]!.time);
    const none = await get('/api/market/NOPE/bars');
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: 'not_found', message: 'no market data for NOPE' });
    const engine = (await (await get('/api/dtms/engine')).json()) as {
      deepCheckSec: number;
      rails: { dailyLossLimitPct: number };
    };
    expect(engine.deepCheckSec).toBe(900);
    expect(engine.rails.dailyLossLimitPct).toBe(2);
  });
});

describe('live updates', () => {
  it('GET /api/events streams step and decision events as the market plays', async () => {
    const ac = new AbortController();
    const r = await get('/api/events', { signal: ac.signal });
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = r.body!.getReader();
    let text = '';
    // Reads until both kinds came (the test's timeout bounds it: no clock is read).
    while (!(text.includes('event: step') && text.includes('event: decision'))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    // Times are ISO 8601 UTC, as in every answer of the API.
    expect(text).toMatch(
      /event: step\ndata: \{"symbol":"(XAUUSDc|EURUSD|BTCUSDc)","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","positions":\d+,"intents":\[/,
    );
    expect(text).toMatch(/event: decision\ndata: \{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","positionId":"/);
  });
});

describe('warden serve as a process', () => {
  it('prints where it runs, answers, and stops cleanly on SIGTERM, releasing the store', async () => {
    const storeFile = join(dir, 'serve.db');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', storeFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WARDEN_API_TOKEN: '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no start line: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m && out.includes('Ctrl-C stops.')) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    expect(out).toContain(`API token for the mutating endpoints: in ${storeFile}.token`);
    // The embedded paper account: DTMS may open positions there (dtms.actions.openPositions left to the account).
    expect(out).toContain('\nDTMS on: tighten, partial close, hedge, re-add, close\n');
    expect(readFileSync(`${storeFile}.token`, 'utf8').trim().length).toBeGreaterThanOrEqual(16);
    const h = await fetch(new URL('api/health', url));
    expect([200, 503]).toContain(h.status);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(out).toContain('Warden stopped.');
    const s = openSqliteStore(storeFile, { now: PINNED_NOW });
    expect(s.sessionOwner()).toBeNull();
    s.close();
  }, 60_000);
});
