// "Start trailing now" (the API's POST /api/positions/{ticket}/trailing/start): the trader lets the
// plan trail before breakeven and past a failed critical gate. The stop still only tightens, by the
// ATR distance, rounded safely; and without the flag the plan waits for breakeven as before.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExitHarness, neutralFeatures } from '../support/exitHarness.ts';

const gold = (trailNow: boolean) => {
  const h = new ExitHarness({
    symbol: 'XAUUSD',
    side: 'buy',
    entry: 2400,
    sl: 2390,
    tp: 2440,
    features: neutralFeatures({ atr: 2, price: 2402 }),
  });
  h.plan.trailNow = trailNow;
  return h;
};

describe('trail now', () => {
  it('before breakeven: without the flag the plan waits; with it, the stop trails by ATR x multiplier', () => {
    const waiting = gold(false);
    waiting.step(2402);
    expect(waiting.sent.filter((i) => i.rule === 'trail')).toEqual([]);
    expect(waiting.last('trail').reason).toBe('breakeven_pending');

    const h = gold(true);
    h.step(2402);
    const trail = h.sent.filter((i) => i.rule === 'trail');
    expect(trail).toHaveLength(1);
    const mult = h.last('trail').multiplier;
    expect(trail[0]!.newSl).toBeCloseTo(2402 - 2 * mult, 6);
    expect(trail[0]!.newSl).toBeGreaterThan(2390);
    expect(h.plan.breakevenState).not.toBe(1);
  });

  it('never loosens the stop, whatever the prices (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 2380, max: 2420, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (prices) => {
          const h = gold(true);
          let sl = h.position.sl!;
          for (const p of prices) {
            h.step(Math.round(p * 100) / 100);
            expect(h.position.sl!).toBeGreaterThanOrEqual(sl);
            sl = h.position.sl!;
          }
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
