// Whole trade lifecycles on the decision core (a BTCUSD buy, an XAUUSD sell, trailing through its
// gates): a trade from registration to its exit, with the feature snapshot changing as the market
// does and a simulated broker that applies intents and fills the stop when a bar reaches it.
import { describe, expect, it } from 'vitest';
import { explainDecision } from '../../src/exits/decisionRecord.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE } from '../../src/exits/exitPlan.ts';

/** The plain ATR trail (distance = ATR x multiplier, no step from the breakeven stop, no tightening with R) the figures below assume. */
const PLAIN_ATR_TRAIL = config({ exits: { trailing: { fromBreakevenStop: false, tightenPerR: 0 } } });
import { config, ExitHarness, neutralFeatures } from '../support/exitHarness.ts';

/** Walks the price through `path` (bar closes), the stop filled when a bar's low/high crosses it. */
function walk(h: ExitHarness, path: number[], spread = 0): { exit: number | null; reason: 'sl' | 'tp' | null } {
  for (const close of path) {
    const s = h.plan.side === 'buy' ? 1 : -1;
    const sl = h.position.sl;
    if (sl !== null && s * (close - sl) <= 0) return { exit: sl, reason: 'sl' };
    const tp = h.position.tp;
    if (tp !== null && s * (close - tp) >= 0) return { exit: tp, reason: 'tp' };
    h.step(close, spread);
  }
  return { exit: null, reason: null };
}

describe('a BTCUSD buy from registration to its exit at the trailing stop', () => {
  it('4.0 sigma threshold, buffered breakeven, trailing through stretched RMAG with the wide multiplier, exit at the trailing stop', () => {
    const atr = 200;
    const f = neutralFeatures({ atr, ema200Atr: -5.0, vwapAtr: -3.0, mtfUp: 1, vwapZone: 2 });
    // Wednesday 10:00 UTC (LONDON): BTCUSD buffer 0.5, trailing 2.0.
    const h = new ExitHarness({
      config: PLAIN_ATR_TRAIL,
      symbol: 'BTCUSDc',
      side: 'buy',
      entry: 92000,
      sl: 91000,
      tp: 94000,
      volume: 0.2,
      features: f,
      time: Date.UTC(2024, 4, 15, 10),
    });
    // 2-3. Registered with the asset threshold: -5.0 sigma against a buy does not tighten.
    expect(h.plan.breakevenPct).toBe(30);
    expect(h.plan.partialPct).toBe(60);
    expect(h.last('triggers').threshold).toBe(4);
    // 4. Breakeven at 30% (92600) with a 0.5 x ATR buffer: 92000 + 10 - 100 = 91910.
    walk(h, [92200, 92400, 92610], 10);
    expect(h.plan.breakevenState).toBe(BREAKEVEN_DONE);
    expect(h.position.sl).toBe(91910);
    // R 0.9 at 92900: the critical gate passes and trailing starts before the partial.
    walk(h, [92900], 10);
    expect(h.plan.trailingActive).toBe(true);
    expect(h.position.sl).toBeCloseTo(92366.66, 2); // 92900 - 2.667 x 200, rounded down to the tick
    // Partial at 60% (93200): 50% of 0.2 lots (one intent per bar: the trail waits a bar).
    walk(h, [93210], 10);
    expect(h.plan.partialState).toBe(PARTIAL_DONE);
    expect(h.position.volume).toBe(0.1);
    walk(h, [93250], 10);
    // 5-6. Gates: RMAG (5.0 > 4.0), MTF (1 < 2) and VWAP (outer) fail: trailing still runs, wide.
    const trail = h.last('trail');
    expect(trail.outcome).toBe('intent');
    expect(trail.criticalGate).toBe(1);
    expect([trail.gateRmag, trail.gateMtf, trail.gateVwap, trail.gateVolatility, trail.gateHvn]).toEqual([
      0, 0, 0, 1, 1,
    ]);
    expect(trail.multiplier).toBeCloseTo(2.0 * (4 / 3), 12);
    // 7. The stop follows the price at 2.667 x ATR: 93250 - 533.33 = 92716.66 (rounded down to the tick).
    expect(h.position.sl).toBeCloseTo(92716.66, 2);
    const slAfterFirstTrail = h.position.sl!;
    walk(h, [93500, 93800]);
    expect(h.position.sl!).toBeGreaterThan(slAfterFirstTrail);
    // 8. Price reverses: the trade closes at its trailing stop, well above breakeven.
    const sl = h.position.sl!;
    const end = walk(h, [93600, 93300, 93000, 92800]);
    expect(end.reason).toBe('sl');
    expect(end.exit).toBe(sl);
    expect(end.exit!).toBeGreaterThan(93000);
    // 9. The records explain each step, including the gate status.
    const text = h
      .records('trail')
      .filter((r) => r.outcome === 'intent')
      .map(explainDecision);
    expect(text[0]).toMatch(/rmag FAIL \(-5 vs 4\)/);
    expect(text[0]).toMatch(/failures 3 -> x2\.667/);
  });
});

describe('an XAUUSD sell from registration to its exit at TP', () => {
  it('2.0 sigma threshold tightens a sell stretched in its favour; breakeven, partial and trailing follow', () => {
    const f = neutralFeatures({ atr: 4, ema200Atr: -2.5 });
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'sell',
      entry: 2400,
      sl: 2420,
      tp: 2360,
      volume: 0.1,
      features: f,
    });
    expect([h.plan.breakevenPct, h.plan.partialPct]).toEqual([20, 40]);
    expect(explainDecision(h.last('triggers'))).toMatch(
      /rmag_stretched \(base 30\/60; RMAG -2.50 vs threshold 2 in the trade's direction\)/,
    );
    // Breakeven at 20% (ask <= 2392): 2400 - 0.3 + 0.3 x 4 = 2400.9.
    walk(h, [2395, 2391.6], 0.3);
    expect(h.position.sl).toBe(2400.9);
    // Partial at 40% (ask <= 2384): 50% of 0.1.
    walk(h, [2388, 2383.6], 0.3);
    expect(h.position.volume).toBe(0.05);
    // Trailing with XAUUSD's 1.5 (gates pass once the stretch relaxes).
    f.ema200Atr = -1.5;
    walk(h, [2380], 0.3);
    expect(h.last('trail').multiplier).toBe(1.5);
    expect(h.position.sl).toBe(2386.3); // ask 2380.3 + 6
    const end = walk(h, [2375, 2370, 2361, 2359]);
    expect(end.reason).toBe('tp');
  });
});

describe('trailing activation through the gates', () => {
  it('activates after breakeven, is held by the critical gate until partial or 0.6 R, then moves the stop', () => {
    const h = new ExitHarness({
      config: PLAIN_ATR_TRAIL,
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1990,
      tp: 2050,
      features: neutralFeatures({ atr: 2 }),
    });
    walk(h, [2015.2]); // 30.4% progress, R 1.52: breakeven
    expect(h.last('breakeven').outcome).toBe('intent');
    expect(h.plan.trailingActive).toBe(false);
    walk(h, [2015.5]); // R >= 0.6 -> critical passes, trails
    expect(h.plan.trailingActive).toBe(true);
    expect(h.last('trail').outcome).toBe('intent');
    expect(h.position.sl).toBe(2012.5);
  });
});
