// A study from start to end: the jobs (every config x set x entry variant), run on the worker pool,
// analysed, and written as study.json and study.html. Also the page of `replay --compare`.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WardenConfig } from '../config/schema.ts';
import { TIMEFRAME_MS, type Timeframe } from '../domain/types.ts';
import type { BarSeries } from '../market/barSeries.ts';
import type { ReplayEntry } from '../replay/entries.ts';
import type { ReplayReport } from '../replay/reportModel.ts';
import { analyseStudy, type StudyConfigInfo, type StudyReport } from './analysis.ts';
import { runJobs } from './pool.ts';
import { renderStudyHtml } from './studyHtml.ts';
import { entriesHash, tradeColumns } from './studyRun.ts';
import type { EntryPlan, EntryVariant, RunResult, StudyJob, StudySet } from './studyModel.ts';

export const STUDY_FILES = ['study.json', 'study.html'] as const;

/** The shared data's file names start with the instrument: xauusd_oanda_m1_2014-05.csv is XAUUSD. */
const SHARED_SYMBOLS: readonly [prefix: string, symbol: string][] = [
  ['xauusd', 'XAUUSD'],
  ['eurusd', 'EURUSD'],
  ['gbpusd', 'GBPUSD'],
  ['usdjpy', 'USDJPY'],
  ['btcusd', 'BTCUSD'],
];

/**
 * The bar files of a directory laid out like the shared data, with their symbols: every M1 file
 * (and H1 with `includeH1`), by name. Files of an unknown instrument or timeframe are listed apart.
 */
export function sharedSets(dir: string, includeH1: boolean): { sets: StudySet[]; ignored: string[] } {
  const sets: StudySet[] = [];
  const ignored: string[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.toLowerCase().endsWith('.csv'))
    .sort()) {
    const lower = name.toLowerCase();
    const symbol = SHARED_SYMBOLS.find(([p]) => lower.startsWith(`${p}_`) || lower === `${p}.csv`)?.[1];
    // The timeframe is named in the file name ("_m1_", "_h1.").
    const h1 = /_h1[_.]/.test(lower);
    const m1 = /_m1[_.]/.test(lower);
    if (symbol === undefined || !(m1 || (h1 && includeH1))) {
      ignored.push(name);
      continue;
    }
    sets.push({ name, source: { kind: 'file', file: path.join(dir, name), symbol } });
  }
  return { sets, ignored };
}

/**
 * The K entry variants: variant 1 alternates sides (seed 1), the others draw sides from seeds 2..K;
 * variant k starts (k - 1) x every / K bars later, so each variant's entries fall on other bars.
 */
export function entryVariants(count: number, every: number): (EntryVariant & { description: string })[] {
  return Array.from({ length: count }, (_, k) => {
    const v: EntryVariant = {
      index: k + 1,
      side: k === 0 ? 'alternate' : 'random',
      seed: k + 1,
      offsetBars: Math.floor((k * every) / count),
    };
    return { ...v, description: `${v.side} sides, seed ${v.seed}, first entry ${v.offsetBars} bars after the warm-up` };
  });
}

export interface StudyConfig extends StudyConfigInfo {
  config: WardenConfig;
}

export const configInfo = (name: string, source: string, config: WardenConfig): StudyConfig => ({
  name,
  source,
  ...featuresOf(config),
  config,
});

/** Which features a config runs: the study does not judge a target of a feature that is off. */
export const featuresOf = (config: WardenConfig) => ({
  manages: config.exits.autoEnable,
  rmag: config.exits.autoEnable && config.exits.triggers.rmagStretched,
  dtms: config.dtms.enabled,
});

export interface StudyOptions {
  version: string;
  configs: StudyConfig[];
  sets: StudySet[];
  variants: (EntryVariant & { description: string })[];
  plan: EntryPlan;
  startingBalance: number;
  workers: number;
  onProgress?: (done: number, total: number) => void;
}

export async function runStudy(o: StudyOptions): Promise<StudyReport> {
  const jobs: StudyJob[] = [];
  o.sets.forEach((set, setIndex) =>
    o.variants.forEach((variant, variantIndex) =>
      o.configs.forEach((c, configIndex) =>
        jobs.push({
          setIndex,
          variantIndex,
          configIndex,
          set,
          variant: { index: variant.index, side: variant.side, seed: variant.seed, offsetBars: variant.offsetBars },
          plan: o.plan,
          configName: c.name,
          config: c.config,
          startingBalance: o.startingBalance,
        }),
      ),
    ),
  );
  const runs = await runJobs(jobs, o.workers, o.onProgress);
  // A set's facts from its first run (every run of a set reads the same bars).
  const sets = o.sets.map((set, s) => {
    const r = runs.find((x) => x.setIndex === s)!;
    return {
      name: set.name,
      symbol: set.source.symbol,
      timeframe: r.timeframe,
      bars: r.bars,
      first: r.firstBar,
      last: r.lastBar,
      spreadNote: r.spreadNote,
    };
  });
  return analyseStudy({
    generatedBy: `warden ${o.version}`,
    configs: o.configs.map(({ config: _c, ...info }) => info),
    sets,
    plan: o.plan,
    variants: o.variants,
    runs,
  });
}

const SLOT = (k: string) => `\u0000${k}`;

/** study.json: indented, except the long arrays (runs with their trades, curves): one compact element per line. */
export function studyJson(report: StudyReport): string {
  const head = { ...report, curves: SLOT('curves'), runs: SLOT('runs') };
  const lines = (items: string[]) => (items.length === 0 ? '[]' : `[\n    ${items.join(',\n    ')}\n  ]`);
  return `${JSON.stringify(head, null, 2)
    .replace(JSON.stringify(SLOT('curves')), () => lines(report.curves.map((c) => JSON.stringify(c))))
    .replace(JSON.stringify(SLOT('runs')), () => lines(report.runs.map((r) => JSON.stringify(r))))}\n`;
}

/** Writes study.json and study.html into `dir`; returns their paths. */
export function writeStudyFiles(dir: string, report: StudyReport): string[] {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'study.json');
  const html = path.join(dir, 'study.html');
  writeFileSync(json, studyJson(report));
  writeFileSync(html, renderStudyHtml(report));
  return [json, html];
}

export interface CompareRuns {
  version: string;
  /** The compared configs, in the order given; their reports in the same order. */
  configs: { name: string; config: WardenConfig }[];
  reports: readonly ReplayReport[];
  entries: readonly ReplayEntry[];
  entriesSource: string;
  series: BarSeries;
  timeframe: Timeframe;
}

/**
 * `replay --compare`'s runs as a one-set, one-variant study: the same page, paired against bracket
 * and chandelier when they are among the configs, else against the first config.
 */
export function compareStudy(c: CompareRuns): StudyReport {
  const set = c.reports[0]!;
  const hash = entriesHash(c.entries);
  const runs: RunResult[] = c.reports.map((r, i) => ({
    setIndex: 0,
    variantIndex: 0,
    configIndex: i,
    entries: r.entries.count,
    rejected: r.entries.rejected,
    entriesHash: hash,
    spreadNote: null,
    bars: r.data.bars,
    timeframe: r.data.timeframe,
    firstBar: r.data.first,
    lastBar: r.data.last,
    metrics: r.metrics,
    trades: tradeColumns(r.trades, c.series, TIMEFRAME_MS[c.timeframe]),
  }));
  return analyseStudy({
    generatedBy: `warden ${c.version}`,
    configs: c.configs.map((k) => ({
      name: k.name,
      source: k.name === 'defaults' ? 'built-in defaults' : 'config file',
      ...featuresOf(k.config),
    })),
    sets: [
      {
        name: set.data.files.join(' + '),
        symbol: set.symbol,
        timeframe: set.data.timeframe,
        bars: set.data.bars,
        first: set.data.first,
        last: set.data.last,
        spreadNote: set.broker.spread,
      },
    ],
    plan: null,
    variants: [{ index: 1, side: 'alternate', seed: 0, offsetBars: 0, description: c.entriesSource }],
    runs,
  });
}

/** Writes `replay --compare`'s study.html into `dir`; returns its path. */
export function writeCompareStudyPage(dir: string, c: CompareRuns): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'study.html');
  writeFileSync(file, renderStudyHtml(compareStudy(c)));
  return file;
}
