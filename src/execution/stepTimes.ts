// How long the session's bar steps take (decide, journal, send, store), wall time, for /metrics: the
// latest steps in a ring, read as quantiles. Many accounts in one process share its one thread, so a
// step's time is what a trader's stop waits for when every account steps on the same bar.

/** Steps kept: enough for a p99 over the last minutes of a played market or hours of a real one. */
const KEPT = 2048;

/** Upper bounds of the cumulative buckets, ms (Prometheus histogram `le`, in seconds there). */
export const STEP_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000] as const;

export class StepTimes {
  private readonly ms = new Float64Array(KEPT);
  private n = 0;
  /** Steps at or under each bound since start (the last: all), and their total time: a scraper diffs two reads for a window. */
  readonly buckets = new Array<number>(STEP_BUCKETS_MS.length + 1).fill(0);
  sumMs = 0;

  add(ms: number): void {
    this.ms[this.n % KEPT] = ms;
    this.n++;
    this.sumMs += ms;
    for (let i = 0; i < STEP_BUCKETS_MS.length; i++) if (ms <= STEP_BUCKETS_MS[i]!) this.buckets[i]!++;
    this.buckets[STEP_BUCKETS_MS.length]!++;
  }

  /** Steps timed since the session started. */
  get count(): number {
    return this.n;
  }

  /** The q-quantile (0..1) of the kept steps' durations, ms (nearest rank); NaN before any step. */
  quantile(q: number): number {
    const kept = this.ms.slice(0, Math.min(this.n, KEPT)).sort();
    if (kept.length === 0) return Number.NaN;
    return kept[Math.min(kept.length - 1, Math.max(0, Math.ceil(q * kept.length) - 1))]!;
  }
}
