// The paper broker's finer bars, read forward from their source: for any increasing sequence of
// windows, the bars selected are exactly those a whole series in memory holds for that window, however
// the source cuts its chunks, and the window never keeps much more than a chunk.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BarSeries } from '../../src/market/barSeries.ts';
import { playChunks, type BarCursor, type BarSource } from '../../src/market/barSource.ts';
import { FineBarWindow } from '../../src/market/fineBarWindow.ts';

/** A source handing out `series` in chunks of `size` bars (a new chunk object reused, as files do). */
function chunked(series: BarSeries, size: number): BarSource {
  return {
    length: series.length,
    open(): BarCursor {
      let at = 0;
      const chunk = new BarSeries(size);
      return {
        next: () => {
          if (at >= series.length) return null;
          chunk.length = 0;
          for (let k = 0; k < size && at < series.length; k++, at++) {
            chunk.push(
              series.time[at]!,
              series.open[at]!,
              series.high[at]!,
              series.low[at]!,
              series.close[at]!,
              series.volume[at]!,
              series.spread[at]!,
            );
          }
          return chunk;
        },
        close: () => {
          at = series.length;
        },
      };
    },
    forEachChunk(each) {
      playChunks(this.open(), each);
    },
    fingerprint: () => 'test',
  };
}

function minutes(times: number[]): BarSeries {
  const s = new BarSeries(times.length);
  for (const t of times) s.push(t * 60_000, 10 + t, 11 + t, 9 + t, 10.5 + t, 1, 0.1);
  return s;
}

describe('FineBarWindow', () => {
  it('selects what the whole series holds for each window, for any chunk size and forward queries', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.integer({ min: 0, max: 3000 }), { minLength: 0, maxLength: 400 })
          .map((a) => a.sort((x, y) => x - y)),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 90 }),
        (times, size, steps, width) => {
          const series = minutes(times);
          const window = new FineBarWindow(chunked(series, size));
          let from = 0;
          for (const step of steps) {
            from += step;
            const lo = from * 60_000;
            const hi = (from + width) * 60_000;
            const [a, b] = window.select(lo, hi);
            const got = Array.from(window.bars.time.subarray(a, b));
            const want = Array.from(series.time.subarray(0, series.length)).filter((t) => t >= lo && t < hi);
            expect(got).toEqual(want);
            for (let j = a; j < b; j++) expect(window.bars.close[j]).toBe(10.5 + window.bars.time[j]! / 60_000);
          }
          window.close();
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  });

  it('keeps about one chunk however far it has read', () => {
    const n = 200_000;
    const series = minutes(Array.from({ length: n }, (_, i) => i));
    const window = new FineBarWindow(chunked(series, 1000));
    for (let t = 0; t < n; t += 60) window.select(t * 60_000, (t + 60) * 60_000);
    expect(window.bars.time.length).toBeLessThanOrEqual(16_384);
  });
});
