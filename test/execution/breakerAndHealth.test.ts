// The per-symbol feature circuit breaker (5 failures -> open 300 s -> last good values -> half-open),
// in isolation and inside a live session; and health: healthy / degraded / idle from the session and
// from the store alone (`warden health`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar } from '../../src/domain/types.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { assessHealth, healthFromStore } from '../../src/execution/health.ts';
import { FeatureBreakers } from '../../src/features/featureBreaker.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { BAR_MS, liveConfig, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-health-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const storeFile = (): string => join(root, `h${++n}.db`);

describe('FeatureBreakers', () => {
  it('opens at the 5th failure in a row, holds for 300 s, then lets one bar try (half-open)', () => {
    const b = new FeatureBreakers({ maxFailures: 5, openMs: 300_000 });
    for (let i = 0; i < 4; i++) expect(b.failure('XAU', 1000 + i, 'bad bar')).toBe(false);
    expect(b.allows('XAU', 2000)).toBe(true);
    expect(b.success('XAU')).toBe(false); // a success in between starts the count again
    for (let i = 0; i < 4; i++) b.failure('XAU', 3000, 'bad bar');
    expect(b.failure('XAU', 10_000, 'feed down')).toBe(true);
    expect(b.allows('XAU', 10_000 + 299_999)).toBe(false);
    expect(b.allows('EUR', 10_000)).toBe(true); // per symbol
    expect(b.open(20_000)).toEqual([
      { symbol: 'XAU', failures: 5, openedAt: 10_000, reopensAt: 310_000, lastError: 'feed down' },
    ]);
    expect(b.allows('XAU', 310_000)).toBe(true);
    expect(b.open(310_000)).toEqual([]);
    // Half-open: a failure opens it again at once.
    expect(b.failure('XAU', 310_000, 'still down')).toBe(true);
    expect(b.allows('XAU', 310_001)).toBe(false);
    expect(b.allows('XAU', 610_000)).toBe(true);
    expect(b.success('XAU')).toBe(true);
    expect(b.failures('XAU')).toBe(0);
  });
});

describe('a live session with failing market data', () => {
  it('holds the features after 5 bad bars, still looks after positions at the quote, reports degraded, and recovers after 300 s', async () => {
    const config = liveConfig();
    const instrument = instrumentFromConfig(config, SYMBOL, true);
    const bars = sampleBars(21, 1600);
    const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
    let now = bars[1499]!.time + BAR_MS;
    const store = openSqliteStore(storeFile(), { now });
    const session = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments: [instrument],
      broker: account,
      store,
      clock: () => now,
    });
    await session.start(new Map([[SYMBOL, bars.slice(0, 1500)]]));
    account.onBar(SYMBOL, bars[1499]!, now);
    const q = account.broker(SYMBOL).quote();
    const atr = session.engine.features(SYMBOL).atr;
    account.broker(SYMBOL).open({
      requestId: 'hand:1',
      side: 'buy',
      volume: 0.5,
      sl: Math.round((q.ask - 2 * atr) * 100) / 100,
      tp: null,
      comment: '',
      exempt: true,
    });

    const step = async (bar: Bar) => {
      now = bar.time + BAR_MS;
      account.onBar(SYMBOL, bar, now);
      return session.onBar(SYMBOL, bar);
    };
    let i = 1500;
    const first = await step(bars[i++]!);
    expect(first.featuresHeld).toBe(false);
    expect(session.engine.openPositions).toBe(1);

    for (let k = 0; k < 5; k++) {
      const good = bars[i++]!;
      const bad = { ...good, high: good.low - 1 }; // not a bar
      const r = await step(bad);
      expect(r.barProblem).toMatch(/is not a bar/);
      expect(r.featuresHeld).toBe(true);
    }
    expect(session.breakers.isOpen(SYMBOL, now)).toBe(true);
    let h = session.health();
    expect(h.status).toBe('degraded');
    expect(h.breakers).toHaveLength(1);
    expect(h.reasons.join('\n')).toMatch(
      /circuit breaker open for XAUUSDc after 5 feature failures \(bar at .* is not a bar/,
    );
    expect(store.health()?.status).toBe('degraded');

    // Good bars while open: features stay at their last good values, positions are still evaluated
    // (the engine's clock moves with each quote).
    const held = session.engine.features(SYMBOL);
    for (let k = 0; k < 4; k++) {
      const r = await step(bars[i++]!);
      expect(r.featuresHeld).toBe(true);
      expect(r.barProblem).toBe('');
      expect(session.engine.snapshot().time).toBe(now);
    }
    expect(session.engine.features(SYMBOL)).toEqual(held);
    // 300 s after opening (5 M1 bars later), the next good bar closes it.
    const r = await step(bars[i++]!);
    expect(r.featuresHeld).toBe(false);
    expect(session.engine.features(SYMBOL)).not.toEqual(held);
    expect(session.breakers.isOpen(SYMBOL, now)).toBe(false);
    h = session.health();
    expect(h.breakers).toEqual([]);
    expect(h.status).toBe('healthy');
    store.close();
  });

  it('a feed that cannot deliver opens the breaker through feedFailed', async () => {
    const config = liveConfig();
    const instrument = instrumentFromConfig(config, SYMBOL, true);
    const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
    const store = openSqliteStore(storeFile(), { now: 0 });
    const session = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments: [instrument],
      broker: account,
      store,
      clock: () => 1_000_000,
    });
    await session.start();
    for (let k = 0; k < 5; k++) session.feedFailed(SYMBOL, 'HTTP 503 from the feed');
    expect(session.health().breakers[0]).toMatchObject({
      symbol: SYMBOL,
      failures: 5,
      lastError: 'HTTP 503 from the feed',
    });
    store.close();
  });
});

describe('health', () => {
  const base = {
    now: Date.UTC(2026, 10, 24, 12),
    positions: 2,
    hedges: 0,
    breakers: [],
    staleAfterMs: 300_000,
    unresolvedIntents: [],
    recentRejections: [],
  };
  const fresh = [{ symbol: 'XAUUSDc', lastBarAt: Date.UTC(2026, 10, 24, 11, 59), crypto: false }];

  it('healthy, idle, and degraded for each cause', () => {
    expect(assessHealth({ ...base, feeds: fresh }).status).toBe('healthy');
    const idle = assessHealth({ ...base, positions: 0, feeds: fresh });
    expect(idle.status).toBe('idle');
    expect(idle.reasons).toEqual(['no open position under management']);
    const stale = assessHealth({
      ...base,
      feeds: [{ symbol: 'XAUUSDc', lastBarAt: Date.UTC(2026, 10, 24, 11, 50), crypto: false }],
    });
    expect(stale.status).toBe('degraded');
    expect(stale.reasons).toEqual(['feed XAUUSDc is stale: last bar closed 600 s ago']);
    const intent = {
      id: 'P1:breakeven:0',
      positionId: 'P1',
      status: 'unknown',
      at: base.now,
      code: '10012',
      reason: 'timeout',
    };
    expect(assessHealth({ ...base, feeds: fresh, unresolvedIntents: [intent] }).reasons).toEqual([
      '1 intent(s) not settled with the broker: P1:breakeven:0 (unknown)',
    ]);
    expect(
      assessHealth({
        ...base,
        feeds: fresh,
        recentRejections: [{ ...intent, status: 'rejected', code: '10016', reason: 'invalid stops' }],
      }).status,
    ).toBe('degraded');
    // Gold's feed is not stale over the weekend close; BTC's is.
    const saturday = Date.UTC(2026, 10, 28, 12);
    const weekend = assessHealth({
      ...base,
      now: saturday,
      feeds: [
        { ...fresh[0]!, lastBarAt: saturday - 86_400_000 },
        { symbol: 'BTCUSDc', lastBarAt: saturday - 86_400_000, crypto: true },
      ],
    });
    expect(weekend.feeds.map((f) => f.stale)).toEqual([false, true]);
  });

  it('from the store: a report too old while positions are open is degraded; unsettled intents are read afresh', () => {
    const s = openSqliteStore(storeFile(), { now: 0 });
    expect(healthFromStore(s, 1000, 120_000)).toMatchObject({
      status: 'idle',
      reasons: ['no live session has reported to this store yet; nothing under management'],
    });
    s.saveHealth(assessHealth({ ...base, feeds: fresh }));
    expect(healthFromStore(s, base.now + 60_000, 120_000)).toMatchObject({ status: 'healthy', reportAgeMs: 60_000 });
    const late = healthFromStore(s, base.now + 600_000, 120_000);
    expect(late.status).toBe('degraded');
    // No step time in this report: the report's own time stands for it.
    expect(late.reasons).toEqual([
      "the session's last step ended 600 s ago: nothing is managing the 2 open position(s)",
    ]);
    s.close();
  });
});
