// `npm run bench` (second part): replay throughput and memory. One symbol, all features, every output
// file written (decisions.jsonl, report.json, trades.csv, report.html). A benchmark, not a test: it
// prints figures and asserts nothing.
//
// Books (generated entries, random sides, TP 2R; SL from the entry's ATR):
// - the target book: 10 positions open at a time, held about a day (an entry every 150 bars,
//   SL 5 x ATR(H1)); the target is one million M1 bars in under 2 s;
// - a busier book: ~8 open, held ~8 h (hourly entries, SL 2 x ATR(H1)): 2.5x the trades;
// - a churning one: an entry every 10 bars, SL 1.5 x ATR(M15): ~10 open, 15x the trades.
// Time grows with open positions x bars (~85 ns each here) and with trades (~60 us each: the entry,
// ~3 intents and ~6 decision lines, the close, and the trade's rows in the reports). The target book
// also runs with DTMS off, to show what defending every position costs.
// Options (env): BENCH_REPLAY_BARS (1000000), BENCH_SEED (7).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../src/config/schema.ts';
import { instrumentFromConfig } from '../src/domain/instruments.ts';
import { findGaps } from '../src/market/gaps.ts';
import { importBarsFile } from '../src/market/importers.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../src/market/sampleMarket.ts';
import { isoTime } from '../src/replay/decisionLog.ts';
import { DEFAULT_GENERATED, generateEntries } from '../src/replay/entries.ts';
import { runReplayJob } from '../src/replay/replayRun.ts';

const BARS = Number(process.env.BENCH_REPLAY_BARS ?? 1_000_000);
const SEED = Number(process.env.BENCH_SEED ?? 7);
const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (b: number) => `${fmt(b / 1048576, 0)} MB`;

const config = configSchema.parse({});
// DTMS defends every position by default; the same book without it shows what DTMS costs (issue 4: at most +50%).
const configNoDtms = configSchema.parse({ dtms: { enabled: false } });
const instrument = instrumentFromConfig(config, 'XAUUSDc');
const { series } = generateSampleSeries({ seed: SEED, bars: BARS, ...SAMPLE_SHAPES.XAUUSD! });
const dir = mkdtempSync(path.join(tmpdir(), 'warden-bench-'));
let peakRss = process.memoryUsage().rss;
const sample = () => {
  const r = process.memoryUsage().rss;
  if (r > peakRss) peakRss = r;
};

interface Book {
  name: string;
  every: number;
  atrTimeframe: 'M15' | 'H1';
  slAtr: number;
}
const BOOKS: Book[] = [
  { name: 'target book: ~10 open, held ~a day (entry every 150 bars, SL 5 x ATR(H1))', every: 150, atrTimeframe: 'H1', slAtr: 5 },
  { name: 'busier book: hourly entries, SL 2 x ATR(H1)', every: 60, atrTimeframe: 'H1', slAtr: 2 },
  { name: 'churn: an entry every 10 bars, SL 1.5 x ATR(M15)', every: 10, atrTimeframe: 'M15', slAtr: 1.5 },
];

function replay(outDir: string, book: Book, cfg = config) {
  const entries = generateEntries(series, 'M1', { ...DEFAULT_GENERATED, every: book.every, seed: SEED, side: 'random', atrTimeframe: book.atrTimeframe, slAtr: book.slAtr });
  const gaps = findGaps(series, 60_000);
  return runReplayJob({
    config: cfg,
    instrument,
    series,
    timeframe: 'M1',
    data: { files: ['bench'], format: 'generated', timeframe: 'M1', bars: series.length, first: series.time[0]!, last: series.time[series.length - 1]!, fillFile: null },
    gaps,
    entries,
    entriesSource: 'bench',
    broker: { accountMode: 'hedging' },
    startingBalance: 10_000,
    outDir,
    version: 'bench',
    onProgress: sample,
  });
}

console.log(`warden replay bench: node ${process.version}, single core, ${fmt(BARS, 0)} M1 bars (generated XAUUSD), seed ${SEED}`);
// The target book runs cold (what one `warden replay` costs, JIT warm-up included), then twice warm
// (the machine is shared: two warm runs show the spread).
// DTMS on and off alternate, so a busy moment of the shared machine does not land on one side only.
const RUNS: [Book, string, boolean][] = [
  [BOOKS[0]!, 'cold', true],
  [BOOKS[0]!, 'warm, DTMS off', false],
  [BOOKS[0]!, 'warm', true],
  [BOOKS[0]!, 'warm, DTMS off', false],
  [BOOKS[0]!, 'warm', true],
  [BOOKS[0]!, 'warm, DTMS off', false],
  [BOOKS[0]!, 'warm', true],
  [BOOKS[1]!, 'warm', true],
  [BOOKS[2]!, 'warm', true],
];
const best = { on: Infinity, off: Infinity };
for (const [book, when, dtms] of RUNS) {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = process.hrtime.bigint();
  const run = replay(path.join(dir, String(book.every)), book, dtms ? config : configNoDtms);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  sample();
  if (book === BOOKS[0] && when !== 'cold') best[dtms ? 'on' : 'off'] = Math.min(best[dtms ? 'on' : 'off'], s);
  const res = run.result;
  console.log(
    `replay (${book.name}; ${when}): ${fmt(BARS, 0)} bars in ${fmt(s, 3)} s = ${fmt(BARS / s / 1e6)} M bars/s, features + exit decisions + paper broker + all four output files; ` +
      `mean ${fmt(res.positionBars / res.bars, 1)} positions open per bar, ${fmt(res.trades.length, 0)} trades, ${fmt(run.decisions.count, 0)} decision lines` +
      (dtms ? `; DTMS: ${fmt(res.dtms.deepChecks, 0)} deep checks, ${fmt(Object.values(res.dtms.transitions).reduce((a, b) => a + b, 0), 0)} transitions, ${fmt(Object.values(res.dtms.actions).reduce((a, b) => a + b, 0), 0)} actions applied` : ''),
  );
}
console.log(`replay, target book, best warm run: DTMS on ${fmt(best.on, 3)} s, off ${fmt(best.off, 3)} s: DTMS adds ${fmt((best.on / best.off - 1) * 100, 0)}%`);
console.log(`replay memory: peak RSS ${mb(peakRss)} over all runs (bars held as columns: ${mb(series.length * 56)})`);

// Import speed: the same bars as a uniform CSV file, parsed back.
const csv = path.join(dir, 'bars.csv');
const rows = ['time,open,high,low,close,volume,spread'];
for (let i = 0; i < series.length; i++) rows.push(`${isoTime(series.time[i]!)},${series.open[i]},${series.high[i]},${series.low[i]},${series.close[i]},${series.volume[i]},${series.spread[i]}`);
writeFileSync(csv, rows.join('\n') + '\n');
const t1 = process.hrtime.bigint();
const imported = importBarsFile(csv);
const s1 = Number(process.hrtime.bigint() - t1) / 1e9;
console.log(`import: ${fmt(imported.series.length, 0)} uniform CSV rows (file read included) in ${fmt(s1, 3)} s = ${fmt(imported.series.length / s1 / 1e6)} M rows/s`);
rmSync(dir, { recursive: true, force: true });
