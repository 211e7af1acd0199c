// exits.noDataPasses: a trailing gate or an advanced trigger rule whose input is missing. true (paper,
// replay, the original): a gate without data passes, a rule without data does not fire. false (a real
// account): the trail waits and its record names the gate without data; a tightening rule fires.
import { describe, expect, it } from 'vitest';
import { resolveAccountDefaults } from '../../src/config/accountDefaults.ts';
import { configSchema } from '../../src/config/schema.ts';
import { advancedTriggers, TRIGGER_FACTORS } from '../../src/exits/advancedTriggers.ts';
import { triggerParamsFor } from '../../src/exits/exitPlan.ts';
import { resolveSymbolParams } from '../../src/exits/symbolParams.ts';
import { evaluateTrailingGates, gateParamsFor, newTrailingGateFields, NO_DATA } from '../../src/exits/trailingGates.ts';
import { explainDecision } from '../../src/exits/decisionRecord.ts';
import { config, ExitHarness, neutralFeatures } from '../support/exitHarness.ts';

const exitsWith = (noDataPasses: boolean | null) => configSchema.parse({ exits: { noDataPasses } }).exits;

describe('exits.noDataPasses', () => {
  it('defaults to null and resolves by the account: false on a real one, true on paper and in replay', () => {
    const cfg = configSchema.parse({});
    expect(cfg.exits.noDataPasses).toBeNull();
    expect(resolveAccountDefaults(cfg, { real: true }).exits.noDataPasses).toBe(false);
    expect(resolveAccountDefaults(cfg, { real: false }).exits.noDataPasses).toBe(true);
    // A value the trader set is kept either way.
    const set = configSchema.parse({ exits: { noDataPasses: true } });
    expect(resolveAccountDefaults(set, { real: true }).exits.noDataPasses).toBe(true);
  });

  it('a gate with NaN input passes with true, holds the trail with false, recorded as no data either way', () => {
    const f = neutralFeatures({ ema200Atr: NaN });
    for (const [passes, expected] of [
      [true, 0],
      [false, NO_DATA],
    ] as const) {
      const p = gateParamsFor(exitsWith(passes), 2);
      const r = newTrailingGateFields();
      expect(evaluateTrailingGates('buy', false, 1, 0.6, f, p, r)).toBe(expected);
      expect(r.gateRmag).toBe(-1);
      expect(r.advisoryFailures).toBe(0);
    }
    // A switched-off gate needs no data; null behaves as the original (passes).
    const off = gateParamsFor(
      configSchema.parse({ exits: { noDataPasses: false, trailing: { gates: { rmag: false } } } }).exits,
      2,
    );
    expect(evaluateTrailingGates('buy', false, 1, 0.6, f, off, newTrailingGateFields())).toBe(0);
    expect(
      evaluateTrailingGates('buy', false, 1, 0.6, f, gateParamsFor(exitsWith(null), 2), newTrailingGateFields()),
    ).toBe(0);
    // The critical gate comes first: without R there is nothing to wait for.
    expect(
      evaluateTrailingGates('buy', false, 0.1, 0.6, f, gateParamsFor(exitsWith(false), 2), newTrailingGateFields()),
    ).toBe(-1);
  });

  it('the trail waits on a gate without data, and its record says which', () => {
    const run = (noDataPasses: boolean) => {
      const h = new ExitHarness({
        symbol: 'XAUUSD',
        side: 'buy',
        entry: 2400,
        sl: 2390,
        tp: 2440,
        config: config({ exits: { noDataPasses, breakeven: { enabled: false } } }),
        features: neutralFeatures({ atr: 2, price: 2410, squeeze: -1, hvnDistAtr: NaN }),
      });
      h.step(2410);
      return h;
    };
    const strict = run(false);
    expect(strict.sent.filter((i) => i.rule === 'trail')).toEqual([]);
    const rec = strict.last('trail');
    expect(rec).toMatchObject({
      outcome: 'wait',
      reason: 'gate_no_data',
      gateVolatility: -1,
      gateHvn: -1,
      gateRmag: 1,
    });
    expect(explainDecision(rec)).toContain('volatility no data');

    const lenient = run(true);
    expect(lenient.sent.filter((i) => i.rule === 'trail')).toHaveLength(1);
    expect(lenient.last('trail')).toMatchObject({ gateVolatility: -1, gateHvn: -1 });
  });

  it('advanced triggers: a tightening rule without data fires with false, never with true; a widening one never', () => {
    const cfg = configSchema.parse({});
    const params = resolveSymbolParams(cfg.exits, 'XAUUSD');
    const out = () => ({ breakevenPct: 0, partialPct: 0, factors: 0, noData: 0 });
    const blind = neutralFeatures({
      ema200Atr: NaN,
      vwapAtr: NaN,
      vwapZone: -1,
      squeeze: -1,
      rsi: NaN,
      adx: NaN,
      ema50Slope: NaN,
      ema200Slope: NaN,
      pdh: NaN,
    });
    const lenient = advancedTriggers('buy', blind, 30, 60, triggerParamsFor(exitsWith(true), params), out());
    expect(lenient).toEqual({ breakevenPct: 30, partialPct: 60, factors: 0, noData: 0 });
    const strict = advancedTriggers('buy', blind, 30, 60, triggerParamsFor(exitsWith(false), params), out());
    // RMAG without data counts as stretched (which rules out the squeeze rule, as a real stretch does).
    const expected =
      TRIGGER_FACTORS.rmag_stretched |
      TRIGGER_FACTORS.fake_momentum |
      TRIGGER_FACTORS.liquidity_risk |
      TRIGGER_FACTORS.vwap_outer;
    expect(strict.factors).toBe(expected);
    expect(strict.noData).toBe(expected);
    expect(strict.factors & (TRIGGER_FACTORS.quality_trend | TRIGGER_FACTORS.mtf_aligned)).toBe(0);
    expect([strict.breakevenPct, strict.partialPct]).toEqual([20, 40]);
    // With the data there, the same settings decide as before.
    const seen = neutralFeatures({ pdh: 2500, price: 2400, atr: 2 });
    expect(advancedTriggers('buy', seen, 30, 60, triggerParamsFor(exitsWith(false), params), out())).toEqual(
      advancedTriggers('buy', seen, 30, 60, triggerParamsFor(exitsWith(true), params), out()),
    );
  });

  it('the triggers record names the rules that fired for want of data', () => {
    const h = new ExitHarness({
      symbol: 'XAUUSD',
      side: 'buy',
      entry: 2400,
      sl: 2390,
      tp: 2440,
      config: config({ exits: { noDataPasses: false } }),
      features: neutralFeatures({ squeeze: -1, pdh: 2500, price: 2400, atr: 2 }),
    });
    const rec = h.records('triggers')[0]!;
    expect(rec.note).toBe('no data: squeeze');
  });
});
