import { describe, expect, it } from 'vitest';
import { VolumeProfile } from '../../src/features/volumeProfile.ts';
import { MIN, bar, mulberry32 } from './helpers.ts';

const T = Date.UTC(2024, 4, 7);

describe('VolumeProfile', () => {
  it('hand-computed case: range 100..110, 5 bins of 2, weights split evenly over overlapped bins', () => {
    const vp = new VolumeProfile(4, 5);
    vp.update(bar(T, 100, 101.5, 100, 101, 10)); // bin 0: +10
    vp.update(bar(T + MIN, 103, 105, 103, 104, 6)); // bins 1, 2: +3 each
    vp.update(bar(T + 2 * MIN, 109, 110, 108.5, 109, 4)); // bin 4: +4
    expect(vp.ready).toBe(false);
    expect(vp.nearestHvnDistance(100)).toBeNaN();
    vp.update(bar(T + 3 * MIN, 101, 107, 100.5, 106, 8)); // bins 0..3: +2 each
    expect(vp.ready).toBe(true);
    expect([0, 1, 2, 3, 4].map((i) => vp.binVolume(i))).toEqual([12, 5, 5, 2, 4]);
    expect(vp.rangeLow).toBe(100);
    expect(vp.rangeHigh).toBe(110);
    expect(vp.hvn1).toBe(101); // bin 0 centre
    expect(vp.hvn2).toBe(103); // bins 1 and 2 tie at 5: the lower one
    expect(vp.nearestHvnDistance(104)).toBe(1);
    expect(vp.nearestHvnDistance(95)).toBe(6);
    expect(vp.nearestHvnDistance(102.5)).toBeCloseTo(0.5, 12);
    expect(vp.timeWeighted).toBe(false);

    // a fifth bar slides the window: the first bar (100..101.5) drops out, range becomes 100.5..110
    vp.update(bar(T + 4 * MIN, 109, 110, 109, 109.5, 30));
    expect(vp.rangeLow).toBe(100.5);
    expect(vp.size).toBe(4);
    // bins of 1.9 from 100.5: [100.5,102.4) [102.4,104.3) [104.3,106.2) [106.2,108.1) [108.1,110]
    // bar 2 (103..105): bins 1,2 +3 each; bar 3 (108.5..110): bin 4 +4; bar 4 (100.5..107): bins 0..3 +2; bar 5: bin 4 +30
    expect([0, 1, 2, 3, 4].map((i) => vp.binVolume(i))).toEqual([2, 5, 5, 2, 34]);
    expect(vp.hvn1).toBeCloseTo(100.5 + 4.5 * 1.9, 12);
    expect(vp.hvn2).toBeCloseTo(100.5 + 1.5 * 1.9, 12);
  });

  it('without volume every bar weighs 1 and timeWeighted is set', () => {
    const vp = new VolumeProfile(3, 5);
    vp.update(bar(T, 0, 1, 0, 1, 0)); // bins 0 (0..2): 1
    vp.update(bar(T + MIN, 0, 10, 0, 5, 0)); // bins 0..4: 0.2 each
    vp.update(bar(T + 2 * MIN, 0, 1.5, 0.5, 1, 0)); // bin 0: 1
    expect(vp.timeWeighted).toBe(true);
    expect(vp.binVolume(0)).toBeCloseTo(2.2, 12);
    expect(vp.hvn1).toBe(1);
    // bins 1..4 tie at 0.2: the lowest of them
    expect(vp.hvn2).toBe(3);
  });

  it('a flat window puts everything in one bin; a single HVN', () => {
    const vp = new VolumeProfile(3, 5);
    for (let i = 0; i < 3; i++) vp.update(bar(T + i * MIN, 5, 5, 5, 5, 2));
    expect(vp.hvn1).toBe(5);
    expect(vp.hvn2).toBeNaN();
    expect(vp.nearestHvnDistance(7)).toBe(2);
  });

  for (const [N, bins, volume] of [
    [50, 7, 'volume'],
    [200, 20, 'volume'],
    [200, 20, 'no volume'],
    [50, 20, 'volume, then none, then volume'],
  ] as const) {
    // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
    it(`matches a naive rebuild after every update (window ${N}, ${bins} bins, ${volume})`, () => {
      const rnd = mulberry32(11 + N);
      const vp = new VolumeProfile(N, bins);
      const hist: { h: number; l: number; v: number }[] = [];
      let p = 100;
      const updates = 3000;
      for (let i = 0; i < updates; i++) {
        p += (rnd() - 0.5) * 2;
        const h = p + rnd();
        const l = p - rnd();
        const none = volume === 'no volume' || (volume !== 'volume' && Math.floor(i / 400) % 2 === 1) || i % 97 === 0;
        const v = none ? 0 : Math.floor(rnd() * 50);
        vp.update(bar(T + i * MIN, p, h, l, p, v));
        hist.push({ h, l, v });
        if (hist.length < N) continue;
        const win = hist.slice(-N);
        const tw = win.every((x) => x.v === 0);
        const lo = Math.min(...win.map((x) => x.l));
        const hi = Math.max(...win.map((x) => x.h));
        const w = (hi - lo) / bins;
        const acc = new Array<number>(bins).fill(0);
        for (const x of win) {
          const a = Math.min(bins - 1, Math.floor((x.l - lo) / w));
          const b = Math.min(bins - 1, Math.floor((x.h - lo) / w));
          for (let k = a; k <= b; k++) acc[k]! += (tw ? 1 : x.v) / (b - a + 1);
        }
        expect(vp.timeWeighted).toBe(tw);
        for (let k = 0; k < bins; k++) expect(Math.abs(vp.binVolume(k) - acc[k]!)).toBeLessThan(1e-9);
        // the HVNs are the heaviest and second heaviest bins (either of two tied bins is fine)
        const sorted = [...acc].sort((x, y) => y - x);
        const binOf = (price: number): number => Math.round((price - lo) / w - 0.5);
        expect(Math.abs(acc[binOf(vp.hvn1)]! - sorted[0]!)).toBeLessThan(1e-9);
        expect(Math.abs(acc[binOf(vp.hvn2)]! - sorted[1]!)).toBeLessThan(1e-9);
        expect(binOf(vp.hvn1)).not.toBe(binOf(vp.hvn2));
      }
      // most updates were incremental
      expect(vp.rebuilds).toBeLessThan((updates - N) / 3);
      expect(vp.rebuilds).toBeGreaterThan((updates - N) / N);
    });
  }
});
