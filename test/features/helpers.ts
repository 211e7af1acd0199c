// Test helpers for the features suites: a tiny seeded PRNG and random-walk bars.
import type { Bar, Timeframe } from '../../src/domain/types.ts';
import { BarAggregator, copyBar, newBar } from '../../src/features/barAggregator.ts';

import { seededRandom } from '../../src/market/sampleMarket.ts';

/** mulberry32, the project's seeded PRNG (floats in [0, 1)). */
export const mulberry32 = seededRandom;

export interface WalkOptions {
  seed?: number;
  /** Open time of the first bar (epoch ms). */
  start?: number;
  stepMs?: number;
  price?: number;
  /** Std-dev-like scale of one bar's close-to-close move, in price units. */
  vol?: number;
  /** 0 for "unknown volume" bars. */
  volume?: boolean;
  /** Added to the close each bar (trend), in price units. */
  drift?: number;
}

/** A random walk of OHLC bars with consecutive open times. */
export function randomWalkBars(n: number, opts: WalkOptions = {}): Bar[] {
  const rnd = mulberry32(opts.seed ?? 1);
  const stepMs = opts.stepMs ?? 60_000;
  let t = opts.start ?? Date.UTC(2024, 0, 1);
  let price = opts.price ?? 100;
  const vol = opts.vol ?? 0.1;
  const drift = opts.drift ?? 0;
  const bars: Bar[] = [];
  for (let i = 0; i < n; i++) {
    const open = price;
    const close = open + drift + (rnd() - 0.5) * 2 * vol;
    const high = Math.max(open, close) + rnd() * vol;
    const low = Math.min(open, close) - rnd() * vol;
    const volume = opts.volume === false ? 0 : 1 + Math.floor(rnd() * 100);
    bars.push({ time: t, open, high, low, close, volume, spread: 0.01 + rnd() * 0.01 });
    price = close;
    t += stepMs;
  }
  return bars;
}

export const bar = (
  time: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume = 1,
  spread = NaN,
): Bar => ({
  time,
  open,
  high,
  low,
  close,
  volume,
  spread,
});

/** `Object.is`-equal, treating any two NaNs as equal. */
export const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** The closed bars of `tf` built from M1 bars (what a venue serves for that timeframe). */
export function rollUp(m1: readonly Bar[], tf: Timeframe): Bar[] {
  const agg = new BarAggregator(tf, 'M1');
  const out: Bar[] = [];
  for (const b of m1) {
    const n = agg.update(b);
    for (let j = 0; j < n; j++) out.push(copyBar(agg.closed(j), newBar()));
  }
  return out;
}
