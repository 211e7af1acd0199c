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
// also runs with DTMS off, to show what defending every position costs, and with `--store` (a
// checkpoint in a SQLite store every 20,000 bars, as `warden replay --store` does; issue 5's target:
// at most 2x the time in memory).
// Options (env): BENCH_REPLAY_BARS (1000000), BENCH_SEED (7).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../src/config/schema.ts';
import { instrumentFromConfig } from '../src/domain/instruments.ts';
import { InMemoryBars } from '../src/market/barSource.ts';
import { importBarsFile } from '../src/market/importers.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../src/market/sampleMarket.ts';
import { isoTime } from '../src/replay/decisionLog.ts';
import { DEFAULT_GENERATED, generateEntries } from '../src/replay/entries.ts';
import { runReplayJob, type ReplayCheckpointing, type ReplayJob } from '../src/replay/replayRun.ts';
import { replayRunKey } from '../src/replay/runKey.ts';
import { openSqliteStore } from '../src/store/sqliteStore.ts';
import { processWithPeak, replayWithPeak, type ReplayPeak } from '../test/soak/bigBarFile.ts';

const BARS = Number(process.env.BENCH_REPLAY_BARS ?? 1_000_000);
const SEED = Number(process.env.BENCH_SEED ?? 7);
const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (b: number) => `${fmt(b / 1048576, 0)} MB`;
/** `warden replay --checkpoint-every`'s default. */
const CHECKPOINT_EVERY = 20_000;

const config = configSchema.parse({});
// DTMS defends every position by default; the same book without it shows what DTMS costs (issue 4: at most +50%).
const configNoDtms = configSchema.parse({ dtms: { enabled: false } });
const instrument = instrumentFromConfig(config, 'XAUUSDc');
const { series } = generateSampleSeries({ seed: SEED, bars: BARS, ...SAMPLE_SHAPES.XAUUSD! });
const bars = new InMemoryBars(series);
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
  {
    name: 'target book: ~10 open, held ~a day (entry every 150 bars, SL 5 x ATR(H1))',
    every: 150,
    atrTimeframe: 'H1',
    slAtr: 5,
  },
  { name: 'busier book: hourly entries, SL 2 x ATR(H1)', every: 60, atrTimeframe: 'H1', slAtr: 2 },
  { name: 'churn: an entry every 10 bars, SL 1.5 x ATR(M15)', every: 10, atrTimeframe: 'M15', slAtr: 1.5 },
];

/** The checkpoints of a `--store` run: what the last one saved (its row, and the parts it wrote). */
const saved = { checkpoints: 0, rowBytes: 0, partBytes: 0, totalBytes: 0 };

/** One replay job; with `storeFile`, resumable as `warden replay --store FILE` runs it (run key included). */
async function replay(outDir: string, book: Book, cfg = config, storeFile?: string) {
  const entries = generateEntries(bars, 'M1', {
    ...DEFAULT_GENERATED,
    every: book.every,
    seed: SEED,
    side: 'random',
    atrTimeframe: book.atrTimeframe,
    slAtr: book.slAtr,
  });
  const job: ReplayJob = {
    config: cfg,
    instrument,
    bars,
    timeframe: 'M1',
    data: {
      files: ['bench'],
      format: 'generated',
      timeframe: 'M1',
      bars: series.length,
      first: series.time[0]!,
      last: series.time[series.length - 1]!,
      fillFile: null,
    },
    entries,
    entriesSource: 'bench',
    broker: { accountMode: 'hedging' },
    // A balance no run can lose: a replay stops when the balance is gone, and the bench measures every bar.
    startingBalance: 1_000_000_000,
    outDir,
    version: 'bench',
    onProgress: sample,
  };
  if (storeFile === undefined) return await runReplayJob(job);
  const store = openSqliteStore(storeFile, { now: Date.now(), createdBy: 'warden bench' });
  try {
    // Sizes of what each checkpoint writes, seen on the way to the store.
    const save = store.saveReplayCheckpoint.bind(store);
    Object.assign(saved, { checkpoints: 0, totalBytes: 0 });
    store.saveReplayCheckpoint = (key, c, at) => {
      save(key, c, at);
      saved.checkpoints++;
      saved.rowBytes = c.checkpointJson.length;
      saved.partBytes = (c.parts ?? []).reduce((a, p) => a + p.itemsJson.length, 0);
      saved.totalBytes += saved.rowBytes + saved.partBytes;
    };
    const checkpoints: ReplayCheckpointing = {
      store,
      runKey: replayRunKey(job),
      every: CHECKPOINT_EVERY,
      now: () => Date.now(),
    };
    return await runReplayJob({ ...job, checkpoints });
  } finally {
    store.close();
  }
}

console.log(
  `warden replay bench: node ${process.version}, single core, ${fmt(BARS, 0)} M1 bars (generated XAUUSD), seed ${SEED}`,
);
// The target book runs cold (what one `warden replay` costs, JIT warm-up included), then warm three
// times each way: DTMS on, off, and on with the store (the machine is shared: the best of three, and
// the ways alternate, so a busy moment of the machine does not land on one side only).
type Mode = 'on' | 'off' | 'store';
const RUNS: [Book, string, Mode][] = [
  [BOOKS[0]!, 'cold', 'on'],
  [BOOKS[0]!, 'warm, DTMS off', 'off'],
  [BOOKS[0]!, 'warm', 'on'],
  [BOOKS[0]!, 'warm, --store', 'store'],
  [BOOKS[0]!, 'warm, DTMS off', 'off'],
  [BOOKS[0]!, 'warm', 'on'],
  [BOOKS[0]!, 'warm, --store', 'store'],
  [BOOKS[0]!, 'warm, DTMS off', 'off'],
  [BOOKS[0]!, 'warm', 'on'],
  [BOOKS[0]!, 'warm, --store', 'store'],
  [BOOKS[1]!, 'warm', 'on'],
  [BOOKS[2]!, 'warm', 'on'],
];
const best: Record<Mode, number> = { on: Infinity, off: Infinity, store: Infinity };
let storeRuns = 0;
for (const [book, when, mode] of RUNS) {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = process.hrtime.bigint();
  const run = await replay(
    path.join(dir, String(book.every)),
    book,
    mode === 'off' ? configNoDtms : config,
    mode === 'store' ? path.join(dir, `store${++storeRuns}.db`) : undefined,
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  sample();
  if (book === BOOKS[0] && when !== 'cold') best[mode] = Math.min(best[mode], s);
  const res = run.result;
  const dtms = mode !== 'off';
  console.log(
    `replay (${book.name}; ${when}): ${fmt(BARS, 0)} bars in ${fmt(s, 3)} s = ${fmt(BARS / s / 1e6)} M bars/s, features + exit decisions + paper broker + all four output files` +
      (mode === 'store'
        ? ` + ${saved.checkpoints} checkpoints (the last: ${fmt(saved.rowBytes / 1024, 0)} KB row + ${fmt(saved.partBytes / 1024, 0)} KB of parts; ${fmt(saved.totalBytes / 1048576, 1)} MB in all)`
        : '') +
      '; ' +
      `mean ${fmt(res.positionBars / res.bars, 1)} positions open per bar, ${fmt(res.trades.length, 0)} trades, ${fmt(run.decisions.count, 0)} decision lines` +
      (dtms
        ? `; DTMS: ${fmt(res.dtms.deepChecks, 0)} deep checks, ${fmt(
            Object.values(res.dtms.transitions).reduce((a, b) => a + b, 0),
            0,
          )} transitions, ${fmt(
            Object.values(res.dtms.actions).reduce((a, b) => a + b, 0),
            0,
          )} actions applied`
        : ''),
  );
}
console.log(
  `replay, target book, best warm run: DTMS on ${fmt(best.on, 3)} s, off ${fmt(best.off, 3)} s: DTMS adds ${fmt((best.on / best.off - 1) * 100, 0)}%`,
);
console.log(
  `replay --store (checkpoint every ${fmt(CHECKPOINT_EVERY, 0)} bars), target book, best warm run: in memory ${fmt(BARS / best.on / 1e6)} M bars/s, ` +
    `with the store ${fmt(BARS / best.store / 1e6)} M bars/s: ${fmt(best.store / best.on)}x the time (target: at most 2x)`,
);
console.log(`replay memory: peak RSS ${mb(peakRss)} over all runs (bars held as columns: ${mb(series.length * 56)})`);

// Import speed: the same bars as a uniform CSV file, parsed back.
const csv = path.join(dir, 'bars.csv');
const rows = ['time,open,high,low,close,volume,spread'];
for (let i = 0; i < series.length; i++)
  rows.push(
    `${isoTime(series.time[i]!)},${series.open[i]},${series.high[i]},${series.low[i]},${series.close[i]},${series.volume[i]},${series.spread[i]}`,
  );
writeFileSync(csv, rows.join('\n') + '\n');
const t1 = process.hrtime.bigint();
const imported = importBarsFile(csv);
const s1 = Number(process.hrtime.bigint() - t1) / 1e9;
console.log(
  `import: ${fmt(imported.series.length, 0)} uniform CSV rows (file read included) in ${fmt(s1, 3)} s = ${fmt(imported.series.length / s1 / 1e6)} M rows/s`,
);

// The same file through `warden replay` as a trader runs it (a child process: start-up, one parse of
// the file, the later passes from its binary columns, all four outputs), against the floor measured in
// the same run on the same file: a plain parse-plus-ATR(14) loop from the bytes (bench/parseFloor.mjs),
// also a whole process. Then a file twice as long: the peak should stay about the same (bars stream).
// Best of three for the floor and of two for the replays (the machine is shared); the peak is the
// kernel's high-water mark (VmHWM) of the child, polled every 20 ms.
const csv2 = path.join(dir, 'bars2.csv');
const rows2 = [rows[0]!];
for (let k = 0; k < 2; k++) {
  for (let i = 0; i < series.length; i++) {
    // The second copy one calendar year later: times rise, dates stay valid (the generated block starts in March).
    const t = series.time[i]! + (k === 0 ? 0 : series.time[series.length - 1]! - series.time[0]! + 86_400_000 * 400);
    rows2.push(
      `${isoTime(t)},${series.open[i]},${series.high[i]},${series.low[i]},${series.close[i]},${series.volume[i]},${series.spread[i]}`,
    );
  }
}
writeFileSync(csv2, rows2.join('\n') + '\n');
rows2.length = 0;
const floorRuns: ReplayPeak[] = [];
for (let k = 0; k < 3; k++) floorRuns.push(await processWithPeak([path.join('bench', 'parseFloor.mjs'), csv]));
const floor = floorRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
if (floor.code !== 0) console.log(`parse floor failed (exit ${floor.code}): ${floor.stderr.slice(0, 300)}`);
const wholeRuns: ReplayPeak[] = [];
// A balance no run can lose, as above: the replay stops when the balance is gone, and every bar is measured.
const EVERY_BAR = ['--balance', '1000000000'];
for (let k = 0; k < 2; k++) wholeRuns.push(await replayWithPeak(csv, path.join(dir, 'cli'), 150, EVERY_BAR));
const whole = wholeRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const peak1 = Math.max(...wholeRuns.map((r) => r.peakRssMb));
// The same file with no entry at all (the warm-up before the first one is longer than the file): what a replay costs with
// nothing to manage (start-up, the scan, every bar through the features and DTMS's market layers, the
// outputs). It is the bound under any book's time: the positions only add to it.
const emptyRuns: ReplayPeak[] = [];
const NO_ENTRY = [...EVERY_BAR, '--warmup', String(2 * BARS)];
for (let k = 0; k < 2; k++) emptyRuns.push(await replayWithPeak(csv, path.join(dir, 'cli-empty'), 2 * BARS, NO_ENTRY));
const empty = emptyRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const whole2 = await replayWithPeak(csv2, path.join(dir, 'cli2'), 150, EVERY_BAR);
/** Every bar replayed, or where the account went (the figure would then be of fewer bars). */
const played = (r: ReplayPeak) =>
  r.stdout.includes('balance gone') ? 'STOPPED EARLY, balance gone' : 'every bar replayed';
const failed = [...wholeRuns, ...emptyRuns, whole2].find((r) => r.code !== 0);
if (failed) console.log(`warden replay failed (exit ${failed.code}): ${failed.stderr.slice(0, 300)}`);
console.log(
  `parse floor (bench/parseFloor.mjs: read in 4 MiB steps, parse from bytes, ATR(14); whole process): ${fmt(BARS, 0)} bars in ${fmt(floor.seconds, 3)} s = ${fmt(BARS / floor.seconds / 1e6)} M bars/s, peak RSS ${fmt(floor.peakRssMb, 0)} MB`,
);
console.log(
  `warden replay --bars (${fmt(BARS, 0)} M1 bars, ${played(whole)}, entry every 150 bars, all four outputs; whole process, ${process.env.WARDEN_FROM_SOURCE === '1' ? 'TypeScript through tsx' : 'compiled dist/ when current'}): ` +
    `${fmt(whole.seconds, 2)} s = ${fmt(BARS / whole.seconds / 1e6)} M bars/s, ${fmt(whole.seconds / floor.seconds, 1)}x the floor (target: within 4x), peak RSS ${fmt(peak1, 0)} MB (target: under 200 MB)`,
);
console.log(
  `warden replay --bars, no entry at all (the same ${fmt(BARS, 0)} bars; the bound under any book's time): ${fmt(empty.seconds, 2)} s = ${fmt(BARS / empty.seconds / 1e6)} M bars/s, ` +
    `${fmt(empty.seconds / floor.seconds, 1)}x the floor, peak RSS ${fmt(empty.peakRssMb, 0)} MB; the target book's positions add ${fmt(whole.seconds - empty.seconds, 2)} s`,
);
console.log(
  `warden replay --bars (${fmt(2 * BARS, 0)} M1 bars, the same twice; ${played(whole2)}): ${fmt(whole2.seconds, 2)} s = ${fmt((2 * BARS) / whole2.seconds / 1e6)} M bars/s, peak RSS ${fmt(whole2.peakRssMb, 0)} MB ` +
    `(${fmt(whole2.peakRssMb - peak1, 0)} MB more than at ${fmt(BARS, 0)} bars)`,
);
rmSync(dir, { recursive: true, force: true });
