// What a live session takes from the market, checked first: a bar is folded into the features only
// when it is a bar and after the last one, a quote is stepped on only when it is a price. At start, the
// closed bars before now rebuild the features.
import type { BrokerQuote } from '../brokers/brokerPort.ts';
import type { Bar, Intent, Timeframe } from '../domain/types.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import type { TimeframeHistory } from '../features/warmUp.ts';

/** Why a quote is not a price ('' when it is): a time that is not one, bid or ask not a positive number, or crossed (bid above ask). */
export function quoteProblem(q: BrokerQuote): string {
  if (!Number.isFinite(q.time)) return `quote time ${q.time} is not a time`;
  if (!(Number.isFinite(q.bid) && q.bid > 0 && Number.isFinite(q.ask) && q.ask > 0))
    return `quote has a price that is not a positive number (bid ${q.bid}, ask ${q.ask})`;
  if (q.bid > q.ask) return `quote is crossed (bid ${q.bid} above ask ${q.ask})`;
  return '';
}

/** Why a bar cannot be folded into the features ('' when it can): not a price, not a bar, or not after the last one. */
export function barProblem(bar: Bar, lastCloseTime: number, baseMs: number): string {
  const { open, high, low, close } = bar;
  if (!Number.isFinite(bar.time)) return `bar time ${bar.time} is not a time`;
  if (![open, high, low, close].every((x) => Number.isFinite(x) && x > 0))
    return `bar at ${new Date(bar.time).toISOString()} has a price that is not a positive number (${open}/${high}/${low}/${close})`;
  if (high < low || high < Math.max(open, close) || low > Math.min(open, close))
    return `bar at ${new Date(bar.time).toISOString()} is not a bar (high ${high}, low ${low}, open ${open}, close ${close})`;
  if (bar.time + baseMs <= lastCloseTime)
    return `bar at ${new Date(bar.time).toISOString()} is not after the last one (closed ${new Date(lastCloseTime).toISOString()})`;
  return '';
}

const isBarList = (h: readonly Bar[] | TimeframeHistory): h is readonly Bar[] => Array.isArray(h);

/**
 * Folds `history` (closed bars per symbol, oldest first, up to now: base bars, or bars per timeframe
 * for a warm-up of every timeframe from its own bars) into the engine's features, skipping bars that
 * cannot be folded. `lastBarAt` (close time of the last bar folded per symbol) is kept up to date.
 * Returns the latest close folded (-Infinity: none).
 */
export function foldHistory(
  engine: ExitEngine,
  history: ReadonlyMap<string, readonly Bar[] | TimeframeHistory>,
  base: Timeframe,
  baseMs: number,
  lastBarAt: Map<string, number>,
): number {
  const scratch: Intent[] = [];
  let time = Number.NEGATIVE_INFINITY;
  for (const [symbol, given] of history) {
    if (engine.instrument(symbol) === undefined) continue;
    if (!isBarList(given)) {
      // Bars per timeframe: each higher timeframe seeds its own features, the base bars follow.
      const bars: Bar[] = [];
      let last = lastBarAt.get(symbol) ?? Number.NaN;
      for (const bar of given[base] ?? []) {
        if (barProblem(bar, last, baseMs) !== '') continue;
        bars.push(bar);
        last = bar.time + baseMs;
      }
      engine.warmUp(symbol, { ...given, [base]: bars });
      if (bars.length > 0) {
        lastBarAt.set(symbol, last);
        time = Math.max(time, last);
      }
      continue;
    }
    for (const bar of given) {
      if (barProblem(bar, lastBarAt.get(symbol) ?? Number.NaN, baseMs) !== '') continue;
      engine.onBar(symbol, bar, scratch);
      lastBarAt.set(symbol, bar.time + baseMs);
      time = Math.max(time, bar.time + baseMs);
    }
  }
  return time;
}
