// Features benchmark: the hand-written streaming indicators vs trading-signals' streaming add(), and
// SymbolFeatures.onBar on M1 bars, over 1,000,000 seeded random-walk bars.
//
//   node --import tsx bench/features.bench.ts
//   node --expose-gc --import tsx bench/features.bench.ts   # adds the allocation check
//
// About the allocation check: the source allocates nothing per bar (numbers and preallocated
// Float64Arrays only; update() returns nothing). What V8 still allocates is HeapNumber boxes for doubles
// passed to (or returned from) calls it does not inline; they die young and a scavenge costs ~0.2 ms per
// 4 MB, i.e. well under 1 ms per million bars. Nothing is retained.
//
// Each pass builds a fresh indicator and feeds every bar; the table shows the median pass in millions
// of bars per second. Inputs are preallocated (Float64Arrays for ours, candle objects for
// trading-signals) so the harness allocates nothing while timing.
import v8 from 'node:v8';
import { ATR, BollingerBands, EMA } from 'trading-signals';
import { configSchema } from '../src/config/schema.ts';
import type { Bar } from '../src/domain/types.ts';
import { Bollinger, Ema, WilderAtr } from '../src/features/indicators.ts';
import { SymbolFeatures } from '../src/features/symbolFeatures.ts';
import { emptyMarketFeatures } from '../src/features/snapshot.ts';
import { seededRandom } from '../src/market/sampleMarket.ts';

const N = 1_000_000;

const mulberry32 = seededRandom;

// geometric random walk around 1300 (gold-like), seeded
const rnd = mulberry32(20240501);
const H = new Float64Array(N);
const L = new Float64Array(N);
const C = new Float64Array(N);
const O = new Float64Array(N);
const V = new Float64Array(N);
{
  let p = 1300;
  for (let i = 0; i < N; i++) {
    const o = p;
    const c = o * Math.exp((rnd() - 0.5) * 0.002);
    O[i] = o;
    C[i] = c;
    H[i] = Math.max(o, c) * (1 + rnd() * 0.0005);
    L[i] = Math.min(o, c) * (1 - rnd() * 0.0005);
    V[i] = 1 + Math.floor(rnd() * 200);
    p = c;
  }
}
const candles = Array.from({ length: N }, (_, i) => ({ high: H[i]!, low: L[i]!, close: C[i]! }));
const closes = Array.from(C);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function bench(name: string, passes: number, pass: () => number): { mps: number; last: number } {
  pass(); // warm-up (JIT)
  const times: number[] = [];
  let last = NaN;
  for (let k = 0; k < passes; k++) {
    const t0 = performance.now();
    last = pass();
    times.push(performance.now() - t0);
  }
  const ms = median(times);
  const mps = N / ms / 1000;
  console.log(`${name.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms/pass  ${mps.toFixed(1).padStart(7)} M bars/s`);
  return { mps, last };
}

console.log(`features bench: ${N.toLocaleString('en-US')} bars, Node ${process.version}`);
const rows: [string, number, number][] = [];
const compare = (label: string, mine: { mps: number; last: number }, theirs: { mps: number; last: number }): void => {
  rows.push([label, mine.mps, theirs.mps]);
  const rel = Math.abs(mine.last - theirs.last) / Math.abs(theirs.last);
  console.log(
    `  -> ${label}: ${(mine.mps / theirs.mps).toFixed(1)}x; final values agree to ${rel.toExponential(1)} (relative)`,
  );
};

compare(
  'WilderAtr(14)',
  bench('ours  WilderAtr(14).update', 7, () => {
    const a = new WilderAtr(14);
    for (let i = 0; i < N; i++) a.update(H[i]!, L[i]!, C[i]!);
    return a.value;
  }),
  bench('trading-signals ATR(14).add', 5, () => {
    const a = new ATR(14);
    for (let i = 0; i < N; i++) a.add(candles[i]!);
    return a.getResultOrThrow();
  }),
);

compare(
  'Ema(200)',
  bench('ours  Ema(200).update', 7, () => {
    const e = new Ema(200);
    for (let i = 0; i < N; i++) e.update(C[i]!);
    return e.value;
  }),
  bench('trading-signals EMA(200).add', 5, () => {
    const e = new EMA(200);
    for (let i = 0; i < N; i++) e.add(closes[i]!);
    return e.getResultOrThrow();
  }),
);

compare(
  'Bollinger(20, 2)',
  bench('ours  Bollinger(20,2).update', 7, () => {
    const b = new Bollinger(20, 2);
    for (let i = 0; i < N; i++) b.update(C[i]!);
    return b.upper;
  }),
  bench('trading-signals BollingerBands(20,2).add', 3, () => {
    const b = new BollingerBands(20, 2);
    for (let i = 0; i < N; i++) b.add(closes[i]!);
    return b.getResultOrThrow().upper;
  }),
);

// SymbolFeatures on M1 bars: one caller-owned Bar mutated per bar, a snapshot every 15 bars.
const gc = (globalThis as { gc?: () => void }).gc;
const cfg = configSchema.parse({}).features;
const t0 = Date.UTC(2024, 0, 1);
const bar: Bar = { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, spread: 0.3 };
const out = emptyMarketFeatures();
const feed = (sf: SymbolFeatures): void => {
  for (let i = 0; i < N; i++) {
    bar.time = t0 + i * 60_000;
    bar.open = O[i]!;
    bar.high = H[i]!;
    bar.low = L[i]!;
    bar.close = C[i]!;
    bar.volume = V[i]!;
    sf.onBar(bar);
    if (i % 15 === 14) sf.snapshot(out);
  }
};
const sfRes = bench('ours  SymbolFeatures.onBar (M1 base)', 5, () => {
  const sf = new SymbolFeatures(cfg, 'M15', 'M1');
  feed(sf);
  return sf.snapshot(out).atr;
});
// Bytes allocated while feeding 1M bars to a fresh instance: heap growth + everything the GCs that ran
// in between freed (v8.GCProfiler), so short-lived garbage that a scavenge already collected is counted.
function allocatedBytes(fn: () => void): number {
  gc!();
  const prof = new v8.GCProfiler();
  const before = process.memoryUsage().heapUsed;
  prof.start();
  fn();
  const after = process.memoryUsage().heapUsed;
  let freed = 0;
  for (const s of prof.stop().statistics)
    freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return after - before + freed;
}
let heapLine = 'run with node --expose-gc for the allocation check';
if (gc) {
  feed(new SymbolFeatures(cfg, 'M15', 'M1')); // JIT warm-up
  const sf = new SymbolFeatures(cfg, 'M15', 'M1');
  const bytes = allocatedBytes(() => feed(sf));
  const sf2 = new SymbolFeatures(cfg, 'M15', 'M1');
  gc();
  const base = process.memoryUsage().heapUsed;
  feed(sf2);
  gc();
  heapLine = `allocated while feeding 1M bars (+66k snapshots): ${(bytes / 1e6).toFixed(1)} MB = ${(bytes / N).toFixed(1)} bytes/bar, all short-lived (retained after GC: ${((process.memoryUsage().heapUsed - base) / 1e6).toFixed(2)} MB)`;
}
console.log(`  -> ${heapLine}`);

console.log('\nsummary (M bars/s):');
for (const [label, mine, theirs] of rows)
  console.log(
    `  ${label.padEnd(18)} ours ${mine.toFixed(1).padStart(6)}   trading-signals ${theirs.toFixed(1).padStart(6)}   (${(mine / theirs).toFixed(1)}x)`,
  );
console.log(`  SymbolFeatures     ${sfRes.mps.toFixed(2)} M bars/s; ${heapLine}`);
