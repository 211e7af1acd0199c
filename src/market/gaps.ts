// Gaps in a bar series: steps between consecutive bar open times longer than 1.5 bars.
//
// Kinds:
// - `weekend`: no bar opens during one whole UTC Saturday (00:00 to 24:00) inside the gap, and the gap
//   lasts at most WEEKEND_MAX_MS (4 days). The FX/CFD weekend (Friday ~21:00 to Sunday ~22:00 UTC, about
//   49 h) covers Saturday in every broker zone, and so do the Friday-to-Sunday/Monday steps of H4 and
//   daily bars; a holiday next to it makes it longer (real hourly gold and EURUSD data has weekends of
//   72-77 h around Christmas, New Year and Good Friday), so the cap is 4 days, not 3.
// - `outage`: longer than a day and not a weekend: a weekday without bars (a holiday closure or a feed
//   outage), or a hole over a weekend much longer than one (a 13-day hole is not a weekend).
// - `intra_week`: every other gap (daily trading breaks, minutes without a quote; a few missing minutes
//   of a 24/7 crypto market on a Saturday do not cover the whole Saturday).
import type { BarSeries } from './barSeries.ts';

/** One gap in a bar series (the replay report lists them). */
export interface Gap {
  /** Open time of the last bar before the gap and of the first bar after it. */
  from: number;
  to: number;
  minutes: number;
  /** See the kinds above: weekend (over a Saturday, at most 4 days), outage (over a day otherwise), intra_week. */
  kind: 'weekend' | 'intra_week' | 'outage';
}

export interface GapSummary {
  count: number;
  weekend: number;
  /** Gaps of a day or less that are not a weekend (trading breaks, missing minutes). */
  intraWeek: number;
  /** Gaps longer than a day that are not a weekend: a holiday closure or a feed outage. */
  outage: number;
  /** The longest gaps first (at most 10). */
  longest: Gap[];
  /** Every gap, in time order. */
  list: Gap[];
}

const DAY = 86_400_000;
const LONGEST = 10;
/** A weekend with a holiday on one or both sides fits in this; a longer hole over a Saturday is an outage. */
export const WEEKEND_MAX_MS = 4 * DAY;
/** A gap longer than this that is not a weekend is an outage. */
export const OUTAGE_MIN_MS = DAY;

export function gapKind(from: number, to: number): Gap['kind'] {
  const span = to - from;
  if (span <= WEEKEND_MAX_MS && coversSaturday(from, to)) return 'weekend';
  return span > OUTAGE_MIN_MS ? 'outage' : 'intra_week';
}

/** Whether a whole UTC Saturday lies in (from, to]: the first Saturday 00:00 after `from` ends by `to`. */
export function coversSaturday(from: number, to: number): boolean {
  const day = Math.floor(from / DAY);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday
  const ahead = (6 - weekday + 7) % 7 || 7; // the Saturday of `from`'s own day started at or before it
  return (day + ahead + 1) * DAY <= to;
}

/** The gaps of bars seen one open time at a time, in order (what findGaps finds in a whole series). */
export class GapFinder {
  private readonly list: Gap[] = [];
  private weekend = 0;
  private outage = 0;
  private prev = Number.NaN;
  private readonly limit: number;

  constructor(timeframeMs: number) {
    // Without a timeframe nothing is a gap.
    this.limit = timeframeMs > 0 ? 1.5 * timeframeMs : Infinity;
  }

  add(time: number): void {
    const from = this.prev;
    this.prev = time;
    if (!(time - from > this.limit)) return;
    const kind = gapKind(from, time);
    if (kind === 'weekend') this.weekend++;
    else if (kind === 'outage') this.outage++;
    this.list.push({ from, to: time, minutes: (time - from) / 60_000, kind });
  }

  summary(): GapSummary {
    const list = this.list.slice();
    // Longest first; equal lengths in time order (sort is stable and `list` is in time order).
    const longest = [...list].sort((a, b) => b.to - b.from - (a.to - a.from)).slice(0, LONGEST);
    return {
      count: list.length,
      weekend: this.weekend,
      intraWeek: list.length - this.weekend - this.outage,
      outage: this.outage,
      longest,
      list,
    };
  }
}

export function findGaps(series: BarSeries, timeframeMs: number): GapSummary {
  const f = new GapFinder(timeframeMs);
  for (let i = 0; i < series.length; i++) f.add(series.time[i]!);
  return f.summary();
}

/**
 * A hole between bars longer than this is a data boundary (separate recordings), not a market
 * closure: 96 h covers a weekend with a holiday. Replay and its entry generator restart there.
 */
export const DEFAULT_MAX_GAP_MS = 96 * 3_600_000;
