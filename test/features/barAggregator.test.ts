import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Bar, Timeframe } from '../../src/domain/types.ts';
import { TIMEFRAME_MS } from '../../src/domain/types.ts';
import { BarAggregator } from '../../src/features/barAggregator.ts';
import { HOUR, MIN, bar } from './helpers.ts';

const T0 = Date.UTC(2024, 4, 6, 10, 0); // Monday 10:00 UTC

/** Feeds bars, returns every closed bar (copied). */
function run(agg: BarAggregator, bars: Bar[]): Bar[] {
  const out: Bar[] = [];
  for (const b of bars) {
    const n = agg.update(b);
    for (let i = 0; i < n; i++) out.push({ ...agg.closed(i) });
  }
  return out;
}

describe('BarAggregator', () => {
  it('builds M15 from M1: OHLC, summed volume, last spread; closes on the last minute of the bucket', () => {
    const agg = new BarAggregator('M15', 'M1');
    const bars: Bar[] = [];
    for (let i = 0; i < 15; i++) bars.push(bar(T0 + i * MIN, 100 + i, 101 + i, 99 + i, 100.5 + i, 2, 0.1 * i));
    const closed: Bar[] = [];
    bars.forEach((b, i) => {
      const n = agg.update(b);
      if (i < 14) {
        expect(n).toBe(0);
        expect(agg.forming).not.toBeNull();
        expect(agg.forming!.close).toBe(b.close);
      } else {
        expect(n).toBe(1);
        closed.push({ ...agg.closed(0) });
      }
    });
    expect(closed).toEqual([{ time: T0, open: 100, high: 115, low: 99, close: 114.5, volume: 30, spread: 0.1 * 14 }]);
    expect(agg.forming).toBeNull();
    expect(agg.closedCount).toBe(1);
  });

  it('a bucket whose last minute is missing closes when a later bucket arrives; both can close at once', () => {
    const agg = new BarAggregator('M15', 'M1');
    expect(agg.update(bar(T0, 1, 2, 0.5, 1.5))).toBe(0);
    expect(agg.update(bar(T0 + 7 * MIN, 1.5, 3, 1, 2))).toBe(0); // gap inside the bucket
    // next base bar is 10:29, the LAST minute of the 10:15 bucket: closes 10:00 and 10:15 in one update
    const n = agg.update(bar(T0 + 29 * MIN, 2, 2.5, 1.8, 2.2, 5));
    expect(n).toBe(2);
    expect({ ...agg.closed(0) }).toMatchObject({ time: T0, open: 1, high: 3, low: 0.5, close: 2, volume: 2 });
    expect({ ...agg.closed(1) }).toMatchObject({
      time: T0 + 15 * MIN,
      open: 2,
      high: 2.5,
      low: 1.8,
      close: 2.2,
      volume: 5,
    });
    expect(agg.forming).toBeNull();
  });

  it('a weekend gap creates no synthetic bars', () => {
    const agg = new BarAggregator('H1', 'M1');
    const fri = Date.UTC(2024, 4, 10, 20, 58); // Friday 20:58
    const sun = Date.UTC(2024, 4, 12, 22, 0); // Sunday 22:00
    const closed = run(agg, [
      bar(fri, 1, 1, 1, 1),
      bar(fri + MIN, 1, 2, 1, 2),
      bar(sun, 3, 3, 3, 3),
      bar(sun + 59 * MIN, 3, 4, 3, 4),
    ]);
    expect(closed.map((b) => new Date(b.time).toISOString())).toEqual([
      '2024-05-10T20:00:00.000Z',
      '2024-05-12T22:00:00.000Z',
    ]);
    expect(closed[0]!.close).toBe(2);
  });

  it('H4 buckets are UTC aligned (00, 04, 08, ...) whatever the first bar', () => {
    const agg = new BarAggregator('H4', 'H1');
    const day = Date.UTC(2024, 4, 7);
    const closed = run(agg, [
      bar(day + 2 * HOUR, 1, 1, 1, 1), // 02:00 -> bucket 00:00
      bar(day + 3 * HOUR, 2, 2, 2, 2), // 03:00 is the last hour of 00:00-04:00: closes it
      bar(day + 5 * HOUR, 3, 3, 3, 3), // bucket 04:00
      bar(day + 9 * HOUR, 4, 4, 4, 4), // bucket 08:00: closes 04:00
      bar(day + 23 * HOUR, 5, 5, 5, 5), // bucket 20:00: closes 08:00, and 23:00 is its last hour
    ]);
    expect(closed.map((b) => (b.time - day) / HOUR)).toEqual([0, 4, 8, 20]);
    expect(closed.map((b) => b.close)).toEqual([2, 3, 4, 5]);
  });

  it('same timeframe as the base: every bar closes immediately', () => {
    const agg = new BarAggregator('M15', 'M15');
    for (let i = 0; i < 5; i++) {
      expect(agg.update(bar(T0 + i * 15 * MIN, i, i + 1, i - 1, i))).toBe(1);
      expect(agg.closed(0).time).toBe(T0 + i * 15 * MIN);
    }
  });

  it('peekWith() merges a forming base bar without mutating', () => {
    const agg = new BarAggregator('M5', 'M1');
    agg.update(bar(T0, 10, 11, 9, 10.5, 3, 0.2));
    agg.update(bar(T0 + MIN, 10.5, 12, 10, 11, 4, 0.3));
    const out = bar(0, 0, 0, 0, 0);
    agg.peekWith(bar(T0 + 2 * MIN, 11, 13, 8, 12, 5, 0.4), out);
    expect(out).toEqual({ time: T0, open: 10, high: 13, low: 8, close: 12, volume: 12, spread: 0.4 });
    expect({ ...agg.forming! }).toEqual({ time: T0, open: 10, high: 12, low: 9, close: 11, volume: 7, spread: 0.3 });
    agg.peekWith(bar(T0 + 6 * MIN, 1, 2, 0.5, 1.5, 1, 0.1), out); // a later bucket: the bar alone
    expect(out).toEqual({ time: T0 + 5 * MIN, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1, spread: 0.1 });
  });

  it('refuses impossible combinations', () => {
    expect(() => new BarAggregator('M5', 'M15')).toThrow(RangeError);
  });

  it('matches a naive group-by over random gappy sequences (property)', () => {
    const tfs: Timeframe[] = ['M5', 'M15', 'M30', 'H1', 'H4'];
    fc.assert(
      fc.property(
        fc.constantFrom(...tfs),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 10_000 }),
        (tf, steps, offset) => {
          const start = Date.UTC(2024, 0, 1) + offset * MIN;
          const bars: Bar[] = [];
          let t = start;
          for (let i = 0; i < steps.length; i++) {
            t += steps[i]! * MIN;
            const p = 100 + Math.sin(i) * 5;
            bars.push(bar(t, p, p + 1 + (i % 3), p - 1 - (i % 2), p + 0.5, i % 4, i));
          }
          const agg = new BarAggregator(tf, 'M1');
          const got = run(agg, bars);
          // naive: group by bucket; a group is "closed" if a later bar exists or its last bar ends the bucket
          const ms = TIMEFRAME_MS[tf];
          const groups = new Map<number, Bar[]>();
          for (const b of bars) {
            const k = Math.floor(b.time / ms) * ms;
            groups.set(k, [...(groups.get(k) ?? []), b]);
          }
          const keys = [...groups.keys()];
          const want: Bar[] = [];
          keys.forEach((k, i) => {
            const g = groups.get(k)!;
            const last = g[g.length - 1]!;
            if (i < keys.length - 1 || last.time + MIN >= k + ms) {
              want.push({
                time: k,
                open: g[0]!.open,
                high: Math.max(...g.map((b) => b.high)),
                low: Math.min(...g.map((b) => b.low)),
                close: last.close,
                volume: g.reduce((s, b) => s + b.volume, 0),
                spread: last.spread,
              });
            }
          });
          expect(got).toEqual(want);
          const lastKey = keys[keys.length - 1]!;
          const open = want.length === keys.length ? null : lastKey;
          expect(agg.forming?.time ?? null).toBe(open);
        },
      ),
      { numRuns: 200 },
    );
  });
});
