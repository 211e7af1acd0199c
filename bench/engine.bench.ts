// `npm run bench`: how fast the decision core runs, single core, and how much memory an open
// position costs. A benchmark, not a test: it prints figures and asserts nothing.
//
//   N positions x M bars through features + DTMS + exit decisions (records built for every rule looked at),
//   and the same with DTMS off (what defending every position costs per evaluation)
//
// Options (env): BENCH_POSITIONS ("100,1000": one run each), BENCH_BARS (20000 per symbol), BENCH_SEED (7).
import { configSchema } from '../src/config/schema.ts';
import { instrumentFromConfig } from '../src/domain/instruments.ts';
import type { Bar, Intent, Position, Side } from '../src/domain/types.ts';
import { ExitEngine } from '../src/engine/exitEngine.ts';
import { CountingSink } from '../src/exits/decisionRecord.ts';
import { SymbolFeatures } from '../src/features/symbolFeatures.ts';
import { emptyMarketFeatures } from '../src/features/snapshot.ts';
import { generateSampleMarket, seededRandom } from '../src/market/sampleMarket.ts';

const POSITIONS = (process.env.BENCH_POSITIONS ?? '100,1000').split(',').map(Number);
const M = Number(process.env.BENCH_BARS ?? 20_000);
const SEED = Number(process.env.BENCH_SEED ?? 7);
const WARMUP = 3_000;

const MARKETS = [
  { symbol: 'XAUUSDc', startPrice: 2000, volatility: 0.0004, spread: 0.3, digits: 3, weekends: true, stop: 0.004 },
  { symbol: 'EURUSD', startPrice: 1.1, volatility: 0.00015, spread: 0.00012, digits: 5, weekends: true, stop: 0.0015 },
  { symbol: 'GBPUSD', startPrice: 1.27, volatility: 0.00018, spread: 0.00015, digits: 5, weekends: true, stop: 0.0018 },
  { symbol: 'USDJPYc', startPrice: 150, volatility: 0.00015, spread: 0.01, digits: 3, weekends: true, stop: 0.0015 },
  { symbol: 'BTCUSDc', startPrice: 40000, volatility: 0.0008, spread: 5, digits: 2, weekends: false, stop: 0.006 },
] as const;

const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const config = configSchema.parse({});
const configNoDtms = configSchema.parse({ dtms: { enabled: false } });

function markets(bars: number) {
  return MARKETS.map((m, i) => ({ ...m, bars: generateSampleMarket({ seed: SEED * 100 + i, bars, ...m }).bars }));
}

function featuresOnly(data: ReturnType<typeof markets>, report: boolean): void {
  const t0 = process.hrtime.bigint();
  let n = 0;
  const out = emptyMarketFeatures();
  for (const m of data) {
    const f = new SymbolFeatures(config.features, 'M15', 'M1');
    for (const b of m.bars) {
      f.onBar(b);
      f.snapshot(out);
      n++;
    }
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (report)
    console.log(
      `features: ${data.length} symbols x ${fmt(data[0]!.bars.length, 0)} M1 bars (M5/M15/H1 built from them) = ${fmt(n, 0)} bars in ${fmt(s, 3)} s: ${fmt(n / s / 1e6)} M bars/s`,
    );
}

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
function engineRun(data: ReturnType<typeof markets>, N: number, cfg = config): void {
  const sink = new CountingSink();
  const engine = new ExitEngine(cfg, { baseTimeframe: 'M1', sink });
  const rand = seededRandom(SEED);
  for (const m of data) engine.addInstrument(instrumentFromConfig(config, m.symbol));
  const positions: Position[] = [];
  let nextId = 1;
  const open = (mi: number, bar: Bar, time: number): Position => {
    const m = data[mi]!;
    const side: Side = rand() < 0.5 ? 'buy' : 'sell';
    const s = side === 'buy' ? 1 : -1;
    const entry = side === 'buy' ? bar.close + m.spread : bar.close;
    const dist = entry * m.stop * (1 + 2 * rand());
    const p: Position = {
      id: String(nextId++),
      symbol: m.symbol,
      side,
      volume: 0.1 * (1 + Math.floor(rand() * 10)),
      entryPrice: entry,
      sl: Number((entry - s * dist).toFixed(m.digits)),
      tp: Number((entry + s * dist * (1 + rand() * 2)).toFixed(m.digits)),
      openTime: time,
      comment: '',
    };
    engine.track(p, time);
    return p;
  };
  // Warm the features up (EMA200 on H1 needs ~200 hours), then open the book.
  const scratch: Intent[] = [];
  for (let b = 0; b < WARMUP; b++) for (const m of data) engine.onBar(m.symbol, m.bars[b]!, scratch);
  const perSymbol: Position[][] = data.map(() => []);
  for (let i = 0; i < N; i++) {
    const mi = i % data.length;
    const p = open(mi, data[mi]!.bars[WARMUP - 1]!, data[mi]!.bars[WARMUP - 1]!.time + 60_000);
    positions.push(p);
    perSymbol[mi]!.push(p);
  }
  const sinkBefore = sink.count;
  let engineNs = 0n;
  let evaluations = 0;
  let intents = 0;
  let stopOuts = 0;
  const out: Intent[] = [];
  const totalT0 = process.hrtime.bigint();
  for (let b = WARMUP; b < M; b++) {
    for (let mi = 0; mi < data.length; mi++) {
      const m = data[mi]!;
      const bar = m.bars[b]!;
      // The simulated broker: stops and targets touched inside the bar close the position; a new
      // one replaces it so the book stays at N.
      const book = perSymbol[mi]!;
      for (let k = 0; k < book.length; k++) {
        const p = book[k]!;
        const hitSl = p.sl !== null && (p.side === 'buy' ? bar.low <= p.sl : bar.high + m.spread >= p.sl);
        const hitTp = p.tp !== null && (p.side === 'buy' ? bar.high >= p.tp : bar.low + m.spread <= p.tp);
        if (hitSl || hitTp) {
          engine.untrack(p.id);
          book[k] = open(mi, bar, bar.time);
          stopOuts++;
        }
      }
      out.length = 0;
      const t0 = process.hrtime.bigint();
      engine.onBar(m.symbol, bar, out);
      engineNs += process.hrtime.bigint() - t0;
      evaluations += book.length;
      for (const it of out) {
        intents++;
        const p = engine.position(it.positionId);
        if (it.kind === 'open') {
          // A DTMS hedge or re-add: filled, but not simulated further (the book stays at N).
          engine.resolve(it.positionId, it.id, 'applied', `x${nextId++}`);
          continue;
        }
        if (it.kind === 'close' && it.targetId !== it.positionId) {
          engine.resolve(it.positionId, it.id, 'applied'); // a hedge's close
          continue;
        }
        if (!p) continue;
        if (it.kind === 'close') {
          // DTMS closed the position: replaced, like a stop-out.
          engine.resolve(it.positionId, it.id, 'applied');
          engine.untrack(p.id);
          const k = book.indexOf(p);
          if (k >= 0) book[k] = open(mi, bar, bar.time + 60_000);
          stopOuts++;
          continue;
        }
        if (it.kind === 'move_stop') p.sl = it.newSl;
        else p.volume = Number((p.volume - it.volume).toFixed(2));
        engine.resolve(it.positionId, it.id, 'applied');
      }
    }
  }
  const engineS = Number(engineNs) / 1e9;
  const totalS = Number(process.hrtime.bigint() - totalT0) / 1e9;
  const bars = (M - WARMUP) * data.length;
  const dtms = cfg.dtms.enabled
    ? 'features + DTMS + exit decisions + decision records'
    : 'DTMS off: features + exit decisions + decision records';
  console.log(
    `engine: ${fmt(N, 0)} positions x ${fmt(M - WARMUP, 0)} bars on ${data.length} symbols = ${fmt(evaluations, 0)} position-bar evaluations ` +
      `(${dtms}) in ${fmt(engineS, 3)} s: ${fmt(evaluations / engineS / 1e6)} M evaluations/s`,
  );
  console.log(
    `engine: ${fmt(bars, 0)} symbol-bars, ${fmt(intents, 0)} intents (${fmt(sink.count - sinkBefore, 0)} decision records), ${fmt(stopOuts, 0)} positions closed and replaced; whole loop incl. simulated broker ${fmt(totalS, 3)} s`,
  );
}

function memoryPerPosition(count: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    console.log('memory: run with node --expose-gc to measure bytes per open position');
    return;
  }
  const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink: new CountingSink() });
  engine.addInstrument(instrumentFromConfig(config, 'XAUUSDc'));
  const warm = generateSampleMarket({
    seed: 1,
    bars: 3000,
    startPrice: 2000,
    volatility: 0.0004,
    spread: 0.3,
    digits: 3,
  }).bars;
  const sink: Intent[] = [];
  for (const b of warm) engine.onBar('XAUUSDc', b, sink);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) {
    engine.track(
      {
        id: String(1_000_000 + i),
        symbol: 'XAUUSDc',
        side: i % 2 ? 'buy' : 'sell',
        volume: 0.1,
        entryPrice: 2000,
        sl: i % 2 ? 1990 : 2010,
        tp: i % 2 ? 2020 : 1980,
        openTime: 0,
        comment: '',
      },
      warm[warm.length - 1]!.time,
    );
  }
  // Evaluate once so every plan has reached its steady shape (reason strings, counters).
  engine.onBar('XAUUSDc', warm[warm.length - 1]!, sink);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(
    `memory: ${fmt((after - before) / count, 0)} bytes per open position (exit plan + DTMS state + position + engine slot, ${fmt(count, 0)} positions, heap delta after GC)`,
  );
}

console.log(`warden bench: node ${process.version}, single core, seed ${SEED}`);
const data = markets(M);
featuresOnly(data, false); // JIT warm-up pass
featuresOnly(data, true);
for (const n of POSITIONS) engineRun(data, n);
engineRun(data, POSITIONS[0]!, configNoDtms);
memoryPerPosition(100_000);
