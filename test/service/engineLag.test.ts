// The played market's loop reports how far the engine is behind its schedule (speed bars a second):
// a slow engine falls behind, health says so past `execution.maxLagSec`, and a pause is not lag.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { EngineLoop } from '../../src/service/engineLoop.ts';
import { PaperMarket } from '../../src/service/paperMarket.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { BAR_MS, liveConfig, PINNED_NOW, SYMBOL } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-lag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('EngineLoop lag', () => {
  it('a step that takes longer than the schedule allows puts the engine behind; health degrades past the limit; a pause is not lag', async () => {
    const config = liveConfig({ execution: { maxLagSec: 2 } });
    const instrument = instrumentFromConfig(config, SYMBOL, true);
    const market = new PaperMarket({
      symbols: [{ symbol: SYMBOL, canonical: instrument.canonical }],
      seed: 3,
      start: PINNED_NOW,
      warmupMinutes: 300,
    });
    const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
    const store = openSqliteStore(join(dir, 'lag.db'), { now: PINNED_NOW });
    let marketTime = PINNED_NOW + 300 * BAR_MS;
    const session = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments: [instrument],
      broker: account,
      store,
      clock: () => marketTime,
    });
    await session.start(market.warmup());
    // The wall clock the loop is paced by: every step "takes" 500 ms, at a speed of 10 bars a second.
    let wall = PINNED_NOW;
    const seen: { lagMs: number; barsBehind: number; degraded: boolean }[] = [];
    let loop: EngineLoop;
    let stop = 0;
    loop = new EngineLoop({
      market,
      account,
      session,
      instruments: [instrument],
      speed: 10,
      demoPositions: 0,
      now: () => wall,
      sleep: async () => {},
      beforeStep: (_s, close) => {
        marketTime = close;
        wall += 500;
      },
      onStep: () => {
        seen.push({ ...loop.lag(), degraded: session.health().reasons.some((r) => /behind the market/.test(r)) });
        if (++stop === 10) void loop.pause();
      },
    });
    session.setLagSource(() => loop.lag());
    const running = loop.run();
    while (seen.length < 10) await new Promise((r) => setImmediate(r));
    // After n steps of 500 ms, 5n bars were due and n played: 4n behind, 400 ms of schedule each.
    expect(seen[0]).toEqual({ lagMs: 400, barsBehind: 4, degraded: false });
    expect(seen[9]).toEqual({ lagMs: 4000, barsBehind: 40, degraded: true });
    // Paused, then resumed an hour later: the schedule starts again (the pause is not lag).
    wall += 3_600_000;
    expect(loop.lag()).toEqual({ lagMs: 0, barsBehind: 0 });
    loop.resume();
    expect(loop.lag()).toEqual({ lagMs: 0, barsBehind: 0 });
    expect(session.health().reasons.join('\n')).not.toMatch(/behind the market/);
    await loop.stop();
    await running;
    await session.close();
    store.close();
  });
});
