import { describe, expect, it, vi } from 'vitest';
import { UnknownZoneError, wallMs, ZoneClock } from '../../src/market/timezone.ts';

const utc = (iso: string) => Date.parse(iso);
/** Wall time "YYYY-MM-DD HH:MM" as if UTC. */
const wall = (s: string) => Date.parse(`${s.replace(' ', 'T')}:00Z`);

describe('ZoneClock: broker server time -> UTC', () => {
  it('fixed zones: Etc/GMT-3 is UTC+3 (POSIX sign), UTC is no shift', () => {
    const gmt3 = new ZoneClock('Etc/GMT-3');
    expect(gmt3.toUtc(2024, 1, 2, 10, 0, 0)).toBe(utc('2024-01-02T07:00:00Z'));
    expect(gmt3.toUtc(2024, 7, 1, 0, 30, 15)).toBe(utc('2024-06-30T21:30:15Z'));
    expect(new ZoneClock('Etc/GMT+5').toUtc(2024, 1, 2, 10, 0, 0)).toBe(utc('2024-01-02T15:00:00Z'));
    expect(new ZoneClock('UTC').toUtc(2024, 3, 31, 3, 30, 0)).toBe(utc('2024-03-31T03:30:00Z'));
  });

  it('Europe/Athens: UTC+2 in winter, UTC+3 in summer', () => {
    const athens = new ZoneClock('Europe/Athens');
    expect(athens.toUtc(2024, 1, 15, 12, 0, 0)).toBe(utc('2024-01-15T10:00:00Z'));
    expect(athens.toUtc(2024, 7, 15, 12, 0, 0)).toBe(utc('2024-07-15T09:00:00Z'));
  });

  it('spring forward (2024-03-31 03:00 -> 04:00 in Athens): the skipped hour is an error, its edges convert', () => {
    const athens = new ZoneClock('Europe/Athens');
    expect(athens.wallToUtc(wall('2024-03-31 02:59'))).toBe(utc('2024-03-31T00:59:00Z'));
    for (const t of ['2024-03-31 03:00', '2024-03-31 03:30', '2024-03-31 03:59']) {
      const r = athens.wallToUtc(wall(t));
      expect(r).toEqual({ error: expect.stringMatching(/does not exist in Europe\/Athens.*DST/) });
    }
    expect(athens.wallToUtc(wall('2024-03-31 04:00'))).toBe(utc('2024-03-31T01:00:00Z'));
  });

  it('fall back (2024-10-27 04:00 -> 03:00 in Athens): a repeated hour is taken twice in row order', () => {
    const athens = new ZoneClock('Europe/Athens');
    const walls = ['02:30', '03:00', '03:30', '03:00', '03:30', '04:00'].map((h) => wall(`2024-10-27 ${h}`));
    let last = -Infinity;
    const out: string[] = [];
    for (const w of walls) {
      const t = athens.wallToUtc(w, last);
      if (typeof t !== 'number') throw new Error(t.error);
      out.push(new Date(t).toISOString().slice(11, 16));
      last = t;
    }
    expect(out).toEqual(['23:30', '00:00', '00:30', '01:00', '01:30', '02:00']);
  });

  it('fall back: an hour listed once takes the first (summer-time) instant', () => {
    const athens = new ZoneClock('Europe/Athens');
    const first = athens.wallToUtc(wall('2024-10-27 03:00'), utc('2024-10-26T23:59:00Z'));
    expect(first).toBe(utc('2024-10-27T00:00:00Z'));
    // Without a previous bar the earlier instant is taken too.
    expect(athens.wallToUtc(wall('2024-10-27 03:45'))).toBe(utc('2024-10-27T00:45:00Z'));
    expect(athens.wallToUtc(wall('2024-10-27 04:00'), utc('2024-10-27T00:45:00Z'))).toBe(utc('2024-10-27T02:00:00Z'));
  });

  it('round-trips every hour of a year in zones with DST on both hemispheres', () => {
    for (const tz of ['Europe/Athens', 'America/New_York', 'Australia/Sydney']) {
      const clock = new ZoneClock(tz);
      const fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      });
      let gaps = 0;
      for (let w = wall('2024-01-01 00:00'); w < wall('2025-01-01 00:00'); w += 3_600_000) {
        const t = clock.wallToUtc(w);
        if (typeof t !== 'number') {
          gaps++;
          continue;
        }
        const p = Object.fromEntries(fmt.formatToParts(t).map((x) => [x.type, Number(x.value)]));
        expect(wallMs(p.year!, p.month!, p.day!, p.hour!, p.minute!, 0)).toBe(w);
      }
      // One skipped hour per year.
      expect(gaps).toBe(1);
    }
  });

  describe('mt5-ny: UTC+2, UTC+3 while New York is on daylight time (the server day rolls at 17:00 New York)', () => {
    const ny = new ZoneClock('mt5-ny');

    it('is New York wall time + 7 h: the server midnight is 17:00 New York in both seasons', () => {
      expect(ny.toUtc(2024, 1, 16, 0, 0, 0)).toBe(utc('2024-01-15T22:00:00Z'));
      expect(ny.toUtc(2024, 7, 16, 0, 0, 0)).toBe(utc('2024-07-15T21:00:00Z'));
      // Between the US change (10 March) and the EU one (31 March) it is UTC+3, unlike Europe/Athens.
      expect(ny.toUtc(2024, 3, 15, 12, 0, 0)).toBe(utc('2024-03-15T09:00:00Z'));
      expect(new ZoneClock('Europe/Athens').toUtc(2024, 3, 15, 12, 0, 0)).toBe(utc('2024-03-15T10:00:00Z'));
      // Between the EU change (27 October) and the US one (3 November) still UTC+3.
      expect(ny.toUtc(2024, 10, 30, 12, 0, 0)).toBe(utc('2024-10-30T09:00:00Z'));
    });

    it('spring forward (Sunday 2024-03-10, 07:00 UTC): server 09:00-09:59 does not exist, its edges convert', () => {
      expect(ny.wallToUtc(wall('2024-03-10 08:59'))).toBe(utc('2024-03-10T06:59:00Z'));
      for (const t of ['2024-03-10 09:00', '2024-03-10 09:59']) {
        expect(ny.wallToUtc(wall(t))).toEqual({ error: expect.stringMatching(/does not exist in mt5-ny/) });
      }
      expect(ny.wallToUtc(wall('2024-03-10 10:00'))).toBe(utc('2024-03-10T07:00:00Z'));
      // The FX week around it: Friday's close at +2, Monday's open at +3.
      expect(ny.toUtc(2024, 3, 8, 23, 59, 0)).toBe(utc('2024-03-08T21:59:00Z'));
      expect(ny.toUtc(2024, 3, 11, 0, 0, 0)).toBe(utc('2024-03-10T21:00:00Z'));
    });

    it('fall back (Sunday 2024-11-03, 06:00 UTC): server 08:00-08:59 happens twice, taken in row order', () => {
      expect(ny.wallToUtc(wall('2024-11-03 07:59'))).toBe(utc('2024-11-03T04:59:00Z'));
      const first = ny.wallToUtc(wall('2024-11-03 08:00'), utc('2024-11-03T04:59:00Z'));
      expect(first).toBe(utc('2024-11-03T05:00:00Z'));
      const last = ny.wallToUtc(wall('2024-11-03 08:59'), first as number);
      expect(last).toBe(utc('2024-11-03T05:59:00Z'));
      expect(ny.wallToUtc(wall('2024-11-03 08:00'), last as number)).toBe(utc('2024-11-03T06:00:00Z'));
      expect(ny.wallToUtc(wall('2024-11-03 09:00'), utc('2024-11-03T06:59:00Z'))).toBe(utc('2024-11-03T07:00:00Z'));
      expect(ny.toUtc(2024, 11, 4, 0, 0, 0)).toBe(utc('2024-11-03T22:00:00Z'));
    });

    it('round-trips every hour of two years: the offset is +2 h or +3 h, +3 h exactly while New York is on daylight time', () => {
      const nyFmt = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', timeZoneName: 'short' });
      let prev = -Infinity;
      for (let u = utc('2024-01-01T00:00:00Z'); u < utc('2026-01-01T00:00:00Z'); u += 3_600_000) {
        const offset = ny.offsetAt(u);
        const daylight = nyFmt.formatToParts(u).find((p) => p.type === 'timeZoneName')!.value === 'EDT';
        expect(offset).toBe(daylight ? 3 * 3_600_000 : 2 * 3_600_000);
        expect(ny.wallToUtc(u + offset, prev)).toBe(u);
        prev = u;
      }
    });
  });

  it('refuses an unknown zone, naming it', () => {
    expect(() => new ZoneClock('Europe/Atlantis')).toThrow(UnknownZoneError);
    expect(() => new ZoneClock('Europe/Atlantis')).toThrow(/Europe\/Atlantis/);
    expect(() => new ZoneClock('')).toThrow(UnknownZoneError);
  });

  it('converts a year of M1 server times from cached offsets (Intl asked about twice a day, not per row)', () => {
    const athens = new ZoneClock('Europe/Athens');
    const start = wall('2024-01-01 00:00');
    const asked = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    let last = -Infinity;
    let calls = 0;
    try {
      for (let i = 0; i < 527_040; i++) {
        const t = athens.wallToUtc(start + i * 60_000, last);
        if (typeof t === 'number') last = t;
      }
      calls = asked.mock.calls.length;
    } finally {
      asked.mockRestore();
    }
    expect(last).toBe(utc('2024-12-31T21:59:00Z'));
    // Each UTC day's two ends, and the quarter hours of the two transition days: a lost cache asks per row.
    expect(calls).toBeGreaterThan(300);
    expect(calls).toBeLessThan(1_000);
  });
});
