// One replay job from bars and entries to the files a trader reads: decisions.jsonl (written while
// the replay runs), report.json, trades.csv and report.html. Also the one-line summary and the
// side-by-side table of `--compare`.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WardenConfig } from '../config/schema.ts';
import type { PaperBrokerOptions } from '../brokers/paperBroker.ts';
import type { Instrument, Timeframe } from '../domain/types.ts';
import type { BarSource } from '../market/barSource.ts';
import { decimalText } from '../domain/decimalText.ts';
import type { StoredReplayCheckpoint, WardenStore } from '../store/store.ts';
import { LineWriter, isoTime } from './decisionLog.ts';
import type { ReplayEntry } from './entries.ts';
import { balanceGoneText } from './reportFormat.ts';
import { DEFAULT_MAX_TRADE_CHARTS, writeReportHtml } from './reportHtml.ts';
import type { DataSummary, ReplayMetrics, ReplayReport, TradeRow } from './reportModel.ts';
import { collectBetweenPhases } from './fullCollection.ts';
import { loadReplayCheckpoint, ReplayCheckpointWriter } from './replayCheckpointStore.ts';
import { runReplay, type ReplayCheckpoint, type ReplayResult } from './replaySession.ts';
import { tradeCharts } from './tradeCharts.ts';

export interface ReplayJob {
  config: WardenConfig;
  instrument: Instrument;
  /** The bars (played once by the replay, once more for the charts of report.html). */
  bars: BarSource;
  timeframe: Timeframe;
  data: DataSummary;
  entries: readonly ReplayEntry[];
  entriesSource: string;
  broker: Omit<PaperBrokerOptions, 'timeframeMs'>;
  /** What bar files without spreads were replayed with (their series already carry it), for the report. */
  spreadNote?: string;
  startingBalance: number;
  /** Data boundary threshold (see ReplayInput.maxGapMs). */
  maxGapMs?: number;
  /** Where the files go; null keeps everything in memory (tests, --compare without --out). */
  outDir: string | null;
  version: string;
  /** Trades drawn in report.html (the first ones; default DEFAULT_MAX_TRADE_CHARTS). */
  maxTradeCharts?: number;
  onProgress?: (done: number, total: number) => void;
  /** Resumable run (`--store`): checkpoints saved in the store, picked up by the next run with the same key. */
  checkpoints?: ReplayCheckpointing;
}

export interface ReplayCheckpointing {
  store: WardenStore;
  /** replayRunKey(job): the checkpoint belongs to this exact run. */
  runKey: string;
  /** Bars between checkpoints. */
  every: number;
  /** Clock for the checkpoints' saved_at (epoch ms). */
  now: () => number;
  /** Called when the run goes on from a checkpoint (before the replay starts). */
  onResume?: (checkpoint: StoredReplayCheckpoint, totalBars: number) => void;
}

export interface ReplayRunResult {
  report: ReplayReport;
  result: ReplayResult;
  /** decisions.jsonl lines (kept in memory only when outDir is null). */
  decisions: LineWriter;
  files: string[];
}

export const REPLAY_FILES = ['decisions.jsonl', 'report.json', 'trades.csv', 'report.html'] as const;

function brokerSummary(
  b: ReplayJob['broker'],
  inst: Instrument,
  spreadNote: string | undefined,
): ReplayReport['broker'] {
  const sp = b.spreadPoints ?? 0;
  const fromData = `from the data (${sp} points where it has none)`;
  const spread =
    b.spreadMode === 'fixed'
      ? `fixed ${sp} points`
      : spreadNote === undefined
        ? fromData
        : `${fromData}; ${spreadNote}`;
  const f = b.faults;
  const faults =
    f && f.rate > 0 ? `${(f.rate * 100).toFixed(1)}% of requests fail (reject/requote/timeout), seed ${f.seed}` : 'off';
  return {
    accountMode: b.accountMode,
    intrabar: `${b.intrabar ?? 'stop_first'}${b.fineBars ? ', resolved on finer bars' : ''}`,
    spread: `${spread}; point ${inst.point}`,
    faults,
  };
}

/** Length of a file, or -1 when it is missing. */
function fileLength(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

export async function runReplayJob(job: ReplayJob): Promise<ReplayRunResult> {
  if (job.outDir !== null) mkdirSync(job.outDir, { recursive: true });
  const decisionsFile = job.outDir === null ? null : path.join(job.outDir, 'decisions.jsonl');
  const ck = decisionsFile === null ? undefined : job.checkpoints;
  // The checkpoint to go on from: the store's one for this run, when decisions.jsonl still holds every
  // byte it counts on (a shorter or missing file: the run starts afresh and the stale one is dropped).
  const resume = ck === undefined ? null : loadReplayCheckpoint(ck.store, ck.runKey, fileLength(decisionsFile!));
  if (resume) ck!.onResume?.(resume.stored, job.bars.length);
  const decisions = new LineWriter(
    decisionsFile,
    resume ? { bytes: resume.stored.bytes, lines: resume.stored.lines } : undefined,
  );
  let checkpointAt: number[] | undefined;
  let onCheckpoint: ((c: ReplayCheckpoint) => void) | undefined;
  if (ck !== undefined) {
    const every = Math.max(1, Math.floor(ck.every));
    checkpointAt = [];
    for (let i = (Math.floor((resume?.checkpoint.next ?? 0) / every) + 1) * every; i < job.bars.length; i += every)
      checkpointAt.push(i);
    const writer = new ReplayCheckpointWriter(ck.store, ck.runKey, resume?.written);
    onCheckpoint = (c) => {
      // The bytes first, then the rows that count on them: killed in between, the file holds at least
      // what the previous checkpoint says (the surplus is cut off when it is picked up).
      const bytes = decisions.sync();
      writer.save(c, bytes, ck.now());
    };
  }
  let result: ReplayResult;
  try {
    result = await runReplay({
      config: job.config,
      instrument: job.instrument,
      bars: job.bars,
      timeframe: job.timeframe,
      entries: job.entries,
      broker: job.broker,
      decisions,
      startingBalance: job.startingBalance,
      maxGapMs: job.maxGapMs,
      chartTrades: job.maxTradeCharts ?? DEFAULT_MAX_TRADE_CHARTS,
      onProgress: job.onProgress,
      ...(resume ? { resume: resume.checkpoint } : {}),
      ...(checkpointAt ? { checkpointAt, onCheckpoint } : {}),
    });
  } finally {
    decisions.close();
  }
  collectBetweenPhases(result.bars);
  const report: ReplayReport = {
    generatedBy: `warden ${job.version}`,
    symbol: job.instrument.symbol,
    canonical: job.instrument.canonical,
    currency: result.currency,
    startingBalance: job.startingBalance,
    data: job.data,
    gaps: result.gaps,
    entries: { source: job.entriesSource, count: job.entries.length, rejected: result.entriesRejected },
    ...(result.balanceGone === null ? {} : { balanceGone: result.balanceGone }),
    broker: brokerSummary(job.broker, job.instrument, job.spreadNote),
    metrics: result.metrics,
    counts: sortedCounts(result.counts, decisions.count),
    dtms: result.dtms,
    equity: result.equity,
    trades: result.rows,
  };
  const files: string[] = [];
  if (job.outDir !== null) {
    const dir = job.outDir;
    const maxCharts = job.maxTradeCharts ?? DEFAULT_MAX_TRADE_CHARTS;
    const charts = tradeCharts(result.trades, job.bars);
    writeFileSync(path.join(dir, 'report.json'), reportJson(report));
    writeFileSync(path.join(dir, 'trades.csv'), tradesCsv(report.trades, job.instrument.digits));
    collectBetweenPhases(result.bars);
    writeReportHtml(path.join(dir, 'report.html'), report, charts, { maxTradeCharts: maxCharts });
    for (const f of REPLAY_FILES) files.push(path.join(dir, f));
  }
  // Every file is written: nothing left to go on from (killed before this, the next run resumes
  // from the last checkpoint and writes the reports again).
  ck?.store.deleteReplayCheckpoint(ck.runKey);
  return { report, result, decisions, files };
}

function sortedCounts(c: Record<string, number>, lines: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(c).sort()) out[k] = c[k]!;
  out['decisions.lines'] = lines;
  return out;
}

/**
 * report.json: times as ISO-8601 UTC; everything else as computed. Indented, except the long arrays
 * (equity, trades): one compact element per line, which keeps the file a third of the size and its
 * writing 4x faster on a 1M-bar replay, and still reads and diffs line by line.
 */
export function reportJson(r: ReplayReport): string {
  const iso = (t: number) => (Number.isFinite(t) ? isoTime(t) : null);
  const head = {
    ...r,
    data: { ...r.data, first: iso(r.data.first), last: iso(r.data.last) },
    ...(r.balanceGone === undefined ? {} : { balanceGone: { ...r.balanceGone, time: iso(r.balanceGone.time) } }),
    gaps: {
      ...r.gaps,
      longest: r.gaps.longest.map((g) => ({ ...g, from: iso(g.from), to: iso(g.to) })),
      list: r.gaps.list.map((g) => ({ ...g, from: iso(g.from), to: iso(g.to) })),
    },
    equity: EQUITY_SLOT,
    trades: TRADES_SLOT,
  };
  const lines = (items: string[]) => (items.length === 0 ? '[]' : `[\n    ${items.join(',\n    ')}\n  ]`);
  const equity = lines(r.equity.map(([t, e]) => `[${JSON.stringify(iso(t))},${JSON.stringify(e)}]`));
  const trades = lines(
    r.trades.map((t) => JSON.stringify({ ...t, entryTime: iso(t.entryTime), exitTime: iso(t.exitTime) })),
  );
  return `${JSON.stringify(head, null, 2)
    .replace(JSON.stringify(EQUITY_SLOT), () => equity)
    .replace(JSON.stringify(TRADES_SLOT), () => trades)}\n`;
}
const EQUITY_SLOT = '\u0000equity';
const TRADES_SLOT = '\u0000trades';

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

// Columns are only ever added at the end, so a reader of the older file keeps working.
export const TRADES_CSV_HEADER =
  'positionId,side,volume,entryTime,entryPrice,initialSl,tp,exitTime,exitPrice,exitReason,r,profit,tradeType,trailMoves,flags,comment,mfeR,maeR';

export function tradesCsv(rows: readonly TradeRow[], digits: number): string {
  // Prices come on the tick grid or rounded to digits + 2 (exit averages): decimal text, no shortest-double search.
  const px = (x: number | null) => (x === null || !Number.isFinite(x) ? '' : decimalText(x, digits + 2));
  const lines = [TRADES_CSV_HEADER];
  for (const t of rows) {
    lines.push(
      [
        t.positionId,
        t.side,
        String(t.volume),
        Number.isFinite(t.entryTime) ? isoTime(t.entryTime) : '',
        px(t.entryPrice),
        px(t.initialSl),
        px(t.tp),
        Number.isFinite(t.exitTime) ? isoTime(t.exitTime) : '',
        px(t.exitPrice),
        t.exitReason,
        t.r === null ? '' : t.r.toFixed(4),
        t.profit.toFixed(2),
        t.tradeType,
        String(t.trailMoves),
        t.flags.join(';'),
        csvCell(t.comment),
        t.mfeR === null ? '' : t.mfeR.toFixed(4),
        t.maeR === null ? '' : t.maeR.toFixed(4),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number | null, d = 2) =>
  x === null ? 'n/a' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

const sum = (t: Record<string, number>): number => Object.values(t).reduce((a, b) => a + b, 0);

/** The one-line summary printed at the end of a replay. */
export function summaryLine(r: ReplayReport, where: string | null): string {
  const m = r.metrics;
  return (
    `${r.symbol} ${r.data.timeframe}, ${r.data.bars.toLocaleString('en-US')} bars: ${m.trades} trades, win ${pct(m.winRate)}, ` +
    `expectancy ${num(m.expectancyR)} R, PF ${num(m.profitFactor)}, net ${num(m.netProfit)} ${r.currency}, max DD ${pct(m.maxDrawdownPct)}; ` +
    `RMAG ${pct(m.rmagTriggerRate)}, breakeven ${pct(m.breakevenRate)}, trailing ${pct(m.trailingActivationRate)}, BE hit ${pct(m.breakevenHitRate)}, ` +
    (r.balanceGone === undefined ? '' : `${balanceGoneText(r.balanceGone)}; `) +
    (r.dtms.enabled
      ? `DTMS ${pct(m.dtmsActionRate)} (${sum(r.dtms.transitions)} transitions, ${sum(r.dtms.actions)} actions, ${r.dtms.hedges} hedges)`
      : 'DTMS off') +
    (where ? `; report: ${where}` : '')
  );
}

const COMPARE_ROWS: [keyof ReplayMetrics, string, (x: number | null) => string][] = [
  ['trades', 'trades', (x) => String(x)],
  ['winRate', 'win rate', (x) => pct(x ?? 0)],
  ['expectancyR', 'expectancy (R)', (x) => num(x, 3)],
  ['profitFactor', 'profit factor', (x) => num(x, 2)],
  ['netProfit', 'net profit', (x) => num(x, 2)],
  ['maxDrawdown', 'max drawdown', (x) => num(x, 2)],
  ['maxDrawdownPct', 'max drawdown %', (x) => pct(x ?? 0)],
  ['rmagTriggerRate', 'RMAG trigger rate (< 50%)', (x) => pct(x ?? 0)],
  ['breakevenRate', 'breakeven rate', (x) => pct(x ?? 0)],
  ['trailingActivationRate', 'trailing activation (> 80%)', (x) => pct(x ?? 0)],
  ['trailingGateRate', 'trail gate passed', (x) => pct(x ?? 0)],
  ['breakevenHitRate', 'breakeven hit rate (< 30%)', (x) => pct(x ?? 0)],
  ['dtmsActionRate', 'DTMS action rate (> 0%)', (x) => pct(x ?? 0)],
  ['dtmsFirstHourRate', 'DTMS stop move in 1st hour (< 20%)', (x) => pct(x ?? 0)],
];

/** Metrics of several runs side by side, one column per config. */
export function compareTable(names: readonly string[], metrics: readonly ReplayMetrics[]): string {
  const rows = [['metric', ...names], ...COMPARE_ROWS.map(([k, label, f]) => [label, ...metrics.map((m) => f(m[k]))])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}
