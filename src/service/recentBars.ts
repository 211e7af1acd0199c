// The last N closed bars per symbol, for the price charts of the pages: a fixed ring per symbol, so
// memory stays flat however long the service runs.
import type { Bar } from '../domain/types.ts';

export interface ChartBar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export class RecentBars {
  // Whole bars (volume and spread too): a what-if replays them.
  private readonly rings = new Map<string, { bars: Bar[]; next: number; size: number }>();

  constructor(
    symbols: readonly string[],
    private readonly capacity: number,
  ) {
    for (const s of symbols) this.rings.set(s, { bars: [], next: 0, size: 0 });
  }

  add(symbol: string, b: Bar): void {
    const r = this.rings.get(symbol);
    if (!r) return;
    const bar = { ...b };
    if (r.bars.length < this.capacity) r.bars.push(bar);
    else r.bars[r.next] = bar;
    r.next = (r.next + 1) % this.capacity;
    r.size = Math.min(r.size + 1, this.capacity);
  }

  /** The last `limit` bars, oldest first, as the chart draws them; undefined for a symbol not kept. */
  last(symbol: string, limit: number): ChartBar[] | undefined {
    return this.lastBars(symbol, limit)?.map((b) => ({
      time: b.time,
      open: b.open,
      high: b.high,
      low: b.low,
      close: b.close,
    }));
  }

  /** The last `limit` whole bars (volume and spread too), oldest first; undefined for a symbol not kept. */
  lastBars(symbol: string, limit: number): Bar[] | undefined {
    const r = this.rings.get(symbol);
    if (!r) return undefined;
    const n = Math.min(limit, r.size);
    const out: Bar[] = [];
    const start = r.size < this.capacity ? r.size - n : (r.next - n + this.capacity) % this.capacity;
    for (let k = 0; k < n; k++) out.push(r.bars[(start + k) % this.capacity]!);
    return out;
  }
}
