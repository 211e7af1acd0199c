// Where a bar fills a paper position's SL or TP, and at what price: the rules of the paper broker's
// bar fills (see the top of paperBroker.ts), and the spread and price grid its quotes follow. A bar
// given in bid prices is compared with a buy's levels as it is, with a sell's shifted by the spread.
// Allocation-free on the search: a fill's result is kept in scalar fields, read back by the broker.
import type { Bar, Instrument } from '../domain/types.ts';
import type { FineBarWindow } from '../market/fineBarWindow.ts';
import type { IntrabarRule, PaperPosition } from './paperTypes.ts';

export class LevelFills {
  /** Spread (price units) of the bar being filled; set by the broker's fillBar and by walkFine. */
  barSpread = 0;
  // Result of the last touch() that filled (scalars, so a bar's fills allocate nothing while they search).
  hitPrice = NaN;
  hitReason: 'sl' | 'tp' = 'sl';
  hitGap = false;
  hitTime = NaN;
  /** Price tolerance: far below a point, far above binary floating-point noise. */
  readonly priceEps: number;
  private readonly fixedSpread: boolean;
  private readonly defaultSpread: number;
  private readonly digitsScale: number;
  private readonly fineBar: Bar = { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, spread: NaN };

  constructor(
    instrument: Instrument,
    spread: { fixed: boolean; points: number },
    private readonly intrabar: IntrabarRule,
    /** Finer bars that decide a bar touching both levels (undefined: the intrabar rule decides). */
    private readonly fineBars: FineBarWindow | undefined,
    /** The filled bars' timeframe in ms (to find the fine bars inside a bar). */
    private readonly timeframeMs: number,
  ) {
    this.fixedSpread = spread.fixed;
    this.defaultSpread = spread.points * instrument.point;
    this.priceEps = (instrument.point > 0 ? instrument.point : instrument.tickSize) * 1e-3;
    this.digitsScale =
      Number.isInteger(instrument.digits) && instrument.digits >= 0 && instrument.digits <= 15
        ? 10 ** instrument.digits
        : 0;
  }

  /** The spread of a bar (price units): its own, or the configured one when unknown, negative, or the spread is fixed. */
  spreadOf(barSpread: number): number {
    // NaN (unknown) and negative spreads fail the comparison and fall back to the configured one.
    return !this.fixedSpread && barSpread >= 0 ? barSpread : this.defaultSpread;
  }

  /** bid + spread lands off the grid in binary (2000.1 + 0.2); brokers quote on it. */
  onGrid(price: number): number {
    return this.digitsScale > 0 ? Math.round(price * this.digitsScale) / this.digitsScale : price;
  }

  /** Releases the finer bars' file (a replay that ends before the file does). */
  releaseFineBars(): void {
    this.fineBars?.close();
  }

  /**
   * Whether the position's SL or TP is touched by a bar given in bid prices (sell levels are compared
   * with bid + spread). On a fill, sets hitPrice/hitReason/hitGap/hitTime.
   */
  // Takes the bar (and this.barSpread) rather than its prices as arguments: doubles passed to a call
  // that is not inlined are boxed, which cost ~600 bytes of garbage per bar with 8 open positions.
  touch(p: PaperPosition, bar: Readonly<Bar>, useFine: boolean): boolean {
    const open = bar.open;
    const high = bar.high;
    const low = bar.low;
    const close = bar.close;
    const time = bar.time;
    const buy = p.side === 'buy';
    const shift = buy ? 0 : this.barSpread;
    const o = open + shift;
    const eps = this.priceEps;
    const sl = p.sl;
    const tp = p.tp;
    // Signed distances: <= 0 means the level is reached (buy: SL below, TP above; sell mirrored).
    if (sl !== null && (buy ? o - sl : sl - o) <= eps)
      return this.hit(buy ? o - sl < -eps : sl - o < -eps, 'sl', sl, o, time);
    if (tp !== null && (buy ? tp - o : o - tp) <= eps)
      return this.hit(buy ? tp - o < -eps : o - tp < -eps, 'tp', tp, o, time);
    const h = high + shift;
    const l = low + shift;
    const slHit = sl !== null && (buy ? l - sl : sl - h) <= eps;
    const tpHit = tp !== null && (buy ? tp - h : l - tp) <= eps;
    if (!slHit && !tpHit) return false;
    if (!tpHit) return this.hit(false, 'sl', sl!, o, time);
    if (!slHit) return this.hit(false, 'tp', tp!, o, time);
    if (useFine && this.fineBars !== undefined && this.walkFine(p, time)) return true;
    let stopFirst: boolean;
    if (this.intrabar === 'stop_first') stopFirst = true;
    else if (this.intrabar === 'target_first') stopFirst = false;
    // ohlc_path: an up bar visits the low first (a buy's SL, a sell's TP), a down bar the high first.
    else stopFirst = close > open === buy;
    return stopFirst ? this.hit(false, 'sl', sl!, o, time) : this.hit(false, 'tp', tp!, o, time);
  }

  /** First fine bar inside [time, time + timeframeMs) that reaches a level decides the fill. */
  private walkFine(p: PaperPosition, time: number): boolean {
    const window = this.fineBars!;
    const [lo, hi] = window.select(time, time + this.timeframeMs);
    const fine = window.bars;
    const b = this.fineBar;
    const barSpread = this.barSpread;
    let found = false;
    for (let j = lo; j < hi; j++) {
      fine.read(j, b);
      this.barSpread = this.spreadOf(b.spread);
      if (this.touch(p, b, false)) {
        found = true;
        break;
      }
    }
    // The outer bar's spread serves the next positions of this bar.
    this.barSpread = barSpread;
    return found;
  }

  private hit(gap: boolean, reason: 'sl' | 'tp', level: number, openExit: number, time: number): true {
    this.hitGap = gap;
    this.hitReason = reason;
    this.hitPrice = gap ? this.onGrid(openExit) : level;
    this.hitTime = time;
    return true;
  }
}
