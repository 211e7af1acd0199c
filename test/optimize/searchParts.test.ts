// Successive halving, the walk-forward windows and the probability of backtest overfitting, on
// constructed inputs with known answers.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/market/sampleMarket.ts';
import { entriesIn, splitWindows, windowSlice } from '../../src/optimize/folds.ts';
import { rungFractions, successiveHalving } from '../../src/optimize/halving.ts';
import { combinations, probabilityOfOverfitting } from '../../src/optimize/pbo.ts';

describe('successive halving', () => {
  // A trial's score: its true quality plus noise that shrinks as the slice grows.
  const scorer = (seed: number) => async (trials: readonly number[], fraction: number) => {
    const rand = seededRandom(seed + Math.round(fraction * 1000));
    return trials.map((t) => t / 100 + (rand() - 0.5) * (1 - fraction));
  };

  it('keeps a third per rung, ends on the whole span, and is deterministic for a seed', async () => {
    expect(rungFractions(200)).toEqual([1 / 9, 1 / 3, 1]);
    expect(rungFractions(2)).toEqual([1]);
    const trials = Array.from({ length: 30 }, (_, i) => i);
    const a = await successiveHalving(trials, scorer(3));
    const b = await successiveHalving(trials, scorer(3));
    expect(a).toEqual(b);
    expect(a.rungs.map((r) => r.trials.length)).toEqual([30, 10, 4]);
    expect(a.rungs[2]!.fraction).toBe(1);
    // Scored without noise on the whole span: the best trial that survived wins.
    expect(a.ranking[0]).toBe(Math.max(...a.rungs[2]!.trials));
  });
});

describe('walk-forward windows', () => {
  it('splits the bars into consecutive windows covering every bar', () => {
    const w = splitWindows(1003, 4);
    expect(w.map((x) => x.to - x.from)).toEqual([251, 251, 251, 250]);
    for (let k = 1; k < w.length; k++) expect(w[k]!.from).toBe(w[k - 1]!.to);
    expect(w[3]!.to).toBe(1003);
    expect(windowSlice(w[1]!, 1 / 3)).toEqual({ index: 1, from: 251, to: 335 });
    expect(() => splitWindows(100, 1)).toThrow(RangeError);
  });

  it('gives each entry to the window of the bar it opens at', () => {
    const bars = Int32Array.from([5, 9, 10, 19, 20, 25]);
    expect(entriesIn(bars, 0, 10)).toEqual({ first: 0, end: 2 });
    expect(entriesIn(bars, 10, 20)).toEqual({ first: 2, end: 4 });
    expect(entriesIn(bars, 20, 30)).toEqual({ first: 4, end: 6 });
  });
});

describe('probability of backtest overfitting', () => {
  it('enumerates the symmetric splits', () => {
    expect(combinations(4, 2)).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
    expect(combinations(10, 5).length).toBe(252);
  });

  it('is 0 when one config is best in every block', () => {
    const rand = seededRandom(1);
    const perf = Array.from({ length: 8 }, (_, c) => Array.from({ length: 8 }, () => (c === 3 ? 10 : rand())));
    const r = probabilityOfOverfitting(perf);
    expect(r.pbo).toBe(0);
    expect(r.splits).toBe(70);
    expect(r.meanLogit).toBeGreaterThan(0);
  });

  it('is about one half on pure noise, and 1 when the in-sample best is always worst out of sample', () => {
    const rand = seededRandom(11);
    const noise = Array.from({ length: 40 }, () => Array.from({ length: 10 }, () => rand()));
    const r = probabilityOfOverfitting(noise);
    expect(r.pbo).toBeGreaterThan(0.35);
    expect(r.pbo).toBeLessThan(0.65);
    // Two configs that take turns: whichever wins one half loses the other (a tie ranks at the median, lambda 0).
    const flip = [
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ];
    expect(probabilityOfOverfitting(flip).pbo).toBe(1);
    expect(probabilityOfOverfitting([[1, 2, 3]]).pbo).toBeNull();
  });
});
