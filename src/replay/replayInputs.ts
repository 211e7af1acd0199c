// Turns the replay command's inputs into what runReplayJob needs: bar files (any supported format,
// several files of one timeframe joined in time order), the finer bars for intrabar fills, the
// entries, or the generated sample market. Problems become ReplayInputError with a message that
// names the file (and line) and says what to do.
import path from 'node:path';
import { TIMEFRAME_MS, TIMEFRAMES, type Instrument, type Timeframe } from '../domain/types.ts';
import { BarSeries } from '../market/barSeries.ts';
import { findGaps } from '../market/gaps.ts';
import { importBarsFile, ImportError, type BarFormat } from '../market/importers.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../market/sampleMarket.ts';
import type { RowError } from '../market/uniformCsv.ts';
import type { DataSummary, GapSummary } from './reportModel.ts';

export class ReplayInputError extends Error {}

export function timeframeOfMs(ms: number, file: string): Timeframe {
  const tf = TIMEFRAMES.find((t) => TIMEFRAME_MS[t] === ms);
  if (!tf) throw new ReplayInputError(`${file}: bars are ${ms / 60_000} minutes apart; Warden replays ${TIMEFRAMES.join(', ')} bars`);
  return tf;
}

export function formatRowErrors(errors: readonly RowError[], limit = 20): string {
  const shown = errors.slice(0, limit).map((e) => `  ${e.file}:${e.line}: ${e.reason}`);
  if (errors.length > limit) shown.push(`  ... and ${errors.length - limit} more`);
  return shown.join('\n');
}

export interface LoadedBars {
  series: BarSeries;
  timeframe: Timeframe;
  format: BarFormat;
  data: DataSummary;
  gaps: GapSummary;
  /** Bad rows skipped (only with skipBadRows; otherwise they are an error). */
  skipped: RowError[];
  /** Files without a single positive spread, and where their bars are in `series` (see spreadlessRange). */
  spreadless: SpreadlessFile[];
}

/**
 * A bar file whose spreads are all 0 or missing (MT5 exports often write 0): replayed as it is, every
 * trade would be free of costs. `from`..`to` (inclusive) are its bars' indexes in the joined series.
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
  let given = false;
  for (let i = 0; i < series.length; i++) {
    const sp = series.spread[i]!;
    if (sp > 0) return null;
    if (Number.isFinite(sp)) given = true;
  }
  return given ? 'zero' : 'missing';
}

/** Sets the spread (price units) of every bar of the spreadless files: what the paper broker then quotes. */
export function fillSpreadless(series: BarSeries, files: readonly SpreadlessFile[], spread: number): void {
  for (const f of files) series.spread.fill(spread, f.from, f.to + 1);
}

export interface LoadBarsOptions {
  tz?: string;
  instrument: Instrument;
  skipBadRows?: boolean;
  fillFile?: string;
}

function importOne(file: string, o: LoadBarsOptions) {
  try {
    return importBarsFile(file, { tz: o.tz, point: o.instrument.point });
  } catch (err) {
    if (err instanceof ImportError) throw new ReplayInputError(err.message);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ReplayInputError(`${file}: no such file`);
    throw err;
  }
}

/** Reads and joins the bar files; refuses bad rows unless told to skip them (then reports them). */
export function loadBarFiles(files: readonly string[], o: LoadBarsOptions): LoadedBars & { fine: BarSeries | null; fineSpreadless: SpreadlessFile | null } {
  if (files.length === 0) throw new ReplayInputError('no bar file: pass --bars FILE (or --sample)');
  const parts = files.map((f) => importOne(f, o));
  const errors = parts.flatMap((p) => p.errors);
  if (errors.length > 0 && !o.skipBadRows) {
    throw new ReplayInputError(`${errors.length} bad row(s) in the bar files (fix them, or pass --skip-bad-rows to replay without them):\n${formatRowErrors(errors)}`);
  }
  const tfMs = parts[0]!.timeframeMs;
  for (const p of parts) {
    if (p.series.length < 2) throw new ReplayInputError(`${p.file}: fewer than 2 bars`);
    if (p.timeframeMs !== tfMs) {
      throw new ReplayInputError(`${p.file} has ${p.timeframeMs / 60_000}-minute bars but ${parts[0]!.file} has ${tfMs / 60_000}-minute bars: join files of one timeframe; finer bars for fills go in --fill-bars`);
    }
  }
  const timeframe = timeframeOfMs(tfMs, parts[0]!.file);
  const ordered = [...parts].sort((a, b) => a.series.time[0]! - b.series.time[0]!);
  let series = ordered[0]!.series;
  const spreadless: SpreadlessFile[] = [];
  let at = 0;
  for (const p of ordered) {
    const kind = spreadlessKind(p.series);
    if (kind !== null) spreadless.push({ file: path.basename(p.file), spreads: kind, from: at, to: at + p.series.length - 1 });
    at += p.series.length;
  }
  if (ordered.length > 1) {
    series = new BarSeries(ordered.reduce((n, p) => n + p.series.length, 0));
    let last = -Infinity;
    let lastFile = '';
    for (const p of ordered) {
      const s = p.series;
      if (s.time[0]! <= last) throw new ReplayInputError(`${p.file} overlaps ${lastFile} (it starts at or before that file's last bar): pass files that follow each other`);
      for (let i = 0; i < s.length; i++) series.push(s.time[i]!, s.open[i]!, s.high[i]!, s.low[i]!, s.close[i]!, s.volume[i]!, s.spread[i]!);
      last = s.time[s.length - 1]!;
      lastFile = p.file;
    }
  }
  let fine: BarSeries | null = null;
  let fineSpreadless: SpreadlessFile | null = null;
  if (o.fillFile !== undefined) {
    const f = importOne(o.fillFile, o);
    if (f.errors.length > 0 && !o.skipBadRows) throw new ReplayInputError(`${f.errors.length} bad row(s) in ${o.fillFile}:\n${formatRowErrors(f.errors)}`);
    if (!(f.timeframeMs < tfMs) || tfMs % f.timeframeMs !== 0) {
      throw new ReplayInputError(`--fill-bars ${o.fillFile}: its ${f.timeframeMs / 60_000}-minute bars must be finer than the replayed ${timeframe} bars and divide them`);
    }
    fine = f.series;
    const kind = spreadlessKind(fine);
    if (kind !== null) fineSpreadless = { file: path.basename(o.fillFile), spreads: kind, from: 0, to: fine.length - 1 };
  }
  const formats = [...new Set(parts.map((p) => p.format))];
  return {
    series,
    fine,
    fineSpreadless,
    timeframe,
    format: parts[0]!.format,
    data: {
      files: files.map((f) => path.basename(f)),
      format: formats.join(', '),
      timeframe,
      bars: series.length,
      first: series.time[0]!,
      last: series.time[series.length - 1]!,
      fillFile: o.fillFile === undefined ? null : path.basename(o.fillFile),
    },
    gaps: findGaps(series, tfMs),
    skipped: errors,
    spreadless,
  };
}

/** The generated sample market as replay input (what `npm start` replays). */
export function sampleBars(instrument: Instrument, seed: number, bars: number): LoadedBars {
  const shape = SAMPLE_SHAPES[instrument.canonical];
  if (!shape) throw new ReplayInputError(`no sample market for ${instrument.canonical}: use one of ${Object.keys(SAMPLE_SHAPES).join(', ')}`);
  const { series } = generateSampleSeries({ seed, bars, ...shape });
  return {
    series,
    timeframe: 'M1',
    format: 'uniform',
    data: { files: [`sample market (${instrument.canonical}, seed ${seed})`], format: 'generated', timeframe: 'M1', bars: series.length, first: series.time[0]!, last: series.time[series.length - 1]!, fillFile: null },
    gaps: findGaps(series, 60_000),
    skipped: [],
    spreadless: [],
  };
}
