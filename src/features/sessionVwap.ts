// Session-anchored VWAP of the typical price (H + L + C) / 3, weighted by volume.
//
// A session starts every day at `anchorHourUtc` (UTC), every calendar day including weekends: the session
// of a bar is floor((bar.time - anchorHour) / 1 day), from the bar's OPEN time. A bar that opens at or
// after the anchor starts a new session (with anchor 0, a Sunday 22:00 market open is a short session of
// its own until Monday 00:00).
//
// Volume 0 means unknown (domain Bar). While the volume of the whole session so far is 0, each bar is
// weighted 1 (a time-weighted average of typical price) and `timeWeighted` is true; as soon as one bar of
// the session has volume, the volume-weighted value is used (bars with 0 volume then weigh nothing).
// Both sums are kept all the time, so the switch is exact.
import type { Bar } from '../domain/types.ts';

const DAY_MS = 86_400_000;

export class SessionVwap {
  readonly anchorHourUtc: number;
  private readonly anchorMs: number;
  /** Session number of the last committed bar (floor((time - anchor) / day)); NaN before the first bar. */
  session = NaN;
  /** Bars committed in the current session. */
  bars = 0;
  private sumPv = 0;
  private sumV = 0;
  private sumP = 0;

  constructor(anchorHourUtc = 0) {
    if (!(anchorHourUtc >= 0 && anchorHourUtc <= 23) || !Number.isInteger(anchorHourUtc)) {
      throw new RangeError(`anchorHourUtc must be an integer 0..23, got ${anchorHourUtc}`);
    }
    this.anchorHourUtc = anchorHourUtc;
    this.anchorMs = anchorHourUtc * 3_600_000;
  }

  /** Session number of a time. */
  sessionOf(time: number): number {
    return Math.floor((time - this.anchorMs) / DAY_MS);
  }

  /** Start (epoch ms) of the current session; NaN before the first bar. */
  get sessionStart(): number {
    return this.session * DAY_MS + this.anchorMs;
  }

  get ready(): boolean {
    return this.bars > 0;
  }

  /** VWAP of the current session; NaN before the first bar. */
  get value(): number {
    if (this.bars === 0) return NaN;
    return this.sumV > 0 ? this.sumPv / this.sumV : this.sumP / this.bars;
  }

  /** True while the session so far has no volume and the value is a time-weighted mean. */
  get timeWeighted(): boolean {
    return this.bars > 0 && this.sumV === 0;
  }

  reset(): void {
    this.session = NaN;
    this.bars = 0;
    this.sumPv = this.sumV = this.sumP = 0;
  }

  update(bar: Readonly<Bar>): void {
    const s = Math.floor((bar.time - this.anchorMs) / DAY_MS);
    if (s !== this.session) {
      this.session = s;
      this.bars = 0;
      this.sumPv = this.sumV = this.sumP = 0;
    }
    const tp = (bar.high + bar.low + bar.close) / 3;
    const v = bar.volume > 0 ? bar.volume : 0;
    this.sumPv += tp * v;
    this.sumV += v;
    this.sumP += tp;
    this.bars++;
  }

  /** The VWAP as if `bar` were the next committed bar (no mutation). */
  peek(bar: Readonly<Bar>): number {
    const tp = (bar.high + bar.low + bar.close) / 3;
    const v = bar.volume > 0 ? bar.volume : 0;
    if (Math.floor((bar.time - this.anchorMs) / DAY_MS) !== this.session) return tp;
    const sv = this.sumV + v;
    return sv > 0 ? (this.sumPv + tp * v) / sv : (this.sumP + tp) / (this.bars + 1);
  }

  /** Whether peek(bar) is time-weighted. */
  peekTimeWeighted(bar: Readonly<Bar>): boolean {
    const v = bar.volume > 0 ? bar.volume : 0;
    if (Math.floor((bar.time - this.anchorMs) / DAY_MS) !== this.session) return v === 0;
    return this.sumV + v === 0;
  }
}
