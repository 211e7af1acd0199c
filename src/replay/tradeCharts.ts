// The charts of the charted trades for report.html: price around each trade, read in one pass over
// the bars after the replay, with the stop path and events the replay kept.
import type { BarSource } from '../market/barSource.ts';
import type { TradeChart } from './reportModel.ts';
import type { TradeState } from './tradeBook.ts';

/** A charted trade's bars, being gathered: buckets of `per` bars from `from` to `to`. */
interface ChartPlan {
  t: TradeState;
  from: number;
  to: number;
  per: number;
  time: number[];
  high: number[];
  low: number[];
  close: number[];
  h: number;
  l: number;
}

/**
 * The charts of the charted trades, in their order: price around each trade (bars from a little
 * before its entry to a little after its exit, downsampled to at most `points` buckets: the first
 * bar's time, the highest high, the lowest low, the last close), its stop path and events. One pass
 * over the bars, stopped once the last chart is complete.
 */
export function tradeCharts(trades: readonly TradeState[], source: BarSource, points = 200): TradeChart[] {
  const n = source.length;
  const plans: ChartPlan[] = trades
    .filter((t) => t.charted)
    .map((t) => {
      const span = Math.max(1, t.exitIdx - t.entryIdx);
      const pad = Math.max(5, Math.round(span * 0.15));
      const from = Math.max(0, t.entryIdx - pad);
      const to = Math.min(n - 1, Math.max(t.exitIdx, t.entryIdx) + pad);
      const per = Math.max(1, Math.ceil((to - from + 1) / points));
      return { t, from, to, per, time: [], high: [], low: [], close: [], h: -Infinity, l: Infinity };
    });
  const waiting = plans.filter((p) => p.from <= p.to).sort((a, b) => a.from - b.from);
  let next = 0;
  let active: ChartPlan[] = [];
  if (waiting.length > 0) {
    source.forEachChunk((chunk, offset) => {
      for (let j = 0; j < chunk.length; j++) {
        const k = offset + j;
        while (next < waiting.length && waiting[next]!.from <= k) active.push(waiting[next++]!);
        if (active.length === 0) {
          if (next === waiting.length) return false;
          continue;
        }
        let ended = false;
        for (const p of active) {
          const off = k - p.from;
          if (off % p.per === 0) {
            p.time.push(chunk.time[j]!);
            p.h = -Infinity;
            p.l = Infinity;
          }
          if (chunk.high[j]! > p.h) p.h = chunk.high[j]!;
          if (chunk.low[j]! < p.l) p.l = chunk.low[j]!;
          if (off % p.per === p.per - 1 || k === p.to) {
            p.high.push(p.h);
            p.low.push(p.l);
            p.close.push(chunk.close[j]!);
          }
          if (k === p.to) ended = true;
        }
        if (ended) active = active.filter((p) => k < p.to);
      }
      return true;
    });
  }
  return plans.map((p) => ({
    positionId: p.t.id,
    side: p.t.side,
    time: p.time,
    high: p.high,
    low: p.low,
    close: p.close,
    entry: { time: p.t.entryTime, price: p.t.entryPrice },
    tp: p.t.tp,
    stopPath: p.t.stopPath,
    events: p.t.events,
  }));
}
