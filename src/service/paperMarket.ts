// The embedded default's market: a seeded, generated market per symbol (the sample shapes of
// src/market/sampleMarket.ts), merged into one stream of closed bars in time order, as a live feed
// would deliver them. The first `warmupMinutes` are history (they build the features before the
// session starts); the rest is played bar by bar, for as long as it is played: when a stretch of
// `chunkBars` bars per symbol is used up, the next one is generated from where each symbol's price
// and time ended (its seed derived from the market's, so the whole stream is the same every time).
// A restart picks the stream up at the position it had reached (`resume`): the paper account is an
// account, and its market goes on where it stopped.
import type { Bar } from '../domain/types.ts';
import { generateSampleMarket, SAMPLE_SHAPES } from '../market/sampleMarket.ts';

export interface MarketEvent {
  symbol: string;
  bar: Bar;
}

export interface PaperMarketOptions {
  /** Broker symbols with their canonical symbol (its sample shape). */
  symbols: { symbol: string; canonical: string }[];
  seed: number;
  /** Epoch ms of the first bar's open. */
  start: number;
  /** Minutes of history before the session starts. */
  warmupMinutes: number;
  /** Bars per symbol generated at a time (default 14 days of minutes). */
  chunkBars?: number;
}

const MINUTE = 60_000;
/** Keeps each chunk's seeds apart from the symbols' (seed + symbol index). */
const CHUNK_SEED_STEP = 7919;

export class PaperMarket {
  private readonly history = new Map<string, Bar[]>();
  /** Per symbol (in the configured order): its generated bars not played yet, and where they start. */
  private readonly queues: {
    symbol: string;
    canonical: string;
    index: number;
    bars: Bar[];
    next: number;
    chunk: number;
  }[] = [];
  /** Events played since the end of the warm-up: the market's position. */
  private played = 0;
  private readonly chunkBars: number;

  constructor(private readonly o: PaperMarketOptions) {
    this.chunkBars = Math.max(1, Math.floor(o.chunkBars ?? 14 * 1440));
    const cutoff = o.start + o.warmupMinutes * MINUTE;
    o.symbols.forEach(({ symbol, canonical }, index) => {
      const shape = SAMPLE_SHAPES[canonical];
      if (!shape)
        throw new Error(
          `no sample market for ${canonical} (${symbol}): use one of ${Object.keys(SAMPLE_SHAPES).join(', ')}`,
        );
      const { bars } = generateSampleMarket({
        seed: o.seed + index,
        bars: o.warmupMinutes + this.chunkBars,
        start: o.start,
        ...shape,
      });
      let k = 0;
      while (k < bars.length && bars[k]!.time + MINUTE <= cutoff) k++;
      this.history.set(symbol, bars.slice(0, k));
      this.queues.push({ symbol, canonical, index, bars, next: k, chunk: 0 });
    });
  }

  /** Closed bars before the session starts, per symbol. */
  warmup(): Map<string, Bar[]> {
    return this.history;
  }

  /**
   * The next closed bar of the stream: the earliest among the symbols (the configured order within
   * one minute). The market never runs out (see the header); null only without symbols.
   */
  nextBar(): MarketEvent | null {
    let best: (typeof this.queues)[number] | null = null;
    for (const q of this.queues) {
      if (q.next >= q.bars.length) this.generateNext(q);
      if (best === null || q.bars[q.next]!.time < best.bars[best.next]!.time) best = q;
    }
    if (best === null) return null;
    this.played++;
    return { symbol: best.symbol, bar: best.bars[best.next++]! };
  }

  /** Bars played since the end of the warm-up (what a restart resumes from). */
  get position(): number {
    return this.played;
  }

  /**
   * Goes on from `position` (a restart, on a market made with the same options): plays the stream
   * up to there without anyone watching and returns each symbol's last `keep` closed bars by then,
   * the history that warms the features up.
   */
  resume(position: number, keep: number): Map<string, Bar[]> {
    if (this.played !== 0) throw new Error('PaperMarket.resume: the market has already been played');
    const recent = new Map<string, Bar[]>();
    for (const [symbol, bars] of this.history) recent.set(symbol, bars.slice(-keep));
    while (this.played < position) {
      const e = this.nextBar();
      if (e === null) break;
      const kept = recent.get(e.symbol)!;
      kept.push(e.bar);
      // Trimmed in blocks, so a long resume does not shift the array at every bar.
      if (kept.length > keep + 1024) kept.splice(0, kept.length - keep);
    }
    for (const [symbol, kept] of recent) if (kept.length > keep) recent.set(symbol, kept.slice(-keep));
    return recent;
  }

  /** The symbol's next stretch of bars, from where its price and time ended. */
  private generateNext(q: (typeof this.queues)[number]): void {
    const shape = SAMPLE_SHAPES[q.canonical]!;
    const end = q.bars[q.bars.length - 1];
    q.chunk++;
    const start = end ? end.time + MINUTE : this.o.start;
    q.bars = generateSampleMarket({
      seed: this.o.seed + q.index + CHUNK_SEED_STEP * q.chunk,
      bars: this.chunkBars,
      start,
      ...shape,
      startPrice: end?.close ?? shape.startPrice,
    }).bars;
    q.next = 0;
  }
}
