// One study job, wherever it runs (the main thread with --workers 1, a worker thread otherwise):
// load the set's bars (kept for the next job of the same set), generate the variant's entries exactly
// as replay does, replay the config in memory, and hand back the metrics and compact trade columns.
import { TIMEFRAME_MS, type Instrument } from '../domain/types.ts';
import type { BarSeries } from '../market/barSeries.ts';
import { generateEntries, type ReplayEntry } from '../replay/entries.ts';
import { fillSpreadless, loadBarFiles, sampleBars, type LoadedBars } from '../replay/replayInputs.ts';
import { InMemoryBars, readSeries } from '../market/barSource.ts';
import { replayInstrument, replayInstrumentRules } from '../replay/replayInstrument.ts';
import { runReplayJob } from '../replay/replayRun.ts';
import type { TradeRow } from '../replay/reportModel.ts';
import {
  EXIT_REASONS,
  FLAG_BITS,
  type BarSource,
  type FlagName,
  type RunResult,
  type StudyJob,
  type TradeColumns,
} from './studyModel.ts';

const STUDY_VERSION = 'study';

/** Loaded bar sets by their source, per thread: a worker given several jobs of one set reads it once. */
export class BarCache {
  private readonly sets = new Map<string, { bars: LoadedBars; spreadNote: string | null }>();

  /**
   * The set's bars. A file without a single positive spread would be studied free of costs: its bars
   * get the instrument's default spread (as replay gives them), and `spreadNote` says so; with no
   * default the study is refused, naming the config field.
   */
  get(
    source: BarSource,
    instrument: Instrument,
    defaultSpreadPoints: number | undefined,
  ): { bars: LoadedBars; spreadNote: string | null } {
    const key = JSON.stringify(source);
    let b = this.sets.get(key);
    if (b === undefined) {
      const loaded =
        source.kind === 'file'
          ? loadBarFiles([source.file], { instrument })
          : sampleBars(instrument, source.seed, source.bars);
      // Held in memory: every job of the set plays the bars a few times, and the trade columns look bars up by time.
      const bars: LoadedBars = { ...loaded, source: new InMemoryBars(readSeries(loaded.source)) };
      let spreadNote: string | null = null;
      if (bars.spreadless.length > 0) {
        if (defaultSpreadPoints === undefined) {
          throw new Error(
            `${bars.spreadless.map((f) => f.file).join(', ')}: no spread in the data, and no instruments.${instrument.canonical}.defaultSpreadPoints to study it with`,
          );
        }
        const spread = Number((defaultSpreadPoints * instrument.point).toFixed(instrument.digits + 2));
        fillSpreadless(bars.source, bars.spreadless, spread);
        spreadNote = `no spreads in the data: studied with the ${instrument.canonical} default, ${defaultSpreadPoints} points (${spread})`;
      }
      b = { bars, spreadNote };
      this.sets.set(key, b);
    }
    return b;
  }
}

/** The variant's entries: the same for every config (they depend on the bars and the variant only). */
export function variantEntries(
  bars: LoadedBars,
  job: Pick<StudyJob, 'variant' | 'plan'>,
  instrument: Instrument,
): ReplayEntry[] {
  const { variant, plan } = job;
  return generateEntries(bars.source, bars.timeframe, {
    every: plan.every,
    seed: variant.seed,
    side: variant.side,
    slAtr: plan.slAtr,
    rr: plan.rr,
    // As replay's default: ten minimum lots (R is per unit of risk, so the size only sets the currency figures).
    volume: Number((instrument.minLot * 10).toFixed(8)),
    atrTimeframe: plan.atrTimeframe,
    warmupBars: plan.warmupBars + variant.offsetBars,
  });
}

/** FNV-1a over the entries' time, side and stop distance: equal hashes mean the same entries. */
export function entriesHash(entries: readonly ReplayEntry[]): string {
  let h = 0x811c9dc5;
  const feed = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  for (const e of entries) feed(`${e.time}|${e.side}|${e.slDistance}|${e.tpDistance}|${e.volume};`);
  return `${entries.length}:${h.toString(16).padStart(8, '0')}`;
}

/** Index of the last bar whose close (open + timeframe) is at or before `time`; -1 when none (times are whole ms). */
const barClosedAt = (series: BarSeries, tfMs: number, time: number): number => series.lowerBound(time - tfMs + 1) - 1;

/**
 * The trade's open R at the close of the bar DTMS warned on: what closing it there would have
 * realized (a buy sells at the bid close, a sell buys at the ask: close + spread, as the paper broker
 * quotes it), in units of the initial risk |entry - initial SL|.
 */
export function openRAt(
  row: Pick<TradeRow, 'side' | 'entryPrice' | 'initialSl'>,
  series: BarSeries,
  tfMs: number,
  time: number,
): number {
  if (row.initialSl === null) return NaN;
  const risk = Math.abs(row.entryPrice - row.initialSl);
  const i = barClosedAt(series, tfMs, time);
  if (!(risk > 0) || i < 0) return NaN;
  const spread = series.spread[i]!;
  const exit = row.side === 'buy' ? series.close[i]! : series.close[i]! + (spread > 0 ? spread : 0);
  return ((row.side === 'buy' ? 1 : -1) * (exit - row.entryPrice)) / risk;
}

/** Rows to columns (see TradeColumns); the warning's open R is read off the bars here, where they are. */
export function tradeColumns(rows: readonly TradeRow[], series: BarSeries | null, tfMs: number): TradeColumns {
  const n = rows.length;
  const c: TradeColumns = {
    n,
    entryTime: new Float64Array(n),
    side: new Int8Array(n),
    entryPrice: new Float64Array(n),
    initialSl: new Float64Array(n),
    exitTime: new Float64Array(n),
    exitReason: new Uint8Array(n),
    r: new Float64Array(n),
    mfeR: new Float64Array(n),
    maeR: new Float64Array(n),
    flags: new Uint16Array(n),
    warningTime: new Float64Array(n),
    warningR: new Float64Array(n),
  };
  rows.forEach((t, i) => {
    c.entryTime[i] = t.entryTime;
    c.side[i] = t.side === 'buy' ? 1 : -1;
    c.entryPrice[i] = t.entryPrice;
    c.initialSl[i] = t.initialSl ?? NaN;
    c.exitTime[i] = t.exitTime;
    c.exitReason[i] = Math.max(0, EXIT_REASONS.indexOf(t.exitReason));
    c.r[i] = t.r ?? NaN;
    c.mfeR[i] = t.mfeR ?? NaN;
    c.maeR[i] = t.maeR ?? NaN;
    let f = 0;
    for (const name of t.flags) if (name in FLAG_BITS) f |= FLAG_BITS[name as FlagName];
    c.flags[i] = f;
    c.warningTime[i] = t.dtmsWarningTime ?? NaN;
    c.warningR[i] = t.dtmsWarningTime === null || series === null ? NaN : openRAt(t, series, tfMs, t.dtmsWarningTime);
  });
  return c;
}

export async function runStudyJob(job: StudyJob, cache: BarCache): Promise<RunResult> {
  // Replay's instrument: a symbol the config has no contract for is refused, never given the DEFAULT (FX) one.
  const instrument = replayInstrument(job.config, job.set.source.symbol, true);
  const { bars, spreadNote } = cache.get(
    job.set.source,
    instrument,
    replayInstrumentRules(job.config, job.set.source.symbol).defaultSpreadPoints,
  );
  const entries = variantEntries(bars, job, instrument);
  const v = job.variant;
  const run = await runReplayJob({
    config: job.config,
    instrument,
    bars: bars.source,
    timeframe: bars.timeframe,
    data: bars.data,
    entries,
    entriesSource: `study variant ${v.index}: ${v.side} sides, seed ${v.seed}, offset ${v.offsetBars} bars`,
    broker: { accountMode: 'hedging' },
    startingBalance: job.startingBalance,
    outDir: null,
    version: STUDY_VERSION,
    // No trade charts: a study reads numbers only.
    maxTradeCharts: 0,
  });
  return {
    setIndex: job.setIndex,
    variantIndex: job.variantIndex,
    configIndex: job.configIndex,
    entries: entries.length,
    rejected: run.report.entries.rejected,
    entriesHash: entriesHash(entries),
    spreadNote,
    bars: bars.source.length,
    timeframe: bars.timeframe,
    firstBar: bars.data.first,
    lastBar: bars.data.last,
    metrics: run.report.metrics,
    trades: tradeColumns(run.report.trades, readSeries(bars.source), TIMEFRAME_MS[bars.timeframe]),
  };
}
