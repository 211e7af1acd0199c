// The embedded default's market: a seeded, generated market per symbol (the sample shapes of
// src/market/sampleMarket.ts), merged into one stream of closed bars in time order, as a live feed
// would deliver them. The first `warmupMinutes` are history (they build the features before the
// session starts); the rest is played bar by bar.
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
  /** Minutes played after it. */
  minutes: number;
}

export class PaperMarket {
  private readonly history = new Map<string, Bar[]>();
  private readonly events: MarketEvent[] = [];
  private next = 0;

  constructor(o: PaperMarketOptions) {
    const cutoff = o.start + o.warmupMinutes * 60_000;
    o.symbols.forEach(({ symbol, canonical }, i) => {
      const shape = SAMPLE_SHAPES[canonical];
      if (!shape) throw new Error(`no sample market for ${canonical} (${symbol}): use one of ${Object.keys(SAMPLE_SHAPES).join(', ')}`);
      const { bars } = generateSampleMarket({ seed: o.seed + i, bars: o.warmupMinutes + o.minutes, start: o.start, ...shape });
      const past: Bar[] = [];
      for (const bar of bars) {
        if (bar.time + 60_000 <= cutoff) past.push(bar);
        else this.events.push({ symbol, bar });
      }
      this.history.set(symbol, past);
    });
    // Time order, then the configured symbol order within one minute (stable sort).
    this.events.sort((a, b) => a.bar.time - b.bar.time);
  }

  /** Closed bars before the session starts, per symbol. */
  warmup(): Map<string, Bar[]> {
    return this.history;
  }

  /** The next closed bar of the stream, or null at its end. */
  nextBar(): MarketEvent | null {
    return this.next < this.events.length ? this.events[this.next++]! : null;
  }

  get remaining(): number {
    return this.events.length - this.next;
  }
}
