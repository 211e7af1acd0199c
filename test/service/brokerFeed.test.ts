// The live feed of a real account (brokerFeed.ts): each poll feeds the bars closed since the last one,
// once each and in order, catches up after a pause, and counts an unreadable venue as a feed failure
// (five in a row open the symbol's circuit breaker, which health reports).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PaperAccount } from '../../src/brokers/paperAccount.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar, Timeframe } from '../../src/domain/types.ts';
import { AccountSession } from '../../src/execution/accountSession.ts';
import { BrokerFeed } from '../../src/service/brokerFeed.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { BAR_MS, liveConfig, sampleBars, SYMBOL } from '../support/liveHarness.ts';
import { waitUntil } from '../support/waitUntil.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A venue whose closed bars are the first `closed` of `bars`; `down` makes it unreadable. */
class Venue {
  closed = 0;
  down = false;
  readonly asked: number[] = [];
  constructor(private readonly bars: Bar[]) {}
  async candles(symbol: string, _tf: Timeframe, limit: number): Promise<Bar[]> {
    this.asked.push(limit);
    if (this.down) throw new Error('connection reset');
    if (symbol !== SYMBOL) throw new Error(`no symbol ${symbol}`);
    return this.bars.slice(Math.max(0, this.closed - limit), this.closed);
  }
}

async function setup(pollMs = 1000) {
  const config = liveConfig();
  const instrument = instrumentFromConfig(config, SYMBOL, true);
  const bars = sampleBars(21, 1400);
  const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
  const store = openSqliteStore(join(dir, `feed${++n}.db`), { now: bars[0]!.time });
  let now = bars[1199]!.time + BAR_MS;
  const venue = new Venue(bars);
  venue.closed = 1200;
  const fed: number[] = [];
  const hooks = { onBar: (_b: Bar): void => undefined };
  const session = new AccountSession({
    config,
    baseTimeframe: 'M1',
    instruments: [instrument],
    broker: account,
    store,
    clock: () => now,
  });
  const history = new Map([[SYMBOL, await venue.candles(SYMBOL, 'M1', 1000)]]);
  await session.start(history);
  const feed = new BrokerFeed(
    {
      broker: venue,
      session,
      symbols: [SYMBOL],
      pollMs,
      clock: () => now,
      onBar: (_s, b) => {
        fed.push(b.time);
        hooks.onBar(b);
      },
    },
    history,
  );
  const advance = (to: number) => {
    venue.closed = to;
    now = bars[to - 1]!.time + BAR_MS;
  };
  return {
    bars,
    venue,
    feed,
    fed,
    session,
    store,
    advance,
    history,
    set onBar(f: (b: Bar) => void) {
      hooks.onBar = f;
    },
  };
}

describe('BrokerFeed', () => {
  it('warms up from the venue history, then feeds each newly closed bar once, in order', async () => {
    const s = await setup();
    expect(s.history.get(SYMBOL)!.length).toBe(1000);
    expect(await s.feed.poll()).toBe(0); // nothing closed since the history
    s.advance(1201);
    expect(await s.feed.poll()).toBe(1);
    expect(await s.feed.poll()).toBe(0); // the same bar is not fed twice
    s.advance(1204);
    expect(await s.feed.poll()).toBe(3);
    expect(s.fed).toEqual([1200, 1201, 1202, 1203].map((i) => s.bars[i]!.time));
    expect(s.feed.played).toBe(4);
    expect(s.session.health().feeds[0]!.lastBarAt).toBe(s.bars[1203]!.time + BAR_MS);
    s.store.close();
  });

  it('after a pause asks for enough bars to catch up (up to 1,000) and feeds them all', async () => {
    const s = await setup();
    s.advance(1290);
    // While it catches up, it is behind the market: health says by how much, until the last bar is stepped.
    s.session.setLagSource(() => s.feed.lag());
    const seen: { lagMs: number; barsBehind: number; degraded: boolean }[] = [];
    s.onBar = () => {
      const lag = s.feed.lag();
      seen.push({ ...lag, degraded: s.session.health().reasons.some((r) => /behind the market/.test(r)) });
    };
    expect(await s.feed.poll()).toBe(90);
    // The first bar stepped had waited since it closed, 89 minutes before the venue's now; then fewer.
    expect(seen[0]).toEqual({ lagMs: 89 * BAR_MS, barsBehind: 90, degraded: true });
    expect(seen[89]).toEqual({ lagMs: 0, barsBehind: 1, degraded: false });
    expect(s.feed.lag()).toEqual({ lagMs: 0, barsBehind: 0 });
    expect(s.session.health().reasons.join('\n')).not.toMatch(/behind the market/);
    // 90 bars closed since the last one fed: it asked for 91 (one spare for the bar still forming).
    expect(s.venue.asked[s.venue.asked.length - 1]).toBe(91);
    expect(s.fed[0]).toBe(s.bars[1200]!.time);
    expect(s.fed[s.fed.length - 1]).toBe(s.bars[1289]!.time);
    s.store.close();
  });

  it('an unreadable venue is a feed failure: five in a row open the circuit breaker, reported by health; the bars are fed once it answers', async () => {
    const s = await setup();
    s.venue.down = true;
    s.advance(1202);
    for (let i = 0; i < 5; i++) expect(await s.feed.poll()).toBe(0);
    const h = s.session.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons.join(' ')).toMatch(/circuit breaker/);
    expect(h.reasons.join(' ')).toMatch(/connection reset/);
    s.venue.down = false;
    expect(await s.feed.poll()).toBe(2);
    s.store.close();
  });

  it('run() polls until stop(), which wakes it from its wait at once', async () => {
    // Polls an hour apart: stop() resolving at all is the proof that it woke the wait (unwoken, the
    // test would time out).
    const s = await setup(3_600_000);
    s.advance(1203);
    const running = s.feed.run();
    expect(await waitUntil(() => s.feed.played === 3)).toBe(true);
    await s.feed.stop();
    await running;
    expect(s.feed.played).toBe(3);
    s.store.close();
  });
});
