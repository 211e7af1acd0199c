// Finer bars (e.g. M1 under an H1 replay) around a time that only moves forward: the paper broker asks
// for the fine bars inside one replayed bar when that bar touched both SL and TP. The bars are pulled
// from their source as the time passes and dropped behind it, so a fine file of any size is never held
// whole: the window keeps about one chunk.
import { BarSeries } from './barSeries.ts';
import type { BarCursor, BarSource } from './barSource.ts';

export class FineBarWindow {
  /** The kept bars: those from index `start` on are at or after the last `from` asked for. */
  readonly bars = new BarSeries(1024);
  private start = 0;
  private cursor: BarCursor | null;

  constructor(source: BarSource) {
    this.cursor = source.open();
  }

  /**
   * The index range [lo, hi) of `bars` holding the fine bars with from <= time < to. `from` must not
   * go back between calls (a replay's bars only move forward); the range is valid until the next call.
   */
  select(from: number, to: number): [number, number] {
    const b = this.bars;
    this.dropBefore(from);
    while (this.cursor !== null && (b.length === this.start || b.time[b.length - 1]! < to)) {
      const chunk = this.cursor.next();
      if (chunk === null) {
        this.cursor = null;
        break;
      }
      // Only what is still ahead is kept (a start far into the file skips the chunks before it).
      let i = 0;
      while (i < chunk.length && chunk.time[i]! < from) i++;
      if (i === chunk.length) continue;
      if (i === 0) b.append(chunk);
      else
        for (; i < chunk.length; i++)
          b.push(
            chunk.time[i]!,
            chunk.open[i]!,
            chunk.high[i]!,
            chunk.low[i]!,
            chunk.close[i]!,
            chunk.volume[i]!,
            chunk.spread[i]!,
          );
    }
    let hi = this.start;
    while (hi < b.length && b.time[hi]! < to) hi++;
    return [this.start, hi];
  }

  /** Releases the source (a file) before its end. */
  close(): void {
    this.cursor?.close();
    this.cursor = null;
  }

  private dropBefore(from: number): void {
    const b = this.bars;
    while (this.start < b.length && b.time[this.start]! < from) this.start++;
    // Compacted once the dropped bars are the larger part: the kept ones move to the front.
    if (this.start > 4096 && this.start * 2 > b.length) {
      const n = b.length - this.start;
      for (const col of [b.time, b.open, b.high, b.low, b.close, b.volume, b.spread])
        col.copyWithin(0, this.start, b.length);
      b.length = n;
      this.start = 0;
    }
  }
}
