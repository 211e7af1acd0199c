import { describe, expect, it } from 'vitest';
import { SessionVwap } from '../../src/features/sessionVwap.ts';
import { HOUR, MIN, bar, randomWalkBars, same } from './helpers.ts';

const DAY0 = Date.UTC(2024, 4, 7); // Tuesday 00:00 UTC

describe('SessionVwap', () => {
  it('volume-weighted typical price; resets at the anchor hour (UTC)', () => {
    const v = new SessionVwap(7);
    expect(v.value).toBeNaN();
    // tp = (H + L + C) / 3
    v.update(bar(DAY0 + 6 * HOUR, 10, 12, 9, 9, 2)); // tp 10, previous session
    expect(v.value).toBe(10);
    v.update(bar(DAY0 + 6 * HOUR + 59 * MIN, 10, 13, 10, 13, 1)); // tp 12
    expect(v.value).toBeCloseTo((10 * 2 + 12 * 1) / 3, 12);
    const before = v.session;
    v.update(bar(DAY0 + 7 * HOUR, 20, 22, 20, 21, 4)); // 07:00: a new session, tp 21
    expect(v.session).toBe(before + 1);
    expect(v.sessionStart).toBe(DAY0 + 7 * HOUR);
    expect(v.value).toBe(21);
    v.update(bar(DAY0 + 7 * HOUR + MIN, 20, 25, 20, 24, 1)); // tp 23
    expect(v.value).toBeCloseTo((21 * 4 + 23) / 5, 12);
    // next day 06:59 is still the same session; 07:00 resets again
    v.update(bar(DAY0 + 30 * HOUR + 59 * MIN, 1, 1, 1, 1, 0));
    expect(v.bars).toBe(3);
    v.update(bar(DAY0 + 31 * HOUR, 5, 5, 5, 5, 1));
    expect(v.bars).toBe(1);
    expect(v.value).toBe(5);
  });

  it('anchor 0: midnight UTC starts a session', () => {
    const v = new SessionVwap(0);
    v.update(bar(DAY0 - MIN, 1, 1, 1, 1, 1));
    v.update(bar(DAY0, 3, 3, 3, 3, 1));
    expect(v.value).toBe(3);
    expect(v.sessionStart).toBe(DAY0);
  });

  it('time-weights bars while the session has no volume, and says so', () => {
    const v = new SessionVwap(0);
    v.update(bar(DAY0, 1, 2, 0, 1, 0)); // tp 1
    v.update(bar(DAY0 + MIN, 1, 4, 1, 4, 0)); // tp 3
    expect(v.timeWeighted).toBe(true);
    expect(v.value).toBe(2);
    expect(v.peekTimeWeighted(bar(DAY0 + 2 * MIN, 1, 1, 1, 1, 0))).toBe(true);
    expect(v.peekTimeWeighted(bar(DAY0 + 2 * MIN, 1, 1, 1, 1, 5))).toBe(false);
    v.update(bar(DAY0 + 2 * MIN, 6, 6, 6, 6, 5)); // first volume: switch to volume weighting
    expect(v.timeWeighted).toBe(false);
    expect(v.value).toBe(6);
    v.update(bar(DAY0 + 24 * HOUR, 1, 1, 1, 1, 0)); // new session, no volume again
    expect(v.timeWeighted).toBe(true);
  });

  it('peek() equals value after update(), including across a session boundary', () => {
    const bars = randomWalkBars(5000, { seed: 3, start: DAY0 + 20 * HOUR, stepMs: MIN });
    const v = new SessionVwap(21);
    for (const b of bars) {
      const p = v.peek(b);
      const tw = v.peekTimeWeighted(b);
      v.update(b);
      expect(Math.abs(p - v.value)).toBeLessThanOrEqual(1e-12 * Math.abs(v.value));
      expect(tw).toBe(v.timeWeighted);
    }
    const w = new SessionVwap(0);
    for (const b of randomWalkBars(300, { seed: 4, volume: false, start: DAY0 + 22 * HOUR, stepMs: 15 * MIN })) {
      const p = w.peek(b);
      w.update(b);
      expect(same(p, w.value) || Math.abs(p - w.value) < 1e-12 * Math.abs(p)).toBe(true);
      expect(w.timeWeighted).toBe(true);
    }
  });

  it('rejects a bad anchor', () => {
    expect(() => new SessionVwap(24)).toThrow(RangeError);
  });
});
