import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar, Position, Side } from '../../src/domain/types.ts';
import {
  DefensiveMonitor,
  type AccountRisk,
  type DefensiveDecision,
  type DefensiveHold,
} from '../../src/dtms/defensiveMonitor.ts';
import { DEFAULT_MONITOR_PARAMS } from '../../src/dtms/monitorParams.ts';

const cfg = configSchema.parse({});
const xau = instrumentFromConfig(cfg, 'XAUUSDc');
const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 8, 0); // Tuesday, London
const NO_LOSS: AccountRisk = { dailyLossPct: 0, hourlyLossPct: 0 };

/** M1 bars following `path(i)` (the close), with a small range and the given spread. */
function bars(n: number, path: (i: number) => number, spread = 0.3, from = 0): Bar[] {
  const out: Bar[] = [];
  let prev = path(from);
  for (let i = from; i < from + n; i++) {
    const c = path(i);
    out.push({
      time: T0 + i * MIN,
      open: prev,
      high: Math.max(prev, c) + 0.2,
      low: Math.min(prev, c) - 0.2,
      close: c,
      volume: 50,
      spread,
    });
    prev = c;
  }
  return out;
}

function run(
  side: Side,
  path: (i: number) => number,
  opts: { warm?: number; after?: number; risk?: AccountRisk; spreadAt?: (i: number) => number } = {},
) {
  const warm = opts.warm ?? 600;
  const after = opts.after ?? 240;
  const m = new DefensiveMonitor('M1', MIN);
  const decisions: DefensiveDecision[] = [];
  const holds: DefensiveHold[] = [];
  const all = bars(warm + after, path);
  if (opts.spreadAt) all.forEach((b, i) => (b.spread = opts.spreadAt!(i)));
  let pos: Position | null = null;
  const checkTimes: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const b = all[i]!;
    m.onBar('XAUUSDc', b);
    const now = b.time + MIN;
    if (i === warm - 1) {
      pos = {
        id: '1',
        symbol: 'XAUUSDc',
        side,
        volume: 0.1,
        entryPrice: b.close,
        sl: side === 'buy' ? b.close - 20 : b.close + 20,
        tp: null,
        openTime: now,
        comment: '',
      };
      m.track(pos, xau, 20, now);
    }
    const before = m.deepChecks;
    if (pos) m.evaluate('1', now, opts.risk ?? NO_LOSS, decisions, holds);
    if (m.deepChecks > before) checkTimes.push(now);
  }
  return { m, decisions, holds, checkTimes };
}

// A slow wave for the warm-up, then a steady slide of 0.1 per minute (or a rally, mirrored).
const wave = (i: number) => 2000 + 3 * Math.sin(i / 40);
const slide = (i: number) => (i < 600 ? wave(i) : wave(600) - 0.1 * (i - 600));
const rally = (i: number) => (i < 600 ? 4000 - wave(i) : 4000 - wave(600) + 0.1 * (i - 600));

describe('DTMS monitor', () => {
  it('runs a deep check every 15 minutes from registration', () => {
    const { checkTimes } = run('buy', wave, { after: 121 });
    expect(checkTimes.map((t) => (t - (T0 + 600 * MIN)) / MIN)).toEqual([15, 30, 45, 60, 75, 90, 105, 120]);
  });

  it('a buy in a slide escalates one level per check: tighten, then half close and breakeven, then hedge', () => {
    const { decisions } = run('buy', slide);
    const moves = decisions.filter((d) => d.from !== d.to);
    expect(moves.map((d) => `${d.from}->${d.to}`).slice(0, 3)).toEqual([
      'HEALTHY->WARNING_L1',
      'WARNING_L1->WARNING_L2',
      'WARNING_L2->HEDGED',
    ]);
    const l1 = moves[0]!;
    expect(l1.score.total).toBeLessThanOrEqual(-2);
    expect(l1.orders.map((o) => o.action)).toEqual(['tighten_stop']);
    const l2 = moves[1]!;
    expect(l2.orders.map((o) => o.order)).toContainEqual({ kind: 'close_partial', volume: 0.05 });
    const hedge = moves[2]!;
    expect(hedge.orders[0]!.order).toMatchObject({ kind: 'open', purpose: 'hedge', side: 'sell', volume: 0.05 });
    expect(hedge.orders[0]!.order.kind === 'open' && hedge.orders[0]!.order.sl! > 0).toBe(true); // its own stop (0.5 ATR)
  });

  it("keeps each position's latest score with its breakdown and regime (the last deep check's)", () => {
    const { m, decisions, checkTimes } = run('buy', slide, { after: 60 });
    const t = m.defended('1')!;
    expect(t.checkedAt).toBe(checkTimes.at(-1));
    expect(t.score.knownLayers).not.toBe(0);
    expect(t.score.total).toBe(m.state('1')!.score);
    expect(t.regime).not.toBeNull();
    // a decision carries a copy: later checks do not rewrite it
    const first = decisions[0]!;
    expect(first.score).not.toBe(t.score);
  });

  it('a sell in the mirrored rally walks the same states', () => {
    const buy = run('buy', slide)
      .decisions.filter((d) => d.from !== d.to)
      .map((d) => d.to);
    const sell = run('sell', rally)
      .decisions.filter((d) => d.from !== d.to)
      .map((d) => d.to);
    expect(sell).toEqual(buy);
  });

  it('no new risk past the loss limit: the hedge is skipped and says why', () => {
    const { decisions } = run('buy', slide, { risk: { dailyLossPct: 2.5, hourlyLossPct: 0 } });
    const hedged = decisions.find((d) => d.to === 'HEDGED' && d.from !== 'HEDGED')!;
    expect(hedged.orders).toEqual([]);
    expect(hedged.skipped).toEqual([{ action: 'open_hedge', reason: 'loss_limit: daily loss 2.50% >= 2%' }]);
  });

  it('holds the check on a spread spike and on stale data, and reports it', () => {
    // ten times the usual spread for the first hour of the trade: no check then, checks again after
    const spike = run('buy', slide, { spreadAt: (i) => (i >= 600 && i < 660 ? 3 : 0.3) });
    expect(spike.holds.map((h) => h.reason)).toEqual(['spread_spike', 'spread_spike', 'spread_spike', 'spread_spike']);
    expect(spike.holds[0]!.detail).toBe('spread 3 > 2 x median 0.3');
    expect(Math.min(...spike.decisions.map((d) => d.time))).toBeGreaterThanOrEqual(T0 + 660 * MIN);

    const m = new DefensiveMonitor('M1', MIN);
    for (const b of bars(600, wave)) m.onBar('XAUUSDc', b);
    const now = T0 + 600 * MIN;
    m.track(
      {
        id: '2',
        symbol: 'XAUUSDc',
        side: 'buy',
        volume: 0.1,
        entryPrice: 2000,
        sl: 1980,
        tp: null,
        openTime: now,
        comment: '',
      },
      xau,
      20,
      now,
    );
    const holds: DefensiveHold[] = [];
    m.evaluate('2', now + 20 * MIN, NO_LOSS, [], holds); // no bar for 20 minutes
    expect(holds).toEqual([
      {
        positionId: '2',
        time: now + 20 * MIN,
        reason: 'stale_data',
        detail: 'last bar closed 1200 s ago (limit 300 s)',
      },
    ]);
  });

  it('a steep VWAP slope against the trade after two crosses brings the deep check forward, never within the 10 min cooldown', () => {
    const plunge = (i: number) => (i < 600 ? wave(i) : wave(600) - 1.5 * (i - 600));
    const { checkTimes, decisions } = run('buy', plunge, { after: 50 });
    const start = T0 + 600 * MIN;
    // 15: scheduled, finds the price under the VWAP (one cross); 25, 35, 45: the fast check sees the
    // second cross and the steep slope, and each time waits out the 10 min cooldown
    expect(checkTimes.map((t) => (t - start) / MIN)).toEqual([15, 25, 35, 45]);
    expect(decisions.map((d) => d.trigger)).toEqual(
      decisions.map((d) => ((d.time - start) / MIN === 15 ? 'scheduled' : 'vwap_flip')),
    );
  });

  it('follows the broker: a refreshed volume sizes the hedge and the final close, and a set hedge is closed with the position', () => {
    const m = new DefensiveMonitor('M1', MIN);
    const decisions: DefensiveDecision[] = [];
    const all = bars(600 + 240, slide);
    let pos: Position | null = null;
    for (let i = 0; i < all.length; i++) {
      const b = all[i]!;
      m.onBar('XAUUSDc', b);
      const now = b.time + MIN;
      if (i === 599) {
        pos = {
          id: '1',
          symbol: 'XAUUSDc',
          side: 'buy',
          volume: 0.1,
          entryPrice: b.close,
          sl: b.close - 20,
          tp: null,
          openTime: now,
          comment: '',
        };
        m.track(pos, xau, 20, now);
      }
      if (!pos) continue;
      const n = decisions.length;
      m.evaluate('1', now, NO_LOSS, decisions, []);
      for (const d of decisions.slice(n)) {
        for (const { order } of d.orders) {
          // what the broker would report after each order
          if (order.kind === 'close_partial')
            m.refresh((pos = { ...pos, volume: Math.round((pos.volume - order.volume) * 100) / 100 }));
          if (order.kind === 'open' && order.purpose === 'hedge') m.setHedge('1', 'h9', order.volume);
        }
      }
    }
    const hedge = decisions.find((d) => d.to === 'HEDGED')!;
    expect(hedge.orders[0]!.order).toMatchObject({ kind: 'open', purpose: 'hedge', volume: 0.02 }); // half of 0.05, rounded down
    const closed = decisions.find((d) => d.to === 'CLOSED')!;
    expect(closed.orders.map((o) => o.order)).toEqual([
      { kind: 'close', hedge: true, ticket: 'h9', volume: 0.02 },
      { kind: 'close', hedge: false, ticket: '1', volume: 0.05 },
    ]);
    expect(m.untrack('1', closed.time + MIN)?.state).toBe('CLOSED');
    expect(m.state('1')).toBeUndefined();
  });

  it('the defaults are the original cadence', () => {
    expect([
      DEFAULT_MONITOR_PARAMS.fastCheckMs,
      DEFAULT_MONITOR_PARAMS.hedgedFastCheckMs,
      DEFAULT_MONITOR_PARAMS.deepCheckMs,
      DEFAULT_MONITOR_PARAMS.cooldownMs,
    ]).toEqual([30_000, 60_000, 900_000, 600_000]);
  });
});

describe('SlidingMedian', () => {
  it('is the median of the last N values (property, against sorting the window)', async () => {
    const { SlidingMedian } = await import('../../src/dtms/slidingMedian.ts');
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }),
        (size, xs) => {
          const m = new SlidingMedian(size);
          xs.forEach((x, i) => {
            m.push(x);
            const w = xs.slice(Math.max(0, i + 1 - size), i + 1).sort((a, b) => a - b);
            const mid = w.length >> 1;
            expect(m.median()).toBe(w.length % 2 ? w[mid] : (w[mid - 1]! + w[mid]!) / 2);
          });
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('DTMS orders priced at the latest quote', () => {
  it('a quote between bars prices the orders DTMS plans (a tightened stop), not the last bar close', () => {
    const m = new DefensiveMonitor('M1', MIN);
    for (const b of bars(600, wave)) m.onBar('XAUUSDc', b);
    const last = wave(599);
    const pos: Position = {
      id: '1',
      symbol: 'XAUUSDc',
      side: 'buy',
      volume: 0.1,
      entryPrice: last - 10,
      sl: last - 30,
      tp: null,
      openTime: T0 + 600 * MIN,
      comment: '',
    };
    const t = m.track(pos, xau, 20, T0 + 600 * MIN);
    const atBar = m.planOrders(t, 'tighten_stop');
    m.onQuote('XAUUSDc', last + 5, last + 5.3);
    const atQuote = m.planOrders(t, 'tighten_stop');
    // WARNING_L1's stop: 0.3 R (6) behind the exit-side price.
    const sl = (p: ReturnType<typeof m.planOrders>) =>
      p.orders[0]?.kind === 'move_stop' ? p.orders[0].newSl : Number.NaN;
    expect(sl(atBar)).toBeCloseTo(last - 6, 2);
    expect(sl(atQuote)).toBeCloseTo(last + 5 - 6, 2);
    // A quote that is not a price changes nothing.
    m.onQuote('XAUUSDc', Number.NaN, last);
    expect(sl(m.planOrders(t, 'tighten_stop'))).toBeCloseTo(last + 5 - 6, 2);
  });
});
