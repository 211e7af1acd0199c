// One book: a config replayed over a span of bars with the entries of that span, exactly as `warden
// replay` plays it (the same runReplay, the paper broker, generated or the trader's own entries), kept
// in memory and reduced to the trades' outcomes the objectives and the paired comparisons read.
//
// Books share the bars (one BarSeries, sliced without copying) and the entries; each replays its own
// engine and features. Sharing the feature pass between books would need the replay loop stepped bar by
// bar from outside; it is not (see the README's `warden optimize` section for the measured cost).
import type { PaperBrokerOptions } from '../brokers/paperBroker.ts';
import type { WardenConfig } from '../config/schema.ts';
import type { Instrument, Timeframe } from '../domain/types.ts';
import { BarSeries } from '../market/barSeries.ts';
import { InMemoryBars } from '../market/barSource.ts';
import { LineWriter } from '../replay/decisionLog.ts';
import type { ReplayEntry } from '../replay/entries.ts';
import type { TradeRow } from '../replay/reportModel.ts';
import { runReplay } from '../replay/replaySession.ts';
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

/** Replays `config` over bars [from, to) with `entries` (those of the span); the trades in entry order. */
export async function replayBook(config: WardenConfig, m: BookMarket, from: number, to: number, entries: readonly ReplayEntry[]): Promise<StudyTrade[]> {
  const r = await runReplay({
    config,
    instrument: m.instrument,
    bars: new InMemoryBars(sliceSeries(m.series, from, to)),
    timeframe: m.timeframe,
    entries,
    broker: m.broker,
    decisions: new DiscardedLines(),
    startingBalance: m.startingBalance,
    maxGapMs: m.maxGapMs,
    chartTrades: 0,
  });
  return r.rows.map(studyTrade);
}
