// The probability of backtest overfitting (Bailey, Borwein, López de Prado, Zhu: combinatorially
// symmetric cross-validation). Input: a matrix of performance, one row per candidate config, one column
// per block of time (blocks are disjoint and in time order). For every way of splitting the blocks into
// two halves of equal size, the config best on the first half (in sample) is located among all configs
// on the other half (out of sample): its relative rank w in (0, 1), lambda = ln(w / (1 - w)). PBO is the
// share of splits with lambda <= 0: how often the in-sample winner was no better than the median out of
// sample. A half's performance is the mean of its blocks' values.
import { z } from 'zod';

export const pboSchema = z.object({
  /** Share of splits whose in-sample best ranked at or below the median out of sample; null: too few configs or blocks. */
  pbo: z.number().nullable(),
  splits: z.number().int(),
  blocks: z.number().int(),
  configs: z.number().int(),
  /** Mean of lambda over the splits (positive: the in-sample best tends to stay above the median). */
  meanLogit: z.number().nullable(),
});
export type PboResult = z.infer<typeof pboSchema>;

/** Every choice of `k` of `n` items (indexes, increasing), in lexicographic order. */
export function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const go = (start: number) => {
    if (cur.length === k) {
      out.push([...cur]);
      return;
    }
    for (let i = start; i <= n - (k - cur.length); i++) {
      cur.push(i);
      go(i + 1);
      cur.pop();
    }
  };
  go(0);
  return out;
}

/** Blocks at most (12,870 splits for 16): more would be folded by the caller. */
export const MAX_PBO_BLOCKS = 16;

export function probabilityOfOverfitting(perf: readonly (readonly number[])[]): PboResult {
  const m = perf.length;
  const s = m === 0 ? 0 : perf[0]!.length;
  if (m < 2 || s < 2 || s % 2 !== 0 || s > MAX_PBO_BLOCKS)
    return { pbo: null, splits: 0, blocks: s, configs: m, meanLogit: null };
  const splits = combinations(s, s / 2);
  let atOrBelow = 0;
  let sumLogit = 0;
  const isMean = new Float64Array(m);
  const oosMean = new Float64Array(m);
  for (const half of splits) {
    const inSample = new Set(half);
    for (let c = 0; c < m; c++) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < s; j++) {
        if (inSample.has(j)) a += perf[c]![j]!;
        else b += perf[c]![j]!;
      }
      isMean[c] = a / (s / 2);
      oosMean[c] = b / (s / 2);
    }
    let best = 0;
    for (let c = 1; c < m; c++) if (isMean[c]! > isMean[best]!) best = c;
    // Rank 1..m out of sample (1 = worst); ties share the mean of their ranks.
    let below = 0;
    let ties = 0;
    for (let c = 0; c < m; c++) {
      if (c === best) continue;
      if (oosMean[c]! < oosMean[best]!) below++;
      else if (oosMean[c] === oosMean[best]) ties++;
    }
    const rank = below + 1 + ties / 2;
    const w = rank / (m + 1);
    const lambda = Math.log(w / (1 - w));
    sumLogit += lambda;
    if (lambda <= 0) atOrBelow++;
  }
  return {
    pbo: atOrBelow / splits.length,
    splits: splits.length,
    blocks: s,
    configs: m,
    meanLogit: sumLogit / splits.length,
  };
}
