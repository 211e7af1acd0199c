// The levers that make the trail engage after breakeven, breakeven at a fixed R, and the switches
// that turn each rule and gate off. XAUUSDc in the London session: breakeven buffer 0.3 x ATR, trail
// 1.5 x ATR; a buy at 2000 with its stop at 1990 (R = 10) and its target at 2020 (2R), an INTRADAY
// trade (breakeven 30%, partial 60% closing 50%).
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { BREAKEVEN_DONE } from '../../src/exits/exitPlan.ts';
import { config, ExitHarness, neutralFeatures } from '../support/exitHarness.ts';

const buy = (cfg: ReturnType<typeof config>, atr: number, features = {}) =>
  new ExitHarness({
    config: cfg,
    symbol: 'XAUUSDc',
    side: 'buy',
    entry: 2000,
    sl: 1990,
    tp: 2020,
    volume: 0.2,
    features: neutralFeatures({ atr, ...features }),
  });

describe('the trail engages after breakeven', () => {
  it('the first step is measured from the breakeven stop: a move just beyond the breakeven trigger moves the stop', () => {
    // ATR 8: breakeven at 30% (2006) puts the stop at 2000 - 2.4 = 1997.6; the ATR distance, 12, would
    // need the price at 2009.6 before a trail stop beats it. From the breakeven stop: 6 + 2.4 = 8.4.
    const h = buy(config(), 8);
    expect(h.step(2006.1)[0]!.newSl).toBe(1997.6);
    const t = h.step(2006.5);
    expect(t.map((i) => i.rule)).toEqual(['trail']);
    expect(t[0]!.newSl).toBeCloseTo(1998.1, 6);

    const classic = buy(config({ exits: { trailing: { fromBreakevenStop: false } } }), 8);
    classic.step(2006.1);
    expect(classic.step(2006.5)).toEqual([]);
    expect(classic.last('trail').reason).toBe('not_tighter');
  });

  it('the minimum change is in ATR: 0.05 x ATR 8 = 0.4', () => {
    const h = buy(config(), 8);
    h.step(2006.1);
    expect(h.step(2005.9 + 0.3)).toEqual([]); // 1997.8 would be 0.2 tighter than 1997.6
    expect(h.last('trail').reason).toBe('below_min_change');
    expect(h.step(2006.5)[0]!.newSl).toBeCloseTo(1998.1, 6);
  });

  it('the critical gate never asks for more R than breakeven did: a breakeven pulled to 20% trails from 0.4R', () => {
    const early = {
      exits: {
        tradeTypes: {
          SCALP: { breakevenPct: 25, partialPct: 40, partialClosePct: 70 },
          INTRADAY: { breakevenPct: 20, partialPct: 60, partialClosePct: 50 },
          WEEKEND: { breakevenPct: 25, partialPct: 50, partialClosePct: 60 },
        },
      },
    };
    const h = buy(config(early), 2);
    expect(h.step(2004.1)[0]!.rule).toBe('breakeven');
    const t = h.step(2005);
    expect(h.last('trail').criticalGate).toBe(1);
    expect(h.last('trail').trigger).toBeCloseTo(0.4, 9);
    expect(t.map((i) => i.rule)).toEqual(['trail']);
    expect(t[0]!.newSl).toBeCloseTo(2002, 6); // 2005 - 1.5 x 2
  });

  it('the distance shrinks by 20% per R beyond 1R', () => {
    const h = buy(config({ exits: { trailing: { fromBreakevenStop: false } } }), 2);
    h.step(2006.1); // breakeven
    expect(h.step(2012.1)[0]!.rule).toBe('partial');
    expect(h.step(2015)[0]!.newSl).toBeCloseTo(2015 - 3 * 0.9, 6); // 1.5R: 0.9 of 1.5 x ATR 2
    const flat = buy(config({ exits: { trailing: { fromBreakevenStop: false, tightenPerR: 0 } } }), 2);
    flat.step(2006.1);
    flat.step(2012.1);
    expect(flat.step(2015)[0]!.newSl).toBeCloseTo(2012, 6);
  });
});

describe('breakeven at a fixed R (the default: 1R)', () => {
  const defaults = configSchema.parse({});

  it('at 1R, not at the trade type percent', () => {
    expect(defaults.exits.breakeven.atR).toBe(1);
    const h = buy(defaults, 2);
    expect(h.step(2009.9)).toEqual([]);
    expect(h.last('breakeven').reason).toBe('trigger_not_reached');
    const be = h.step(2010.1);
    expect(be.map((i) => i.rule)).toEqual(['breakeven']);
    expect(be[0]!.newSl).toBe(1999.4);
    expect(h.last('breakeven').trigger).toBe(1);
  });

  it("scaled by the advanced rules: RMAG stretched in the trade's favour pulls an INTRADAY breakeven to 20/30 of 1R", () => {
    const h = buy(defaults, 2, { ema200Atr: 3 });
    expect(h.plan.breakevenPct).toBe(20);
    expect(h.step(2006.5)).toEqual([]);
    expect(h.step(2006.8).map((i) => i.rule)).toEqual(['breakeven']);
    expect(h.last('breakeven').trigger).toBeCloseTo(2 / 3, 9);
  });

  it('a position without a stop has no R: the trade type percent of the way to its target decides', () => {
    const h = new ExitHarness({
      config: defaults,
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: null,
      tp: 2020,
      features: neutralFeatures({ atr: 2 }),
    });
    expect(h.step(2006.1).map((i) => i.rule)).toEqual(['breakeven']);
  });
});

describe('every rule and gate can be switched off', () => {
  it('advanced triggers off: a stretched, squeezed market leaves the trade type percents alone', () => {
    const off = {
      rmagStretched: false,
      qualityTrend: false,
      squeeze: false,
      fakeMomentum: false,
      mtfAligned: false,
      liquidityRisk: false,
      vwapOuter: false,
    };
    const f = { ema200Atr: 5, vwapAtr: 5, squeeze: 1, vwapZone: 2 };
    const on = buy(config(), 2, f);
    expect(on.plan.breakevenPct).toBeLessThan(30);
    const h = buy(config({ exits: { triggers: off } }), 2, f);
    expect([h.plan.breakevenPct, h.plan.partialPct, h.plan.triggerFactors]).toEqual([30, 60, 0]);
  });

  it('gates off: failing advisory gates count as passed, and the critical gate passes before 0.6R', () => {
    const gatesOff = { critical: false, volatility: false, mtf: false, rmag: false, vwap: false, hvn: false };
    const bad = { squeeze: 1, mtfUp: 0, mtfAvailable: 3, hvnDistAtr: 0.1 };
    const h = buy(config({ exits: { breakeven: { enabled: false }, trailing: { gates: gatesOff } } }), 2, bad);
    const t = h.step(2003.5); // 0.35R: the critical gate would fail
    const r = h.last('trail');
    expect([r.criticalGate, r.gateVolatility, r.gateMtf, r.gateHvn, r.advisoryFailures]).toEqual([1, 1, 1, 1, 0]);
    expect(t.map((i) => i.rule)).toEqual(['trail']);
    expect(t[0]!.newSl).toBeCloseTo(2000.5, 6); // 1.5 x ATR 2, not the wide multiplier
  });

  it('breakeven off: no breakeven move; the trail starts once its critical gate passes', () => {
    const h = buy(config({ exits: { breakeven: { enabled: false } } }), 2);
    expect(h.step(2005)).toEqual([]);
    expect(h.last('trail').reason).toBe('critical_gate_failed');
    const t = h.step(2006.5);
    expect(t.map((i) => i.rule)).toEqual(['trail']);
    expect(h.plan.breakevenState).not.toBe(BREAKEVEN_DONE);
    expect(h.records('breakeven')).toEqual([]);
  });

  it('partial off: no partial close at its trigger', () => {
    const h = buy(config({ exits: { partial: { enabled: false } } }), 2);
    h.step(2006.1);
    expect(h.step(2012.1).map((i) => i.rule)).toEqual(['trail']);
    expect(h.sent.filter((i) => i.rule === 'partial')).toEqual([]);
    expect(h.position.volume).toBe(0.2);
  });
});
