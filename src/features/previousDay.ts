// The previous day's high and low (pdh/pdl): the previous UTC calendar day (of bar open times), from
// base bars (or, in a warm-up, coarser bars before the first base bar). A day with under 6 h of bars
// (forex's Sunday evening reopen) is not a previous day: Monday's previous day is then Friday. The
// first day seen counts only if its first bar opens at 00:00 UTC (otherwise it may be partial).
import type { Bar } from '../domain/types.ts';
import { DAY_MS } from './featureRequirements.ts';

/** A UTC day with less than this span of bars (forex's Sunday evening reopen) is not a previous day. */
const MIN_TRADING_DAY_MS = 6 * 3_600_000;

export class PreviousDay {
  /** The current UTC day (days since the epoch), its high and low so far. */
  day = NaN;
  high = NaN;
  low = NaN;
  private full = false;
  /** Open time of the current day's first bar and end of its last one. */
  private first = NaN;
  end = NaN;
  /** The last complete trading day's high and low (NaN before one was seen). */
  pdh = NaN;
  pdl = NaN;
  /** Open time of the first bar the day tracking saw (the previous day's readiness). */
  from = NaN;

  reset(): void {
    this.day = this.high = this.low = this.pdh = this.pdl = NaN;
    this.full = false;
    this.first = this.end = NaN;
    this.from = NaN;
  }

  /** A closed bar `barMs` long. */
  update(bar: Readonly<Bar>, barMs: number): void {
    if (Number.isNaN(this.from)) this.from = bar.time;
    const day = Math.floor(bar.time / DAY_MS);
    if (day !== this.day) {
      if (this.counts()) {
        this.pdh = this.high;
        this.pdl = this.low;
      }
      // a later day is complete when it ends; the first day seen only if it starts at its first base bar
      const firstDay = Number.isNaN(this.day);
      this.full = !firstDay || bar.time - day * DAY_MS < barMs;
      this.day = day;
      this.high = bar.high;
      this.low = bar.low;
      this.first = bar.time;
    } else {
      if (bar.high > this.high) this.high = bar.high;
      if (bar.low < this.low) this.low = bar.low;
    }
    this.end = bar.time + barMs;
  }

  /**
   * Whether the current day can serve as "the previous day": complete, and a trading day rather than
   * a stub such as forex's Sunday 22:00-24:00 reopen (Monday's previous day is then Friday).
   */
  counts(): boolean {
    return this.full && this.end - this.first >= MIN_TRADING_DAY_MS;
  }
}
