// The order-flow inputs DTMS builds from bars' tick volume: each bar's volume split by where it closed
// in its range, summed over the last 15 bars, and the net delta's z-score against one bar's spread.
import { describe, expect, it } from 'vitest';
import type { Bar } from '../../src/domain/types.ts';
import { DtmsFeatures } from '../../src/dtms/dtmsFeatures.ts';

const T0 = Date.UTC(2024, 0, 3, 8, 0);
const bar = (k: number, closeAt: 'high' | 'low' | 'mid', volume = 10): Bar => {
  const low = 100;
  const high = 101;
  const close = closeAt === 'high' ? high : closeAt === 'low' ? low : 100.5;
  return { time: T0 + k * 60_000, open: 100.5, high, low, close, volume, spread: 0.01 };
};

describe('DTMS order flow from tick volume', () => {
  it('no data with fewer than 15 bars of volume; bars without volume are left out', () => {
    const f = new DtmsFeatures('M1');
    for (let k = 0; k < 14; k++) f.onBar(bar(k, 'high'));
    for (let k = 14; k < 40; k++) f.onBar(bar(k, 'high', 0));
    const s = f.signals();
    expect([s.buyVolume, s.sellVolume, s.deltaZ]).toEqual([NaN, NaN, NaN]);
  });

  it('closes at the high are buying, at the low selling; a run of buying stands out against the spread of the deltas', () => {
    const f = new DtmsFeatures('M1');
    let k = 0;
    for (; k < 300; k++) f.onBar(bar(k, k % 2 === 0 ? 'high' : 'low'));
    const balanced = f.signals();
    expect(balanced.buyVolume + balanced.sellVolume).toBe(150);
    expect(Math.abs(balanced.deltaZ)).toBeLessThan(0.5);
    for (let j = 0; j < 15; j++, k++) f.onBar(bar(k, 'high'));
    const s = f.signals();
    expect([s.buyVolume, s.sellVolume]).toEqual([150, 0]);
    // Net 150 over 15 bars against a per-bar spread of about 10: z about 150 / (10 x sqrt 15) = 3.9.
    expect(s.deltaZ).toBeGreaterThan(3);
    for (let j = 0; j < 15; j++, k++) f.onBar(bar(k, 'low'));
    expect(f.signals().deltaZ).toBeLessThan(-3);
  });

  it('a bar without range is half buying, half selling', () => {
    const f = new DtmsFeatures('M1');
    for (let k = 0; k < 15; k++) f.onBar({ ...bar(k, 'mid'), high: 100.5, low: 100.5, close: 100.5 });
    const s = f.signals();
    expect([s.buyVolume, s.sellVolume, s.deltaZ]).toEqual([75, 75, 0]);
  });
});
