// The steps that explain a trigger adjustment: replayed from the base they end where the advanced
// rules end (the value a trader is told is the value the engine uses), each step is a rule that fired,
// and the words name the rules that moved the trigger and nothing when none did.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import {
  advancedTriggers,
  ALL_TRIGGERS,
  TRIGGER_FACTORS,
  type TriggerParams,
  type TriggerResult,
} from '../../src/exits/advancedTriggers.ts';
import { triggerParamsFor } from '../../src/exits/exitPlan.ts';
import { resolveSymbolParams } from '../../src/exits/symbolParams.ts';
import { adjustmentWords, triggerSteps } from '../../src/exits/triggerSteps.ts';
import { neutralFeatures } from '../support/exitHarness.ts';

const exits = configSchema.parse({}).exits;
const params = (canonical: string, over: Partial<TriggerParams> = {}): TriggerParams => ({
  ...triggerParamsFor(exits, resolveSymbolParams(exits, canonical)),
  ...over,
});

const featuresArb = fc.record({
  price: fc.double({ min: 90, max: 110, noNaN: true }),
  atr: fc.oneof(fc.constant(NaN), fc.double({ min: 0.05, max: 5, noNaN: true })),
  ema200Atr: fc.oneof(fc.constant(NaN), fc.double({ min: -8, max: 8, noNaN: true })),
  vwapAtr: fc.oneof(fc.constant(NaN), fc.double({ min: -6, max: 6, noNaN: true })),
  vwapZone: fc.constantFrom(-1 as const, 0 as const, 1 as const, 2 as const),
  squeeze: fc.constantFrom(-1 as const, 0 as const, 1 as const),
  mtfUp: fc.integer({ min: 0, max: 3 }),
  mtfDown: fc.integer({ min: 0, max: 3 }),
  ema50Slope: fc.double({ min: -1, max: 1, noNaN: true }),
  ema200Slope: fc.double({ min: -0.3, max: 0.3, noNaN: true }),
  rsi: fc.oneof(fc.constant(NaN), fc.double({ min: 0, max: 100, noNaN: true })),
  adx: fc.oneof(fc.constant(NaN), fc.double({ min: 0, max: 60, noNaN: true })),
  pdh: fc.oneof(fc.constant(NaN), fc.double({ min: 90, max: 112, noNaN: true })),
  pdl: fc.oneof(fc.constant(NaN), fc.double({ min: 88, max: 110, noNaN: true })),
  equalHighsAbove: fc.constantFrom(0 as const, 1 as const),
  equalLowsBelow: fc.constantFrom(0 as const, 1 as const),
});

describe('triggerSteps', () => {
  it("replayed from the base, the steps end at the advanced rules' result; each step is a rule that fired; words iff a step", () => {
    fc.assert(
      fc.property(
        fc.constantFrom('buy' as const, 'sell' as const),
        featuresArb,
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: ALL_TRIGGERS }),
        fc.boolean(),
        fc.constantFrom('BTCUSD', 'XAUUSD', 'EURUSD'),
        (side, over, be, gap, enabled, noDataPasses, canonical) => {
          const f = neutralFeatures(over);
          const pa = Math.min(100, be + gap);
          const p = params(canonical, { enabled, noDataPasses });
          const full = advancedTriggers(side, f, be, pa, p, {} as TriggerResult);
          const s = triggerSteps(side, f, be, pa, p);
          expect([s.breakevenPct, s.partialPct]).toEqual([full.breakevenPct, full.partialPct]);
          for (const [steps, base, end] of [
            [s.breakeven, be, full.breakevenPct],
            [s.partial, pa, full.partialPct],
          ] as const) {
            let at = base;
            for (const st of steps) {
              expect(st.from).toBe(at);
              expect(st.to).not.toBe(st.from);
              expect(full.factors & TRIGGER_FACTORS[st.factor]).not.toBe(0);
              expect(st.noData).toBe(((full.noData ?? 0) & TRIGGER_FACTORS[st.factor]) !== 0);
              at = st.to;
            }
            expect(at).toBe(end);
            const words = adjustmentWords(steps, side, f, p);
            expect(words === null).toBe(steps.length === 0);
          }
        },
      ),
      { numRuns: 2000, seed: 19 },
    );
  });

  it("examples: an RMAG stretch in the trade's favour on gold; a squeeze undone by a quality trend with MTF alignment", () => {
    // A buy of XAUUSD 2.6 ATR above EMA200 (threshold 2): breakeven 50 -> 20, partial 70 -> 40.
    const stretched = neutralFeatures({ ema200Atr: 2.6, vwapAtr: 0.4 });
    const s = triggerSteps('buy', stretched, 50, 70, params('XAUUSD'));
    expect([s.breakevenPct, s.partialPct]).toEqual([20, 40]);
    expect(adjustmentWords(s.breakeven, 'buy', stretched, params('XAUUSD'))).toBe(
      "the advanced triggers: RMAG stretched in the trade's favour (price +2.6 ATR from EMA200 against the threshold 2, +0.4 ATR from VWAP against 3), 50% -> 20%",
    );
    // The same reading on BTCUSD (threshold 4) moves nothing.
    const btc = triggerSteps('buy', stretched, 50, 70, params('BTCUSD'));
    expect([btc.breakevenPct, btc.partialPct, btc.breakeven.length, btc.partial.length]).toEqual([50, 70, 0, 0]);
    // A squeeze caps the partial at 50, then MTF alignment on a quality trend lifts it to 80.
    const trend = neutralFeatures({ ema200Atr: 0.5, ema50Slope: 0.3, ema200Slope: 0.1, squeeze: 1, mtfUp: 3 });
    const t = triggerSteps('buy', trend, 30, 60, params('EURUSD'));
    expect(t.partial.map((st) => [st.factor, st.from, st.to])).toEqual([
      ['quality_trend', 60, 70],
      ['squeeze', 70, 50],
      ['mtf_aligned', 50, 80],
    ]);
    expect(adjustmentWords(t.partial, 'buy', trend, params('EURUSD'))).toContain(
      'a volatility squeeze (Bollinger width in its lowest 20% of the last 100 bars), 70% -> 50%',
    );
  });
});
