// Walk-forward windows: the bars split by time into `folds + 1` consecutive windows of (nearly) equal
// bar counts; fold k searches on window k and tests the chosen config on window k + 1, bars it never saw.
// A window is replayed with up to `warmupBars` bars before it (the features warm up on them; no entry is
// taken there), so a window starts with ready indicators as a live account would have them. An entry
// belongs to the window of the bar it opens at (the first bar at or after its time).
import type { BarSeries } from '../market/barSeries.ts';
import type { ReplayEntry } from '../replay/entries.ts';

export interface BarWindow {
  index: number;
  /** Bars [from, to) of the whole series. */
  from: number;
  to: number;
}

/** `count` consecutive windows over `bars` bars; the first ones take the remainder, one bar each. */
export function splitWindows(bars: number, count: number): BarWindow[] {
  if (!Number.isInteger(count) || count < 2)
    throw new RangeError(`walk-forward needs at least 2 windows (got ${count})`);
  const base = Math.floor(bars / count);
  const extra = bars - base * count;
  const out: BarWindow[] = [];
  let at = 0;
  for (let k = 0; k < count; k++) {
    const n = base + (k < extra ? 1 : 0);
    out.push({ index: k, from: at, to: at + n });
    at += n;
  }
  return out;
}

/** The first `fraction` of a window (at least one bar): the short slices of successive halving. */
export function windowSlice(w: BarWindow, fraction: number): BarWindow {
  const n = Math.max(1, Math.round((w.to - w.from) * fraction));
  return { index: w.index, from: w.from, to: Math.min(w.to, w.from + n) };
}

/** The bar each entry opens at (index into the series; series.length when after the last bar). */
export function entryBars(series: BarSeries, entries: readonly ReplayEntry[]): Int32Array {
  const out = new Int32Array(entries.length);
  for (let i = 0; i < entries.length; i++) out[i] = series.lowerBound(entries[i]!.time);
  return out;
}

/** The entries that open inside [from, to), as an index range into the (time-ordered) entries. */
export function entriesIn(bars: Int32Array, from: number, to: number): { first: number; end: number } {
  let first = 0;
  while (first < bars.length && bars[first]! < from) first++;
  let end = first;
  while (end < bars.length && bars[end]! < to) end++;
  return { first, end };
}

/** Bars replayed for a span: the span and up to `warmupBars` before it. */
export function replaySpan(span: BarWindow, warmupBars: number): { from: number; to: number } {
  return { from: Math.max(0, span.from - warmupBars), to: span.to };
}
