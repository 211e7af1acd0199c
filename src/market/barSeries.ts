// Bars stored column by column (one Float64Array per field): a million M1 bars take 56 MB here
// against ~130 MB as Bar objects (V8 boxes double fields), and a replay loop reads them into one
// reused Bar without allocating.
import type { Bar } from '../domain/types.ts';

export class BarSeries {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** 0 when unknown. */
  volume: Float64Array;
  /** Price units; NaN when unknown. */
  spread: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.time = new Float64Array(n);
    this.open = new Float64Array(n);
    this.high = new Float64Array(n);
    this.low = new Float64Array(n);
    this.close = new Float64Array(n);
    this.volume = new Float64Array(n);
    this.spread = new Float64Array(n);
  }

  static fromBars(bars: readonly Bar[]): BarSeries {
    const s = new BarSeries(bars.length);
    for (const b of bars) s.push(b.time, b.open, b.high, b.low, b.close, b.volume, b.spread);
    return s;
  }

  private grow(): void {
    const n = this.time.length * 2;
    const g = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.time = g(this.time);
    this.open = g(this.open);
    this.high = g(this.high);
    this.low = g(this.low);
    this.close = g(this.close);
    this.volume = g(this.volume);
    this.spread = g(this.spread);
  }

  push(time: number, open: number, high: number, low: number, close: number, volume: number, spread: number): void {
    if (this.length === this.time.length) this.grow();
    const i = this.length++;
    this.time[i] = time;
    this.open[i] = open;
    this.high[i] = high;
    this.low[i] = low;
    this.close[i] = close;
    this.volume[i] = volume;
    this.spread[i] = spread;
  }

  /** Adds every bar of `other` at the end. */
  append(other: BarSeries): void {
    const need = this.length + other.length;
    while (this.time.length < need) this.grow();
    const n = other.length;
    const at = this.length;
    this.time.set(other.time.subarray(0, n), at);
    this.open.set(other.open.subarray(0, n), at);
    this.high.set(other.high.subarray(0, n), at);
    this.low.set(other.low.subarray(0, n), at);
    this.close.set(other.close.subarray(0, n), at);
    this.volume.set(other.volume.subarray(0, n), at);
    this.spread.set(other.spread.subarray(0, n), at);
    this.length = need;
  }

  /** Fills `out` with bar `i` (no allocation). */
  read(i: number, out: Bar): Bar {
    out.time = this.time[i]!;
    out.open = this.open[i]!;
    out.high = this.high[i]!;
    out.low = this.low[i]!;
    out.close = this.close[i]!;
    out.volume = this.volume[i]!;
    out.spread = this.spread[i]!;
    return out;
  }

  bar(i: number): Bar {
    return this.read(i, { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, spread: NaN });
  }

  /** Index of the first bar whose open time is >= t (length when none). */
  lowerBound(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  toBars(): Bar[] {
    const out: Bar[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.bar(i);
    return out;
  }
}
