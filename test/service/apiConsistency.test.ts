// API details a client relies on: a ticket is a string everywhere and is taken as a JSON number too
// (MT5 tickets are numbers); scores are shown rounded; an unknown ticket on the DTMS trade endpoint
// answers 404 in both conventions at once; every time of every answer is ISO 8601 UTC (or null), the
// chart's bars excepted (epoch ms). Through the real HTTP server on the paper account, live and shadow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import {
  accountSchema,
  dtmsEngineSchema,
  dtmsTradeSchema,
  positionSchema,
  shadowReportSchema,
  stopPathSchema,
} from '../../src/service/apiSchemas.ts';
import { startService } from '../../src/service/service.ts';
import { shadowViewOf } from '../../src/service/views.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-api-consistency-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'api-consistency-token-0123456789';

describe('API consistency', () => {
  it('tickets as strings (a number accepted), rounded scores, the DTMS 404 in both conventions', async () => {
    const config = configSchema.parse({ service: { port: 0, market: { speed: 400, demoPositions: 2 } } });
    const store = openSqliteStore(join(dir, 'api.db'), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: TOKEN,
      tokenFile: join(dir, 'unused.token'),
    });
    const call = (path: string, init?: RequestInit) => fetch(new URL(path, service.url), init);
    const json = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    try {
      expect(await waitUntil(() => service.loop.played >= 300 && service.session.engine.openPositions > 0, 1200)).toBe(
        true,
      );
      await service.loop.pause();
      const list = positionSchema.array().parse(await (await call('/api/positions')).json());
      const p = list.find((x) => /^\d+$/.test(x.ticket))!;
      expect(p).toBeDefined();

      // The DTMS trade JSON: the ticket a string, as everywhere else.
      const trade = dtmsTradeSchema.parse(await (await call(`/api/dtms/trade/${p.ticket}`)).json());
      expect(trade.trade_info.ticket).toBe(p.ticket);
      for (const v of list) if (v.dtms?.score != null) expect(String(v.dtms.score)).toMatch(/^-?\d+(\.\d{1,2})?$/);

      // An MT5 ticket sent as a JSON number is the same ticket; a fraction is no ticket.
      const asNumber = await call('/api/trades', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ ticket: Number(p.ticket) }),
      });
      expect(asNumber.status).toBe(200);
      expect(positionSchema.parse(await asNumber.json()).ticket).toBe(p.ticket);
      const fraction = await call('/api/trades', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ ticket: 1.5 }),
      });
      expect(fraction.status).toBe(400);
      expect(await fraction.json()).toMatchObject({ error: 'bad_request' });

      // Unknown on the DTMS trade endpoint: {error, message} and {success, summary, trade_info} in one body.
      const unknown = await call('/api/dtms/trade/999999999');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({
        error: 'not_found',
        message: 'no position 999999999 under management',
        success: false,
        summary: 'Trade 999999999 not found',
        trade_info: null,
      });

      // The account strip's figures agree with the positions: the paper account's instruments are all
      // quoted in its currency (USD), so the open P/L is the sum of the positions' floating profits, and
      // the exposure is their volumes by symbol.
      const account = accountSchema.parse(await (await call('/api/account')).json());
      expect(account).toMatchObject({ mode: 'paper', venue: 'paper', currency: 'USD', stale: false, notes: [] });
      const sum = list.reduce((s, v) => s + v.profit!, 0);
      expect(Math.abs(account.openProfit! - sum)).toBeLessThanOrEqual(0.01 * list.length + 0.01);
      const bySymbol = new Map<string, number>();
      for (const v of list)
        bySymbol.set(v.symbol, (bySymbol.get(v.symbol) ?? 0) + (v.side === 'buy' ? v.volume : -v.volume));
      expect(account.exposure.map((e) => [e.symbol, e.netVolume])).toEqual(
        [...bySymbol.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => [s, Math.round(n * 1e8) / 1e8]),
      );
      expect(account.balance! + account.openProfit!).toBeCloseTo(account.equity!, 1);

      // DTMS's loss rails see the account's losses (refreshed after steps once a minute of market time).
      const engine = dtmsEngineSchema.parse(await (await call('/api/dtms/engine')).json());
      expect(engine.losses.dailyLossPct).toBeGreaterThanOrEqual(0);
      expect(engine.losses).toEqual({
        ...service.session.engine.accountRisk,
        dailyLossPct: Math.round(service.session.engine.accountRisk.dailyLossPct * 100) / 100,
        hourlyLossPct: Math.round(service.session.engine.accountRisk.hourlyLossPct * 100) / 100,
      });

      // The OpenAPI document still builds, and says a ticket may be sent either way.
      const doc = (await (await call('/openapi.json')).json()) as { components: { schemas: Record<string, unknown> } };
      expect(JSON.stringify(doc.components.schemas.RegisterTrade)).toContain(
        'an MT5 ticket may also be sent as a JSON number',
      );
    } finally {
      await service.stop();
      store.close();
    }
  });
});

/** Keys that name a time: `time`, `at`, `since`, `...At`, `...Time`, and the DTMS trade JSON's snake_case `..._time`. */
const TIME_KEY = /(^time$|^at$|At$|^since$|Time$|_time$)/;
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Every time-like field of a JSON answer by its path (`[]` for an array's items), with its values. A
 * closed trade's `sources` is left out: its keys name the figures whose source they give (`openTime:
 * 'venue'`), they are no times.
 */
function timeFields(json: unknown, path = '', out = new Map<string, unknown[]>()): Map<string, unknown[]> {
  if (Array.isArray(json)) {
    for (const x of json) timeFields(x, `${path}[]`, out);
  } else if (json !== null && typeof json === 'object') {
    for (const [k, v] of Object.entries(json)) {
      const at = path === '' ? k : `${path}.${k}`;
      if (k === 'sources') continue;
      if (TIME_KEY.test(k)) out.set(at, [...(out.get(at) ?? []), v]);
      timeFields(v, at, out);
    }
  }
  return out;
}

/**
 * Asserts every time-like field of an answer is an ISO 8601 UTC string or null (never epoch ms, never
 * 1970 for "not known"), and that each of `expected` is there with at least one known time, so the
 * check cannot pass on an answer that lacks the fields.
 */
function expectIsoTimes(route: string, json: unknown, expected: string[]): void {
  const fields = timeFields(json);
  for (const [path, values] of fields) {
    for (const v of values) {
      expect(v === null || (typeof v === 'string' && ISO_UTC.test(v)), `${route} ${path}: ${JSON.stringify(v)}`).toBe(
        true,
      );
      if (typeof v === 'string')
        expect(Date.parse(v), `${route} ${path}: ${v} is not a time of the played market`).toBeGreaterThan(
          Date.parse('2000-01-01T00:00:00Z'),
        );
    }
  }
  for (const path of expected)
    expect(
      fields.get(path)?.some((v) => v !== null),
      `${route}: ${path} (known: ${[...fields.keys()].join(', ')})`,
    ).toBe(true);
}

describe('ISO times in every answer', () => {
  it('live: positions (DTMS state, one out of its hands), stop paths with moves, DTMS, decisions, closed trades, health', async () => {
    const config = configSchema.parse({ service: { port: 0, market: { speed: 400, demoPositions: 2 } } });
    const store = openSqliteStore(join(dir, 'iso-live.db'), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: TOKEN,
      tokenFile: join(dir, 'unused.token'),
    });
    const call = async (path: string, init?: RequestInit): Promise<unknown> => {
      const r = await fetch(new URL(path, service.url), init);
      expect([200, 503], `${path}: ${r.status}`).toContain(r.status);
      return r.json();
    };
    const stopsOf = async (ticket: string) => stopPathSchema.parse(await call(`/api/positions/${ticket}/stops`));
    try {
      // A stop path with moves and a closed trade come as the market plays; DTMS defends every position.
      let moved = '';
      const ready = async () => {
        if (service.loop.played < 300 || store.closedTradePage({ limit: 1 }).length === 0) return false;
        const list = positionSchema.array().parse(await call('/api/positions'));
        for (const p of list)
          if (p.dtms !== null && p.exits.pending === null && (await stopsOf(p.ticket)).stops.length >= 2)
            moved = p.ticket;
        return moved !== '';
      };
      for (let i = 0; i < 600 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 25));
      expect(moved).not.toBe('');
      await service.loop.pause();
      // The closed trade's record is written just after its lifetime ends.
      expect(await waitUntil(() => store.endedWithoutClosedTrade(10).length === 0)).toBe(true);

      // One position out of DTMS's hands: its disabledAt is a known time.
      const off = await call(`/api/positions/${moved}/dtms/disable`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'ISO times check' }),
      });
      expectIsoTimes('POST .../dtms/disable', off, ['position.dtms.disabledAt', 'position.dtms.since']);

      const list = await call('/api/positions');
      expectIsoTimes('/api/positions', list, ['[].dtms.since', '[].dtms.disabledAt']);
      expectIsoTimes(`/api/positions/${moved}`, await call(`/api/positions/${moved}`), [
        'dtms.since',
        'dtms.disabledAt',
      ]);
      const path = await call(`/api/positions/${moved}/stops`);
      expectIsoTimes(`/api/positions/${moved}/stops`, path, ['openTime', 'stops[].time']);
      expect(stopPathSchema.parse(path).stops.length).toBeGreaterThanOrEqual(2);
      expectIsoTimes(`/api/positions/${moved}/decisions`, await call(`/api/positions/${moved}/decisions`), ['[].time']);
      expectIsoTimes(`/api/dtms/trade/${moved}`, await call(`/api/dtms/trade/${moved}`), [
        'trade_info.state_entry_time',
      ]);
      expectIsoTimes('/api/dtms/actions', await call('/api/dtms/actions'), ['[].time']);
      expectIsoTimes('/api/dtms/status', await call('/api/dtms/status'), []);
      expectIsoTimes('/api/dtms/engine', await call('/api/dtms/engine'), []);
      expectIsoTimes('/api/decisions/recent', await call('/api/decisions/recent'), ['[].time']);
      const closed = (await call('/api/trades/closed')) as { ticket: string }[];
      expectIsoTimes('/api/trades/closed', closed, ['[].openTime', '[].closeTime', '[].recordedAt', '[].deals[].time']);
      expectIsoTimes(`/api/trades/closed/${closed[0]!.ticket}`, await call(`/api/trades/closed/${closed[0]!.ticket}`), [
        '[].trade.openTime',
        '[].trade.closeTime',
        '[].stops[].time',
      ]);
      expectIsoTimes('/api/health', await call('/api/health'), ['at', 'feeds[].lastBarAt', 'engine.lastStepAt']);
      expectIsoTimes('/api/account', await call('/api/account'), ['at', 'readAt']);
      expectIsoTimes('/api/shadow', await call('/api/shadow'), []);

      // The one documented exception: the chart's bars keep epoch ms (the chart library takes them so).
      const p = positionSchema.parse(await call(`/api/positions/${moved}`));
      const bars = (await call(`/api/market/${p.symbol}/bars?limit=5`)) as { time: unknown }[];
      expect(bars.length).toBe(5);
      for (const b of bars)
        expect(Number.isInteger(b.time) && (b.time as number) > Date.parse('2000-01-01T00:00:00Z')).toBe(true);
    } finally {
      await service.stop();
      store.close();
    }
  });

  it("shadow: the report (open times, would-be and actual exits) and the positions' shadow block", async () => {
    const config = configSchema.parse({ broker: { mode: 'shadow' }, service: { port: 0, market: { speed: 500 } } });
    const store = openSqliteStore(join(dir, 'iso-shadow.db'), { now: PINNED_NOW });
    const service = await startService({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: TOKEN,
      tokenFile: join(dir, 'unused.token'),
    });
    try {
      // Would-be positions that ended both ways (the would-be copy and the venue's position).
      const ended = () =>
        service.session.shadow!.scores().some((s) => !s.virtual && s.shadowExit !== null && s.actualExit !== null);
      expect(await waitUntil(ended, 800)).toBe(true);
      await service.loop.pause();
      const report = await (await fetch(new URL('/api/shadow', service.url))).json();
      expect(shadowReportSchema.parse(report).mode).toBe('shadow');
      expectIsoTimes('/api/shadow', report, [
        'positions[].openTime',
        'positions[].shadowExit.time',
        'positions[].actualExit.time',
      ]);
      const list = await (await fetch(new URL('/api/positions', service.url))).json();
      expect(
        positionSchema
          .array()
          .parse(list)
          .every((p) => p.shadow !== null),
      ).toBe(true);
      expectIsoTimes('/api/positions', list, ['[].dtms.since']);
      // A would-be copy that ended leaves the engine's view at once (its position is no longer managed),
      // so a listed position's wouldBeExit is null: the block the positions show is read directly for one.
      const gone = service.session.shadow!.scores().find((s) => !s.virtual && s.shadowExit !== null)!;
      const block = JSON.parse(JSON.stringify(shadowViewOf(service.session, gone.ticket, gone.symbol))) as unknown;
      expectIsoTimes('the shadow block of a position', block, ['wouldBeExit.time']);
    } finally {
      await service.stop();
      store.close();
    }
  });
});
