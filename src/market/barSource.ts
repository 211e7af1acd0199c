// Bars as a replay plays them: in time order, chunk by chunk, without holding them all. A source is
// played as often as needed (entries, the replay, the charts each take one pass), so a bar file of any
// size replays with a flat footprint: only a chunk of columns is in memory at a time.
import { createHash, type Hash } from 'node:crypto';
import { BarSeries } from './barSeries.ts';

export interface BarSource {
  /** Bars in the source. */
  readonly length: number;
  /** A reader of the bars from the first, chunk by chunk: for a consumer that pulls them (the paper broker's finer bars). */
  open(): BarCursor;
  /**
   * Plays the bars in order: `each(chunk, offset)` gets consecutive bars, chunk bar j being bar
   * offset + j of the source. A chunk is only valid during the call (its columns are reused).
   * `each` returning false stops the pass.
   */
  forEachChunk(each: (chunk: BarSeries, offset: number) => boolean | void): void;
  /** SHA-256 of the bars (every field of every bar, in order): what a replay's run key depends on. */
  fingerprint(): string;
}

/** Bars pulled chunk by chunk; a chunk is valid until the next call. */
export interface BarCursor {
  /** The next chunk (at least one bar), or null at the end. */
  next(): BarSeries | null;
  /** Releases the reader (a file) before the end; harmless after it. */
  close(): void;
}

/** `source.forEachChunk` through its cursor: chunks in order with the offset of their first bar. */
export function playChunks(cursor: BarCursor, each: (chunk: BarSeries, offset: number) => boolean | void): void {
  let offset = 0;
  try {
    for (let chunk = cursor.next(); chunk !== null; chunk = cursor.next()) {
      if (each(chunk, offset) === false) return;
      offset += chunk.length;
    }
  } finally {
    cursor.close();
  }
}

/** Bars already in memory (the generated sample market, tests). */
export class InMemoryBars implements BarSource {
  private digest: string | null = null;
  constructor(readonly series: BarSeries) {}

  get length(): number {
    return this.series.length;
  }

  open(): BarCursor {
    let given = this.series.length === 0;
    return {
      next: () => {
        if (given) return null;
        given = true;
        return this.series;
      },
      close: () => {
        given = true;
      },
    };
  }

  forEachChunk(each: (chunk: BarSeries, offset: number) => boolean | void): void {
    playChunks(this.open(), each);
  }

  fingerprint(): string {
    if (this.digest === null) {
      const f = new BarFingerprint();
      f.add(this.series);
      this.digest = f.digest();
    }
    return this.digest;
  }
}

const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume', 'spread'] as const;

/**
 * SHA-256 of bars fed in chunks: one running hash per column, so the digest does not depend on
 * where the chunks were cut (a file streamed in steps and the same bars in memory agree).
 */
export class BarFingerprint {
  private readonly hashes: Hash[] = COLUMNS.map(() => createHash('sha256'));
  private count = 0;

  add(chunk: BarSeries): void {
    const n = chunk.length;
    this.count += n;
    for (let c = 0; c < COLUMNS.length; c++) {
      const col = chunk[COLUMNS[c]!];
      this.hashes[c]!.update(new Uint8Array(col.buffer, col.byteOffset, n * Float64Array.BYTES_PER_ELEMENT));
    }
  }

  digest(): string {
    const h = createHash('sha256');
    h.update(`bars ${this.count}\n`);
    for (const c of this.hashes) h.update(c.digest());
    return h.digest('hex');
  }
}

/** Every bar of a source in memory: for the studies and tests that need random access over small sets. */
export function readSeries(source: BarSource): BarSeries {
  if (source instanceof InMemoryBars) return source.series;
  const out = new BarSeries(source.length);
  source.forEachChunk((chunk) => out.append(chunk));
  return out;
}
