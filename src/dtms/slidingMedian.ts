// The spread-spike rail's reference statistic: a median over a sliding window of values.

/**
 * Median of the last `size` values: a ring for the order of arrival plus a sorted copy kept by binary
 * search and one memmove per value (sorting the window at every check was most of the DTMS time).
 */
export class SlidingMedian {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  count = 0;
  constructor(readonly size: number) {
    this.ring = new Float64Array(size);
    this.sorted = new Float64Array(size);
  }

  push(x: number): void {
    const sorted = this.sorted;
    let n = this.count;
    if (n === this.size) {
      // drop the oldest value from the sorted copy
      const old = this.ring[this.head]!;
      const i = lowerBound(sorted, n, old);
      sorted.copyWithin(i, i + 1, n);
      n--;
    }
    const j = lowerBound(sorted, n, x);
    sorted.copyWithin(j + 1, j, n);
    sorted[j] = x;
    this.ring[this.head] = x;
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
    this.count = n + 1;
  }

  median(): number {
    const n = this.count;
    if (n === 0) return NaN;
    const mid = n >> 1;
    return n % 2 === 1 ? this.sorted[mid]! : (this.sorted[mid - 1]! + this.sorted[mid]!) / 2;
  }
}

function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
