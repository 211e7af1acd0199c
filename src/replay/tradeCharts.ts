// The charts of the charted trades for report.html: price around each trade, read in one pass over
// the bars after the replay, with the stop path and events the replay kept.
import type { BarSource } from '../market/barSource.ts';
import type { TradeChart } from './reportModel.ts';
import type { TradeState } from './tradeBook.ts';

/** A charted trade's bars, being gathered: buckets of `per` bars from `from` to `to`. */
interface ChartPlan {
  trade: TradeState;
  from: number;
  to: number;
  per: number;
  time: number[];
  high: number[];
  low: number[];
  close: number[];
  /** The high and low of the bucket being gathered. */
  bucketHigh: number;
  bucketLow: number;
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
      return {
        trade: t,
        from,
        to,
        per,
        time: [],
        high: [],
        low: [],
        close: [],
        bucketHigh: -Infinity,
        bucketLow: Infinity,
      };
    });
  const waiting = plans.filter((plan) => plan.from <= plan.to).sort((a, b) => a.from - b.from);
  let next = 0;
  let active: ChartPlan[] = [];
  if (waiting.length > 0) {
    // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
    source.forEachChunk((chunk, offset) => {
      for (let j = 0; j < chunk.length; j++) {
        const k = offset + j;
        while (next < waiting.length && waiting[next]!.from <= k) active.push(waiting[next++]!);
        if (active.length === 0) {
          if (next === waiting.length) return false;
          continue;
        }
        let ended = false;
        for (const plan of active) {
          const off = k - plan.from;
          if (off % plan.per === 0) {
            plan.time.push(chunk.time[j]!);
            plan.bucketHigh = -Infinity;
            plan.bucketLow = Infinity;
          }
          if (chunk.high[j]! > plan.bucketHigh) plan.bucketHigh = chunk.high[j]!;
          if (chunk.low[j]! < plan.bucketLow) plan.bucketLow = chunk.low[j]!;
          if (off % plan.per === plan.per - 1 || k === plan.to) {
            plan.high.push(plan.bucketHigh);
            plan.low.push(plan.bucketLow);
            plan.close.push(chunk.close[j]!);
          }
          if (k === plan.to) ended = true;
        }
        if (ended) active = active.filter((plan) => k < plan.to);
      }
      return true;
    });
  }
  return plans.map((plan) => ({
    positionId: plan.trade.id,
    side: plan.trade.side,
    time: plan.time,
    high: plan.high,
    low: plan.low,
    close: plan.close,
    entry: { time: plan.trade.entryTime, price: plan.trade.entryPrice },
    tp: plan.trade.tp,
    stopPath: plan.trade.stopPath,
    events: plan.trade.events,
  }));
}
