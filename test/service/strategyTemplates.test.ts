// Strategy templates through the HTTP API, on the embedded paper account: POST /api/trades with
// strategy_type gives the position its template's plan (its exits fields in the answer, the classify
// record naming the template and "api"); an unknown name is a 400 listing the known ones; a position
// already managed changes to the template as a recorded manual change, or 409 when a step it would
// change is done; a `!strategy:NAME` comment is honoured on a live account too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { BREAKEVEN_DONE } from '../../src/exits/exitPlan.ts';
import { createLogger } from '../../src/log.ts';
import { decisionSchema, positionSchema } from '../../src/service/apiSchemas.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-strategy-'));
const TOKEN = 'strategy-templates-token-0123456789';
let service: RunningService;
let store: WardenStore;

beforeAll(async () => {
  const config = configSchema.parse({ service: { port: 0, market: { speed: 400, demoPositions: 0 } } });
  store = openSqliteStore(join(dir, 'strategy.db'), { now: PINNED_NOW });
  service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
  expect(await waitUntil(() => service.loop.played >= 100, 1200)).toBe(true);
  // The market holds still: no step adopts a position before the API registers it.
  await service.loop.pause();
}, 60_000);

afterAll(async () => {
  await service?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, init?: RequestInit) => fetch(new URL(path, service.url), init);
const json = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const register = (body: Record<string, unknown>) =>
  call('/api/trades', { method: 'POST', headers: json, body: JSON.stringify(body) });
const decisions = async (ticket: string) =>
  decisionSchema.array().parse(await (await call(`/api/positions/${ticket}/decisions?limit=500`)).json());

/** Opens a buy on the paper account's EURUSD, 50 pips stop and 100 pips target: its ticket. */
function open(comment = ''): string {
  const broker = service.paper!.broker('EURUSD');
  const q = broker.quote();
  const a = broker.open({
    requestId: `hand:${comment}:${Math.random()}`,
    side: 'buy',
    volume: 0.2,
    sl: Number((q.ask - 0.005).toFixed(5)),
    tp: Number((q.ask + 0.01).toFixed(5)),
    comment,
    exempt: true,
  });
  if (a.outcome !== 'applied') throw new Error(`open refused: ${a.outcome}`);
  return a.positionId;
}

describe('POST /api/trades with strategy_type', () => {
  it("manages the position with its template's plan, the classify record naming it and the API", async () => {
    const ticket = open();
    const r = await register({ ticket, strategy_type: 'BREAKOUT_IB_VOLATILITY_TRAP' });
    expect(r.status, await r.clone().text()).toBe(201);
    const v = positionSchema.parse(await r.json());
    expect(v.exits).toMatchObject({
      strategy: 'breakout_ib_volatility_trap',
      strategySource: 'api',
      partialClosePct: 50,
      trailingEnabled: true,
      trailingMultiplier: 1.5,
      trailingTimeframe: 'M5',
      bufferMultiplier: 0.2,
    });
    const plan = store.plan(v.lifetime)!;
    expect([plan.basePartialPct, plan.breakevenR, plan.trailTimeframe]).toEqual([75, 1, 'M5']);
    const ds = await decisions(ticket);
    expect(ds.find((d) => d.rule === 'classify')?.note).toMatch(
      /; strategy template breakout_ib_volatility_trap \(api\): sets breakeven at 1 R, partial at 75%, partial closing 50%, trail 1\.5 x ATR\(M5\)$/,
    );
    // Made with it: nothing was changed by hand.
    expect(ds.filter((d) => d.rule === 'manual')).toEqual([]);
  });

  it('an unknown name is refused (400) with the known names, before anything else', async () => {
    const ticket = open();
    const r = await register({ ticket, strategy_type: 'moonshot' });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      error: 'unknown_strategy',
      message:
        'unknown strategy type "moonshot": known are breakout_ib_volatility_trap, trend_continuation_pullback, liquidity_sweep_reversal, order_block_rejection, mean_reversion_range_scalp, ' +
        'breaker_block, market_structure_shift, fvg_retracement, mitigation_block, inducement_reversal, premium_discount_array, session_liquidity_run, kill_zone',
    });
    expect(service.session.managedKey(ticket)).toBeUndefined();
    expect((await register({ ticket, strategy_type: 5 })).status).toBe(400);
  });

  it('a position already managed changes to the template (a manual record), the fields beside it applied over it; 409 once a step it changes is done', async () => {
    const ticket = open();
    expect((await register({ ticket })).status).toBe(201);
    const r = await register({ ticket, strategy_type: 'mean_reversion_range_scalp', partialClosePct: 30 });
    expect(r.status, await r.clone().text()).toBe(200);
    const v = positionSchema.parse(await r.json());
    expect(v.exits).toMatchObject({
      strategy: 'mean_reversion_range_scalp',
      strategySource: 'api',
      trailingEnabled: false,
      partialClosePct: 30,
    });
    const manual = (await decisions(ticket)).filter((d) => d.rule === 'manual').map((d) => d.note);
    expect(manual).toEqual([
      'strategy template: none -> mean_reversion_range_scalp (api); breakeven trigger: 1 R -> 0.5 R, trailing: on -> off; source: api',
      'plan: partial size: 50% -> 30% of the volume; source: api',
    ]);

    const key = service.session.managedKey(ticket)!;
    await service.session.act(() => {
      service.session.engine.plan(key)!.breakevenState = BREAKEVEN_DONE;
    });
    const done = await register({ ticket, strategy_type: 'trend_continuation_pullback' });
    expect(done.status).toBe(409);
    expect(await done.json()).toEqual({
      error: 'conflict',
      message:
        'breakeven is already done for this position: strategy template trend_continuation_pullback would change its trigger or buffer',
    });
    expect(service.session.engine.plan(key)!.strategy).toBe('mean_reversion_range_scalp');
  });

  it('a !strategy:NAME comment is honoured without strategy_type; strategy_type wins over it', async () => {
    const commented = open('OB retest !strategy:order_block_rejection');
    const v = positionSchema.parse(await (await register({ ticket: commented })).json());
    expect(v.exits).toMatchObject({
      strategy: 'order_block_rejection',
      strategySource: 'comment',
      trailingTimeframe: 'M5',
    });
    const both = open('!strategy:order_block_rejection');
    const w = positionSchema.parse(await (await register({ ticket: both, strategy_type: 'kill_zone' })).json());
    expect(w.exits).toMatchObject({ strategy: 'kill_zone', strategySource: 'api', trailingTimeframe: 'M15' });
  });

  it('the OpenAPI document describes strategy_type', async () => {
    const doc = (await (await call('/openapi.json')).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { type?: string }> }> };
    };
    expect(doc.components.schemas.RegisterTrade?.properties.strategy_type?.type).toBe('string');
  });
});
