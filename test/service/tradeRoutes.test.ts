// Closed trades through the real HTTP server, with the service playing its paper market into a real
// store (the clock pinned): positions the market closes are recorded and listed newest close first,
// paged by the last lifetime with a Link header, filtered by symbol and close time (ISO 8601); a ticket's
// closed lifetimes come with their stop path and decisions, paged too; /api/positions/{ticket} for a
// closed ticket is still 404 in the one error shape, naming where its closed trade is; malformed
// queries are 400 with a message; an open position reports what Warden realized on it so far.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { realizedSoFar, wardenBook } from '../../src/execution/realized.ts';
import { closedLifetimeSchema, closedTradeSchema, positionSchema } from '../../src/service/apiSchemas.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { ClosedTrade, WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-trades-'));
let service: RunningService;
let store: WardenStore;
/** A ticket with three closed lifetimes (a venue that reused it), stored before the service starts. */
const REUSED = '777777';

function stored(n: number): ClosedTrade {
  const closeTime = PINNED_NOW - (10 - n) * 86_400_000;
  return {
    key: `${REUSED}#${n}`,
    ticket: REUSED,
    symbol: 'EURUSD',
    side: 'sell',
    openTime: closeTime - 3_600_000,
    closeTime,
    entryPrice: 1.1,
    volume: { opened: 1, closed: 1, closedByWarden: 0 },
    exitPrice: 1.095,
    exitReason: 'tp',
    realizedProfit: 500,
    partialsProfit: 0,
    hedgesProfit: 0,
    fees: -7,
    initialSl: 1.105,
    riskMoney: 500,
    r: 1,
    deals: [
      { time: closeTime, volume: 1, price: 1.095, profit: 500, by: 'tp', intentId: '', partial: false, from: 'venue' },
    ],
    hedges: [],
    sources: {
      entry: 'venue',
      exit: 'venue',
      realized: 'venue',
      openTime: 'venue',
      closeTime: 'venue',
      initialSl: 'plan',
    },
    history: { venue: 'paper', status: 'answered', attempts: 1, error: '' },
    notes: [],
    recordedAt: closeTime,
  };
}

beforeAll(async () => {
  store = openSqliteStore(join(dir, 'trades.db'), { now: PINNED_NOW });
  store.transaction(() => {
    for (const n of [1, 2, 3]) {
      const t = stored(n);
      store.saveLifetime({
        key: t.key,
        ticket: REUSED,
        n,
        symbol: t.symbol,
        side: t.side,
        openTime: t.openTime,
        entryPrice: t.entryPrice,
        startedAt: t.openTime,
        endedAt: t.closeTime,
        endReason: 'gone from the venue (closed)',
      });
      store.saveClosedTrade(t);
    }
  });
  const config = configSchema.parse({
    service: { port: 0, rateLimitPerMinute: 100_000, market: { speed: 400, warmupMinutes: 1500, demoPositions: 3 } },
  });
  service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: 'trades-test-token-0123456789',
    tokenFile: join(dir, 'unused.token'),
  });
  // Let the market close a few positions (each recorded off the step), then hold it still.
  await waitUntil(() => store.closedTradePage({ limit: 100 }).filter((t) => t.ticket !== REUSED).length >= 6, 2400);
  await service.loop.pause();
  await waitUntil(() => store.endedWithoutClosedTrade(10).length === 0);
}, 90_000);

afterAll(async () => {
  await service?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(new URL(path, service.url));
const list = z.array(closedTradeSchema);
/** The next page's path from a Link header, or null. */
const next = (r: Response): string | null => /^<([^>]+)>; rel="next"$/.exec(r.headers.get('link') ?? '')?.[1] ?? null;

/** Every page of a list from `path`, following the Link headers: the lifetimes in order, and the pages' sizes. */
async function walk(
  path: string,
): Promise<{ keys: string[]; pages: number[]; trades: z.infer<typeof closedTradeSchema>[] }> {
  const out = { keys: [] as string[], pages: [] as number[], trades: [] as z.infer<typeof closedTradeSchema>[] };
  for (let p: string | null = path; p !== null; ) {
    const r = await get(p);
    expect(r.status, p).toBe(200);
    const page = list.parse(await r.json());
    out.pages.push(page.length);
    out.trades.push(...page);
    out.keys.push(...page.map((t) => t.lifetime));
    p = next(r);
  }
  return out;
}

describe('GET /api/trades/closed', () => {
  it('lists every closed trade newest close first, a page at a time through the Link header; each with ISO times, its page, and where its figures came from', async () => {
    const all = store.closedTradePage({ limit: 1000 });
    expect(all.length).toBeGreaterThanOrEqual(9);
    const { keys, pages, trades } = await walk('/api/trades/closed?limit=4');
    expect(keys).toEqual(all.map((t) => t.key));
    expect(pages.slice(0, -1).every((n) => n === 4)).toBe(true);
    const first = await get('/api/trades/closed?limit=4');
    expect(first.headers.get('link')).toBe(
      `</api/trades/closed?after=${encodeURIComponent(all[3]!.key)}&limit=4>; rel="next"`,
    );
    for (const t of trades) {
      expect(t.closeTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(t.closeTime)).toBe(store.closedTrade(t.lifetime)!.closeTime);
      expect(t.page).toBe(`/dtms/trade/${encodeURIComponent(t.ticket)}`);
    }
    // The market's trades were recorded from the paper account's history: its deals and a known exit.
    const played = trades.filter((t) => t.ticket !== REUSED);
    expect(played.length).toBeGreaterThanOrEqual(6);
    for (const t of played) {
      expect(t.history).toMatchObject({ venue: 'paper', status: expect.stringMatching(/^(answered|pending)$/) });
      expect(t.sources.exit).toBe('venue');
      expect(['sl', 'tp', 'warden_close', 'warden_partials', 'dtms_close']).toContain(t.exitReason);
      expect(t.realizedProfit === null || Number.isFinite(t.realizedProfit)).toBe(true);
    }
    // A default page without a cursor is the first of the list.
    expect(list.parse(await (await get('/api/trades/closed')).json()).map((t) => t.lifetime)).toEqual(
      all.slice(0, 100).map((t) => t.key),
    );
  });

  it('filters by symbol and by close time (from inclusive, to exclusive), the filters carried in the Link header', async () => {
    const all = store.closedTradePage({ limit: 1000 });
    const eur = await walk('/api/trades/closed?symbol=EURUSD&limit=2');
    expect(eur.keys).toEqual(all.filter((t) => t.symbol === 'EURUSD').map((t) => t.key));
    const firstEur = await get('/api/trades/closed?symbol=EURUSD&limit=2');
    if (eur.keys.length > 2) expect(next(firstEur)).toMatch(/[?&]symbol=EURUSD(&|$)/);
    // A window holding the middle of the played trades.
    const played = all.filter((t) => t.ticket !== REUSED);
    const from = played[played.length - 2]!.closeTime;
    const to = played[1]!.closeTime;
    const window = await walk(
      `/api/trades/closed?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=2`,
    );
    expect(window.keys).toEqual(all.filter((t) => t.closeTime >= from && t.closeTime < to).map((t) => t.key));
    expect(window.keys.length).toBeGreaterThan(0);
    // An offset is an instant like any other.
    const offset = new Date(from + 3_600_000).toISOString().replace('Z', '+01:00');
    expect((await walk(`/api/trades/closed?from=${encodeURIComponent(offset)}`)).keys).toEqual(
      all.filter((t) => t.closeTime >= from).map((t) => t.key),
    );
    expect((await walk(`/api/trades/closed?symbol=NOPE`)).keys).toEqual([]);
  });

  it('refuses a cursor that is no closed trade, a time that is not ISO 8601 and a page above the cap: 400 with the message', async () => {
    for (const [path, message] of [
      ['/api/trades/closed?after=123%231', /^querystring\.after: no closed trade 123#1/],
      ['/api/trades/closed?from=yesterday', /^querystring\.from: /],
      ['/api/trades/closed?to=2026-03-11', /^querystring\.to: /],
      ['/api/trades/closed?limit=501', /^querystring\.limit: at most 500 a page/],
    ] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      const body = (await r.json()) as { error: string; message: string };
      expect(Object.keys(body).sort()).toEqual(['error', 'message']);
      expect(body.error).toBe('bad_request');
      expect(body.message, path).toMatch(message);
    }
  });
});

describe('GET /api/trades/closed/{ticket}', () => {
  it("a played ticket's closed lifetime with its stop path and decisions (its end among them)", async () => {
    const t = store.closedTradePage({ limit: 100 }).find((x) => x.ticket !== REUSED && x.initialSl !== null)!;
    const r = await get(`/api/trades/closed/${t.ticket}`);
    expect(r.status).toBe(200);
    const [life, ...rest] = z.array(closedLifetimeSchema).parse(await r.json());
    expect(rest).toEqual([]);
    expect(life!.trade.lifetime).toBe(t.key);
    expect(life!.stops[0]).toEqual({ time: new Date(t.openTime).toISOString(), sl: t.initialSl, by: 'initial' });
    expect(life!.decisions.length).toBeGreaterThan(0);
    expect(life!.decisions.every((d) => d.lifetime === t.key)).toBe(true);
    expect(life!.decisions.at(-1)).toMatchObject({ rule: 'lifetime', reason: 'lifetime_ended' });
    // Fewer decisions than the page: older ones are named by their cursor.
    const one = z
      .array(closedLifetimeSchema)
      .parse(await (await get(`/api/trades/closed/${t.ticket}?decisions=1`)).json())[0]!;
    expect(one.decisions).toEqual([life!.decisions.at(-1)]);
    expect(one.olderDecisions).toBe(
      `/api/positions/${t.ticket}/decisions?before=${life!.decisions.at(-1)!.seq}&limit=1`,
    );
    expect(life!.olderDecisions === null || life!.decisions.length === 200).toBe(true);
  });

  it("a reused ticket's lifetimes oldest first, paged through the Link header; an unknown ticket 404, a bad cursor 400", async () => {
    const first = await get(`/api/trades/closed/${REUSED}?limit=2`);
    const page1 = z.array(closedLifetimeSchema).parse(await first.json());
    expect(page1.map((l) => l.trade.lifetime)).toEqual([`${REUSED}#1`, `${REUSED}#2`]);
    expect(first.headers.get('link')).toBe(
      `</api/trades/closed/${REUSED}?after=${encodeURIComponent(`${REUSED}#2`)}&limit=2&decisions=200>; rel="next"`,
    );
    const second = await get(next(first)!);
    expect(
      z
        .array(closedLifetimeSchema)
        .parse(await second.json())
        .map((l) => l.trade.lifetime),
    ).toEqual([`${REUSED}#3`]);
    expect(second.headers.get('link')).toBeNull();
    expect(page1[0]!.trade).toMatchObject({
      exitReason: 'tp',
      r: 1,
      fees: -7,
      closeTime: new Date(stored(1).closeTime).toISOString(),
    });

    const unknown = await get('/api/trades/closed/424242');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no closed trade of ticket 424242' });
    const bad = await get(`/api/trades/closed/${REUSED}?after=1%231`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'bad_request',
      message: `querystring.after: 1#1 is not a closed lifetime of ticket ${REUSED}`,
    });
  });
});

describe('GET /api/positions/{ticket} of a closed ticket', () => {
  it('is 404 in the one error shape, plus where its closed trade is; an unknown ticket stays as it was', async () => {
    const t = store.closedTradePage({ limit: 100 }).find((x) => x.ticket !== REUSED)!;
    const r = await get(`/api/positions/${t.ticket}`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({
      error: 'not_found',
      message: `position ${t.ticket} is closed (no longer under management): its closed trade is at /api/trades/closed/${t.ticket}`,
      closed: `/api/trades/closed/${t.ticket}`,
    });
    const reused = await get(`/api/positions/${REUSED}`);
    expect(((await reused.json()) as { closed: string }).closed).toBe(`/api/trades/closed/${REUSED}`);
    const missing = await get('/api/positions/424242');
    expect(await missing.json()).toEqual({ error: 'not_found', message: 'no position 424242 under management' });
  });

  it('an open position reports realizedProfit (partials and hedges so far) beside its floating profit; both operations are in the OpenAPI document', async () => {
    const positions = z.array(positionSchema).parse(await (await get('/api/positions')).json());
    expect(positions.length).toBeGreaterThan(0);
    for (const p of positions) {
      // Counted from the journal: the applied closes and hedges at the venue's fills (realized.ts).
      const inst = service.session.engine.instrument(p.symbol)!;
      const book = wardenBook(store.intentsFor(p.lifetime), store.fillsOf(p.lifetime), p.ticket);
      expect(p.realizedProfit).toBeCloseTo(realizedSoFar(book, p.side, p.entry, inst.contractSize).total, 2);
      // Nothing realized without a partial or a closed hedge.
      if (p.exits.closedVolume === 0 && book.hedges.every((h) => h.close === null)) expect(p.realizedProfit).toBe(0);
    }
    const doc = (await (await get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(doc.paths['/api/trades/closed']?.['get']?.operationId).toBe('listClosedTrades');
    expect(doc.paths['/api/trades/closed/{ticket}']?.['get']?.operationId).toBe('getClosedTrade');
  });
});
