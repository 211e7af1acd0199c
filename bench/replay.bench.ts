// `npm run bench` (second part): replay throughput and memory. One symbol, about 10 positions open at
// a time, all features, every output file written (decisions.jsonl, report.json, trades.csv,
// report.html). A benchmark, not a test: it prints figures and asserts nothing.
//
// Options (env): BENCH_REPLAY_BARS (1000000), BENCH_SEED (7), BENCH_ENTRY_EVERY (40).
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
const EVERY = Number(process.env.BENCH_ENTRY_EVERY ?? 40);
const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (b: number) => `${fmt(b / 1048576, 0)} MB`;

const config = configSchema.parse({});
const instrument = instrumentFromConfig(config, 'XAUUSDc');
const { series } = generateSampleSeries({ seed: SEED, bars: BARS, ...SAMPLE_SHAPES.XAUUSD! });
const dir = mkdtempSync(path.join(tmpdir(), 'warden-bench-'));
let peakRss = process.memoryUsage().rss;
const sample = () => {
  const r = process.memoryUsage().rss;
  if (r > peakRss) peakRss = r;
};

function replay(outDir: string) {
  const entries = generateEntries(series, 'M1', { ...DEFAULT_GENERATED, every: EVERY, seed: SEED, side: 'random' });
  const gaps = findGaps(series, 60_000);
  return runReplayJob({
    config,
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

console.log(`warden replay bench: node ${process.version}, single core, ${fmt(BARS, 0)} M1 bars (generated XAUUSD), entry every ${EVERY} bars, seed ${SEED}`);
// JIT warm-up on a short copy would change nothing measurable; the first run is the measured one.
(globalThis as { gc?: () => void }).gc?.();
const rssBefore = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
const run = replay(path.join(dir, 'run'));
const s = Number(process.hrtime.bigint() - t0) / 1e9;
sample();
const res = run.result;
console.log(
  `replay: ${fmt(BARS, 0)} bars in ${fmt(s, 3)} s = ${fmt(BARS / s / 1e6)} M bars/s (features + exit decisions + paper broker + all four output files); ` +
    `${fmt(res.trades.length, 0)} trades, mean ${fmt(res.positionBars / res.bars, 1)} positions open per bar, ${fmt(run.decisions.count, 0)} decision lines`,
);
console.log(`replay memory: peak RSS ${mb(peakRss)} (${mb(rssBefore)} before the run, bars held as columns: ${mb(series.length * 56)})`);

// Import speed: the same bars as a uniform CSV file, parsed back.
const csv = path.join(dir, 'bars.csv');
const rows = ['time,open,high,low,close,volume,spread'];
for (let i = 0; i < series.length; i++) rows.push(`${isoTime(series.time[i]!)},${series.open[i]},${series.high[i]},${series.low[i]},${series.close[i]},${series.volume[i]},${series.spread[i]}`);
writeFileSync(csv, rows.join('\n') + '\n');
const t1 = process.hrtime.bigint();
const imported = importBarsFile(csv);
const s1 = Number(process.hrtime.bigint() - t1) / 1e9;
console.log(`import: ${fmt(imported.series.length, 0)} uniform CSV rows in ${fmt(s1, 3)} s = ${fmt(imported.series.length / s1 / 1e6)} M rows/s; import + replay = ${fmt(s1 + s, 3)} s`);
rmSync(dir, { recursive: true, force: true });
