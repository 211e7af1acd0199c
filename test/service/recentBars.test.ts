import { describe, expect, it } from 'vitest';
import { RecentBars } from '../../src/service/recentBars.ts';

const bar = (t: number) => ({ time: t, open: t, high: t + 1, low: t - 1, close: t, volume: 0, spread: 0 });

describe('RecentBars', () => {
  it('keeps the last N bars per symbol, oldest first, across the ring wrapping', () => {
    const r = new RecentBars(['A', 'B'], 5);
    for (let t = 1; t <= 3; t++) r.add('A', bar(t));
    expect(r.last('A', 10)!.map((b) => b.time)).toEqual([1, 2, 3]);
    expect(r.last('A', 2)!.map((b) => b.time)).toEqual([2, 3]);
    for (let t = 4; t <= 12; t++) r.add('A', bar(t));
    expect(r.last('A', 10)!.map((b) => b.time)).toEqual([8, 9, 10, 11, 12]);
    expect(r.last('A', 3)!.map((b) => b.time)).toEqual([10, 11, 12]);
    expect(r.last('B', 3)).toEqual([]);
    expect(r.last('C', 3)).toBeUndefined();
    r.add('C', bar(1));
    expect(r.last('C', 3)).toBeUndefined();
  });
});
