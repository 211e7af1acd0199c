// From the runs of a study to its figures: per set and pooled over every set, for each config, the
// seed's metrics, expectancy, capture, giveback, MAE, whipsaw, exit mix, drawdown, the DTMS warning's
// forecast, and the paired differences against the baselines. Pure: the same runs give the same
// report, byte for byte.
import type { ExitReason, ReplayMetrics } from '../replay/reportModel.ts';
import {
  capture,
  meanSe,
  pairByEntry,
  pairedDelta,
  warningForecast,
  whipsaw,
  type MeanSe,
  type PairedDelta,
  type StudyTrade,
  type WarningForecast,
  type Whipsaw,
} from './stats.ts';
import {
  EXIT_REASONS,
  FLAG_BITS,
  type EntryPlan,
  type EntryVariant,
  type RunResult,
  type TradeColumns,
} from './studyModel.ts';

/** What the study knows of a config besides its runs: whether it manages exits and runs DTMS (targets of switched-off features are not judged). */
export interface StudyConfigInfo {
  name: string;
  /** Where it came from: a file, "defaults", or "built-in baseline". */
  source: string;
  manages: boolean;
  /** Its plans can be tightened by RMAG stretch (managed, and the rule switched on). */
  rmag: boolean;
  dtms: boolean;
}

export interface StudySetInfo {
  name: string;
  symbol: string;
  timeframe: string;
  bars: number;
  first: number;
  last: number;
  /** The spread the bars got where the data has none (null: the data's own). */
  spreadNote: string | null;
}

/** The exit system's success targets, judged on the pooled rates. */
export const TARGETS = {
  rmagTriggerRate: { below: 0.5, label: 'RMAG trigger rate < 50%' },
  trailingActivationRate: { above: 0.8, label: 'trailing activation after breakeven > 80%' },
  breakevenHitRate: { below: 0.3, label: 'breakeven hit rate < 30%' },
  dtmsActionRate: { above: 0, label: 'DTMS action rate > 0%' },
  dtmsFirstHourRate: { below: 0.2, label: 'DTMS stop move in the first hour < 20%' },
} as const;
export type TargetName = keyof typeof TARGETS;

export type SuccessRates = Pick<
  ReplayMetrics,
  | 'rmagTriggerRate'
  | 'breakevenRate'
  | 'trailingActivationRate'
  | 'trailingGateRate'
  | 'breakevenHitRate'
  | 'dtmsActionRate'
  | 'dtmsFirstHourRate'
>;

export interface ConfigFigures {
  config: string;
  runs: number;
  /** Every trade of the config's runs, re-added ones included; and the re-added ones alone. */
  trades: number;
  reAdds: number;
  reAddR: number;
  expectancyR: MeanSe;
  /** Σ R / Σ MFE over trades with MFE > 0. */
  capture: number | null;
  /** MFE R - realized R per trade. */
  giveback: MeanSe;
  meanMaeR: number | null;
  /** Pooled over runs, each rate weighted by its own denominator (trades, or breakeven trades). */
  seed: SuccessRates;
  targets: Record<TargetName, boolean | null>;
  /** Share of trades per exit reason (reasons that occurred). */
  exitMix: Partial<Record<ExitReason, number>>;
  /** Worst maxDrawdownPct of the runs (each run starts from the same balance). */
  worstMaxDrawdownPct: number;
  meanMaxDrawdownPct: number;
  /** Paired: the trades on entries every config traded. */
  pairedTrades: number;
  whipsaw: Whipsaw | null;
  warningForecast: WarningForecast | null;
  /** ΔR per entry against each baseline present (itself excluded). */
  deltas: ({ vs: string } & PairedDelta)[];
}

export interface GroupFigures {
  /** A set's name, or "pooled" over every set. */
  scope: string;
  configs: ConfigFigures[];
}

export interface PairingSummary {
  set: string;
  variant: number;
  entries: number;
  /** Hash of the entries per config: all equal when every config ran on the same entries. */
  entriesHashes: string[];
  sameEntries: boolean;
  pairedEntries: number;
  /** Entries some config traded but not every one (refused there): left out of the pairing. */
  droppedEntries: number;
  /** Per config, its entries dropped from the pairing because another config refused them. */
  dropped: number[];
  rejected: number[];
  ambiguous: number;
}

export interface StudyReport {
  generatedBy: string;
  configs: StudyConfigInfo[];
  /** The configs every other one is diffed against, and the one whose trades serve as the horizon. */
  baselines: string[];
  horizon: string | null;
  sets: StudySetInfo[];
  plan: EntryPlan | null;
  variants: (EntryVariant & { description: string })[];
  pairing: PairingSummary[];
  groups: GroupFigures[];
  /** Cumulative R by exit time per set and config, pooled over variants (at most CURVE_POINTS points each). */
  curves: { set: string; config: string; points: [number, number][] }[];
  /** R histogram per config over every trade: counts per bin of HISTOGRAM (first and last bins take everything beyond). */
  histogram: { from: number; step: number; bins: number; counts: Record<string, number[]> };
  runs: RunRecord[];
}

/** One run in study.json: its metrics and its trades as columns (times epoch ms, null for none). */
export interface RunRecord {
  set: string;
  variant: number;
  config: string;
  entries: number;
  rejected: number;
  entriesHash: string;
  metrics: ReplayMetrics;
  trades: Record<string, (number | string | null)[]>;
}

export const CURVE_POINTS = 400;
export const HISTOGRAM = { from: -1.5, step: 0.25, bins: 18 } as const;

/** The study's input: runs in job order, with what each index means. */
export interface StudyInput {
  generatedBy: string;
  configs: StudyConfigInfo[];
  sets: StudySetInfo[];
  plan: EntryPlan | null;
  variants: (EntryVariant & { description: string })[];
  runs: readonly RunResult[];
}

const numOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function studyTrades(c: TradeColumns): StudyTrade[] {
  const out: StudyTrade[] = [];
  for (let i = 0; i < c.n; i++) {
    const wt = numOrNull(c.warningTime[i]!);
    out.push({
      entryTime: c.entryTime[i]!,
      side: c.side[i]! > 0 ? 'buy' : 'sell',
      exitTime: c.exitTime[i]!,
      exitReason: EXIT_REASONS[c.exitReason[i]!] ?? 'end_of_data',
      r: numOrNull(c.r[i]!),
      mfeR: numOrNull(c.mfeR[i]!),
      maeR: numOrNull(c.maeR[i]!),
      reAdd: (c.flags[i]! & FLAG_BITS.re_add) !== 0,
      warningTime: wt,
      warningR: wt === null ? null : numOrNull(c.warningR[i]!),
    });
  }
  return out;
}

function poolRates(ms: readonly ReplayMetrics[]): SuccessRates {
  const w = (f: (m: ReplayMetrics) => number, weight: (m: ReplayMetrics) => number) => {
    let s = 0;
    let n = 0;
    for (const m of ms) {
      s += f(m) * weight(m);
      n += weight(m);
    }
    return n > 0 ? s / n : 0;
  };
  const trades = (m: ReplayMetrics) => m.trades;
  const be = (m: ReplayMetrics) => m.trades * m.breakevenRate;
  return {
    rmagTriggerRate: w((m) => m.rmagTriggerRate, trades),
    breakevenRate: w((m) => m.breakevenRate, trades),
    trailingActivationRate: w((m) => m.trailingActivationRate, be),
    trailingGateRate: w((m) => m.trailingGateRate, be),
    breakevenHitRate: w((m) => m.breakevenHitRate, trades),
    dtmsActionRate: w((m) => m.dtmsActionRate, trades),
    dtmsFirstHourRate: w((m) => m.dtmsFirstHourRate, trades),
  };
}

function judge(rates: SuccessRates, info: StudyConfigInfo): Record<TargetName, boolean | null> {
  const out = {} as Record<TargetName, boolean | null>;
  for (const [name, t] of Object.entries(TARGETS) as [TargetName, (typeof TARGETS)[TargetName]][]) {
    const on = name.startsWith('dtms') ? info.dtms : name === 'rmagTriggerRate' ? info.rmag : info.manages;
    const v = rates[name];
    out[name] = !on ? null : 'below' in t ? v < t.below : v > t.above;
  }
  return out;
}

interface Cell {
  trades: StudyTrade[];
  metrics: ReplayMetrics;
}

/** The figures of one group of (set, variant) cells; cells[k][c] is config c's run in cell k. */
function groupFigures(
  scope: string,
  cells: readonly Cell[][],
  pairings: readonly ReturnType<typeof pairByEntry>[],
  configs: readonly StudyConfigInfo[],
  baselines: readonly number[],
  horizon: number,
): GroupFigures {
  const figures = configs.map((info, c): ConfigFigures => {
    const all = cells.flatMap((cell) => cell[c]!.trades);
    const withR = all.filter((t) => t.r !== null);
    const mfe = withR.filter((t) => t.mfeR !== null);
    const mae = withR.filter((t) => t.maeR !== null);
    const mix: Partial<Record<ExitReason, number>> = {};
    for (const t of all) mix[t.exitReason] = (mix[t.exitReason] ?? 0) + 1;
    for (const k of Object.keys(mix) as ExitReason[]) mix[k] = mix[k]! / all.length;
    const metrics = cells.map((cell) => cell[c]!.metrics);
    const seed = poolRates(metrics);
    const paired = pairings.flatMap((p) => p.paired[c]!);
    const horizonPaired = horizon >= 0 && horizon !== c ? pairings.flatMap((p) => p.paired[horizon]!) : null;
    const reAdds = all.filter((t) => t.reAdd);
    return {
      config: info.name,
      runs: cells.length,
      trades: all.length,
      reAdds: reAdds.length,
      reAddR: reAdds.reduce((s, t) => s + (t.r ?? 0), 0),
      expectancyR: meanSe(withR.map((t) => t.r!)),
      capture: capture(all),
      giveback: meanSe(mfe.map((t) => t.mfeR! - t.r!)),
      meanMaeR: meanSe(mae.map((t) => t.maeR!)).mean,
      seed,
      targets: judge(seed, info),
      exitMix: Object.fromEntries(EXIT_REASONS.filter((r) => r in mix).map((r) => [r, mix[r]!])),
      worstMaxDrawdownPct: Math.max(0, ...metrics.map((m) => m.maxDrawdownPct)),
      meanMaxDrawdownPct: metrics.length ? metrics.reduce((s, m) => s + m.maxDrawdownPct, 0) / metrics.length : 0,
      pairedTrades: paired.length,
      whipsaw: horizonPaired ? whipsaw(paired, horizonPaired) : null,
      warningForecast: horizonPaired && info.dtms ? warningForecast(paired, horizonPaired) : null,
      deltas: baselines
        .filter((b) => b !== c)
        .map((b) => ({
          vs: configs[b]!.name,
          ...pairedDelta(
            paired,
            pairings.flatMap((p) => p.paired[b]!),
          ),
        })),
    };
  });
  return { scope, configs: figures };
}

function cumulativeCurve(trades: readonly StudyTrade[]): [number, number][] {
  const ts = trades.filter((t) => t.r !== null).sort((a, b) => a.exitTime - b.exitTime || a.entryTime - b.entryTime);
  const pts: [number, number][] = [];
  let cum = 0;
  for (const t of ts) {
    cum += t.r!;
    pts.push([t.exitTime, Number(cum.toFixed(4))]);
  }
  if (pts.length <= CURVE_POINTS) return pts;
  // Evenly spaced points, the last one kept (the curve's end is its total).
  const out: [number, number][] = [];
  for (let k = 0; k < CURVE_POINTS; k++) out.push(pts[Math.round((k * (pts.length - 1)) / (CURVE_POINTS - 1))]!);
  return out;
}

function columnsRecord(c: TradeColumns): Record<string, (number | string | null)[]> {
  const nums = (a: ArrayLike<number>) => Array.from(a, (x) => numOrNull(x));
  const round = (a: ArrayLike<number>) => Array.from(a, (x) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null));
  return {
    entryTime: nums(c.entryTime),
    side: Array.from(c.side, (s) => (s > 0 ? 'buy' : 'sell')),
    entryPrice: nums(c.entryPrice),
    initialSl: nums(c.initialSl),
    exitTime: nums(c.exitTime),
    exitReason: Array.from(c.exitReason, (k) => EXIT_REASONS[k] ?? null),
    r: nums(c.r),
    mfeR: nums(c.mfeR),
    maeR: nums(c.maeR),
    flags: Array.from(c.flags, (f) =>
      (Object.keys(FLAG_BITS) as (keyof typeof FLAG_BITS)[]).filter((k) => f & FLAG_BITS[k]).join(';'),
    ),
    dtmsWarningTime: nums(c.warningTime),
    openRAtWarning: round(c.warningR),
  };
}

export function analyseStudy(input: StudyInput): StudyReport {
  const { configs, sets, variants } = input;
  const names = configs.map((c) => c.name);
  const baselineNames =
    names.includes('bracket') || names.includes('chandelier')
      ? ['bracket', 'chandelier'].filter((b) => names.includes(b))
      : names.slice(0, 1);
  const baselines = baselineNames.map((b) => names.indexOf(b));
  const horizon = names.indexOf('bracket');

  // cells[set][variant][config]
  const grid: (Cell | undefined)[][][] = sets.map(() => variants.map(() => configs.map(() => undefined)));
  const results: (RunResult | undefined)[][][] = sets.map(() => variants.map(() => configs.map(() => undefined)));
  for (const r of input.runs) {
    grid[r.setIndex]![r.variantIndex]![r.configIndex] = { trades: studyTrades(r.trades), metrics: r.metrics };
    results[r.setIndex]![r.variantIndex]![r.configIndex] = r;
  }
  const cellsOf = (s: number): Cell[][] =>
    grid[s]!.map((row, v) =>
      row.map((cell, c) => {
        if (cell === undefined)
          throw new Error(`study: no run for ${configs[c]!.name} on ${sets[s]!.name}, variant ${variants[v]!.index}`);
        return cell;
      }),
    );

  const pairing: PairingSummary[] = [];
  const pairingsBySet = sets.map((set, s) =>
    cellsOf(s).map((cells, v) => {
      const p = pairByEntry(cells.map((c) => c.trades));
      const rs = results[s]![v]!.map((r) => r!);
      const hashes = rs.map((r) => r.entriesHash);
      pairing.push({
        set: set.name,
        variant: variants[v]!.index,
        entries: rs[0]!.entries,
        entriesHashes: hashes,
        sameEntries: hashes.every((h) => h === hashes[0]),
        pairedEntries: p.keys.length,
        droppedEntries: p.droppedEntries,
        dropped: p.dropped,
        rejected: rs.map((r) => r.rejected),
        ambiguous: p.ambiguous,
      });
      return p;
    }),
  );

  const groups = sets.map((set, s) =>
    groupFigures(set.name, cellsOf(s), pairingsBySet[s]!, configs, baselines, horizon),
  );
  if (sets.length > 1)
    groups.push(
      groupFigures(
        'pooled',
        sets.flatMap((_, s) => cellsOf(s)),
        pairingsBySet.flat(),
        configs,
        baselines,
        horizon,
      ),
    );

  const curves = sets.flatMap((set, s) =>
    configs.map((cfg, c) => ({
      set: set.name,
      config: cfg.name,
      points: cumulativeCurve(cellsOf(s).flatMap((cell) => cell[c]!.trades)),
    })),
  );
  const counts: Record<string, number[]> = {};
  configs.forEach((cfg, c) => {
    const bins = new Array<number>(HISTOGRAM.bins).fill(0);
    for (let s = 0; s < sets.length; s++) {
      for (const cell of cellsOf(s)) {
        for (const t of cell[c]!.trades) {
          if (t.r === null) continue;
          const k = Math.min(HISTOGRAM.bins - 1, Math.max(0, Math.floor((t.r - HISTOGRAM.from) / HISTOGRAM.step)));
          bins[k]!++;
        }
      }
    }
    counts[cfg.name] = bins;
  });

  const runs: RunRecord[] = input.runs.map((r) => ({
    set: sets[r.setIndex]!.name,
    variant: variants[r.variantIndex]!.index,
    config: configs[r.configIndex]!.name,
    entries: r.entries,
    rejected: r.rejected,
    entriesHash: r.entriesHash,
    metrics: r.metrics,
    trades: columnsRecord(r.trades),
  }));

  return {
    generatedBy: input.generatedBy,
    configs: [...configs],
    baselines: baselineNames,
    horizon: horizon >= 0 ? 'bracket' : null,
    sets: [...sets],
    plan: input.plan,
    variants: [...variants],
    pairing,
    groups,
    curves,
    histogram: { ...HISTOGRAM, counts },
    runs,
  };
}
