// Broker server time -> UTC. MT5 stamps bars with the wall clock of the broker's server, usually
// UTC+2 in winter and UTC+3 in summer (following New York's DST so that the week opens at 00:00: the
// named zone `mt5-ny` below), or a fixed UTC+2/+3. Otherwise the zone is an IANA name: `Etc/GMT-3` is a fixed UTC+3 (POSIX sign: inverted),
// `Europe/Athens` follows EU DST, `UTC` is no shift.
//
// Offsets come from Intl.DateTimeFormat (no dependency). Calling it per row would cost ~2 µs, so
// offsets are cached per UTC day (a day without a transition has one offset) and, on a day with a
// transition, per 15-minute bucket; on top of that the resolution of the last 15-minute wall-clock
// bucket is memoized, so consecutive bars convert with a compare and a subtraction. The buckets assume
// transitions on 15-minute boundaries and offsets in whole quarter hours, which holds for every zone
// since 1970; other offsets are resolved without the wall-bucket memo.
//
// Named zone `mt5-ny`: the MT5 servers whose day rolls at 17:00 New York (UTC+2 while New York is on
// standard time, UTC+3 while it is on daylight time), so that the FX week opens at 00:00 server time. That
// clock is New York's wall clock plus 7 hours at every instant, so it is New York's zone shifted by +7 h:
// its transitions are New York's, at 09:00 server time (02:00 New York) on the same Sundays. In March
// 09:00-09:59 server time does not exist (07:00 UTC: 09:00 at +2 becomes 10:00 at +3); in November
// 08:00-08:59 happens twice (06:00 UTC: 09:00 at +3 becomes 08:00 at +2). Both fall on a Sunday morning,
// when FX and metals are closed; a broker's weekend crypto bars there are resolved as below.
//
// Wall times around a transition:
// - Spring forward (e.g. Athens 03:00 -> 04:00 on the last Sunday of March): 03:00-03:59 does not exist.
//   A bar stamped there is a row error (the file's zone is probably wrong); it is never shifted.
// - Fall back (Athens 04:00 -> 03:00 on the last Sunday of October): 03:00-03:59 happens twice. Resolved
//   with the previous accepted bar's time (`after`): the earlier instant when it is after `after`
//   (the first occurrence), else the later one (the repeat). So a file that lists the hour twice gets
//   both hours in order, and a file that lists it once gets the first one. If even the later instant is
//   not after `after`, the caller's time-order check rejects the row.

const MINUTE = 60_000;
const BUCKET = 15 * MINUTE;
const DAY = 86_400_000;

/** Named broker-server zones: the IANA zone they follow, and their constant shift from it. */
export const NAMED_ZONES: Readonly<Record<string, { follows: string; shiftMs: number; about: string }>> = {
  'mt5-ny': {
    follows: 'America/New_York',
    shiftMs: 7 * 3_600_000,
    about: 'UTC+2 in New York winter, UTC+3 in New York summer (day rolls at 17:00 New York)',
  },
};

/** Thrown for a zone name Intl does not know. */
export class UnknownZoneError extends RangeError {
  constructor(readonly tz: string) {
    super(`unknown time zone "${tz}"`);
    this.name = 'UnknownZoneError';
  }
}

/** Wall-clock reading -> UTC: the instant, or why the wall time cannot be converted. */
export type ZoneResult = number | { error: string };

/** How one wall-clock bucket maps to UTC: one offset, two (ambiguous), or none (skipped by DST). */
interface WallRule {
  /** Offsets (local - UTC, ms) that produce a valid instant; `early` >= `late`. NaN when none. */
  early: number;
  late: number;
}

/** Proleptic Gregorian date -> days since 1970-01-01 (Hinnant's days_from_civil; no Date allocation). */
export function civilDays(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** A wall-clock reading encoded as if it were UTC (what Date.UTC would give), e.g. for MT5 unix stamps. */
export function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return civilDays(y, mo, d) * DAY + h * 3_600_000 + mi * MINUTE + s * 1000;
}

export function formatWall(wall: number): string {
  return new Date(wall).toISOString().slice(0, 19).replace('T', ' ');
}

const quarterHours = (offset: number): boolean => Number.isNaN(offset) || offset % BUCKET === 0;

export class ZoneClock {
  readonly tz: string;
  private readonly fmt: Intl.DateTimeFormat;
  /** Per UTC day: its offset when no transition falls in it, else NaN (then see `buckets`). */
  private readonly days = new Map<number, number>();
  private readonly buckets = new Map<number, number>();
  private memoBucket = NaN;
  private memoRule: WallRule = { early: NaN, late: NaN };
  /** Added to the followed zone's offset (a named zone such as mt5-ny); 0 for an IANA zone. */
  private readonly shiftMs: number;

  /** @throws UnknownZoneError when `tz` is neither a named zone (NAMED_ZONES) nor one Intl knows. */
  constructor(tz: string) {
    const named = Object.hasOwn(NAMED_ZONES, tz) ? NAMED_ZONES[tz] : undefined;
    this.shiftMs = named?.shiftMs ?? 0;
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: named?.follows ?? tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new UnknownZoneError(tz);
    }
    if (tz.trim() === '') throw new UnknownZoneError(tz);
    this.tz = tz;
  }

  /** Offset (local - UTC, ms) in force at `utc`. */
  offsetAt(utc: number): number {
    const day = Math.floor(utc / DAY);
    let o = this.days.get(day);
    if (o === undefined) {
      // One offset at both ends of the day = no transition inside (two opposite ones in a day do not occur).
      const start = this.intlOffset(day * DAY);
      const end = this.intlOffset((day + 1) * DAY - 1000);
      o = start === end ? start : NaN;
      this.days.set(day, o);
    }
    if (!Number.isNaN(o)) return o;
    const b = Math.floor(utc / BUCKET);
    let ob = this.buckets.get(b);
    if (ob === undefined) {
      ob = this.intlOffset(b * BUCKET);
      this.buckets.set(b, ob);
    }
    return ob;
  }

  /**
   * Wall time (encoded as if UTC, see `wallMs`) -> UTC instant. `after` is the previous bar's UTC time:
   * it decides an ambiguous fall-back time (see the header comment).
   */
  wallToUtc(wall: number, after = -Infinity): ZoneResult {
    const b = Math.floor(wall / BUCKET);
    let rule: WallRule;
    if (b === this.memoBucket) rule = this.memoRule;
    else {
      rule = this.resolve(wall);
      // The bucket shares one rule only when the offsets are whole quarter hours (see the header).
      if (quarterHours(rule.early) && quarterHours(rule.late)) {
        this.memoBucket = b;
        this.memoRule = rule;
      }
    }
    if (rule.early === rule.late) return wall - rule.early;
    if (Number.isNaN(rule.early)) {
      return {
        error: `${formatWall(wall)} does not exist in ${this.tz}: the clocks sprang forward over it (DST); is --tz right?`,
      };
    }
    const first = wall - rule.early;
    return first > after ? first : wall - rule.late;
  }

  toUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, after = -Infinity): ZoneResult {
    return this.wallToUtc(wallMs(y, mo, d, h, mi, s), after);
  }

  private resolve(wall: number): WallRule {
    // At most one transition within a day of any wall time: its offsets bound the candidates.
    const before = this.offsetAt(wall - DAY);
    const afterO = this.offsetAt(wall + DAY);
    if (before === afterO) return { early: before, late: before };
    const okBefore = this.offsetAt(wall - before) === before;
    const okAfter = this.offsetAt(wall - afterO) === afterO;
    if (okBefore && okAfter) return { early: Math.max(before, afterO), late: Math.min(before, afterO) };
    if (okBefore) return { early: before, late: before };
    if (okAfter) return { early: afterO, late: afterO };
    return { early: NaN, late: NaN };
  }

  private intlOffset(utc: number): number {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of this.fmt.formatToParts(utc)) {
      if (p.type === 'year') y = Number(p.value);
      else if (p.type === 'month') mo = Number(p.value);
      else if (p.type === 'day') d = Number(p.value);
      else if (p.type === 'hour') h = Number(p.value);
      else if (p.type === 'minute') mi = Number(p.value);
      else if (p.type === 'second') s = Number(p.value);
    }
    return wallMs(y, mo, d, h, mi, s) - Math.floor(utc / 1000) * 1000 + this.shiftMs;
  }
}

/**
 * The broker's server clock that --tz names, for an MT5 file (bars or a trade history) whose times are
 * the server's wall clock: without --tz, or with a zone Warden does not know, `fail` makes the caller's
 * error with a message naming the file and saying what to pass (a time without a zone would be a
 * silent guess). `subject` says what is in server time, e.g. 'MT5 files are'.
 */
export function serverClockFor(
  file: string,
  subject: string,
  tz: string | undefined,
  fail: (message: string) => Error,
): ZoneClock {
  if (tz === undefined)
    throw fail(
      `${file}: ${subject} in broker server time: pass --tz, e.g. mt5-ny (UTC+2/+3 with New York's DST, the usual MT5 server clock), Etc/GMT-2, Europe/Athens, or UTC`,
    );
  try {
    return new ZoneClock(tz);
  } catch (err) {
    if (err instanceof UnknownZoneError) {
      throw fail(
        `${file}: unknown time zone "${tz}": pass mt5-ny (UTC+2/+3 with New York's DST) or an IANA zone name, e.g. Etc/GMT-2 (fixed UTC+2), Europe/Athens (UTC+2/+3 with EU DST), or UTC`,
      );
    }
    throw err;
  }
}
