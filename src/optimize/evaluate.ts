// One book: a config replayed over a span of bars with the entries of that span, exactly as `warden
// replay` plays it (the same runReplay, the paper broker, generated or the trader's own entries), kept
// in memory and reduced to the trades' outcomes the objectives and the paired comparisons read.
//
// Books share the bars (one BarSeries, sliced without copying) and the entries. Books over the same
// span play together over one market (replayInLockstep): the features and DTMS's market layers are
// folded once per bar for all of them, and each book's result is what its replay alone would give.
import type { PaperBrokerOptions } from '../brokers/paperBroker.ts';
import type { WardenConfig } from '../config/schema.ts';
import type { Instrument, Timeframe } from '../domain/types.ts';
import { BarSeries } from '../market/barSeries.ts';
import { InMemoryBars } from '../market/barSource.ts';
import { LineWriter } from '../replay/decisionLog.ts';
import type { ReplayEntry } from '../replay/entries.ts';
import type { TradeRow } from '../replay/reportModel.ts';
import { replayInLockstep } from '../replay/lockstep.ts';
import type { ReplayInput } from '../replay/replaySession.ts';
import type { StudyTrade } from '../study/stats.ts';

/** Decision lines are not needed to score a book: counted, never kept. */
class DiscardedLines extends LineWriter {
  constructor() {
    super(null);
  }
  override write(): void {
    this.count++;
  }
}

/** Bars `from`..`to` - 1 of a series, as a series of their own (views on the same columns, no copy). */
export function sliceSeries(s: BarSeries, from: number, to: number): BarSeries {
  const out = new BarSeries(16);
  out.time = s.time.subarray(from, to);
  out.open = s.open.subarray(from, to);
  out.high = s.high.subarray(from, to);
  out.low = s.low.subarray(from, to);
  out.close = s.close.subarray(from, to);
  out.volume = s.volume.subarray(from, to);
  out.spread = s.spread.subarray(from, to);
  out.length = to - from;
  return out;
}

export interface BookMarket {
  instrument: Instrument;
  series: BarSeries;
  timeframe: Timeframe;
  broker: Omit<PaperBrokerOptions, 'timeframeMs'>;
  startingBalance: number;
  maxGapMs: number;
}

/** A replayed trade as the study statistics read it (pairing by entry, capture). */
export function studyTrade(row: TradeRow): StudyTrade {
  return {
    entryTime: row.entryTime,
    side: row.side,
    exitTime: row.exitTime,
    exitReason: row.exitReason,
    r: row.r,
    mfeR: row.mfeR,
    maeR: row.maeR,
    reAdd: row.flags.includes('re_add'),
    warningTime: row.dtmsWarningTime,
    warningR: null,
  };
}

/**
 * Replays each of `configs` over bars [from, to) with `entries`, together over one market (the feature
 * pass shared); the trades of each, in the order of `configs`.
 */
export function replayBooks(
  configs: readonly WardenConfig[],
  m: BookMarket,
  from: number,
  to: number,
  entries: readonly ReplayEntry[],
): StudyTrade[][] {
  const bars = new InMemoryBars(sliceSeries(m.series, from, to));
  const inputs: Omit<ReplayInput, 'market'>[] = configs.map((config) => ({
    config,
    instrument: m.instrument,
    bars,
    timeframe: m.timeframe,
    entries,
    broker: m.broker,
    decisions: new DiscardedLines(),
    startingBalance: m.startingBalance,
    maxGapMs: m.maxGapMs,
    chartTrades: 0,
  }));
  return replayInLockstep(inputs).map((r) => r.rows.map(studyTrade));
}
