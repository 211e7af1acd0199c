// Worked examples of the exit rules, figure by figure, on the decision core: per-symbol RMAG
// thresholds, tiered trailing gates, the breakeven buffer, the advanced triggers and their refresh,
// trade types, per-symbol parameters, legacy rules, and breakeven / partial / trail in one run.
import { describe, expect, it } from 'vitest';
import { canonicalSymbol } from '../../src/domain/symbols.ts';
import { resolveSymbolParams, trailingMultiplierFor, bufferMultiplierFor } from '../../src/exits/symbolParams.ts';
import { advancedTriggers, TRIGGER_FACTORS } from '../../src/exits/advancedTriggers.ts';
import { breakevenTarget } from '../../src/exits/breakevenStop.ts';
import { parseLegacyRule, planFromLegacy } from '../../src/exits/legacyRule.ts';
import { ALL_GATES, evaluateTrailingGates } from '../../src/exits/trailingGates.ts';
import { newDecisionRecord } from '../../src/exits/decisionRecord.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE, triggerParamsFor } from '../../src/exits/exitPlan.ts';

import { config, ExitHarness, LONDON_TIME, neutralFeatures } from '../support/exitHarness.ts';

const cfg = config();
const canon = (s: string) => canonicalSymbol(s, cfg.symbols);

describe('RMAG threshold per symbol: BTCUSD 4.0, XAUUSD and DEFAULT 2.0', () => {
  it.each([
    ['BTCUSDc', 4.0],
    ['BTCUSD', 4.0],
    ['XAUUSDc', 2.0],
    ['XAUUSD', 2.0],
    ['EURUSDc', 2.0],
    ['ETHUSDm', 2.0],
  ])('%s -> %s sigma', (symbol, expected) => {
    expect(resolveSymbolParams(cfg.exits, canon(symbol)).rmagThreshold).toBe(expected);
  });

  it('normalises broker decorations to the canonical symbol and passes indices through', () => {
    expect(canon('XAUUSDc')).toBe('XAUUSD');
    expect(canon('BTCUSDm')).toBe('BTCUSD');
    expect(canon('EURUSD.pro')).toBe('EURUSD');
    expect(canon('GBPUSD-ecn')).toBe('GBPUSD');
    expect(canon('USDJPY.raw')).toBe('USDJPY');
    expect(canon('DXY')).toBe('DXY');
    expect(canon('VIX')).toBe('VIX');
  });
});

describe('trailing gates are tiered: advisory failures widen the trail, never block it', () => {
  const gates = (symbol: string) => {
    const p = resolveSymbolParams(cfg.exits, canon(symbol));
    return {
      criticalRAchieved: 0.6,
      mtfMinAligned: 2,
      rmagThreshold: p.rmagThreshold,
      hvnMinDistAtr: 0.3,
      enabled: ALL_GATES,
    };
  };

  it('BTCUSD at -5.0 sigma with low MTF alignment and VWAP outer: three failures, trailing allowed (wide)', () => {
    const r = newDecisionRecord();
    const f = neutralFeatures({ ema200Atr: -5.0, mtfUp: 1, vwapZone: 2, vwapAtr: -2 });
    const failures = evaluateTrailingGates('buy', true, 0.7, 0.6, f, gates('BTCUSDc'), r);
    expect(failures).toBe(3);
    expect(r.gateRmag).toBe(0);
    expect(r.gateMtf).toBe(0);
    expect(r.gateVwap).toBe(0);
    expect(r.criticalGate).toBe(1);
  });

  it('two failures keep the symbol multiplier; three or more use the wide one (1.5 becomes 2.0)', () => {
    // XAUUSD in LONDON: symbol multiplier 1.5.
    const mk = (f: ReturnType<typeof neutralFeatures>) => {
      const h = new ExitHarness({ symbol: 'XAUUSDc', side: 'buy', entry: 2000, sl: 1990, tp: 2020, features: f });
      h.features.atr = 2;
      h.step(2006); // breakeven (30% of 20 = 2006)
      h.step(2013); // partial at 60%
      h.step(2016);
      return h;
    };
    const two = mk(neutralFeatures({ mtfUp: 1, squeeze: 1 }));
    expect(two.last('trail').advisoryFailures).toBe(2);
    expect(two.last('trail').multiplier).toBe(1.5);

    const three = mk(neutralFeatures({ mtfUp: 1, squeeze: 1, hvnDistAtr: 0.1 }));
    expect(three.last('trail').advisoryFailures).toBe(3);
    expect(three.last('trail').multiplier).toBeCloseTo(2.0, 12);
    expect(three.plan.trailingActive).toBe(true);
  });

  it('BTCUSD wide multiplier is 4/3 of its own 2.0', () => {
    const h = new ExitHarness({
      symbol: 'BTCUSDc',
      side: 'buy',
      entry: 92000,
      sl: 91000,
      tp: 93000,
      features: neutralFeatures({ atr: 100, ema200Atr: -5, mtfUp: 0, vwapZone: 2, vwapAtr: 2 }),
    });
    h.step(92300);
    h.step(92700);
    h.step(92800);
    const t = h.last('trail');
    expect(t.advisoryFailures).toBe(3);
    expect(t.multiplier).toBeCloseTo(2.0 * (4 / 3), 12);
  });

  it('critical gate: no partial and R < 0.6 blocks trailing after breakeven', () => {
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1990,
      tp: 2040,
      features: neutralFeatures({ atr: 2 }),
    });
    h.step(2012.5); // 31% progress: breakeven; R = 1.25
    expect(h.plan.breakevenState).toBe(BREAKEVEN_DONE);
    // price falls back: R 0.5, partial not done
    h.step(2005);
    expect(h.last('trail').reason).toBe('critical_gate_failed');
    expect(h.last('trail').criticalGate).toBe(0);
  });

  it('trailing activates for BTCUSD at 3.0 sigma (above the old flat 2.0, below BTC 4.0): RMAG gate passes', () => {
    const r = newDecisionRecord();
    const f = neutralFeatures({ ema200Atr: 3.0 });
    expect(evaluateTrailingGates('buy', true, 1, 0.6, f, gates('BTCUSD'), r)).toBe(0);
    expect(r.gateRmag).toBe(1);
    expect(evaluateTrailingGates('buy', true, 1, 0.6, f, gates('XAUUSD'), r)).toBe(1);
    expect(r.gateRmag).toBe(0);
  });
});

describe('breakeven buffer: entry + spread - ATR x buffer multiplier', () => {
  const xau = instrumentFromConfig(cfg, 'XAUUSDc');

  it('buy 2400 with ATR 100 and spread 0.5 -> 2370.5 (entry + spread - 0.3 x ATR)', () => {
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2400,
      sl: 2350,
      tp: 2450,
      features: neutralFeatures({ atr: 100 }),
    });
    expect(breakevenTarget(h.plan, xau, 100, 0.3, 0.5, h.ctx).sl).toBe(2370.5);
    // Through the evaluation (LONDON: XAUUSD buffer 0.3): 30% of 50 = 2415.
    const intents = h.step(2416, 0.5);
    expect(intents).toHaveLength(1);
    expect(intents[0]!.newSl).toBe(2370.5);
    expect(intents[0]!.newSl).toBeGreaterThan(2350); // never backwards
    expect(h.last('breakeven').distance).toBe(30);
  });

  it('sell mirror: 2400 - 0.5 + 30 = 2429.5', () => {
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'sell',
      entry: 2400,
      sl: 2450,
      tp: 2350,
      features: neutralFeatures({ atr: 100 }),
    });
    const intents = h.step(2384, 0.5); // ask 2384.5: progress 31%
    expect(intents[0]!.newSl).toBe(2429.5);
  });

  it('falls back to 0.1% of entry when ATR is unavailable', () => {
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2400,
      sl: 2350,
      tp: 2450,
      features: neutralFeatures({ atr: NaN }),
    });
    const intents = h.step(2416, 0.5);
    expect(intents[0]!.newSl).toBe(2398.1); // 2400 + 0.5 - 2.4
  });

  it('buffer scales with volatility and the session (XAUUSD ASIAN 0.4, OVERLAP 0.25)', () => {
    const p = resolveSymbolParams(cfg.exits, 'XAUUSD');
    expect(bufferMultiplierFor(p, 'ASIAN')).toBe(0.4);
    expect(bufferMultiplierFor(p, 'OVERLAP')).toBe(0.25);
    expect(bufferMultiplierFor(p, 'LONDON')).toBe(0.3);
    const h = new ExitHarness({ symbol: 'XAUUSDc', side: 'buy', entry: 2400, sl: 2350, tp: 2450 });
    expect(breakevenTarget(h.plan, xau, 50, 0.3, 0.5, h.ctx).sl).toBe(2385.5);
    expect(breakevenTarget(h.plan, xau, 100, 0.3, 0.5, h.ctx).sl).toBe(2370.5);
  });

  it('never moves the SL backwards: a stop already beyond the breakeven level is left alone', () => {
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2400,
      sl: 2380,
      tp: 2450,
      features: neutralFeatures({ atr: 100 }),
    });
    const intents = h.step(2416, 0.5);
    expect(intents).toHaveLength(0);
    expect(h.plan.breakevenState).toBe(BREAKEVEN_DONE);
    expect(h.last('breakeven').reason).toBe('already_protected');
    expect(h.position.sl).toBe(2380);
  });

  it('lock mode: entry + spread + offset', () => {
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2400,
      sl: 2350,
      tp: 2450,
      config: config({ exits: { breakevenMode: 'lock', lockOffsetPoints: 100 } }),
    });
    const intents = h.step(2416, 0.5);
    expect(intents[0]!.newSl).toBe(2400.6); // 2400 + 0.5 + 100 points x 0.001
  });
});

describe('advanced triggers refresh during the trade, until breakeven', () => {
  it('triggers refresh on the configured cadence before breakeven, from the trade-type base', () => {
    const f = neutralFeatures({ ema200Atr: 1.0 });
    const h = new ExitHarness({ symbol: 'XAUUSDc', side: 'sell', entry: 2000, sl: 2010, tp: 1980, features: f });
    expect(h.plan.breakevenPct).toBe(30);
    // RMAG moves to -2.5 sigma (a sell, stretched in its favour): not applied before the refresh interval.
    f.ema200Atr = -2.5;
    h.step(1999, 0, 60_000);
    expect(h.plan.breakevenPct).toBe(30);
    h.step(1999, 0, 300_000);
    expect(h.plan.breakevenPct).toBe(20);
    expect(h.plan.partialPct).toBe(40);
    expect(h.last('triggers').reason).toBe('triggers_refreshed');
    // Stretch relaxes: the base comes back (tightening is not sticky).
    f.ema200Atr = -1.0;
    h.step(1999, 0, 300_000);
    expect(h.plan.breakevenPct).toBe(30);
  });

  it('never changes the plan after breakeven', () => {
    const f = neutralFeatures();
    const h = new ExitHarness({ symbol: 'XAUUSDc', side: 'buy', entry: 2000, sl: 1990, tp: 2020, features: f });
    h.step(2006.5);
    expect(h.plan.breakevenState).toBe(BREAKEVEN_DONE);
    f.ema200Atr = 9;
    h.step(2007, 0, 600_000);
    expect(h.plan.breakevenPct).toBe(30);
    expect(h.plan.partialPct).toBe(60);
  });
});

describe("advanced triggers: per-symbol RMAG thresholds, in the trade's direction", () => {
  const tp = (symbol: string) => triggerParamsFor(cfg.exits, resolveSymbolParams(cfg.exits, canon(symbol)));
  const out = () => ({ breakevenPct: 0, partialPct: 0, factors: 0 });

  it('BTCUSD at -5.0 sigma (buy) does NOT tighten: stays 30/60', () => {
    const r = advancedTriggers(
      'buy',
      neutralFeatures({ ema200Atr: -5.0, vwapAtr: -4.0 }),
      30,
      60,
      tp('BTCUSDc'),
      out(),
    );
    expect([r.breakevenPct, r.partialPct]).toEqual([30, 60]);
    expect(r.factors & TRIGGER_FACTORS.rmag_stretched).toBe(0);
  });

  it('XAUUSD at -2.5 sigma (sell) DOES tighten to 20/40', () => {
    const r = advancedTriggers('sell', neutralFeatures({ ema200Atr: -2.5 }), 30, 60, tp('XAUUSDc'), out());
    expect([r.breakevenPct, r.partialPct]).toEqual([20, 40]);
    expect(r.factors & TRIGGER_FACTORS.rmag_stretched).toBeTruthy();
  });

  it('BTCUSD at -3.5 sigma on a sell stays below its 4.0 threshold; XAUUSD at -3.5 tightens', () => {
    expect(
      advancedTriggers('sell', neutralFeatures({ ema200Atr: -3.5 }), 30, 60, tp('BTCUSD'), out()).breakevenPct,
    ).toBe(30);
    expect(
      advancedTriggers('sell', neutralFeatures({ ema200Atr: -3.5 }), 30, 60, tp('XAUUSD'), out()).breakevenPct,
    ).toBe(20);
  });

  it('buys and sells are mirrors', () => {
    const a = advancedTriggers('buy', neutralFeatures({ ema200Atr: 2.5 }), 30, 60, tp('XAUUSD'), out());
    const b = advancedTriggers('sell', neutralFeatures({ ema200Atr: -2.5 }), 30, 60, tp('XAUUSD'), out());
    expect(a).toEqual(b);
  });

  it('VWAP distance counts at 0.9 x threshold', () => {
    expect(advancedTriggers('buy', neutralFeatures({ vwapAtr: 1.85 }), 30, 60, tp('XAUUSD'), out()).breakevenPct).toBe(
      20,
    );
    expect(advancedTriggers('buy', neutralFeatures({ vwapAtr: 1.75 }), 30, 60, tp('XAUUSD'), out()).breakevenPct).toBe(
      30,
    );
  });

  it('quality trend + squeeze + MTF aligned -> 40/80 (squeeze undone), in the trade direction only', () => {
    const f = neutralFeatures({ ema50Slope: 0.2, ema200Slope: 0.1, ema200Atr: 1.0, squeeze: 1, mtfUp: 2 });
    const r = advancedTriggers('buy', f, 30, 60, tp('XAUUSD'), out());
    expect([r.breakevenPct, r.partialPct]).toEqual([40, 80]);
    // The same uptrend for a sell is not a quality trend in its direction: only the squeeze applies.
    const s = advancedTriggers('sell', f, 30, 60, tp('XAUUSD'), out());
    expect([s.breakevenPct, s.partialPct]).toEqual([25, 50]);
  });

  it('stretched + squeeze + fake momentum + near PDH + VWAP outer -> 20/40', () => {
    const f = neutralFeatures({
      ema200Atr: 2.5,
      squeeze: 1,
      rsi: 70,
      adx: 15,
      price: 100,
      atr: 1,
      pdh: 100.3,
      vwapZone: 2,
      vwapAtr: 1.6,
    });
    const r = advancedTriggers('buy', f, 30, 60, tp('XAUUSD'), out());
    expect([r.breakevenPct, r.partialPct]).toEqual([20, 40]);
    expect(r.factors & TRIGGER_FACTORS.fake_momentum).toBeTruthy();
    expect(r.factors & TRIGGER_FACTORS.liquidity_risk).toBeTruthy();
    expect(r.factors & TRIGGER_FACTORS.squeeze).toBe(0); // rule 3 does not apply when stretched
  });

  it('each of the seven rules can fire for a buy and for a sell', () => {
    const fire = (side: 'buy' | 'sell', f: Parameters<typeof neutralFeatures>[0]) =>
      advancedTriggers(side, neutralFeatures(f), 30, 60, tp('XAUUSD'), out()).factors;
    const s = (side: 'buy' | 'sell') => (side === 'buy' ? 1 : -1);
    for (const side of ['buy', 'sell'] as const) {
      const k = s(side);
      expect(fire(side, { ema200Atr: 2.1 * k }) & TRIGGER_FACTORS.rmag_stretched).toBeTruthy();
      expect(fire(side, { ema50Slope: 0.2 * k, ema200Slope: 0.1 * k }) & TRIGGER_FACTORS.quality_trend).toBeTruthy();
      expect(fire(side, { squeeze: 1 }) & TRIGGER_FACTORS.squeeze).toBeTruthy();
      expect(fire(side, { rsi: 50 + 20 * k, adx: 10 }) & TRIGGER_FACTORS.fake_momentum).toBeTruthy();
      expect(
        fire(side, {
          ema50Slope: 0.2 * k,
          ema200Slope: 0.1 * k,
          mtfUp: side === 'buy' ? 3 : 0,
          mtfDown: side === 'sell' ? 3 : 0,
        }) & TRIGGER_FACTORS.mtf_aligned,
      ).toBeTruthy();
      expect(fire(side, { price: 100, atr: 1, pdh: 100.2, pdl: 99.8 }) & TRIGGER_FACTORS.liquidity_risk).toBeTruthy();
      expect(
        fire(side, side === 'buy' ? { equalHighsAbove: 1 } : { equalLowsBelow: 1 }) & TRIGGER_FACTORS.liquidity_risk,
      ).toBeTruthy();
      expect(fire(side, { vwapZone: 2, vwapAtr: 1.6 * k }) & TRIGGER_FACTORS.vwap_outer).toBeTruthy();
      // ...and the against-the-trade versions do not fire the directional rules.
      expect(fire(side, { ema200Atr: -2.1 * k }) & TRIGGER_FACTORS.rmag_stretched).toBe(0);
      expect(fire(side, { ema50Slope: -0.2 * k, ema200Slope: -0.1 * k }) & TRIGGER_FACTORS.quality_trend).toBe(0);
      expect(fire(side, { rsi: 50 - 20 * k, adx: 10 }) & TRIGGER_FACTORS.fake_momentum).toBe(0);
      expect(fire(side, { vwapZone: 2, vwapAtr: -1.6 * k }) & TRIGGER_FACTORS.vwap_outer).toBe(0);
    }
  });

  it('missing features never fire a rule', () => {
    const r = advancedTriggers(
      'buy',
      neutralFeatures({ ema200Atr: NaN, vwapAtr: NaN, squeeze: -1, rsi: NaN, adx: NaN, atr: NaN }),
      30,
      60,
      tp('XAUUSD'),
      out(),
    );
    expect(r).toEqual({ breakevenPct: 30, partialPct: 60, factors: 0, noData: 0 });
  });
});

describe('trade type decides the base triggers', () => {
  const mk = (o: { comment?: string; sl?: number; atrH1?: number; time?: number; symbol?: string }) =>
    new ExitHarness({
      symbol: o.symbol ?? 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: o.sl ?? 1990,
      tp: 2030,
      comment: o.comment ?? '',
      time: o.time ?? LONDON_TIME,
      features: neutralFeatures({ atrH1: o.atrH1 ?? NaN }),
    }).plan;

  it('SCALP 25/40/70, INTRADAY 30/60/50, WEEKEND 25/50/60', () => {
    const scalp = mk({ comment: 'quick scalp' });
    expect([scalp.tradeType, scalp.breakevenPct, scalp.partialPct, scalp.partialClosePct]).toEqual([
      'SCALP',
      25,
      40,
      70,
    ]);
    const intraday = mk({ comment: 'swing' });
    expect([intraday.tradeType, intraday.breakevenPct, intraday.partialPct, intraday.partialClosePct]).toEqual([
      'INTRADAY',
      30,
      60,
      50,
    ]);
    const saturday = Date.UTC(2024, 4, 18, 12);
    const weekend = mk({ symbol: 'BTCUSDc', time: saturday });
    expect([weekend.tradeType, weekend.breakevenPct, weekend.partialPct, weekend.partialClosePct]).toEqual([
      'WEEKEND',
      25,
      50,
      60,
    ]);
    // Gold is not crypto: never WEEKEND.
    expect(mk({ time: saturday }).tradeType).not.toBe('WEEKEND');
  });

  it('keywords match whole words only; !force overrides', () => {
    expect(mk({ comment: 'breakfast trade' }).tradeType).toBe('INTRADAY');
    expect(mk({ comment: 'shortcut' }).tradeTypeReason).not.toMatch(/short/);
    expect(mk({ comment: 'let it run !force:scalp' }).tradeType).toBe('SCALP');
    expect(mk({ comment: 'scalp !force:intraday' }).tradeType).toBe('INTRADAY');
  });

  it('stop distance / ATR(H1) <= 1 means SCALP, else INTRADAY; Asian hours mean SCALP', () => {
    expect(mk({ sl: 1995, atrH1: 6 }).tradeType).toBe('SCALP');
    expect(mk({ sl: 1990, atrH1: 6 }).tradeType).toBe('INTRADAY');
    expect(mk({ time: Date.UTC(2024, 4, 16, 3) }).tradeType).toBe('SCALP');
    expect(mk({ time: Date.UTC(2024, 4, 16, 22) }).tradeTypeConfidence).toBe(0.5);
  });
});

describe('per-symbol trailing and buffer multipliers, with session adjustments', () => {
  it.each([
    // The per-symbol multipliers; the % of price minimum change is 0 by default (the minimum is in ATR now).
    ['BTCUSDc', 2.0, 0.5, 0],
    ['XAUUSDc', 1.5, 0.3, 0],
    ['EURUSDc', 1.2, 0.2, 0],
    ['GBPUSDc', 1.3, 0.25, 0],
    ['USDJPYc', 1.2, 0.2, 0],
    ['AUDCADc', 1.5, 0.3, 0],
  ])('%s: trailing %s, buffer %s, min change %s%%', (symbol, trail, buffer, minChange) => {
    const p = resolveSymbolParams(cfg.exits, canon(symbol));
    expect([p.trailingMultiplier, p.bufferMultiplier, p.minSlChangePct]).toEqual([trail, buffer, minChange]);
  });

  it('session adjustments apply to decorated symbols (the original never reached them) and DEFAULT has none', () => {
    const btc = resolveSymbolParams(cfg.exits, canon('BTCUSDc'));
    expect(trailingMultiplierFor(btc, 'ASIAN')).toBe(2.2);
    expect(trailingMultiplierFor(btc, 'OVERLAP')).toBe(1.8);
    expect(trailingMultiplierFor(btc, 'POST_NY')).toBe(2.0);
    const other = resolveSymbolParams(cfg.exits, 'AUDCAD');
    expect(trailingMultiplierFor(other, 'ASIAN')).toBe(1.5);
  });
});

describe('the breakeven buffer survives a minor retracement, not a larger one', () => {
  // A simulated broker stops the position out when a bar's low reaches the SL.
  const run = (retraceAtr: number) => {
    const atr = 10;
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1980,
      tp: 2050,
      features: neutralFeatures({ atr }),
    });
    h.step(2016, 0.3); // 32% progress -> breakeven at 2000 + 0.3 - 3 = 1997.3
    expect(h.position.sl).toBe(1997.3);
    const low = 2000 - retraceAtr * atr;
    const stoppedOut = low <= h.position.sl!;
    return { stoppedOut, sl: h.position.sl };
  };
  it('a 0.2 x ATR retrace survives', () => expect(run(0.2).stoppedOut).toBe(false));
  it('a 0.4 x ATR retrace stops out', () => expect(run(0.4).stoppedOut).toBe(true));
});

describe("legacy rules import with the Python bot's defaults", () => {
  const legacy = {
    ticket: 123456,
    symbol: 'XAUUSDc',
    entry_price: 2400,
    direction: 'BUY',
    initial_sl: 2390,
    initial_tp: 2420,
    breakeven_profit_pct: 30,
    partial_profit_pct: 60,
    partial_close_pct: 50,
    breakeven_triggered: true,
    trailing_active: true,
  };

  it('old rules default their trailing multiplier to 1.5', () => {
    const p = parseLegacyRule('123456', legacy);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const plan = planFromLegacy(p.rule, instrumentFromConfig(cfg, 'XAUUSDc'), 0.1, LONDON_TIME);
    expect(plan.trailingMultiplier).toBe(1.5);
    expect(plan.breakevenState).toBe(BREAKEVEN_DONE);
    expect(plan.side).toBe('buy');
  });

  it('missing percentages take the original loader defaults 30/60/50', () => {
    const { breakeven_profit_pct: _a, partial_profit_pct: _b, partial_close_pct: _c, ...rest } = legacy;
    const p = parseLegacyRule('123456', rest);
    if (!p.ok) throw new Error(p.reason);
    const plan = planFromLegacy(p.rule, instrumentFromConfig(cfg, 'XAUUSDc'), 0.1, LONDON_TIME);
    expect([plan.breakevenPct, plan.partialPct, plan.partialClosePct]).toEqual([30, 60, 50]);
  });

  it('fractional percentages (older format) are migrated; a BUY with SL above entry is rejected with its reason', () => {
    const f = parseLegacyRule('1', {
      ...legacy,
      breakeven_profit_pct: 0.3,
      partial_profit_pct: 0.6,
      partial_close_pct: 0.5,
    });
    expect(f.ok && [f.rule.breakeven_profit_pct, f.rule.partial_profit_pct, f.rule.partial_close_pct]).toEqual([
      30, 60, 50,
    ]);
    const bad = parseLegacyRule('2', { ...legacy, initial_sl: 2900 });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/wrong side of entry/);
    const missing = parseLegacyRule('3', { symbol: 'X' });
    expect(!missing.ok && missing.reason).toMatch(/ticket/);
  });

  it('RMAG threshold defaults to 2.0 for unknown symbols', () => {
    expect(resolveSymbolParams(cfg.exits, 'NZDCHF').rmagThreshold).toBe(2.0);
  });
});

describe('breakeven, partial and trailing, each once', () => {
  it('breakeven then partial then trailing, each once, with lot-step volumes', () => {
    // The minimum change in ATR: 0.3 x ATR 2 = 0.6 (a minimum of 0.08% of price would be 1.6 here).
    const h = new ExitHarness({
      config: config({ exits: { trailing: { fromBreakevenStop: false, tightenPerR: 0, minChangeAtr: 0.3 } } }),
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1990,
      tp: 2020,
      volume: 0.3,
      features: neutralFeatures({ atr: 2 }),
    });
    expect(h.step(2006.1)[0]!.rule).toBe('breakeven');
    const partial = h.step(2012.1);
    expect(partial[0]!.rule).toBe('partial');
    expect(partial[0]!.volume).toBe(0.15);
    expect(h.position.volume).toBe(0.15);
    expect(h.plan.partialState).toBe(PARTIAL_DONE);
    const trail = h.step(2015);
    expect(trail[0]!.rule).toBe('trail');
    expect(trail[0]!.newSl).toBe(2012); // 2015 - 2 x 1.5
    expect(h.step(2015.5)).toHaveLength(0); // 0.5 improvement < 0.6 (0.3 ATR)
    expect(h.last('trail').reason).toBe('below_min_change');
    expect(h.step(2017)[0]!.newSl).toBe(2014);
    expect(h.sent.filter((i) => i.rule === 'partial')).toHaveLength(1);
  });
});
