// Volume profile over the last N closed bars of one timeframe (default 200 bars, 20 bins).
//
// - `bins` equal price bins between min(low) and max(high) of the window.
// - Each bar's weight is SPLIT EVENLY over the bins its [low, high] overlaps (a closed interval: a bar
//   whose high is exactly on a bin's lower edge counts in that bin too). The original Python builder added
//   the bar's full volume to every overlapped bin; splitting keeps the profile's total equal to the
//   window's volume and is the usual "volume at price" approximation. Either way a wide bar spreads out.
// - Weight = the bar's volume. When the whole window has no volume (volume 0 = unknown), every bar weighs
//   1 (a time-at-price profile) and `timeWeighted` is true.
// - The HVNs are the two bins with the most weight (ties: the lower bin first, up to float rounding); a bin
//   with no weight is never an HVN. Their bin centres are `hvn1` (heaviest) and `hvn2`.
//
// Cost: update() runs only when a bar of the profile's timeframe closes (M5 by default), not per base bar
// or tick. Rebuilding the whole profile from the ring (O(window x bins), 200 x 20) on each such close would
// be acceptable; it was also 80% of SymbolFeatures' time, so update() only rebuilds when the bin grid can
// change (the new bar leaves [min low, max high], or the evicted bar touched it), when the weighting
// switches, and every `windowBars` updates (to wash out float residue); otherwise it subtracts the evicted
// bar and adds the new one (O(bins)). Everything lives in Float64Arrays allocated once; nothing is
// allocated per update. nearestHvnDistance(price) is O(1) and is what the forming-bar path uses.
import type { Bar } from '../domain/types.ts';

export class VolumeProfile {
  readonly windowBars: number;
  readonly bins: number;
  /** Bars needed before the profile is reported (default: a full window). */
  readonly minBars: number;
  /** Bars committed (total, not capped at the window). */
  count = 0;
  /** Bin centre of the heaviest bin; NaN when not ready. */
  hvn1 = NaN;
  /** Bin centre of the second heaviest bin; NaN when not ready or when only one bin has weight. */
  hvn2 = NaN;
  /** Window low/high (bin range). */
  rangeLow = NaN;
  rangeHigh = NaN;
  timeWeighted = false;
  /** Full rebuilds so far (the other updates were incremental). */
  rebuilds = 0;
  private readonly highs: Float64Array;
  private readonly lows: Float64Array;
  private readonly vols: Float64Array;
  private readonly binWeight: Float64Array;
  private head = 0;
  /** Bars in the window with volume > 0 (an exact count, so the weighting switch is exact). */
  private volumeBars = 0;
  private sinceRebuild = 0;

  constructor(windowBars = 200, bins = 20, minBars = windowBars) {
    if (!(windowBars >= 1) || !Number.isInteger(windowBars))
      throw new RangeError(`windowBars must be an integer >= 1, got ${windowBars}`);
    if (!(bins >= 2) || !Number.isInteger(bins)) throw new RangeError(`bins must be an integer >= 2, got ${bins}`);
    if (!(minBars >= 1 && minBars <= windowBars)) throw new RangeError(`minBars must be 1..windowBars, got ${minBars}`);
    this.windowBars = windowBars;
    this.bins = bins;
    this.minBars = minBars;
    this.highs = new Float64Array(windowBars);
    this.lows = new Float64Array(windowBars);
    this.vols = new Float64Array(windowBars);
    this.binWeight = new Float64Array(bins);
  }

  get ready(): boolean {
    return this.count >= this.minBars;
  }

  /** Bars currently in the window. */
  get size(): number {
    return this.count < this.windowBars ? this.count : this.windowBars;
  }

  /** Weight of bin i (0 = lowest prices) of the last rebuild. */
  binVolume(i: number): number {
    return this.binWeight[i] ?? NaN;
  }

  /** Centre price of bin i of the last rebuild. */
  binCentre(i: number): number {
    const w = (this.rangeHigh - this.rangeLow) / this.bins;
    return this.rangeLow + (i + 0.5) * w;
  }

  reset(): void {
    this.count = 0;
    this.head = 0;
    this.volumeBars = 0;
    this.sinceRebuild = 0;
    this.rebuilds = 0;
    this.hvn1 = this.hvn2 = this.rangeLow = this.rangeHigh = NaN;
    this.timeWeighted = false;
    this.highs.fill(0);
    this.lows.fill(0);
    this.vols.fill(0);
    this.binWeight.fill(0);
  }

  update(bar: Readonly<Bar>): void {
    const slot = this.head;
    const evicts = this.count >= this.windowBars;
    const oh = this.highs[slot]!;
    const ol = this.lows[slot]!;
    const ov = this.vols[slot]!;
    const nh = bar.high;
    const nl = bar.low;
    const nv = bar.volume > 0 ? bar.volume : 0;
    const volumeBars = this.volumeBars - (evicts && ov > 0 ? 1 : 0) + (nv > 0 ? 1 : 0);
    // Incremental (move the evicted and the new bar only) while the bin grid and the weighting stay the
    // same; a full rebuild otherwise, and every `windowBars` updates to wash out float residue.
    const incremental =
      this.rangeLow <= this.rangeHigh &&
      (volumeBars === 0) === this.timeWeighted &&
      nl >= this.rangeLow &&
      nh <= this.rangeHigh &&
      !(evicts && (ol <= this.rangeLow || oh >= this.rangeHigh)) &&
      this.sinceRebuild + 1 < this.windowBars;
    if (incremental && evicts) this.spreadSlot(slot, -1); // before the slot is overwritten
    this.highs[slot] = nh;
    this.lows[slot] = nl;
    this.vols[slot] = nv;
    this.head = slot + 1 === this.windowBars ? 0 : slot + 1;
    this.count++;
    this.volumeBars = volumeBars;
    if (this.count < this.minBars) return;
    if (incremental) {
      this.sinceRebuild++;
      this.spreadSlot(slot, 1);
      this.pickHvns();
    } else {
      this.rebuild();
    }
  }

  /**
   * Adds (sign 1) or removes (sign -1) the weight of the bar in ring slot `i`, split evenly over the bins
   * it overlaps. (Takes a slot, not prices: doubles passed to a call that is not inlined get boxed.)
   */
  private spreadSlot(i: number, sign: 1 | -1): void {
    const weight = this.timeWeighted ? 1 : this.vols[i]!;
    if (weight === 0) return;
    const nb = this.bins;
    const lo = this.rangeLow;
    const span = this.rangeHigh - lo;
    let first = 0;
    let last = 0;
    if (span > 0) {
      const binW = span / nb;
      first = Math.floor((this.lows[i]! - lo) / binW);
      last = Math.floor((this.highs[i]! - lo) / binW);
      if (first > nb - 1) first = nb - 1;
      if (last > nb - 1) last = nb - 1;
      if (first < 0) first = 0;
    }
    const share = (sign * weight) / (last - first + 1);
    const w = this.binWeight;
    for (let b = first; b <= last; b++) w[b] = w[b]! + share;
  }

  private rebuild(): void {
    const n = this.size;
    const highs = this.highs;
    const lows = this.lows;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const h = highs[i]!;
      const l = lows[i]!;
      if (h > hi) hi = h;
      if (l < lo) lo = l;
    }
    this.rangeLow = lo;
    this.rangeHigh = hi;
    this.timeWeighted = this.volumeBars === 0;
    this.sinceRebuild = 0;
    this.rebuilds++;
    const w = this.binWeight;
    w.fill(0);
    // spreadSlot(i, 1) for every slot, with the loop invariants hoisted (the same arithmetic, so the
    // same weights): rebuilds were 5% of a replay.
    const nb = this.bins;
    const span = hi - lo;
    const binW = span / nb;
    const vols = this.vols;
    const timeWeighted = this.timeWeighted;
    for (let i = 0; i < n; i++) {
      const weight = timeWeighted ? 1 : vols[i]!;
      if (weight === 0) continue;
      let first = 0;
      let last = 0;
      if (span > 0) {
        // Both quotients are in [0, bins]: truncation is the floor (and cheaper than Math.floor).
        first = ((lows[i]! - lo) / binW) | 0;
        last = ((highs[i]! - lo) / binW) | 0;
        if (first > nb - 1) first = nb - 1;
        if (last > nb - 1) last = nb - 1;
        if (first < 0) first = 0;
      }
      const share = weight / (last - first + 1);
      for (let b = first; b <= last; b++) w[b] = w[b]! + share;
    }
    this.pickHvns();
  }

  /** The two heaviest bins; a bin at or below 1e-12 of the heaviest counts as empty (float residue). */
  private pickHvns(): void {
    const w = this.binWeight;
    const nb = this.bins;
    let b1 = -1;
    for (let b = 0; b < nb; b++) if (w[b]! > 0 && (b1 < 0 || w[b]! > w[b1]!)) b1 = b;
    let b2 = -1;
    if (b1 >= 0) {
      const floor = w[b1]! * 1e-12;
      for (let b = 0; b < nb; b++) if (b !== b1 && w[b]! > floor && (b2 < 0 || w[b]! > w[b2]!)) b2 = b;
    }
    const lo = this.rangeLow;
    const binW = (this.rangeHigh - lo) / nb;
    this.hvn1 = b1 < 0 ? NaN : lo + (b1 + 0.5) * binW;
    this.hvn2 = b2 < 0 ? NaN : lo + (b2 + 0.5) * binW;
  }

  /** min |hvn - price| over the HVNs; NaN when not ready. */
  nearestHvnDistance(price: number): number {
    if (this.count < this.minBars) return NaN;
    const d1 = Math.abs(this.hvn1 - price);
    const d2 = Math.abs(this.hvn2 - price);
    if (d2 < d1) return d2; // NaN compares false, so a missing hvn2 falls through
    return d1;
  }
}
