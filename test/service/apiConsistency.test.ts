// API details a client relies on: a ticket is a string everywhere and is taken as a JSON number too
// (MT5 tickets are numbers); scores are shown rounded; an unknown ticket on the seed's DTMS endpoint
// answers 404 in both conventions at once. Through the real HTTP server on the paper account.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { accountSchema, dtmsEngineSchema, dtmsTradeSchema, positionSchema } from '../../src/service/apiSchemas.ts';
import { startService } from '../../src/service/service.ts';
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
    const service = await startService({ config, store, log: createLogger({ level: 'silent' }), clock: () => PINNED_NOW, version: 'test', token: TOKEN, tokenFile: join(dir, 'unused.token') });
    const call = (path: string, init?: RequestInit) => fetch(new URL(path, service.url), init);
    const json = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    try {
      expect(await waitUntil(() => service.loop.played >= 300 && service.session.engine.openPositions > 0, 1200)).toBe(true);
      await service.loop.pause();
      const list = positionSchema.array().parse(await (await call('/api/positions')).json());
      const p = list.find((x) => /^\d+$/.test(x.ticket))!;
      expect(p).toBeDefined();

      // The seed's DTMS JSON: the ticket a string, as everywhere else.
      const trade = dtmsTradeSchema.parse(await (await call(`/api/dtms/trade/${p.ticket}`)).json());
      expect(trade.trade_info.ticket).toBe(p.ticket);
      for (const v of list) if (v.dtms?.score != null) expect(String(v.dtms.score)).toMatch(/^-?\d+(\.\d{1,2})?$/);

      // An MT5 ticket sent as a JSON number is the same ticket; a fraction is no ticket.
      const asNumber = await call('/api/trades', { method: 'POST', headers: json, body: JSON.stringify({ ticket: Number(p.ticket) }) });
      expect(asNumber.status).toBe(200);
      expect(positionSchema.parse(await asNumber.json()).ticket).toBe(p.ticket);
      const fraction = await call('/api/trades', { method: 'POST', headers: json, body: JSON.stringify({ ticket: 1.5 }) });
      expect(fraction.status).toBe(400);
      expect(await fraction.json()).toMatchObject({ error: 'bad_request' });

      // Unknown on the seed's endpoint: {error, message} and {success, summary, trade_info} in one body.
      const unknown = await call('/api/dtms/trade/999999999');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no position 999999999 under management', success: false, summary: 'Trade 999999999 not found', trade_info: null });

      // The account strip's figures agree with the positions: the paper account's instruments are all
      // quoted in its currency (USD), so the open P/L is the sum of the positions' floating profits, and
      // the exposure is their volumes by symbol.
      const account = accountSchema.parse(await (await call('/api/account')).json());
      expect(account).toMatchObject({ mode: 'paper', venue: 'paper', currency: 'USD', stale: false, notes: [] });
      const sum = list.reduce((s, v) => s + v.profit!, 0);
      expect(Math.abs(account.openProfit! - sum)).toBeLessThanOrEqual(0.01 * list.length + 0.01);
      const bySymbol = new Map<string, number>();
      for (const v of list) bySymbol.set(v.symbol, (bySymbol.get(v.symbol) ?? 0) + (v.side === 'buy' ? v.volume : -v.volume));
      expect(account.exposure.map((e) => [e.symbol, e.netVolume])).toEqual([...bySymbol.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => [s, Math.round(n * 1e8) / 1e8]));
      expect(account.balance! + account.openProfit!).toBeCloseTo(account.equity!, 1);

      // DTMS's loss rails see the account's losses (refreshed after steps once a minute of market time).
      const engine = dtmsEngineSchema.parse(await (await call('/api/dtms/engine')).json());
      expect(engine.losses.dailyLossPct).toBeGreaterThanOrEqual(0);
      expect(engine.losses).toEqual({ ...service.session.engine.accountRisk, dailyLossPct: Math.round(service.session.engine.accountRisk.dailyLossPct * 100) / 100, hourlyLossPct: Math.round(service.session.engine.accountRisk.hourlyLossPct * 100) / 100 });

      // The OpenAPI document still builds, and says a ticket may be sent either way.
      const doc = (await (await call('/openapi.json')).json()) as { components: { schemas: Record<string, unknown> } };
      expect(JSON.stringify(doc.components.schemas.RegisterTrade)).toContain('an MT5 ticket may also be sent as a JSON number');
    } finally {
      await service.stop();
      store.close();
    }
  });
});
