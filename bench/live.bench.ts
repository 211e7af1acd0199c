// `npm run bench` (fourth part): a live account session step by step, with the store on a real file:
// the broker's positions read, the engine's decisions, two transactions (decisions + intents journaled
// + changed state, then answers + health), the paper account's answers. One symbol, M1 bars, a book
// of N open positions held open (wide stops, no targets, refilled by hand when one closes). Reports
// time per step (mean, p99), the store's size, and the same bars through the engine alone. Then the
// same book with a quote step every 20 s between bars (a real account's quote feed), and in shadow mode
// (decided and recorded, nothing sent).
// A benchmark, not a test: it prints figures and asserts nothing.
// Options (env): BENCH_LIVE_POSITIONS (100), BENCH_LIVE_BARS (3000).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaperAccount } from '../src/brokers/paperAccount.ts';
import { configSchema } from '../src/config/schema.ts';
import { instrumentFromConfig } from '../src/domain/instruments.ts';
import type { Intent } from '../src/domain/types.ts';
import { ExitEngine } from '../src/engine/exitEngine.ts';
import { CountingSink } from '../src/exits/decisionRecord.ts';
import { AccountSession } from '../src/execution/accountSession.ts';
import { ShadowBook } from '../src/execution/shadowBook.ts';
import { generateSampleMarket, SAMPLE_SHAPES } from '../src/market/sampleMarket.ts';
import { openSqliteStore } from '../src/store/sqliteStore.ts';

const POSITIONS = Number(process.env.BENCH_LIVE_POSITIONS ?? 100);
const BARS = Number(process.env.BENCH_LIVE_BARS ?? 3000);
const WARMUP = 1500;
const BAR_MS = 60_000;
const SYMBOL = 'XAUUSDc';
const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const config = configSchema.parse({});
const instrument = instrumentFromConfig(config, SYMBOL, true);
const { bars } = generateSampleMarket({ seed: 7, bars: WARMUP + BARS, ...SAMPLE_SHAPES.XAUUSD! });
const dir = mkdtempSync(path.join(tmpdir(), 'warden-live-bench-'));

async function live(mode: 'bars' | 'quotes' | 'shadow', barCount: number): Promise<void> {
  const file = path.join(dir, `live-${mode}.db`);
  const account = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: BAR_MS });
  let now = bars[WARMUP - 1]!.time + BAR_MS;
  const store = openSqliteStore(file, { now });
  const shadow = mode === 'shadow' ? { shadow: new ShadowBook([SYMBOL]) } : {};
  const session = new AccountSession({
    config,
    baseTimeframe: 'M1',
    instruments: [instrument],
    broker: account,
    store,
    clock: () => now,
    sleep: async () => {},
    ...shadow,
  });
  await session.start(new Map([[SYMBOL, bars.slice(0, WARMUP)]]));
  account.onBar(SYMBOL, bars[WARMUP - 1]!, now);
  const broker = account.broker(SYMBOL);
  let opened = 0;
  const refill = () => {
    const q = broker.quote();
    while (broker.positions().length < POSITIONS) {
      const side = opened % 2 === 0 ? 'buy' : 'sell';
      const entry = side === 'buy' ? q.ask : q.bid;
      const sl = Math.round((side === 'buy' ? entry - 60 : entry + 60) * 100) / 100;
      broker.open({ requestId: `hand:${opened++}`, side, volume: 1, sl, tp: null, comment: '', exempt: true });
    }
  };
  refill();
  const times: number[] = [];
  const quoteTimes: number[] = [];
  let intents = 0;
  const end = Math.min(bars.length, WARMUP + barCount);
  for (let i = WARMUP; i < end; i++) {
    const bar = bars[i]!;
    now = bar.time + BAR_MS;
    account.onBar(SYMBOL, bar, now);
    const t0 = process.hrtime.bigint();
    const r = await session.onBar(SYMBOL, bar);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    intents += r.intents.length;
    refill();
    if (mode === 'quotes' && i + 1 < end) {
      // Two quotes inside the next bar, 20 s apart, on the way to its close.
      const next = bars[i + 1]!;
      for (const k of [1, 2]) {
        now = bar.time + BAR_MS + k * 20_000;
        const bid = bar.close + ((next.close - bar.close) * k) / 3;
        const spread = Number.isFinite(next.spread) && next.spread > 0 ? next.spread : 0.2;
        const q0 = process.hrtime.bigint();
        const qr = await session.onQuote(SYMBOL, { time: now, bid, ask: bid + spread });
        quoteTimes.push(Number(process.hrtime.bigint() - q0) / 1e6);
        intents += qr.intents.length;
      }
    }
  }
  const steps = end - WARMUP;
  const decisions = store.decisionCount();
  const shadowDecisions =
    mode === 'shadow' ? store.recentDecisions(1_000_000).filter((r) => r.outcome === 'shadow').length : 0;
  store.close();
  const size = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const p99 = times[Math.floor(times.length * 0.99)]!;
  const what =
    mode === 'bars'
      ? ''
      : mode === 'quotes'
        ? ', a quote step every 20 s between bars'
        : ', SHADOW MODE (nothing sent)';
  console.log(`live session, ${POSITIONS} open positions, ${steps} M1 bars${what}, store on a file:`);
  console.log(
    `  ${fmt(mean)} ms per bar step (p99 ${fmt(p99)} ms), ${fmt(1000 / mean, 0)} steps/s; ${intents} intents sent, ${opened} positions opened by hand, ${decisions} decision records${mode === 'shadow' ? ` (${shadowDecisions} shadow)` : ''}`,
  );
  if (quoteTimes.length > 0) {
    quoteTimes.sort((a, b) => a - b);
    const qm = quoteTimes.reduce((a, b) => a + b, 0) / quoteTimes.length;
    console.log(
      `  ${fmt(qm)} ms per quote step (p99 ${fmt(quoteTimes[Math.floor(quoteTimes.length * 0.99)]!)} ms), ${quoteTimes.length} quote steps`,
    );
  }
  console.log(`  store ${fmt(size / 1048576, 1)} MB (${fmt(size / steps / 1024, 1)} KB per bar)`);
}

function engineOnly(): void {
  const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink: new CountingSink() });
  engine.addInstrument(instrument);
  const out: Intent[] = [];
  for (let i = 0; i < WARMUP; i++) engine.onBar(SYMBOL, bars[i]!, out);
  for (let k = 0; k < POSITIONS; k++) {
    const b = bars[WARMUP - 1]!;
    const side = k % 2 === 0 ? 'buy' : 'sell';
    engine.track(
      {
        id: String(k),
        symbol: SYMBOL,
        side,
        volume: 1,
        entryPrice: b.close,
        sl: side === 'buy' ? b.close - 60 : b.close + 60,
        tp: null,
        openTime: b.time,
        comment: '',
      },
      b.time + BAR_MS,
    );
  }
  const t0 = process.hrtime.bigint();
  for (let i = WARMUP; i < bars.length; i++) {
    out.length = 0;
    engine.onBar(SYMBOL, bars[i]!, out);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`  the engine alone on the same bars and book (intents not sent): ${fmt(ms / BARS, 3)} ms per bar`);
}

try {
  await live('bars', BARS);
  engineOnly();
  await live('quotes', Math.min(BARS, 1000));
  await live('shadow', Math.min(BARS, 1000));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
