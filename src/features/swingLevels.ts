// Swing highs and lows of the features timeframe, and the "equal highs/lows" read from them: a bar is
// a swing high when its high is the highest of the SWING_SIDE bars on each side (so it is confirmed
// SWING_SIDE bars later); the last SWINGS_KEPT of each are kept. Two kept levels on the same side of
// the price within a tolerance of each other are equal highs above (or equal lows below) the price:
// liquidity a stop should not sit just behind. Rings only: nothing is allocated per bar.
import { SWING_SIDE, SWING_SPAN } from './featureRequirements.ts';

const SWINGS_KEPT = 5;

export class SwingLevels {
  private readonly highsIn = new Float64Array(SWING_SPAN);
  private readonly lowsIn = new Float64Array(SWING_SPAN);
  private inHead = 0;
  private inCount = 0;
  private readonly highs = new Float64Array(SWINGS_KEPT);
  private readonly lows = new Float64Array(SWINGS_KEPT);
  private highHead = 0;
  private highCount = 0;
  private lowHead = 0;
  private lowCount = 0;

  reset(): void {
    this.highsIn.fill(0);
    this.lowsIn.fill(0);
    this.inHead = this.inCount = 0;
    this.highs.fill(0);
    this.lows.fill(0);
    this.highHead = this.highCount = this.lowHead = this.lowCount = 0;
  }

  /** A closed features bar: the bar SWING_SIDE bars back becomes a swing high or low when it is one. */
  update(high: number, low: number): void {
    const hi = this.highsIn;
    const lo = this.lowsIn;
    hi[this.inHead] = high;
    lo[this.inHead] = low;
    this.inHead = this.inHead + 1 === SWING_SPAN ? 0 : this.inHead + 1;
    if (this.inCount < SWING_SPAN) this.inCount++;
    if (this.inCount !== SWING_SPAN) return;
    // after the write, inHead is the oldest; the middle is SWING_SIDE after it
    let mid = this.inHead + SWING_SIDE;
    if (mid >= SWING_SPAN) mid -= SWING_SPAN;
    const mh = hi[mid]!;
    const ml = lo[mid]!;
    let isHigh = true;
    let isLow = true;
    for (let i = 0; i < SWING_SPAN; i++) {
      if (hi[i]! > mh) isHigh = false;
      if (lo[i]! < ml) isLow = false;
    }
    if (isHigh) {
      this.highs[this.highHead] = mh;
      this.highHead = this.highHead + 1 === SWINGS_KEPT ? 0 : this.highHead + 1;
      if (this.highCount < SWINGS_KEPT) this.highCount++;
    }
    if (isLow) {
      this.lows[this.lowHead] = ml;
      this.lowHead = this.lowHead + 1 === SWINGS_KEPT ? 0 : this.lowHead + 1;
      if (this.lowCount < SWINGS_KEPT) this.lowCount++;
    }
  }

  /** 1 when two kept swing highs above `price` are within `tol` of each other. */
  equalHighsAbove(price: number, tol: number): 0 | 1 {
    return equalLevels(this.highs, this.highCount, price, tol, 1);
  }

  /** 1 when two kept swing lows below `price` are within `tol` of each other. */
  equalLowsBelow(price: number, tol: number): 0 | 1 {
    return equalLevels(this.lows, this.lowCount, price, tol, -1);
  }
}

/** 1 when two stored levels on the given side of price (1 above, -1 below) are within tol of each other. */
function equalLevels(levels: Float64Array, count: number, price: number, tol: number, side: 1 | -1): 0 | 1 {
  for (let i = 0; i < count; i++) {
    const a = levels[i]!;
    if (side === 1 ? !(a > price) : !(a < price)) continue;
    for (let j = i + 1; j < count; j++) {
      const b = levels[j]!;
      if (side === 1 ? !(b > price) : !(b < price)) continue;
      if (Math.abs(a - b) <= tol) return 1;
    }
  }
  return 0;
}
