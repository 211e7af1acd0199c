// `warden optimize` from loaded bars and entries to the report: walk-forward successive halving over
// sampled trials, the chosen configs out of sample beside the trader's own, the probability of backtest
// overfitting, and the config for best.yaml. Deterministic: the same bars, entries, config, objective,
// trials, folds and seed give the same report, whatever --workers.
import type { PaperBrokerOptions } from '../brokers/paperBroker.ts';
import type { WardenConfig } from '../config/schema.ts';
import type { Instrument, Timeframe } from '../domain/types.ts';
import type { BarSeries } from '../market/barSeries.ts';
import { seededRandom } from '../market/sampleMarket.ts';
import { isoTime } from '../replay/decisionLog.ts';
import type { ReplayEntry } from '../replay/entries.ts';
import { meanSe, pairByEntry, pairedDelta, type StudyTrade } from '../study/stats.ts';
import { openBookPool, sharedColumns, type BookJob } from './bookPool.ts';
import { entriesIn, entryBars, replaySpan, splitWindows, windowSlice, type BarWindow } from './folds.ts';
import { successiveHalving } from './halving.ts';
import { summarize, type Objective } from './objective.ts';
import { MAX_PBO_BLOCKS, probabilityOfOverfitting } from './pbo.ts';
import type { OptimizeReport } from './reportModel.ts';
import { baselineParams, sampleTrials, SEARCH_SPACE, type TrialParams } from './searchSpace.ts';

export class OptimizeInputError extends Error {}

export interface OptimizeJob {
  /** The trader's config document ({} for the defaults) and it validated. */
  doc: Record<string, unknown>;
  config: WardenConfig;
  instrument: Instrument;
  series: BarSeries;
  timeframe: Timeframe;
  files: string[];
  entries: ReplayEntry[];
  entriesSource: string;
  broker: Omit<PaperBrokerOptions, 'timeframeMs'>;
  startingBalance: number;
  maxGapMs: number;
  trials: number;
  folds: number;
  objective: Objective;
  seed: number;
  workers: number;
  /** Bars before a window its replays start on (features warm up; no entry taken there). */
  warmupBars: number;
  version: string;
  onProgress?: (done: number, total: number) => void;
}

/** Bars and entries a window needs at least, so that a score means something. */
export const MIN_WINDOW_BARS = 500;
export const MIN_WINDOW_ENTRIES = 10;
/** The best this many of each fold's last rung are scored on every window (the PBO matrix). */
export const FINALISTS_PER_FOLD = 8;
/** Folds at most: 2 x (folds + 1) half-windows are the PBO's blocks, at most MAX_PBO_BLOCKS. */
export const MAX_FOLDS = MAX_PBO_BLOCKS / 2 - 1;

const BASELINE = -1;
const r6 = (x: number | null) => (x === null ? null : Number(x.toFixed(6)));

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export async function runOptimize(job: OptimizeJob): Promise<OptimizeReport> {
  const { series, entries, objective } = job;
  const n = series.length;
  if (!Number.isInteger(job.folds) || job.folds < 1 || job.folds > MAX_FOLDS)
    throw new OptimizeInputError(`--folds must be an integer between 1 and ${MAX_FOLDS} (got ${job.folds})`);
  const windows = splitWindows(n, job.folds + 1);
  const eb = entryBars(series, entries);
  for (const w of windows) {
    const e = entriesIn(eb, w.from, w.to);
    if (w.to - w.from < MIN_WINDOW_BARS || e.end - e.first < MIN_WINDOW_ENTRIES) {
      throw new OptimizeInputError(
        `--folds ${job.folds}: ${windows.length} windows of ~${w.to - w.from} bars; window ${w.index + 1} has ${w.to - w.from} bars and ${e.end - e.first} entries, ` +
          `and each needs at least ${MIN_WINDOW_BARS} bars and ${MIN_WINDOW_ENTRIES} entries: use fewer folds, more bars or more entries`,
      );
    }
  }
  const canonical = job.instrument.canonical;
  const trials = sampleTrials(job.trials, seededRandom(job.seed), job.doc, job.config, canonical);
  const pool = openBookPool(
    {
      columns: sharedColumns(series),
      length: n,
      instrument: job.instrument,
      timeframe: job.timeframe,
      broker: job.broker,
      startingBalance: job.startingBalance,
      maxGapMs: job.maxGapMs,
      doc: job.doc,
      canonical,
      entries,
    },
    job.workers,
  );
  let done = 0;
  let total = 0;
  const cache = new Map<string, StudyTrade[]>();
  const key = (trial: number, span: BarWindow) => `${trial}|${span.from}|${span.to}`;
  /** Trades of each (trial, span), replayed once: a span scored again (the last rung, the matrix) is looked up. */
  const books = async (asks: readonly { trial: number; span: BarWindow }[]): Promise<StudyTrade[][]> => {
    const todo: BookJob[] = [];
    const todoKeys: string[] = [];
    for (const a of asks) {
      const k = key(a.trial, a.span);
      if (cache.has(k) || todoKeys.includes(k)) continue;
      const r = replaySpan(a.span, job.warmupBars);
      const e = entriesIn(eb, a.span.from, a.span.to);
      todo.push({
        params: a.trial === BASELINE ? null : trials[a.trial]!,
        from: r.from,
        to: r.to,
        entryFirst: e.first,
        entryEnd: e.end,
      });
      todoKeys.push(k);
      total += r.to - r.from;
    }
    job.onProgress?.(done, total);
    const got = await pool.run(todo, (bars) => {
      done += bars;
      job.onProgress?.(done, total);
    });
    todoKeys.forEach((k, i) => cache.set(k, got[i]!));
    return asks.map((a) => cache.get(key(a.trial, a.span))!);
  };

  try {
    // 1. Each fold: successive halving on its training window.
    const inSample: OptimizeReport['trials'][number]['inSample'][] = trials.map(() => []);
    const foldRuns: { rungs: { fraction: number; trials: number }[]; ranking: number[] }[] = [];
    for (let k = 0; k < job.folds; k++) {
      const train = windows[k]!;
      const h = await successiveHalving(
        trials.map((_, i) => i),
        async (ts, fraction) => {
          const span = windowSlice(train, fraction);
          const got = await books(ts.map((trial) => ({ trial, span })));
          return got.map((t) => summarize(t, objective).score);
        },
      );
      for (const rung of h.rungs)
        rung.trials.forEach((t, i) => (inSample[t]![k] = { fold: k, fraction: rung.fraction, score: rung.scores[i]! }));
      foldRuns.push({
        rungs: h.rungs.map((r) => ({ fraction: r.fraction, trials: r.trials.length })),
        ranking: h.ranking,
      });
    }

    // 2. The finalists of every fold and the trader's own config on every whole window.
    const finalists = [...new Set(foldRuns.flatMap((f) => f.ranking.slice(0, FINALISTS_PER_FOLD)))].sort(
      (a, b) => a - b,
    );
    const everyWindow = async (trial: number) => books(windows.map((span) => ({ trial, span })));
    const baselineTrades = await everyWindow(BASELINE);
    const finalistTrades = new Map<number, StudyTrade[][]>();
    for (const t of finalists) finalistTrades.set(t, await everyWindow(t));

    // 3. The folds: chosen config in and out of sample, beside the baseline on the same entries.
    const paired = (a: StudyTrade[], b: StudyTrade[]) => {
      const p = pairByEntry([a, b]);
      const d = pairedDelta(p.paired[0]!, p.paired[1]!);
      return { n: d.n, mean: r6(d.mean), se: r6(d.se) };
    };
    const folds: OptimizeReport['folds'] = foldRuns.map((f, k) => {
      const chosen = f.ranking[0]!;
      const ct = finalistTrades.get(chosen)!;
      return {
        fold: k,
        trainWindow: k,
        testWindow: k + 1,
        rungs: f.rungs,
        chosenTrial: chosen,
        params: trials[chosen]!,
        inSample: summarize(ct[k]!, objective),
        outOfSample: summarize(ct[k + 1]!, objective),
        baseline: {
          inSample: summarize(baselineTrades[k]!, objective),
          outOfSample: summarize(baselineTrades[k + 1]!, objective),
        },
        pairedOutOfSample: paired(ct[k + 1]!, baselineTrades[k + 1]!),
        pairedInSample: paired(ct[k]!, baselineTrades[k]!),
      };
    });
    const scores = (xs: (number | null)[]) => meanSe(xs.filter((x): x is number => x !== null)).mean;
    const meanIs = scores(folds.map((f) => f.inSample.score));
    const meanOos = scores(folds.map((f) => f.outOfSample.score));

    // 4. PBO over the finalists: each window's two halves are the blocks.
    const blocks: BarWindow[] = windows.flatMap((w) => {
      const mid = w.from + Math.floor((w.to - w.from) / 2);
      return [
        { index: w.index, from: w.from, to: mid },
        { index: w.index, from: mid, to: w.to },
      ];
    });
    const blockScores = (perWindow: StudyTrade[][]): number[] =>
      blocks.map((b) => {
        const inBlock = perWindow[b.index]!.filter((t) => {
          const bar = series.lowerBound(t.entryTime);
          return bar >= b.from && bar < b.to;
        });
        return summarize(inBlock, objective).score ?? 0;
      });
    const pbo = probabilityOfOverfitting(finalists.map((t) => blockScores(finalistTrades.get(t)!)));

    // 5. best.yaml: the finalist with the best mean score over the training windows (0..folds-1).
    const windowScores = (perWindow: StudyTrade[][]) => perWindow.map((t) => summarize(t, objective).score);
    let best = finalists[0]!;
    let bestMean = -Infinity;
    for (const t of finalists) {
      const m = scores(windowScores(finalistTrades.get(t)!).slice(0, job.folds)) ?? -Infinity;
      if (m > bestMean) {
        best = t;
        bestMean = m;
      }
    }

    const baselineMean = scores(windowScores(baselineTrades).slice(0, job.folds));
    const windowEntries = (w: BarWindow) => {
      const e = entriesIn(eb, w.from, w.to);
      return e.end - e.first;
    };
    return {
      generatedBy: `warden ${job.version}`,
      tunedOn: {
        files: job.files,
        symbol: job.instrument.symbol,
        canonical,
        timeframe: job.timeframe,
        bars: n,
        first: isoTime(series.time[0]!),
        last: isoTime(series.time[n - 1]!),
        entries: job.entriesSource,
        entryCount: entries.length,
      },
      objective,
      seed: job.seed,
      trialCount: trials.length,
      warmupBars: job.warmupBars,
      searchSpace: SEARCH_SPACE.map((p) => ({
        name: p.name,
        label: p.label,
        kind: p.kind,
        paths: [...p.paths],
        min: p.min,
        max: p.max,
      })),
      baselineParams: baselineParams(job.config, canonical),
      windows: windows.map((w) => ({
        index: w.index,
        firstBar: isoTime(series.time[w.from]!),
        lastBar: isoTime(series.time[w.to - 1]!),
        bars: w.to - w.from,
        entries: windowEntries(w),
      })),
      trials: trials.map((params, index) => ({ index, params, inSample: inSample[index]! })),
      folds,
      gap: {
        meanInSample: r6(meanIs),
        meanOutOfSample: r6(meanOos),
        meanBaselineOutOfSample: r6(scores(folds.map((f) => f.baseline.outOfSample.score))),
        gap: meanIs === null || meanOos === null ? null : r6(meanIs - meanOos),
      },
      pbo: {
        ...pbo,
        pbo: r6(pbo.pbo),
        meanLogit: r6(pbo.meanLogit),
        computedOn:
          `${pbo.configs} configs (the best ${FINALISTS_PER_FOLD} of each fold's last rung, each replayed on every window) x ${pbo.blocks} blocks ` +
          `(each of the ${windows.length} windows cut in two halves by bars; a block's value is the objective over the trades entered in it, 0 without any); ` +
          `${pbo.splits} splits of the blocks into two equal halves`,
      },
      best: {
        trial: best,
        rule: `the finalist with the best mean ${objective} over the ${job.folds} training window(s) (windows 1..${job.folds}); its out-of-sample evidence is the folds' (window ${windows.length} was never trained on)`,
        params: trials[best]!,
        windowScores: windowScores(finalistTrades.get(best)!),
        baselineWindowScores: windowScores(baselineTrades),
        meanTraining: Number.isFinite(bestMean) ? r6(bestMean) : null,
        baselineMeanTraining: r6(baselineMean),
        beatsBaseline: Number.isFinite(bestMean) && (baselineMean === null || bestMean > baselineMean),
      },
    };
  } finally {
    await pool.close();
  }
}

export type { TrialParams };
