// Turns the replay command's inputs into what runReplayJob needs: bar files (any supported format,
// several files of one timeframe joined in time order), the finer bars for intrabar fills, the
// entries, or the generated sample market. Problems become ReplayInputError with a message that
// names the file (and line) and says what to do.
import path from 'node:path';
import { TIMEFRAME_MS, TIMEFRAMES, type Instrument, type Timeframe } from '../domain/types.ts';
import { BarSeries } from '../market/barSeries.ts';
import { type BarColumnsFile, BarColumnsWriter } from '../market/barColumnsFile.ts';
import { BarFingerprint, InMemoryBars, playChunks, type BarCursor, type BarSource } from '../market/barSource.ts';
import {
  BarFileReader,
  ImportError,
  StepCounter,
  streamBarFile,
  type BarFormat,
  type ImportOptions,
} from '../market/importers.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../market/sampleMarket.ts';
import type { RowError } from '../market/uniformCsv.ts';
import type { DataSummary } from './reportModel.ts';

export class ReplayInputError extends Error {}

export function timeframeOfMs(ms: number, file: string): Timeframe {
  const tf = TIMEFRAMES.find((t) => TIMEFRAME_MS[t] === ms);
  if (!tf)
    throw new ReplayInputError(
      `${file}: bars are ${ms / 60_000} minutes apart; Warden replays ${TIMEFRAMES.join(', ')} bars`,
    );
  return tf;
}

export function formatRowErrors(errors: readonly RowError[], limit = 20): string {
  const shown = errors.slice(0, limit).map((e) => `  ${e.file}:${e.line}: ${e.reason}`);
  if (errors.length > limit) shown.push(`  ... and ${errors.length - limit} more`);
  return shown.join('\n');
}

export interface LoadedBars {
  /** The bars, played from the files each time they are needed (never held whole). */
  source: BarSource;
  timeframe: Timeframe;
  format: BarFormat;
  data: DataSummary;
  /** Bad rows skipped (only with skipBadRows; otherwise they are an error). */
  skipped: RowError[];
  /** Files without a single positive spread, and where their bars are in `source` (see spreadlessKind). */
  spreadless: SpreadlessFile[];
}

/**
 * A bar file whose spreads are all 0 or missing (MT5 exports often write 0): replayed as it is, every
 * trade would be free of costs. `from`..`to` (inclusive) are its bars' indexes in the joined source.
 */
export interface SpreadlessFile {
  file: string;
  /** 'zero': every spread is 0 (or unknown); 'missing': none is given at all. */
  spreads: 'zero' | 'missing';
  from: number;
  to: number;
}

/** Why a file counts as spreadless: no bar has a spread above 0 (negative crossed ones included). */
export function spreadlessKind(series: BarSeries): SpreadlessFile['spreads'] | null {
  const w = new SpreadWatch();
  w.add(series);
  return w.kind();
}

/** spreadlessKind over bars seen chunk by chunk. */
class SpreadWatch {
  private positive = false;
  private given = false;

  add(chunk: BarSeries): void {
    if (this.positive) return;
    const sp = chunk.spread;
    for (let i = 0; i < chunk.length; i++) {
      const v = sp[i]!;
      if (v > 0) {
        this.positive = true;
        return;
      }
      if (!this.given && Number.isFinite(v)) this.given = true;
    }
  }

  kind(): SpreadlessFile['spreads'] | null {
    return this.positive ? null : this.given ? 'zero' : 'missing';
  }
}

/**
 * Sets the spread (price units) of every bar of the spreadless files: what the paper broker then
 * quotes. Files are played with it from then on; bars in memory are changed in place.
 */
export function fillSpreadless(bars: BarSource | BarSeries, files: readonly SpreadlessFile[], spread: number): void {
  if (bars instanceof BarFilesSource) {
    bars.fillSpreads(files, spread);
    return;
  }
  const series = bars instanceof BarSeries ? bars : bars instanceof InMemoryBars ? bars.series : null;
  if (series === null) throw new Error('fillSpreadless: unknown bar source');
  for (const f of files) series.spread.fill(spread, f.from, f.to + 1);
}

export interface LoadBarsOptions {
  tz?: string;
  instrument: Instrument;
  skipBadRows?: boolean;
  fillFile?: string;
  /** Bytes read per step (default STREAM_CHUNK_BYTES); tests take small steps to cut chunks anywhere. */
  chunkBytes?: number;
  /** Keep the scanned bars as binary columns for the later passes (default true; false: every pass reads the text). */
  columns?: boolean;
}

/** What one pass over a bar file learnt: enough to check, order and describe it without keeping its bars. */
interface ScannedFile {
  file: string;
  format: BarFormat;
  options: ImportOptions;
  chunkBytes: number | undefined;
  bars: number;
  first: number;
  last: number;
  timeframeMs: number;
  errors: RowError[];
  spreadless: SpreadlessFile['spreads'] | null;
  /** The bars as binary columns, written during the scan: what the later passes play (null past its limit). */
  columns: BarColumnsFile | null;
}

function importFailure(file: string, err: unknown): never {
  if (err instanceof ImportError) throw new ReplayInputError(err.message);
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ReplayInputError(`${file}: no such file`);
  if ((err as NodeJS.ErrnoException).code === 'EISDIR')
    throw new ReplayInputError(`${file}: is a folder, not a bar file`);
  throw err;
}

function scanFile(file: string, o: LoadBarsOptions): ScannedFile {
  const options: ImportOptions = { tz: o.tz, point: o.instrument.point };
  let first = NaN;
  let last = NaN;
  const steps = new StepCounter();
  const spreads = new SpreadWatch();
  const columns = o.columns === false ? null : new BarColumnsWriter();
  try {
    const r = streamBarFile(
      file,
      options,
      (chunk) => {
        if (Number.isNaN(first)) first = chunk.time[0]!;
        steps.add(chunk);
        spreads.add(chunk);
        columns?.add(chunk);
        last = chunk.time[chunk.length - 1]!;
      },
      o.chunkBytes,
    );
    return {
      file,
      format: r.format,
      options,
      chunkBytes: o.chunkBytes,
      bars: r.bars,
      first,
      last,
      timeframeMs: steps.mostCommon(),
      errors: r.errors,
      spreadless: spreads.kind(),
      columns: columns?.finish() ?? null,
    };
  } catch (err) {
    columns?.drop();
    return importFailure(file, err);
  }
}

/** A cursor that counts the bars it gave (as BarFileReader does). */
class CountingCursor {
  bars = 0;
  constructor(private readonly cursor: BarCursor) {}

  next(): BarSeries | null {
    const chunk = this.cursor.next();
    if (chunk !== null) this.bars += chunk.length;
    return chunk;
  }

  close(): void {
    this.cursor.close();
  }
}

/**
 * Bar files played in time order, one after the other, straight from disk: each pass reads the binary
 * columns the scan wrote (barColumnsFile.ts), or the text again in steps for a file past their limit
 * (see streamBarFile), so any size replays in flat memory. A file that changed since it was
 * scanned (another bar count) stops the pass with an error rather than replaying other bars.
 */
export class BarFilesSource implements BarSource {
  readonly length: number;
  private readonly fills: (number | null)[];

  private digest: string | null;

  constructor(private readonly parts: readonly ScannedFile[]) {
    // Computed when asked (a run key: --store), by one more pass: a plain replay never pays for it.
    this.digest = null;
    this.length = parts.reduce((n, p) => n + p.bars, 0);
    this.fills = parts.map(() => null);
  }

  fillSpreads(files: readonly SpreadlessFile[], spread: number): void {
    let at = 0;
    this.parts.forEach((p, k) => {
      if (files.some((f) => f.from === at && f.to === at + p.bars - 1)) {
        this.fills[k] = spread;
        this.digest = null;
      }
      at += p.bars;
    });
  }

  open(): BarCursor {
    let k = 0;
    // A part's bars come from its column file when the scan wrote one, else from its text again.
    let reader: BarFileReader | CountingCursor | null = null;
    const failed = (file: string, err: unknown): never => {
      reader?.close();
      return importFailure(file, err);
    };
    return {
      next: () => {
        while (k < this.parts.length) {
          const p = this.parts[k]!;
          let chunk: BarSeries | null;
          try {
            reader ??=
              p.columns !== null
                ? new CountingCursor(p.columns.open())
                : new BarFileReader(p.file, p.options, p.chunkBytes);
            chunk = reader.next();
          } catch (err) {
            return failed(p.file, err);
          }
          if (chunk !== null) {
            const fill = this.fills[k]!;
            if (fill !== null) chunk.spread.fill(fill, 0, chunk.length);
            return chunk;
          }
          const read = reader.bars;
          reader = null;
          if (read !== p.bars)
            throw new ReplayInputError(
              `${p.file} changed while Warden was replaying it (${p.bars} bars when first read, ${read} now): run again on a file that stays as it is`,
            );
          k++;
        }
        return null;
      },
      close: () => {
        reader?.close();
        reader = null;
        k = this.parts.length;
      },
    };
  }

  forEachChunk(each: (chunk: BarSeries, offset: number) => boolean | void): void {
    playChunks(this.open(), each);
  }

  /** The bars as played (spread fills included), by one more pass the first time it is asked for. */
  fingerprint(): string {
    if (this.digest === null) {
      const f = new BarFingerprint();
      this.forEachChunk((chunk) => f.add(chunk));
      this.digest = f.digest();
    }
    return this.digest;
  }
}

/**
 * Reads the bar files once to check and describe them (bad rows, timeframe, order, spreads); the bars
 * themselves are played from the files by the returned source. Refuses bad rows unless told to skip
 * them (then reports them).
 */
export function loadBarFiles(
  files: readonly string[],
  o: LoadBarsOptions,
): LoadedBars & { fine: BarSource | null; fineSpreadless: SpreadlessFile | null } {
  if (files.length === 0) throw new ReplayInputError('no bar file: pass --bars FILE (or --sample)');
  const parts = files.map((f) => scanFile(f, o));
  const errors = parts.flatMap((p) => p.errors);
  if (errors.length > 0 && !o.skipBadRows) {
    throw new ReplayInputError(
      `${errors.length} bad row(s) in the bar files (fix them, or pass --skip-bad-rows to replay without them):\n${formatRowErrors(errors)}`,
    );
  }
  const tfMs = parts[0]!.timeframeMs;
  for (const p of parts) {
    if (p.bars < 2) throw new ReplayInputError(`${p.file}: fewer than 2 bars`);
    if (p.timeframeMs !== tfMs) {
      throw new ReplayInputError(
        `${p.file} has ${p.timeframeMs / 60_000}-minute bars but ${parts[0]!.file} has ${tfMs / 60_000}-minute bars: join files of one timeframe; finer bars for fills go in --fill-bars`,
      );
    }
  }
  const timeframe = timeframeOfMs(tfMs, parts[0]!.file);
  const ordered = [...parts].sort((a, b) => a.first - b.first);
  const spreadless: SpreadlessFile[] = [];
  let at = 0;
  let last = -Infinity;
  let lastFile = '';
  for (const p of ordered) {
    if (p.first <= last)
      throw new ReplayInputError(
        `${p.file} overlaps ${lastFile} (it starts at or before that file's last bar): pass files that follow each other`,
      );
    if (p.spreadless !== null)
      spreadless.push({ file: path.basename(p.file), spreads: p.spreadless, from: at, to: at + p.bars - 1 });
    at += p.bars;
    last = p.last;
    lastFile = p.file;
  }
  const source = new BarFilesSource(ordered);
  let fine: BarFilesSource | null = null;
  let fineSpreadless: SpreadlessFile | null = null;
  if (o.fillFile !== undefined) {
    const f = scanFile(o.fillFile, o);
    if (f.errors.length > 0 && !o.skipBadRows)
      throw new ReplayInputError(`${f.errors.length} bad row(s) in ${o.fillFile}:\n${formatRowErrors(f.errors)}`);
    if (!(f.timeframeMs < tfMs) || tfMs % f.timeframeMs !== 0) {
      throw new ReplayInputError(
        `--fill-bars ${o.fillFile}: its ${f.timeframeMs / 60_000}-minute bars must be finer than the replayed ${timeframe} bars and divide them`,
      );
    }
    fine = new BarFilesSource([f]);
    if (f.spreadless !== null)
      fineSpreadless = { file: path.basename(o.fillFile), spreads: f.spreadless, from: 0, to: f.bars - 1 };
  }
  const formats = [...new Set(parts.map((p) => p.format))];
  return {
    source,
    fine,
    fineSpreadless,
    timeframe,
    format: parts[0]!.format,
    data: {
      files: files.map((f) => path.basename(f)),
      format: formats.join(', '),
      timeframe,
      bars: source.length,
      first: ordered[0]!.first,
      last: ordered[ordered.length - 1]!.last,
      fillFile: o.fillFile === undefined ? null : path.basename(o.fillFile),
    },
    skipped: errors,
    spreadless,
  };
}

/** The generated sample market as replay input (what `npm start` replays). */
export function sampleBars(instrument: Instrument, seed: number, bars: number): LoadedBars {
  const shape = SAMPLE_SHAPES[instrument.canonical];
  if (!shape)
    throw new ReplayInputError(
      `no sample market for ${instrument.canonical}: use one of ${Object.keys(SAMPLE_SHAPES).join(', ')}`,
    );
  const { series } = generateSampleSeries({ seed, bars, ...shape });
  return {
    source: new InMemoryBars(series),
    timeframe: 'M1',
    format: 'uniform',
    data: {
      files: [`sample market (${instrument.canonical}, seed ${seed})`],
      format: 'generated',
      timeframe: 'M1',
      bars: series.length,
      first: series.time[0]!,
      last: series.time[series.length - 1]!,
      fillFile: null,
    },
    skipped: [],
    spreadless: [],
  };
}
