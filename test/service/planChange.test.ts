// A plan change through the real HTTP server, on the embedded paper account with a temp store: the
// ranges are the config's (a value beyond them is a 400 naming the field and the range, on PATCH and on
// POST /api/trades alike), and a trigger the advanced rules adjust is answered with its base, the value
// the engine uses now and the rule that moved it, which is the plan the engine holds and what the rules
// give on the market as it is.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { triggerParamsFor } from '../../src/exits/exitPlan.ts';
import { resolveSymbolParams } from '../../src/exits/symbolParams.ts';
import { adjustmentWords, triggerSteps } from '../../src/exits/triggerSteps.ts';
import { createLogger } from '../../src/log.ts';
import { PAGE_HEADER } from '../../src/service/access.ts';
import { triggerRange } from '../../src/service/actionNotes.ts';
import { planChangeSchema, positionSchema } from '../../src/service/apiSchemas.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-plan-change-'));
const TOKEN = 'plan-change-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
let service: RunningService;
let store: WardenStore;

beforeAll(async () => {
  // Half an hour of history: ATR(M15) has no value yet (it needs 15 closed M15 bars), and with
  // `noDataPasses: false` the RMAG rule fires for want of its data (as on a real account), so every
  // plan's breakeven is moved from its base, whatever the generated market does.
  const config = configSchema.parse({
    exits: { noDataPasses: false },
    service: { port: 0, market: { speed: 50, warmupMinutes: 30, demoPositions: 2 } },
  });
  store = openSqliteStore(join(dir, 'plan.db'), { now: PINNED_NOW });
  service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
  expect(await waitUntil(() => service.loop.played >= 20 && service.session.engine.openPositions > 0, 1200)).toBe(true);
  await service.loop.pause();
}, 60_000);

afterAll(async () => {
  service?.loop.resume();
  await service?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, init?: RequestInit) => fetch(new URL(path, service.url), init);
const patch = (ticket: string, body: unknown) =>
  call(`/api/positions/${ticket}/plan`, { method: 'PATCH', headers: auth, body: JSON.stringify(body) });

async function openPosition() {
  const list = positionSchema.array().parse(await (await call('/api/positions')).json());
  const p = list.find((x) => !x.exits.breakevenDone && !x.exits.partialDone && x.exits.pending === null);
  expect(p, 'a position before breakeven').toBeDefined();
  return p!;
}

describe('PATCH /api/positions/{ticket}/plan', () => {
  it('{"breakevenPct": 50}: base 50, the trigger used now and the rule that moved it, as the engine holds it', async () => {
    const p = await openPosition();
    // The partial must stay beyond breakeven (a SCALP's base partial is 40).
    if (p.exits.basePartialPct <= 50) expect((await patch(p.ticket, { partialPct: 90 })).status).toBe(200);
    const r = await patch(p.ticket, { breakevenPct: 50 });
    expect(r.status, await r.clone().text()).toBe(200);
    const answer = planChangeSchema.parse(await r.json());
    const be = answer.applied.breakevenPct!;
    expect(be.base).toBe(50);
    // RMAG without its data is taken as the stretch it guards against: breakeven to exits.rmag.tightenBreakevenPct.
    expect(be.effective).toBe(20);
    expect(be.adjustedBy).toBe(
      'the advanced triggers: RMAG stretch (no data for it yet: taken as the risk it guards against), 50% -> 20%',
    );
    expect(answer.applied.partialPct).toBeUndefined();
    // The position answered is the plan as it is now: the base and the trigger the engine uses.
    expect([answer.exits.baseBreakevenPct, answer.exits.breakevenPct, answer.exits.breakevenR]).toEqual([50, 20, null]);
    const key = service.session.managedKey(p.ticket)!;
    const plan = service.session.engine.plan(key)!;
    expect([plan.baseBreakevenPct, plan.breakevenPct]).toEqual([50, 20]);
    expect([store.plan(key)!.baseBreakevenPct, store.plan(key)!.breakevenPct]).toEqual([50, 20]);
    // And it is what the advanced rules give from the new base on the market as it is now.
    const config = service.session.engine.config;
    const inst = service.session.engine.instrument(p.symbol)!;
    const rules = triggerParamsFor(config.exits, resolveSymbolParams(config.exits, inst.canonical));
    const f = service.session.engine.features(p.symbol);
    const steps = triggerSteps(p.side, f, 50, plan.basePartialPct, rules);
    expect(steps.breakevenPct).toBe(be.effective);
    expect(adjustmentWords(steps.breakeven, p.side, f, rules)).toBe(be.adjustedBy);
    // The change and the adjustment are both in the position's history.
    const history = (await (await call(`/api/positions/${p.ticket}/decisions?limit=500`)).json()) as {
      rule: string;
      note: string;
      reason: string;
    }[];
    expect(
      history.some(
        (d) => d.rule === 'manual' && /^plan: breakeven trigger: .* -> 50% of the way to TP; source: api$/.test(d.note),
      ),
    ).toBe(true);
  });

  it('each trigger named is answered with its own base, value and rule; a change naming none answers an empty applied', async () => {
    const p = await openPosition();
    const r = await patch(p.ticket, { breakevenPct: 15, partialPct: 35 });
    expect(r.status, await r.clone().text()).toBe(200);
    const { applied } = planChangeSchema.parse(await r.json());
    // 15 is below the RMAG rule's 20, which sets rather than caps: the rule moves it up, as the engine does.
    expect(applied.breakevenPct).toEqual({
      base: 15,
      effective: 20,
      adjustedBy:
        'the advanced triggers: RMAG stretch (no data for it yet: taken as the risk it guards against), 15% -> 20%',
    });
    // The partial's rules cap it at 40 or more here, and the RMAG rule sets it to 40.
    expect(applied.partialPct).toEqual({
      base: 35,
      effective: 40,
      adjustedBy:
        'the advanced triggers: RMAG stretch (no data for it yet: taken as the risk it guards against), 35% -> 40%',
    });
    const plan = service.session.engine.plan(service.session.managedKey(p.ticket)!)!;
    expect([plan.basePartialPct, plan.partialPct]).toEqual([35, 40]);
    const untouched = await patch(p.ticket, { partialClosePct: 40, trailingEnabled: true });
    expect(planChangeSchema.parse(await untouched.json()).applied).toEqual({});
  });

  it("the ranges are the config's: beyond them 400 naming the field and the range, on PATCH and on POST /api/trades", async () => {
    const p = await openPosition();
    const { min, max } = triggerRange();
    expect([min, max]).toEqual([0, 100]);
    for (const [body, field] of [
      [{ breakevenPct: 101 }, 'breakevenPct'],
      [{ partialPct: 300 }, 'partialPct'],
      [{ breakevenPct: -1 }, 'breakevenPct'],
      [{ partialClosePct: 100.5 }, 'partialClosePct'],
    ] as const) {
      const r = await patch(p.ticket, body);
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ error: 'bad_request', message: `body.${field}: must be between 0 and 100` });
    }
    const trade = await call('/api/trades', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ ticket: p.ticket, partialPct: 500 }),
    });
    expect(trade.status).toBe(400);
    expect(await trade.json()).toEqual({ error: 'bad_request', message: 'body.partialPct: must be between 0 and 100' });
    // The bounds themselves are taken.
    expect((await patch(p.ticket, { breakevenPct: 0, partialPct: 100 })).status).toBe(200);
  });

  it('POST /api/trades with exit parameters answers what became of them', async () => {
    const p = await openPosition();
    const r = await call('/api/trades', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ ticket: p.ticket, breakevenPct: 45, partialPct: 70 }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { applied?: { breakevenPct?: { base: number; effective: number } } };
    expect(body.applied?.breakevenPct).toMatchObject({ base: 45, effective: 20 });
    const plain = (await (
      await call('/api/trades', { method: 'POST', headers: auth, body: JSON.stringify({ ticket: p.ticket }) })
    ).json()) as Record<string, unknown>;
    expect('applied' in plain).toBe(false);
  });

  it('an approved proposal changes the plan as PATCH does: the triggers recomputed from the new base', async () => {
    const p = await openPosition();
    if (p.exits.basePartialPct <= 55) expect((await patch(p.ticket, { partialPct: 90 })).status).toBe(200);
    const proposed = await call('/api/proposals', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ ticket: p.ticket, patch: { breakevenPct: 55 }, rationale: 'give the trade room' }),
    });
    expect(proposed.status, await proposed.clone().text()).toBe(201);
    const { id } = (await proposed.json()) as { id: string };
    // proposals.approval is dashboard by default: approved from the page.
    const approved = await call(`/api/proposals/${id}/approve`, {
      method: 'POST',
      headers: { ...auth, [PAGE_HEADER]: '1' },
      body: '{}',
    });
    expect(approved.status, await approved.clone().text()).toBe(200);
    const plan = service.session.engine.plan(service.session.managedKey(p.ticket)!)!;
    expect([plan.baseBreakevenPct, plan.breakevenPct]).toEqual([55, 20]);
  });

  it("the trade page's plan form takes the same range", () => {
    const html = readFileSync(fileURLToPath(new URL('../../src/service/pages/trade.html', import.meta.url)), 'utf8');
    const { min, max } = triggerRange();
    for (const id of ['plan-be', 'plan-partial', 'plan-close']) {
      const input = new RegExp(`<input id="${id}" type="number" min="([^"]+)" max="([^"]+)"`).exec(html);
      expect(input?.slice(1).map(Number), id).toEqual([min, max]);
    }
  });
});
