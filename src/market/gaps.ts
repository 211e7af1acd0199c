// Gaps in a bar series: steps between consecutive bar open times longer than 1.5 bars.
//
// Weekend rule: a gap is `weekend` when no bar opens during one whole UTC Saturday (00:00 to 24:00)
// inside it; every other gap is `intra_week`. The FX/CFD weekend (Friday ~21:00 to Sunday ~22:00 UTC)
// covers Saturday in every broker zone, and so do the Friday-to-Sunday/Monday steps of H4 and daily
// bars, while a few missing minutes of a 24/7 crypto market on a Saturday are not a weekend. This
// reproduces the weekend / intra-week counts of every file in ../shared/data/SOURCES.md. (A step over a
// whole Saturday that is really a hole in the data, such as the months between btcusd_coinbase_m1.csv's
// separate days, is counted as weekend too: the bars cannot tell them apart.)
import type { BarSeries } from './barSeries.ts';
import type { Gap, GapSummary } from '../replay/reportModel.ts';

const DAY = 86_400_000;
const LONGEST = 10;

/** Whether a whole UTC Saturday lies in (from, to]: the first Saturday 00:00 after `from` ends by `to`. */
export function coversSaturday(from: number, to: number): boolean {
  const day = Math.floor(from / DAY);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday
  const ahead = (6 - weekday + 7) % 7 || 7; // the Saturday of `from`'s own day started at or before it
  return (day + ahead + 1) * DAY <= to;
}

export function findGaps(series: BarSeries, timeframeMs: number): GapSummary {
  const list: Gap[] = [];
  let weekend = 0;
  if (timeframeMs > 0) {
    const t = series.time;
    const limit = 1.5 * timeframeMs;
    for (let i = 1; i < series.length; i++) {
      const from = t[i - 1]!;
      const to = t[i]!;
      if (to - from <= limit) continue;
      const kind = coversSaturday(from, to) ? 'weekend' : 'intra_week';
      if (kind === 'weekend') weekend++;
      list.push({ from, to, minutes: (to - from) / 60_000, kind });
    }
  }
  // Longest first; equal lengths in time order (sort is stable and `list` is in time order).
  const longest = [...list].sort((a, b) => b.to - b.from - (a.to - a.from)).slice(0, LONGEST);
  return { count: list.length, weekend, intraWeek: list.length - weekend, longest, list };
}

/**
 * A hole between bars longer than this is a data boundary (separate recordings), not a market
 * closure: 96 h covers a weekend with a holiday. Replay and its entry generator restart there.
 */
export const DEFAULT_MAX_GAP_MS = 96 * 3_600_000;
