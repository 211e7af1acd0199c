import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ceilToStep,
  floorToStep,
  isStepMultiple,
  isTighterStop,
  roundStop,
  roundVolumeDown,
} from '../../src/domain/rounding.ts';
import { isWeekendWindow, sessionAt } from '../../src/domain/sessions.ts';

const STEPS = [0.00001, 0.0001, 0.001, 0.01, 0.05, 0.1, 0.25, 0.3, 0.5, 1, 5, 10];

describe('safe rounding', () => {
  it('a buy stop rounds down, a sell stop rounds up, to the tick', () => {
    expect(roundStop('buy', 2370.5004, 0.001)).toBe(2370.5);
    expect(roundStop('sell', 2370.5004, 0.001)).toBe(2370.501);
    expect(roundStop('buy', 2370.5, 0.001)).toBe(2370.5); // already on a tick: unchanged despite 2370.5/0.001 float noise
    expect(roundStop('sell', 1.234565, 0.00001)).toBe(1.23457);
    expect(roundStop('buy', 92716.6667, 0.01)).toBe(92716.66);
    expect(roundStop('buy', 101.3, 0.25)).toBe(101.25);
    expect(roundStop('sell', 101.3, 0.25)).toBe(101.5);
  });

  it('volumes round down to the lot step', () => {
    expect(roundVolumeDown(0.035, 0.01)).toBe(0.03);
    expect(roundVolumeDown(0.07, 0.01)).toBe(0.07);
    expect(roundVolumeDown(0.005, 0.01)).toBe(0);
    expect(roundVolumeDown(1.99, 0.1)).toBe(1.9);
  });

  it('results are exact step multiples on the safe side of the input (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STEPS), fc.double({ min: 0.0001, max: 200_000, noNaN: true }), (step, v) => {
        const down = floorToStep(v, step);
        const up = ceilToStep(v, step);
        expect(isStepMultiple(down, step)).toBe(true);
        expect(isStepMultiple(up, step)).toBe(true);
        expect(down).toBeLessThanOrEqual(v + step * 1e-6);
        expect(up).toBeGreaterThanOrEqual(v - step * 1e-6);
        expect(up - down).toBeLessThanOrEqual(step + v * 1e-12);
        // The fast path gives the same double as formatting the decimal value.
        const d = Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) + (step === 0.25 || step === 0.05 ? 1 : 0);
        expect(down).toBe(Number((Math.floor(v / step + 1e-7) * step).toFixed(d + 1)));
      }),
      { numRuns: 3000 },
    );
  });

  it('tighter means higher for a buy, lower for a sell; any stop tightens a position without one', () => {
    expect(isTighterStop('buy', 10, 9)).toBe(true);
    expect(isTighterStop('buy', 9, 10)).toBe(false);
    expect(isTighterStop('sell', 9, 10)).toBe(true);
    expect(isTighterStop('sell', 10, 10)).toBe(false);
    expect(isTighterStop('sell', 10, null)).toBe(true);
  });
});

describe('sessions (UTC)', () => {
  it.each([
    [0, 'ASIAN'],
    [7, 'ASIAN'],
    [8, 'LONDON'],
    [12, 'LONDON'],
    [13, 'OVERLAP'],
    [15, 'OVERLAP'],
    [16, 'NY'],
    [20, 'NY'],
    [21, 'POST_NY'],
    [23, 'POST_NY'],
  ])('%s:00 is %s', (h, s) => expect(sessionAt(Date.UTC(2024, 4, 15, h as number, 30))).toBe(s));

  it('the crypto weekend runs from Friday 23:00 to Monday 03:00 UTC', () => {
    expect(isWeekendWindow(Date.UTC(2024, 4, 17, 22, 59))).toBe(false); // Friday 22:59
    expect(isWeekendWindow(Date.UTC(2024, 4, 17, 23, 0))).toBe(true);
    expect(isWeekendWindow(Date.UTC(2024, 4, 18, 12))).toBe(true); // Saturday
    expect(isWeekendWindow(Date.UTC(2024, 4, 19, 12))).toBe(true); // Sunday
    expect(isWeekendWindow(Date.UTC(2024, 4, 20, 2, 59))).toBe(true); // Monday 02:59
    expect(isWeekendWindow(Date.UTC(2024, 4, 20, 3, 0))).toBe(false);
    expect(isWeekendWindow(Date.UTC(2024, 4, 15, 12))).toBe(false); // Wednesday
  });
});
