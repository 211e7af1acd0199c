import { describe, expect, it } from 'vitest';
import { BarSeries } from '../../src/market/barSeries.ts';
import { coversSaturday, findGaps, gapKind } from '../../src/market/gaps.ts';

const M1 = 60_000;
const t = (iso: string) => Date.parse(iso);

function seriesAt(times: number[]): BarSeries {
  const s = new BarSeries(times.length);
  for (const time of times) s.push(time, 1, 1, 1, 1, 0, NaN);
  return s;
}

/** M1 bars from `from` (inclusive) to `to` (exclusive). */
function minutes(from: string, to: string): number[] {
  const out: number[] = [];
  for (let x = t(from); x < t(to); x += M1) out.push(x);
  return out;
}

describe('findGaps', () => {
  it('a gap is a step longer than 1.5 bars; minutes = (to - from) / 60000', () => {
    const base = t('2024-01-02T10:00:00Z');
    const g = findGaps(seriesAt([base, base + M1, base + 2.5 * M1, base + 4.01 * M1, base + 7 * M1]), M1);
    expect(g.count).toBe(2);
    expect(g.list.map((x) => x.minutes)).toEqual([1.51, 2.99]);
    expect(g.list[0]).toMatchObject({ from: base + 2.5 * M1, to: base + 4.01 * M1, kind: 'intra_week' });
  });

  it('the FX weekend (Friday 21:59 -> Sunday 22:00 UTC) is a weekend gap, a daily break is not', () => {
    const times = [
      ...minutes('2024-01-04T21:00:00Z', '2024-01-04T21:15:00Z'),
      // Thursday's trading break 21:15 -> 22:00.
      ...minutes('2024-01-04T22:00:00Z', '2024-01-05T22:00:00Z'),
      ...minutes('2024-01-07T22:00:00Z', '2024-01-07T22:10:00Z'),
    ];
    const g = findGaps(seriesAt(times), M1);
    expect(g).toMatchObject({ count: 2, weekend: 1, intraWeek: 1 });
    expect(g.list.map((x) => [new Date(x.from).toISOString(), x.kind, x.minutes])).toEqual([
      ['2024-01-04T21:14:00.000Z', 'intra_week', 46],
      ['2024-01-05T21:59:00.000Z', 'weekend', 2881],
    ]);
  });

  it('a few missing minutes of a 24/7 market on a Saturday are intra-week', () => {
    const times = [
      ...minutes('2024-01-06T10:00:00Z', '2024-01-06T10:05:00Z'),
      ...minutes('2024-01-06T10:08:00Z', '2024-01-06T10:10:00Z'),
    ];
    expect(findGaps(seriesAt(times), M1)).toMatchObject({ count: 1, weekend: 0, intraWeek: 1 });
  });

  it('weekend rule: a whole UTC Saturday without a bar inside the gap', () => {
    // Friday 23:00 -> Sunday 00:00: all of Saturday is empty.
    expect(coversSaturday(t('2024-01-05T23:00:00Z'), t('2024-01-07T00:00:00Z'))).toBe(true);
    // Ends before Saturday is over.
    expect(coversSaturday(t('2024-01-05T23:00:00Z'), t('2024-01-06T23:00:00Z'))).toBe(false);
    // A bar at Saturday 00:00: that Saturday had a bar; the gap to Monday does not cover a whole one.
    expect(coversSaturday(t('2024-01-06T00:00:00Z'), t('2024-01-08T00:00:00Z'))).toBe(false);
    // H4 and daily bars: Friday's last bar -> Sunday/Monday's first.
    expect(coversSaturday(t('2024-01-05T20:00:00Z'), t('2024-01-07T20:00:00Z'))).toBe(true);
    expect(coversSaturday(t('2024-01-05T00:00:00Z'), t('2024-01-08T00:00:00Z'))).toBe(true);
    // Before 1970 the weekday arithmetic still holds (1969-12-27 was a Saturday).
    expect(coversSaturday(t('1969-12-26T21:00:00Z'), t('1969-12-28T22:00:00Z'))).toBe(true);
  });

  it('longest: the 10 longest, longest first, equal lengths in time order; list in time order', () => {
    const times: number[] = [];
    let x = t('2024-01-02T00:00:00Z');
    // Gaps of 2..13 minutes, then another 13-minute one later.
    for (const step of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 1, 13, 1]) {
      times.push(x);
      x += step * M1;
    }
    const g = findGaps(seriesAt(times), M1);
    expect(g.count).toBe(13);
    expect(g.list.map((y) => y.from)).toEqual([...g.list.map((y) => y.from)].sort((a, b) => a - b));
    expect(g.longest).toHaveLength(10);
    expect(g.longest.map((y) => y.minutes)).toEqual([13, 13, 12, 11, 10, 9, 8, 7, 6, 5]);
    expect(g.longest[0]!.from).toBeLessThan(g.longest[1]!.from);
  });

  it('no gaps with fewer than 2 bars or an unknown timeframe', () => {
    expect(findGaps(seriesAt([]), M1)).toEqual({
      count: 0,
      weekend: 0,
      intraWeek: 0,
      outage: 0,
      longest: [],
      list: [],
    });
    expect(findGaps(seriesAt([0]), M1).count).toBe(0);
    expect(findGaps(seriesAt([0, 10 * M1]), 0).count).toBe(0);
  });

  it('a weekday without bars for over a day is an outage, not intra-week', () => {
    // Tuesday 23:00 -> Friday 00:00 (49 h, as in hourly gold in October 2008).
    expect(gapKind(t('2008-10-28T23:00:00Z'), t('2008-10-31T00:00:00Z'))).toBe('outage');
    // Exactly a day is still intra-week; a minute more is an outage.
    expect(gapKind(t('2024-01-02T10:00:00Z'), t('2024-01-03T10:00:00Z'))).toBe('intra_week');
    expect(gapKind(t('2024-01-02T10:00:00Z'), t('2024-01-03T10:01:00Z'))).toBe('outage');
  });

  it('a weekend with a holiday (up to 4 days) is a weekend; a longer hole over a Saturday is an outage', () => {
    // Good Friday: Thursday 21:00 -> Sunday 22:00 (73 h).
    expect(gapKind(t('2024-03-28T21:00:00Z'), t('2024-03-31T22:00:00Z'))).toBe('weekend');
    // Thursday 20:00 -> Monday 20:00: exactly 4 days.
    expect(gapKind(t('2024-03-28T20:00:00Z'), t('2024-04-01T20:00:00Z'))).toBe('weekend');
    expect(gapKind(t('2024-03-28T20:00:00Z'), t('2024-04-01T20:01:00Z'))).toBe('outage');
    // A 13-day hole from one Friday to the Thursday after next.
    const times = [
      ...minutes('2024-01-05T21:00:00Z', '2024-01-05T22:00:00Z'),
      ...minutes('2024-01-18T22:00:00Z', '2024-01-18T22:10:00Z'),
    ];
    const g = findGaps(seriesAt(times), M1);
    expect(g).toMatchObject({ count: 1, weekend: 0, intraWeek: 0, outage: 1 });
    expect(g.list[0]!.kind).toBe('outage');
  });
});
