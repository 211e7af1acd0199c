// The API's bounded reads through the real HTTP server, on a store that already holds a long journal
// (30,000 decisions written before the service starts) while the market plays: decision pages by
// cursor (`before=<seq>`, a Link header to the older page), the positions list by ticket (`after`), the
// page caps refused with a 400 naming them, /api/dtms/actions holding only DTMS records however far
// back they are, and no request reading more of the journal than a page (every store read the server
// makes is counted: none reads the whole journal, none more than its page; a page or a statistic asked
// again reads nothing). The views follow every step and change: an answer is never older than the
// state it shows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { roundStop } from '../../src/domain/rounding.ts';
import type { ExitRule } from '../../src/domain/types.ts';
import { newDecisionRecord, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { createLogger } from '../../src/log.ts';
import {
  decisionSchema,
  DECISIONS_PAGE_MAX,
  positionSchema,
  POSITIONS_PAGE_DEFAULT,
  POSITIONS_PAGE_MAX,
} from '../../src/service/apiSchemas.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { positionViewOfTicket } from '../../src/service/views.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-paging-'));
let service: RunningService;
let real: WardenStore;
let store: WardenStore;
const TOKEN = 'paging-test-token-0123456789abcdef';

/** Tickets of closed positions the stored journal speaks of: a closed one with two lifetimes, and one from before lifetimes. */
const OLD_TICKET = '900001';
const BARE_TICKET = '900002';
const STORED = 30_000;
/** The stored DTMS records: 40, all among the first 2,000 records (28,000 others after them). */
const storedDtms = (i: number) => i < 2000 && i % 50 === 7;

/** The store's methods that read the whole journal (or a position's whole history, or decode a window of intents): a read endpoint must never call them. */
const WHOLE_READS = new Set(['recentDecisions', 'decisionsOf', 'decisionsFor', 'decisionCount', 'intentsSince']);
/** What the server asked of the store while counting: method and rows answered. */
let counting = false;
const reads: { method: string; rows: number; limit: number | null }[] = [];

/** The store as the service sees it: the real one, its reads counted while `counting`. */
function counted(s: WardenStore): WardenStore {
  return new Proxy(s, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const out: unknown = Reflect.apply(value, target, args);
        if (counting) {
          const range = prop === 'decisionPage' ? (args[1] as { limit: number }) : null;
          reads.push({ method: prop, rows: Array.isArray(out) ? out.length : 1, limit: range?.limit ?? null });
        }
        return out;
      };
    },
  });
}

function stored(i: number): DecisionRecord {
  const rule: ExitRule = storedDtms(i) ? 'dtms' : (['trail', 'breakeven', 'classify', 'partial'] as const)[i % 4]!;
  const positionId =
    i % 3 === 0 ? `${OLD_TICKET}#${i < 15_000 ? 1 : 2}` : i % 3 === 1 ? BARE_TICKET : `${800_000 + (i % 97)}#1`;
  return {
    ...newDecisionRecord(),
    time: PINNED_NOW - 30 * 86_400_000 + i * 60_000,
    positionId,
    symbol: 'XAUUSDc',
    rule,
    outcome: 'wait',
    reason: rule === 'dtms' ? 'dtms_hold' : 'trigger_not_reached',
    changed: true,
    note: `stored ${i}`,
  };
}

beforeAll(async () => {
  real = openSqliteStore(join(dir, 'paging.db'), { now: PINNED_NOW });
  real.transaction(() => {
    for (let i = 0; i < STORED; i++) real.appendDecision(stored(i));
    const base = {
      ticket: OLD_TICKET,
      symbol: 'XAUUSDc',
      side: 'buy' as const,
      openTime: PINNED_NOW - 40 * 86_400_000,
      entryPrice: 2400,
      startedAt: PINNED_NOW - 40 * 86_400_000,
      endReason: 'gone from the venue (closed)',
    };
    real.saveLifetime({ ...base, key: `${OLD_TICKET}#1`, n: 1, endedAt: PINNED_NOW - 35 * 86_400_000 });
    real.saveLifetime({ ...base, key: `${OLD_TICKET}#2`, n: 2, endedAt: PINNED_NOW - 20 * 86_400_000 });
  });
  store = counted(real);
  const config = configSchema.parse({
    service: { port: 0, rateLimitPerMinute: 100_000, market: { speed: 400, warmupMinutes: 1500, demoPositions: 2 } },
  });
  service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
  // A book worth paging: 30 more positions opened by hand, far from their stops.
  await service.loop.pause();
  for (let k = 0; k < 30; k++) {
    const symbol = ['XAUUSDc', 'EURUSD', 'BTCUSDc'][k % 3]!;
    const broker = service.paper!.broker(symbol);
    const inst = service.session.engine.instrument(symbol)!;
    const q = broker.quote();
    const buy = k % 2 === 0;
    const entry = buy ? q.ask : q.bid;
    const sl = roundStop(buy ? 'buy' : 'sell', buy ? entry * 0.95 : entry * 1.05, inst.tickSize);
    expect(
      broker.open({
        requestId: `hand:${k}`,
        side: buy ? 'buy' : 'sell',
        volume: inst.minLot * 10,
        sl,
        tp: null,
        comment: '',
        exempt: true,
      }).outcome,
    ).toBe('applied');
  }
  await service.session.refreshFromBroker();
  service.loop.resume();
  expect(await waitUntil(() => service.loop.played >= 300, 2400)).toBe(true);
}, 120_000);

afterAll(async () => {
  await service?.stop();
  real?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(new URL(path, service.url));
type Decision = ReturnType<typeof decisionSchema.parse>;
const decisions = async (r: Response): Promise<Decision[]> =>
  ((await r.json()) as unknown[]).map((d) => decisionSchema.parse(d));
/** The path of a Link rel="next" header, or null. */
const nextOf = (r: Response): string | null => /^<([^>]+)>; rel="next"$/.exec(r.headers.get('link') ?? '')?.[1] ?? null;

/** Every page from `first`, following the Link headers, newest page first. */
async function walk(first: string): Promise<{ pages: Decision[][]; paths: string[] }> {
  const pages: Decision[][] = [];
  const paths: string[] = [];
  for (let path: string | null = first; path !== null; ) {
    paths.push(path);
    const r = await get(path);
    expect(r.status).toBe(200);
    pages.push(await decisions(r));
    path = nextOf(r);
  }
  return { pages, paths };
}

/** The market holds still while `fn` runs: the journal's head and the book stay as they are. */
async function paused<T>(fn: () => Promise<T>): Promise<T> {
  await service.loop.pause();
  try {
    return await fn();
  } finally {
    service.loop.resume();
  }
}

/** What a decision shows of a stored record, to compare with the store's own whole-record reads. */
const shown = (d: Decision) => [d.lifetime, d.time, d.rule, d.reason, d.note];
/** A view as JSON carries it (-0 reads back as 0). */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const shownOf = (r: DecisionRecord) => [r.positionId, new Date(r.time).toISOString(), r.rule, r.reason, r.note];

describe('decision pages by cursor', () => {
  it('/api/decisions/recent: the latest page, then older ones through the Link header (before=<seq>), disjoint and in journal order', async () => {
    await paused(async () => {
      const first = await get('/api/decisions/recent');
      const latest = await decisions(first);
      expect(latest).toHaveLength(100);
      expect(latest.map(shown)).toEqual(real.recentDecisions(100).map(shownOf));
      expect(latest.at(-1)!.seq).toBe(real.lastDecisionSeq());
      expect(nextOf(first)).toBe(`/api/decisions/recent?before=${latest[0]!.seq}&limit=100`);
      const { pages } = await walk('/api/decisions/recent?limit=500&before=1200');
      const all = [...pages].reverse().flat();
      expect(all.map((d) => d.seq)).toEqual(Array.from({ length: 1199 }, (_, i) => i + 1));
      expect(all.map(shown)).toEqual([...Array(1199).keys()].map(stored).map(shownOf));
      expect(pages.every((p) => p.length <= 500)).toBe(true);
    });
  });

  it("/api/positions/{ticket}/decisions pages a ticket's history across its lifetimes, the bare ticket's rows too; a closed ticket still answers, an unknown one is 404", async () => {
    const { pages } = await walk(`/api/positions/${OLD_TICKET}/decisions?limit=400`);
    const history = [...pages].reverse().flat();
    const expected = [...Array(STORED).keys()].filter((i) => i % 3 === 0).map(stored);
    expect(history.map(shown)).toEqual(expected.map(shownOf));
    expect(new Set(history.map((d) => d.lifetime))).toEqual(new Set([`${OLD_TICKET}#1`, `${OLD_TICKET}#2`]));
    expect(history.every((d) => d.positionId === OLD_TICKET)).toBe(true);
    expect(pages.slice(0, -1).every((p) => p.length === 400)).toBe(true);
    const bare = await decisions(await get(`/api/positions/${BARE_TICKET}/decisions?limit=3`));
    expect(bare.map(shown)).toEqual([STORED - 8, STORED - 5, STORED - 2].map(stored).map(shownOf));
    // Before its first record: an empty page of a ticket that has a history.
    const older = await get(`/api/positions/${OLD_TICKET}/decisions?before=1`);
    expect(older.status).toBe(200);
    expect(await older.json()).toEqual([]);
    expect(nextOf(older)).toBeNull();
    const unknown = await get('/api/positions/424242/decisions?before=5');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no position 424242 under management' });
  });

  it('/api/dtms/actions holds only DTMS records, in journal order, down to the oldest (40 stored before 28,000 others, and the live ones)', async () => {
    await paused(async () => {
      const { pages } = await walk('/api/dtms/actions?limit=25');
      const actions = [...pages].reverse().flat();
      expect(actions.every((d) => d.rule === 'dtms')).toBe(true);
      for (let i = 1; i < actions.length; i++) expect(actions[i]!.seq).toBeGreaterThan(actions[i - 1]!.seq);
      const everyDtms = real.recentDecisions(real.decisionCount()).filter((r) => r.rule === 'dtms');
      expect(actions.map(shown)).toEqual(everyDtms.map(shownOf));
      expect(actions.filter((d) => d.note.startsWith('stored ')).map((d) => d.note)).toEqual(
        [...Array(STORED).keys()].filter(storedDtms).map((i) => `stored ${i}`),
      );
      expect(actions.length).toBeGreaterThan(40);
    });
  });

  it('the latest page follows the journal as the market plays: appended records come in, the oldest fall off', async () => {
    const latest = async () =>
      paused(
        async () => [await decisions(await get('/api/decisions/recent?limit=50')), real.recentDecisions(50)] as const,
      );
    const [a, truthA] = await latest();
    expect(a.map(shown)).toEqual(truthA.map(shownOf));
    const head = real.lastDecisionSeq();
    expect(await waitUntil(() => real.lastDecisionSeq() > head + 10, 2400)).toBe(true);
    const [b, truthB] = await latest();
    expect(b.map(shown)).toEqual(truthB.map(shownOf));
    expect(b.at(-1)!.seq).toBeGreaterThan(a.at(-1)!.seq);
  });
});

describe('page caps', () => {
  it(`a page above the cap is refused with a 400 naming it (decisions ${DECISIONS_PAGE_MAX}, positions ${POSITIONS_PAGE_MAX}); the cap itself is served`, async () => {
    for (const path of ['/api/decisions/recent', `/api/positions/${OLD_TICKET}/decisions`, '/api/dtms/actions']) {
      const r = await get(`${path}?limit=${DECISIONS_PAGE_MAX + 1}`);
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({
        error: 'bad_request',
        message: `querystring.limit: at most ${DECISIONS_PAGE_MAX} a page; ask for the next page with before=<seq of the oldest record received>`,
      });
    }
    expect(await decisions(await get(`/api/decisions/recent?limit=${DECISIONS_PAGE_MAX}`))).toHaveLength(
      DECISIONS_PAGE_MAX,
    );
    const positions = await get(`/api/positions?limit=${POSITIONS_PAGE_MAX + 1}`);
    expect(positions.status).toBe(400);
    expect(await positions.json()).toEqual({
      error: 'bad_request',
      message: `querystring.limit: at most ${POSITIONS_PAGE_MAX} a page; ask for the next page with after=<last ticket received>`,
    });
    for (const bad of ['before=0', 'before=abc', 'limit=0'])
      expect((await get(`/api/decisions/recent?${bad}`)).status).toBe(400);
  });
});

describe('the positions list by ticket', () => {
  it(`pages in ticket order through after=<ticket> (Link header), each position once; without a limit, up to ${POSITIONS_PAGE_DEFAULT}`, async () => {
    await paused(async () => {
      const whole = ((await (await get('/api/positions')).json()) as unknown[]).map((p) => positionSchema.parse(p));
      const managed = service.session.engine.positionIds().length;
      expect(managed).toBeGreaterThanOrEqual(30);
      expect(managed).toBeLessThanOrEqual(POSITIONS_PAGE_DEFAULT);
      expect(whole).toHaveLength(managed);
      const tickets = whole.map((p) => p.ticket);
      expect(tickets).toEqual([...tickets].sort((a, b) => Number(a) - Number(b)));
      const paged: string[] = [];
      let pages = 0;
      for (let path: string | null = '/api/positions?limit=7'; path !== null; pages++) {
        const r = await get(path);
        const page = ((await r.json()) as unknown[]).map((p) => positionSchema.parse(p));
        expect(page.length).toBeLessThanOrEqual(7);
        paged.push(...page.map((p) => p.ticket));
        path = nextOf(r);
        if (path !== null) expect(path).toBe(`/api/positions?after=${page.at(-1)!.ticket}&limit=7`);
      }
      expect(paged).toEqual(tickets);
      expect(pages).toBe(Math.ceil(managed / 7) + (managed % 7 === 0 ? 1 : 0));
      // A cursor whose position has closed still works: the tickets after it.
      const gone = String(Number(tickets[3]) + 0.5).replace('.5', '0');
      const after = ((await (await get(`/api/positions?after=${tickets[3]}`)).json()) as { ticket: string }[]).map(
        (p) => p.ticket,
      );
      expect(after).toEqual(tickets.slice(4));
      expect(((await (await get(`/api/positions?after=${gone}`)).json()) as unknown[]).length).toBe(
        tickets.filter((t) => Number(t) > Number(gone)).length,
      );
    });
  });

  it('an answer is never older than the state it shows: after a step, and after a change through the API', async () => {
    const ticket = await paused(async () => {
      const t = ((await (await get('/api/positions?limit=1')).json()) as { ticket: string }[])[0]!.ticket;
      expect(positionSchema.parse(await (await get(`/api/positions/${t}`)).json())).toEqual(
        asJson(positionViewOfTicket(service.session, t)),
      );
      return t;
    });
    const played = service.loop.played;
    expect(await waitUntil(() => service.loop.played >= played + 30, 2400)).toBe(true);
    await paused(async () => {
      const now = asJson(positionViewOfTicket(service.session, ticket));
      expect(positionSchema.parse(await (await get(`/api/positions/${ticket}`)).json())).toEqual(now);
      const listed = ((await (await get('/api/positions?limit=1')).json()) as unknown[]).map((p) =>
        positionSchema.parse(p),
      );
      expect(listed).toEqual([now]);
      const auth = { authorization: `Bearer ${TOKEN}` };
      expect(
        (await fetch(new URL(`/api/positions/${ticket}/exits/disable`, service.url), { method: 'POST', headers: auth }))
          .status,
      ).toBe(200);
      expect(positionSchema.parse(await (await get(`/api/positions/${ticket}`)).json()).exits.enabled).toBe(false);
      expect(
        positionSchema.parse(((await (await get('/api/positions?limit=1')).json()) as unknown[])[0]).exits.enabled,
      ).toBe(false);
      expect(
        (await fetch(new URL(`/api/positions/${ticket}/exits/enable`, service.url), { method: 'POST', headers: auth }))
          .status,
      ).toBe(200);
      expect(positionSchema.parse(await (await get(`/api/positions/${ticket}`)).json()).exits.enabled).toBe(true);
    });
  });
});

describe('a long journal is never read whole', () => {
  it('every read endpoint reads at most its page of the journal; the same page asked again reads none of it', async () => {
    await paused(async () => {
      const ticket = ((await (await get('/api/positions?limit=1')).json()) as { ticket: string }[])[0]!.ticket;
      const paths = [
        '/api/decisions/recent?limit=500',
        '/api/decisions/recent?limit=200&before=20000',
        '/api/dtms/actions?limit=500',
        '/api/dtms/actions?limit=10&before=1500',
        `/api/positions/${OLD_TICKET}/decisions?limit=500`,
        `/api/positions/${OLD_TICKET}/decisions?limit=50&before=9000`,
        `/api/positions/${ticket}/decisions?limit=100`,
        '/api/positions',
        `/api/positions/${ticket}`,
        `/api/dtms/trade/${ticket}`,
        `/api/positions/${ticket}/stops`,
        '/api/dtms/status',
        '/api/statistics?days=365',
        '/api/market/XAUUSDc/bars?limit=600',
        '/api/health',
        '/metrics',
      ];
      for (const round of ['first', 'again'] as const) {
        for (const path of paths) {
          reads.length = 0;
          counting = true;
          const r = await get(path);
          counting = false;
          expect(r.status, path).toBe(200);
          await r.arrayBuffer();
          expect(
            reads.filter((x) => WHOLE_READS.has(x.method)),
            path,
          ).toEqual([]);
          const pages = reads.filter((x) => x.method === 'decisionPage');
          for (const p of pages) expect(p.rows, path).toBeLessThanOrEqual(p.limit!);
          // A ticket's page reads each of its lifetimes' ranges once: at most 3 pages here.
          expect(
            pages.reduce((n, p) => n + p.rows, 0),
            path,
          ).toBeLessThanOrEqual(3 * DECISIONS_PAGE_MAX);
          if (round === 'again')
            expect(
              reads.filter(
                (x) => x.method === 'decisionPage' || x.method === 'intentCounts' || x.method === 'lastDecisionSeq',
              ),
              `${path} asked again`,
            ).toEqual([]);
        }
      }
      const metrics = await (await get('/metrics')).text();
      expect(metrics).toContain(`\nwarden_decisions_total ${real.decisionCount()}\n`);
    });
  });
});
