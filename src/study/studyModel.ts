// What a study is made of: jobs (one replay of one config on one bar set with one entry variant),
// the compact per-trade columns a job hands back (they cross the worker boundary, so numbers in
// typed arrays, not objects), and the entry variants. Times are epoch ms.
import type { WardenConfig } from '../config/schema.ts';
import type { ExitReason, ReplayMetrics } from '../replay/reportModel.ts';

/** Where a set's bars come from: a file (any format replay reads) or the generated sample market. */
export type BarSource =
  | { kind: 'file'; file: string; symbol: string }
  | { kind: 'sample'; symbol: string; seed: number; bars: number };

export interface StudySet {
  /** The name tables and charts use: the file's base name, or "sample". */
  name: string;
  source: BarSource;
}

/**
 * One way of placing the entries. Variant 1 alternates sides; the others draw sides from their
 * seed. Each starts its first entry `offsetBars` later, so the variants do not share entry bars.
 */
export interface EntryVariant {
  index: number;
  side: 'alternate' | 'random';
  seed: number;
  offsetBars: number;
}

export interface EntryPlan {
  /** An entry every this many bars, after warm-up. */
  every: number;
  warmupBars: number;
  slAtr: number;
  rr: number;
  atrTimeframe: 'M1' | 'M5' | 'M15' | 'M30' | 'H1' | 'H4';
}

export interface StudyJob {
  setIndex: number;
  variantIndex: number;
  configIndex: number;
  set: StudySet;
  variant: EntryVariant;
  plan: EntryPlan;
  configName: string;
  config: WardenConfig;
  startingBalance: number;
}

/** Sort key of a job's result: results are put in this order whatever worker ran them. */
export const jobOrder = (
  a: Pick<StudyJob, 'setIndex' | 'variantIndex' | 'configIndex'>,
  b: Pick<StudyJob, 'setIndex' | 'variantIndex' | 'configIndex'>,
): number => a.setIndex - b.setIndex || a.variantIndex - b.variantIndex || a.configIndex - b.configIndex;

export const EXIT_REASONS: readonly ExitReason[] = [
  'initial_stop',
  'breakeven_stop',
  'trailing_stop',
  'dtms_stop',
  'take_profit',
  'closed',
  'dtms_close',
  'data_gap',
  'end_of_data',
];
/** Exits at a stop order (whoever set it): what "stopped out" means for the whipsaw count. */
export const STOP_EXIT_REASONS: ReadonlySet<ExitReason> = new Set([
  'initial_stop',
  'breakeven_stop',
  'trailing_stop',
  'dtms_stop',
]);

/** Trade flags kept across the boundary, as bits. */
export const FLAG_BITS = {
  breakeven: 1,
  partial: 2,
  trailed: 4,
  rmag: 8,
  dtms: 16,
  hedged: 32,
  re_add: 64,
  gap_fill: 128,
} as const;
export type FlagName = keyof typeof FLAG_BITS;

/** One run's trades, a column per field; null values are NaN. `side` is +1 buy, -1 sell. */
export interface TradeColumns {
  n: number;
  entryTime: Float64Array;
  side: Int8Array;
  entryPrice: Float64Array;
  initialSl: Float64Array;
  exitTime: Float64Array;
  /** Index into EXIT_REASONS. */
  exitReason: Uint8Array;
  r: Float64Array;
  mfeR: Float64Array;
  maeR: Float64Array;
  flags: Uint16Array;
  /** When DTMS first left HEALTHY (NaN: never), and the trade's open R at the close of that bar. */
  warningTime: Float64Array;
  warningR: Float64Array;
}

export interface RunResult {
  setIndex: number;
  variantIndex: number;
  configIndex: number;
  /** Entries generated, and how many the broker refused in this run. */
  entries: number;
  rejected: number;
  /** Hash of the generated entries (time, side, stop distance): equal for every config of a set and variant. */
  entriesHash: string;
  /** What spread the set's bars got where the data has none (null: the data's own spreads). */
  spreadNote: string | null;
  bars: number;
  timeframe: string;
  firstBar: number;
  lastBar: number;
  metrics: ReplayMetrics;
  trades: TradeColumns;
}
