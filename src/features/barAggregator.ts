// Builds higher-timeframe bars from closed base bars, one base bar at a time.
//
// Buckets are UTC aligned: bucketStart = floor(time / tfMs) * tfMs (H4 buckets start at 00, 04, 08 ... UTC).
// A higher-timeframe bar is emitted as CLOSED when
//   - a base bar of a later bucket arrives (the forming bar is closed first, then the new bar starts), or
//   - the base bar is the last one of its bucket: bar.time + baseMs >= bucket end.
// Gaps (weekends, outages, quiet minutes) never create synthetic bars: an empty bucket simply has no bar.
// open = first, high = max, low = min, close = last, volume = sum, spread = last base bar's spread.
// The emitted bar's `time` is the bucket start (bar OPEN time, like every Bar).
//
// No allocation per update: the forming bar and the (at most two) closed bars of one update live in
// preallocated objects that are overwritten by the next update. Copy them if you keep them.
import type { Bar, Timeframe } from '../domain/types.ts';
import { TIMEFRAME_MS } from '../domain/types.ts';

export const newBar = (): Bar => ({ time: 0, open: NaN, high: NaN, low: NaN, close: NaN, volume: 0, spread: NaN });

const newBarTemplate: Readonly<Bar> = newBar();

export const copyBar = (src: Readonly<Bar>, dst: Bar): Bar => {
  dst.time = src.time;
  dst.open = src.open;
  dst.high = src.high;
  dst.low = src.low;
  dst.close = src.close;
  dst.volume = src.volume;
  dst.spread = src.spread;
  return dst;
};

export class BarAggregator {
  readonly timeframe: Timeframe;
  readonly baseTimeframe: Timeframe;
  readonly tfMs: number;
  readonly baseMs: number;
  /** Number of higher-timeframe bars closed so far. */
  closedCount = 0;
  private readonly formingBar: Bar = newBar();
  private hasFormingBar = false;
  private formingBucketEnd = 0;
  private readonly out0: Bar = newBar();
  private readonly out1: Bar = newBar();

  constructor(timeframe: Timeframe, baseTimeframe: Timeframe) {
    const tfMs = TIMEFRAME_MS[timeframe];
    const baseMs = TIMEFRAME_MS[baseTimeframe];
    if (tfMs < baseMs || tfMs % baseMs !== 0) {
      throw new RangeError(`cannot build ${timeframe} bars from ${baseTimeframe} bars`);
    }
    this.timeframe = timeframe;
    this.baseTimeframe = baseTimeframe;
    this.tfMs = tfMs;
    this.baseMs = baseMs;
  }

  /** Bucket start (UTC aligned) of a time. */
  bucketOf(time: number): number {
    return Math.floor(time / this.tfMs) * this.tfMs;
  }

  /** The bar being built from the closed base bars of the current bucket, or null when none. */
  get forming(): Readonly<Bar> | null {
    return this.hasFormingBar ? this.formingBar : null;
  }

  get hasForming(): boolean {
    return this.hasFormingBar;
  }

  /** The i-th bar (0 or 1) closed by the last update(); valid until the next update(). */
  closed(i: number): Readonly<Bar> {
    return i === 0 ? this.out0 : this.out1;
  }

  reset(): void {
    this.closedCount = 0;
    this.hasFormingBar = false;
    this.formingBucketEnd = 0;
    copyBar(newBarTemplate, this.formingBar);
    copyBar(newBarTemplate, this.out0);
    copyBar(newBarTemplate, this.out1);
  }

  /**
   * Folds in one CLOSED base bar. Returns how many higher-timeframe bars it closed (0, 1 or 2);
   * read them with closed(0) and closed(1), in that order (oldest first).
   * Base bars must arrive in increasing time order; the caller enforces it.
   */
  update(bar: Readonly<Bar>): number {
    let emitted = 0;
    const bucket = Math.floor(bar.time / this.tfMs) * this.tfMs;
    const f = this.formingBar;
    if (this.hasFormingBar && bucket !== f.time) {
      copyBar(f, this.out0);
      emitted = 1;
      this.hasFormingBar = false;
      this.closedCount++;
    }
    if (this.hasFormingBar) {
      if (bar.high > f.high) f.high = bar.high;
      if (bar.low < f.low) f.low = bar.low;
      f.close = bar.close;
      f.volume += bar.volume;
      f.spread = bar.spread;
    } else {
      copyBar(bar, f);
      f.time = bucket;
      this.hasFormingBar = true;
      this.formingBucketEnd = bucket + this.tfMs;
    }
    if (bar.time + this.baseMs >= this.formingBucketEnd) {
      copyBar(f, emitted === 0 ? this.out0 : this.out1);
      emitted++;
      this.hasFormingBar = false;
      this.closedCount++;
    }
    return emitted;
  }

  /**
   * The higher-timeframe bar as it stands if the still-forming base bar `bar` were included, written into
   * `out` (no mutation of the aggregator). When `bar` belongs to a later bucket than the forming bar, the
   * result is `bar` alone (re-stamped to its bucket).
   */
  peekWith(bar: Readonly<Bar>, out: Bar): Bar {
    const bucket = Math.floor(bar.time / this.tfMs) * this.tfMs;
    const f = this.formingBar;
    if (this.hasFormingBar && bucket === f.time) {
      out.time = bucket;
      out.open = f.open;
      out.high = bar.high > f.high ? bar.high : f.high;
      out.low = bar.low < f.low ? bar.low : f.low;
      out.close = bar.close;
      out.volume = f.volume + bar.volume;
      out.spread = bar.spread;
      return out;
    }
    copyBar(bar, out);
    out.time = bucket;
    return out;
  }
}
