// Money-safety invariants of the exit decisions, as properties over random positions, instrument
// rules, price paths, feature values and broker behaviour (delays, rejections, duplicate answers,
// confirmation seen only through the position's state), for buys and sells.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStepMultiple, isTighterStop } from '../../src/domain/rounding.ts';
import type { Intent } from '../../src/domain/types.ts';
import { resolveIntent } from '../../src/exits/exitPlan.ts';
import { stopLimit } from '../../src/exits/stopRules.ts';
import { ExitHarness, neutralFeatures } from '../support/exitHarness.ts';

const instrumentArb = fc.record({
  tickSize: fc.constantFrom(0.00001, 0.001, 0.01, 0.05, 0.25, 1),
  lotStep: fc.constantFrom(0.01, 0.1, 1),
  minLotSteps: fc.integer({ min: 1, max: 5 }),
  stopsLevelPoints: fc.integer({ min: 0, max: 200 }),
  freezeLevelPoints: fc.constantFrom(0, 0, 0, 20),
});

const featuresArb = fc.record({
  atr: fc.oneof(fc.constant(NaN), fc.double({ min: 0.05, max: 5, noNaN: true })),
  ema200Atr: fc.oneof(fc.constant(NaN), fc.double({ min: -8, max: 8, noNaN: true })),
  vwapAtr: fc.double({ min: -4, max: 4, noNaN: true }),
  vwapZone: fc.constantFrom(-1 as const, 0 as const, 1 as const, 2 as const),
  squeeze: fc.constantFrom(-1 as const, 0 as const, 1 as const),
  mtfUp: fc.integer({ min: 0, max: 3 }),
  mtfDown: fc.integer({ min: 0, max: 3 }),
  hvnDistAtr: fc.oneof(fc.constant(NaN), fc.double({ min: 0, max: 3, noNaN: true })),
  ema50Slope: fc.double({ min: -1, max: 1, noNaN: true }),
  ema200Slope: fc.double({ min: -1, max: 1, noNaN: true }),
  rsi: fc.double({ min: 0, max: 100, noNaN: true }),
  adx: fc.double({ min: 0, max: 60, noNaN: true }),
});

const scenarioArb = fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  symbol: fc.constantFrom('XAUUSDc', 'BTCUSDc', 'EURUSD', 'USDJPYm', 'NAS100'),
  volumeSteps: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 60 })),
  slDist: fc.oneof(fc.constant(null), fc.double({ min: 0.5, max: 20, noNaN: true })),
  tpDist: fc.oneof(fc.constant(null), fc.double({ min: 0.5, max: 40, noNaN: true })),
  inst: instrumentArb,
  features: featuresArb,
  breakevenMode: fc.constantFrom('buffered' as const, 'lock' as const),
  // Trade types change the partial share: SCALP 70%, INTRADAY 50%.
  comment: fc.constantFrom('', 'scalp', 'swing'),
  // Price path as returns, plus per-step broker behaviour and feature drift.
  steps: fc.array(
    fc.record({
      move: fc.double({ min: -3, max: 3, noNaN: true }),
      spread: fc.constantFrom(0, 0.01, 0.2),
      broker: fc.constantFrom(
        'apply',
        'apply',
        'apply',
        'delay',
        'reject',
        'via_position',
        'duplicate',
        'manual_reduce',
      ),
      atrScale: fc.double({ min: 0.5, max: 2, noNaN: true }),
      advanceMs: fc.constantFrom(60_000, 300_000, 3_600_000),
    }),
    { minLength: 1, maxLength: 120 },
  ),
});

describe('exit decisions: money-safety invariants (property)', () => {
  it('stops never loosen, respect tick and stops level; volumes are lot-step multiples >= min lot and never exceed what is open; no intent id is sent twice', () => {
    fc.assert(
      // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
      fc.property(scenarioArb, (sc) => {
        const entry = 100;
        const s = sc.side === 'buy' ? 1 : -1;
        const minLot = Number((sc.inst.lotStep * sc.inst.minLotSteps).toFixed(8));
        const volume = Number((minLot + sc.inst.lotStep * sc.volumeSteps).toFixed(8));
        const h = new ExitHarness({
          symbol: sc.symbol,
          side: sc.side,
          entry,
          sl: sc.slDist === null ? null : entry - s * sc.slDist,
          tp: sc.tpDist === null ? null : entry + s * sc.tpDist,
          volume,
          comment: sc.comment,
          features: neutralFeatures(sc.features),
          instrument: {
            tickSize: sc.inst.tickSize,
            lotStep: sc.inst.lotStep,
            minLot,
            point: sc.inst.tickSize,
            stopsLevelPoints: sc.inst.stopsLevelPoints,
            freezeLevelPoints: sc.inst.freezeLevelPoints,
          },
          config: undefined,
        });
        h.ctx.exits = { ...h.ctx.exits, breakevenMode: sc.breakevenMode };
        h.autoApply = false;
        const baseAtr = h.features.atr;
        const seen = new Set<string>();
        let price = entry;
        let closed = 0;
        let delayed: Intent | null = null;
        for (const st of sc.steps) {
          price = Math.max(1, price + st.move);
          h.features.atr = baseAtr * st.atrScale;
          if (st.broker === 'manual_reduce' && h.position.volume - sc.inst.lotStep >= minLot - 1e-9) {
            // The trader closed a lot step by hand at the terminal.
            h.position.volume = Number((h.position.volume - sc.inst.lotStep).toFixed(8));
            closed += sc.inst.lotStep;
          }
          const slBefore = h.position.sl;
          const volBefore = h.position.volume;
          const out = h.step(price, st.spread, st.advanceMs);
          expect(out.length).toBeLessThanOrEqual(1);
          for (const i of out) {
            expect(seen.has(i.id)).toBe(false);
            seen.add(i.id);
            if (i.kind === 'move_stop') {
              expect(isTighterStop(sc.side, i.newSl, slBefore)).toBe(true);
              expect(isStepMultiple(i.newSl, sc.inst.tickSize)).toBe(true);
              const limit = stopLimit(sc.side, h.inst, price, price + st.spread);
              expect(sc.side === 'buy' ? i.newSl <= limit + 1e-9 : i.newSl >= limit - 1e-9).toBe(true);
            } else {
              expect(i.kind).toBe('close_partial');
              expect(isStepMultiple(i.volume, sc.inst.lotStep)).toBe(true);
              expect(i.volume).toBeGreaterThanOrEqual(minLot - 1e-9);
              expect(volBefore - i.volume).toBeGreaterThanOrEqual(minLot - 1e-9);
            }
            switch (st.broker) {
              case 'apply':
              case 'manual_reduce':
              case 'duplicate':
                h.apply(i);
                if (i.kind === 'close_partial') closed += i.volume;
                if (st.broker === 'duplicate') expect(resolveIntent(h.plan, i.id, 'applied')).toBe(false);
                break;
              case 'via_position':
                // The broker applied it but the answer was lost: the engine must see it from the position.
                if (i.kind === 'move_stop') h.position.sl = i.newSl;
                else {
                  h.position.volume = Number((h.position.volume - i.volume).toFixed(8));
                  closed += i.volume;
                }
                break;
              case 'reject':
                expect(resolveIntent(h.plan, i.id, 'rejected')).toBe(true);
                break;
              case 'delay':
                delayed = i;
                break;
            }
          }
          if (delayed && st.broker !== 'delay') {
            // A late answer for an intent already settled through the position changes nothing.
            if (h.plan.pending?.id === delayed.id) {
              // A trader's manual close while the partial was in flight can leave too little for it: the
              // broker refuses a remainder below the minimum lot (decided against the volume of then).
              if (delayed.kind === 'close_partial' && h.position.volume - delayed.volume < minLot - 1e-9) {
                expect(resolveIntent(h.plan, delayed.id, 'rejected')).toBe(true);
              } else {
                h.apply(delayed);
                if (delayed.kind === 'close_partial') closed += delayed.volume;
              }
            }
            delayed = null;
          }
          if (h.position.sl !== null && slBefore !== null)
            expect(isTighterStop(sc.side, slBefore, h.position.sl)).toBe(false);
          expect(closed).toBeLessThanOrEqual(volume - minLot + 1e-9);
          expect(h.position.volume).toBeGreaterThanOrEqual(minLot - 1e-9);
        }
      }),
      {
        numRuns: 400,
        examples: [
          // Found by CI: a bid a hair off a 1-point tick grid; the trail's fallback to the stops-level limit
          // rounded (within the rounding's tolerance) onto the wrong side of that limit.
          [
            {
              side: 'buy',
              symbol: 'XAUUSDc',
              volumeSteps: 1,
              slDist: 0.5,
              tpDist: null,
              inst: { tickSize: 1, lotStep: 0.01, minLotSteps: 1, stopsLevelPoints: 0, freezeLevelPoints: 0 },
              features: {
                atr: 0.05,
                ema200Atr: 0,
                vwapAtr: 0,
                vwapZone: -1,
                squeeze: -1,
                mtfUp: 0,
                mtfDown: 0,
                hvnDistAtr: 0,
                ema50Slope: 0,
                ema200Slope: 0,
                rsi: 0,
                adx: 0,
              },
              breakevenMode: 'buffered',
              comment: '',
              steps: [
                { move: 2.999999899999999, spread: 0, broker: 'apply', atrScale: 0.5, advanceMs: 60000 },
                { move: 0, spread: 0, broker: 'apply', atrScale: 0.5, advanceMs: 60000 },
              ],
            },
          ],
        ],
      },
    );
  });
});
