// What a search maximises, over a book's trades (DTMS re-adds included, as replay's own metrics count them):
//   expectancy  mean R per trade (replay's expectancyR);
//   r_per_dd    sum of R / the largest drawdown of the cumulative R curve (trades in the order they
//               closed); a drawdown below 1 R counts as 1 R, so a handful of trades without a loss does
//               not score without bound;
//   capture     sum of R / sum of the best open R (MFE) over trades whose MFE > 0 (the study's capture).
import { z } from 'zod';
import { capture, type StudyTrade } from '../study/stats.ts';

export const OBJECTIVES = ['expectancy', 'r_per_dd', 'capture'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export const bookSummarySchema = z.object({
  /** The objective's value; null without a trade with an R (nothing to judge). */
  score: z.number().nullable(),
  trades: z.number().int(),
  expectancyR: z.number().nullable(),
  sumR: z.number(),
  maxDrawdownR: z.number(),
  capture: z.number().nullable(),
});
export type BookSummary = z.infer<typeof bookSummarySchema>;

const r6 = (x: number) => Number(x.toFixed(6));

/** The largest fall of the cumulative R curve, trades taken in the order they closed (ties: entry order). */
export function maxDrawdownR(trades: readonly StudyTrade[]): number {
  const order = trades.map((t, i) => ({ t, i })).filter((x) => x.t.r !== null);
  order.sort((a, b) => a.t.exitTime - b.t.exitTime || a.i - b.i);
  let eq = 0;
  let peak = 0;
  let dd = 0;
  for (const { t } of order) {
    eq += t.r!;
    if (eq > peak) peak = eq;
    if (peak - eq > dd) dd = peak - eq;
  }
  return dd;
}

export function summarize(trades: readonly StudyTrade[], objective: Objective): BookSummary {
  let sum = 0;
  let n = 0;
  for (const t of trades) {
    if (t.r === null) continue;
    sum += t.r;
    n++;
  }
  const dd = maxDrawdownR(trades);
  const cap = capture(trades);
  const expectancy = n > 0 ? sum / n : null;
  const score =
    n === 0 ? null : objective === 'expectancy' ? expectancy : objective === 'r_per_dd' ? sum / Math.max(dd, 1) : cap;
  return {
    score: score === null ? null : r6(score),
    trades: trades.length,
    expectancyR: expectancy === null ? null : r6(expectancy),
    sumR: r6(sum),
    maxDrawdownR: r6(dd),
    capture: cap === null ? null : r6(cap),
  };
}

/** Scores ordered best first: null (nothing to judge) last; ties by the lower index (deterministic). */
export function rankBest(scores: readonly (number | null)[], among: readonly number[]): number[] {
  return [...among].sort((a, b) => {
    const x = scores[a] ?? -Infinity;
    const y = scores[b] ?? -Infinity;
    return y - x || a - b;
  });
}
