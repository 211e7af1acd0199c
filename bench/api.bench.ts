// `npm run bench` (API part): the HTTP API under load from a second process (autocannon over loopback)
// while the service manages 1,000 open positions and the market plays. Two figures:
//   1. GET /api/dtms/trade/{ticket}: requests per second and latency, 10 connections for 10 s.
//   2. The engine's pace under reads: with 1,000 open positions and 100,000 decisions written into the
//      store before the service starts, the played loop's bars per second over a fixed window (and
//      the mean time of its steps), first with no readers, then while 100 connections read a mix of
//      /api/positions (the first page and a later one), /api/dtms/actions, /api/decisions/recent and
//      /api/positions/{ticket}/decisions. The engine and the handlers share one thread, so every
//      millisecond a read takes between two steps is one the engine waits: the two paces and their
//      ratio show what the reads cost it.
//      The market is played at 80% of the engine's own pace (measured first, from its step time with
//      the same book): the loop gives the thread to the server only while it waits for the next bar,
//      so at a pace above the engine's own the readers get no turn at all (no answer, no figure).
// The book is held at 1,000 positions at the paper account: DTMS defends them, and the positions of
// one symbol and side, opened together, are closed together; they are opened again as a trader would.
// Every figure says what it ran on: positions opened and refused, managed at the start and end of each
// window, answers that were not 2xx, by status. A benchmark, not a test: it prints figures and
// asserts nothing.
// Options (env): BENCH_API_POSITIONS (1000), BENCH_API_DECISIONS (100000), BENCH_API_SECONDS (10),
// BENCH_API_CONNECTIONS (10, figure 1), BENCH_API_READERS (100, figure 2), BENCH_API_PACE (0.8: the
// share of the engine's pace figure 2 plays at), BENCH_API_SPEED (bars per second, instead of it).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../src/config/schema.ts';
import { roundStop } from '../src/domain/rounding.ts';
import type { ExitRule } from '../src/domain/types.ts';
import type { DecisionOutcome, DecisionReason } from '../src/exits/decisionRecord.ts';
import { newDecisionRecord } from '../src/exits/decisionRecord.ts';
import { createLogger } from '../src/log.ts';
import { startService, type RunningService } from '../src/service/service.ts';
import { openSqliteStore } from '../src/store/sqliteStore.ts';
import type { WardenStore } from '../src/store/store.ts';

const POSITIONS = Number(process.env.BENCH_API_POSITIONS ?? 1000);
const DECISIONS = Number(process.env.BENCH_API_DECISIONS ?? 100_000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 10);
const READERS = Number(process.env.BENCH_API_READERS ?? 100);
const SPEED = process.env.BENCH_API_SPEED === undefined ? null : Number(process.env.BENCH_API_SPEED);
/** The share of the engine's own pace the market is played at when BENCH_API_SPEED is not given. */
const PACE = Number(process.env.BENCH_API_PACE ?? 0.8);
/** The market's instant: a Wednesday morning (every symbol trades), the same market every run. */
const MARKET_NOW = Date.parse('2026-03-11T10:00:00Z');
const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon');

const dir = mkdtempSync(path.join(tmpdir(), 'warden-api-bench-'));
const log = createLogger({ level: 'silent' });
const token = 'b'.repeat(32);
// The rate limit stays on (its cost is part of the figures), high enough not to refuse the benchmark.
const serviceConfig = (speed: number) => configSchema.parse({ service: { port: 0, rateLimitPerMinute: 1_000_000, market: { speed, demoPositions: 0 } } });
// autocannon keeps sending on a connection whose last answer said `connection: close` (the server's cap
// of requests per keep-alive connection, MAX_REQUESTS_PER_SOCKET): Node then answers 503 to every further
// request on it, and the figures would be of those (a browser or undici opens a new connection instead).
// The bench lifts the cap (0: none) to measure the API itself.
const start = (store: WardenStore, speed: number) =>
  startService({ config: serviceConfig(speed), store, log, version: 'bench', token, tokenFile: path.join(dir, 'token'), env: {}, now: MARKET_NOW, maxRequestsPerSocket: 0 });

let requests = 0;

/** Opens `count` positions by hand across the symbols at the current quotes, stops 5% away and no targets. */
function open(service: RunningService, count: number): { opened: number; refused: string[] } {
  const refused: string[] = [];
  let opened = 0;
  const symbols = serviceConfig(1).service.market.symbols;
  for (let k = 0; k < count; k++) {
    const n = requests++;
    const symbol = symbols[n % symbols.length]!;
    const broker = service.paper!.broker(symbol);
    const inst = service.session.engine.instrument(symbol)!;
    const q = broker.quote();
    const buy = n % 2 === 0;
    const entry = buy ? q.ask : q.bid;
    const sl = roundStop(buy ? 'buy' : 'sell', buy ? entry * 0.95 : entry * 1.05, inst.tickSize);
    const a = broker.open({ requestId: `bench:${n}`, side: buy ? 'buy' : 'sell', volume: inst.minLot * 10, sl, tp: null, comment: '', exempt: true });
    if (a.outcome === 'applied') opened++;
    else refused.push(`${symbol}: ${a.reason}`);
  }
  return { opened, refused };
}

/** The trader's positions open at the paper account (DTMS hedges left out). */
function traderPositions(service: RunningService): number {
  let n = 0;
  for (const symbol of serviceConfig(1).service.market.symbols) n += service.paper!.broker(symbol).positions().filter((p) => !p.comment.startsWith('DTMS_')).length;
  return n;
}

/** Opens the book, managed at once. */
async function openBook(service: RunningService, count: number): Promise<{ opened: number; refused: string[] }> {
  await service.loop.pause();
  const book = open(service, count);
  await service.session.refreshFromBroker();
  service.loop.resume();
  return book;
}

/**
 * Keeps the book at `count` positions: DTMS defends every position, and positions of one symbol and
 * side, opened together, are defended together (their stops tightened, half closed, hedged, closed).
 * Every half second the ones gone are opened again at the paper account, as a trader would; the
 * session manages them from its next step. Returns how many were opened again, when stopped.
 */
function holdBook(service: RunningService, count: number): () => number {
  let reopened = 0;
  const timer = setInterval(() => {
    const missing = count - traderPositions(service);
    if (missing > 0) reopened += open(service, missing).opened;
  }, 500);
  return () => {
    clearInterval(timer);
    return reopened;
  };
}

/** Times every step of the session (the bench's own wrapper: what a step costs, readers or not). */
function stepTimer(service: RunningService) {
  const session = service.session;
  const onBar = session.onBar.bind(session);
  let total = 0;
  let steps = 0;
  session.onBar = (symbol, bar) => {
    const t0 = performance.now();
    const p = onBar(symbol, bar);
    void p.finally(() => {
      total += performance.now() - t0;
      steps++;
    }).catch(() => undefined);
    return p;
  };
  return {
    reset() {
      total = 0;
      steps = 0;
    },
    get meanMs() {
      return steps > 0 ? total / steps : Number.NaN;
    },
  };
}

interface Window {
  bars: number;
  seconds: number;
  barsPerSecond: number;
  stepMs: number;
  /** Open positions managed at the start and the end. */
  positions: [number, number];
}

/** The loop's pace over `seconds`: bars played, step time, open positions at both ends. */
async function window(service: RunningService, timer: ReturnType<typeof stepTimer>, seconds: number): Promise<Window> {
  const p0 = service.session.engine.openPositions;
  timer.reset();
  const b0 = service.loop.played;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const bars = service.loop.played - b0;
  const elapsed = (performance.now() - t0) / 1000;
  return { bars, seconds: elapsed, barsPerSecond: bars / elapsed, stepMs: timer.meanMs, positions: [p0, service.session.engine.openPositions] };
}

interface Cannon {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}

/** autocannon in a second process: `paths` requested in turn on each connection. Asynchronous: this process serves meanwhile. */
async function cannon(url: string, paths: string[], connections: number, seconds: number): Promise<Cannon> {
  const script = `
    const autocannon = require(${JSON.stringify(AUTOCANNON)});
    const o = JSON.parse(process.argv[1]);
    autocannon({ url: o.url, connections: o.connections, duration: o.seconds, timeout: 30, requests: o.paths.map((p) => ({ method: 'GET', path: p })) }, (err, r) => {
      if (err) { console.error(err); process.exit(1); }
      process.stdout.write(JSON.stringify(r));
    });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, JSON.stringify({ url, paths, connections, seconds })], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as Cannon;
}

const statuses = (r: Cannon) =>
  Object.entries(r.statusCodeStats ?? {})
    .map(([code, s]) => `${code}: ${s.count}`)
    .join(', ');

function describeCannon(r: Cannon): string {
  return `${fmt(r.requests.average, 0)} requests/s (${r.requests.total} in all, ${fmt(r.throughput.average / 1e6, 1)} MB/s), latency p50 ${fmt(r.latency.p50)} ms, p99 ${fmt(r.latency.p99)} ms, max ${fmt(r.latency.max)} ms; non-2xx ${r.non2xx}, errors ${r.errors} (timeouts ${r.timeouts}); statuses ${statuses(r) || 'none'}`;
}

// ---- 1. GET /api/dtms/trade/{ticket} ------------------------------------------------------------------

async function tradeFigure(): Promise<void> {
  const store = openSqliteStore(path.join(dir, 'trade.db'), { now: MARKET_NOW });
  // A live pace (2 bars a second over three symbols): the API answers while the engine works.
  const service = await start(store, 2);
  try {
    const book = await openBook(service, POSITIONS);
    const managed = service.session.engine.openPositions;
    const ticket = service.session.engine.plan(service.session.engine.positionIds()[0]!)!.ticket;
    const r = await cannon(service.url, [`/api/dtms/trade/${ticket}`], CONNECTIONS, SECONDS);
    const after = service.session.engine.openPositions;
    console.log(`api: GET /api/dtms/trade/{ticket}, ${CONNECTIONS} connections for ${SECONDS} s from a second process (autocannon), the market playing at 2 bars/s:`);
    console.log(`  positions: ${book.opened} of ${POSITIONS} opened${book.refused.length > 0 ? ` (refused: ${book.refused.slice(0, 3).join('; ')})` : ''}, ${managed} managed at the start, ${after} at the end; ticket ${ticket} ${service.session.managedKey(ticket) === undefined ? 'CLOSED during the run' : 'open throughout'}`);
    console.log(`  ${describeCannon(r)} (target p99 < 10 ms)`);
  } finally {
    await service.stop();
    store.close();
  }
}

// ---- 2. The engine's pace under reads -----------------------------------------------------------------

const RULES: { rule: ExitRule; share: number; outcome: DecisionOutcome; reason: DecisionReason }[] = [
  { rule: 'trail', share: 0.4, outcome: 'skip', reason: 'below_min_change' },
  { rule: 'breakeven', share: 0.15, outcome: 'wait', reason: 'trigger_not_reached' },
  { rule: 'partial', share: 0.1, outcome: 'wait', reason: 'trigger_not_reached' },
  { rule: 'triggers', share: 0.1, outcome: 'info', reason: 'triggers_refreshed' },
  { rule: 'dtms', share: 0.15, outcome: 'info', reason: 'dtms_transition' },
  { rule: 'classify', share: 0.05, outcome: 'info', reason: 'classified' },
  { rule: 'lifetime', share: 0.05, outcome: 'info', reason: 'lifetime_started' },
];

/** `count` decisions, half of them of the open positions' lifetimes and half of 5,000 closed ones, a second apart, rules in a live journal's shares. */
function storeDecisions(store: WardenStore, keys: readonly string[], count: number): void {
  const cumulative = RULES.map((_, i) => RULES.slice(0, i + 1).reduce((s, r) => s + r.share, 0));
  store.transaction(() => {
    for (let i = 0; i < count; i++) {
      const u = ((i * 7919) % 1000) / 1000;
      const kind = RULES[cumulative.findIndex((c) => u < c)] ?? RULES[0]!;
      const r = newDecisionRecord();
      r.time = MARKET_NOW - (count - i) * 1000;
      r.positionId = i % 2 === 0 ? keys[i % keys.length]! : `${9_000_000 + (i % 5000)}#1`;
      r.symbol = 'XAUUSDc';
      r.rule = kind.rule;
      r.outcome = kind.outcome;
      r.reason = kind.reason;
      r.changed = true;
      r.price = 2400 + (i % 100) / 10;
      r.atr = 1.5;
      r.newSl = 2390 + (i % 50) / 10;
      if (kind.rule === 'dtms') {
        r.dtmsFrom = 'HEALTHY';
        r.dtmsState = 'WARNING_L1';
        r.score = -2.5;
        r.note = 'HEALTHY -> WARNING_L1: score -2.5 (structure -1, vwap -1, momentum -0.5); regime LONDON/normal/trend';
      }
      store.appendDecision(r);
    }
  });
}

async function paceFigure(): Promise<void> {
  const file = path.join(dir, 'pace.db');
  let store = openSqliteStore(file, { now: MARKET_NOW });
  // Set up: the book opened, then the engine's step time measured with it, at a pace it holds easily:
  // its own pace is a bar per step time.
  let service = await start(store, 4);
  const book = await openBook(service, POSITIONS);
  const holding = holdBook(service, POSITIONS);
  // The first steps adopt the new positions (classification, triggers): settled before measuring.
  await sleep(3000);
  const calibration = stepTimer(service);
  await sleep(8000);
  const capacity = 1000 / calibration.meanMs;
  holding();
  const keys = service.session.engine.positionIds();
  await service.stop();
  store.close();
  // The journal written straight into the store before the measured service starts.
  store = openSqliteStore(file, { now: MARKET_NOW });
  const t0 = performance.now();
  storeDecisions(store, keys, DECISIONS);
  const writeSeconds = (performance.now() - t0) / 1000;
  const speed = SPEED ?? Math.max(1, Math.floor(capacity * PACE));
  service = await start(store, speed);
  try {
    const timer = stepTimer(service);
    const stopHolding = holdBook(service, POSITIONS);
    await sleep(2000);
    const flat = await window(service, timer, SECONDS);
    const tickets = service.session.engine.positionIds().map((k) => service.session.engine.plan(k)!.ticket);
    const middle = [...tickets].sort((a, b) => Number(a) - Number(b))[Math.floor(tickets.length / 2)]!;
    const paths = [
      '/api/positions',
      `/api/positions?limit=100&after=${middle}`,
      '/api/dtms/actions?limit=100',
      '/api/decisions/recent',
      ...[0, 1, 2, 3, 4].map((i) => `/api/positions/${tickets[(i * 197) % tickets.length]}/decisions`),
    ];
    // The readers start, then the window opens a second later and closes before they stop.
    const reading = cannon(service.url, paths, READERS, SECONDS + 3);
    await sleep(1000);
    const read = await window(service, timer, SECONDS);
    const r = await reading;
    const reopened = stopHolding();
    const journal = store.lastDecisionSeq();
    console.log(
      `api: the engine's pace under reads: ${flat.positions[0]} open positions (${book.opened} of ${POSITIONS} opened${book.refused.length > 0 ? `, refused: ${book.refused.slice(0, 3).join('; ')}` : ''}), ${DECISIONS.toLocaleString('en-US')} decisions stored before the start (written in ${fmt(writeSeconds, 1)} s; ${journal.toLocaleString('en-US')} in the journal at the end)`,
    );
    console.log(`  the engine's own pace: ${fmt(calibration.meanMs, 1)} ms a step, ${fmt(capacity, 1)} bars/s; the market played at ${speed} bars/s${SPEED === null ? ` (${Math.round(PACE * 100)}% of that)` : ''}; the book held at ${POSITIONS} at the paper account (${reopened} opened again after DTMS closed them)`);
    console.log(`  no readers:  ${fmt(flat.barsPerSecond, 2)} bars/s (${flat.bars} bars in ${fmt(flat.seconds, 1)} s, ${fmt(flat.stepMs, 1)} ms a step), positions managed ${flat.positions[0]} -> ${flat.positions[1]}`);
    console.log(`  ${READERS} readers: ${fmt(read.barsPerSecond, 2)} bars/s (${read.bars} bars in ${fmt(read.seconds, 1)} s, ${fmt(read.stepMs, 1)} ms a step), positions managed ${read.positions[0]} -> ${read.positions[1]} (DTMS re-adds included)`);
    console.log(`  ratio ${fmt(read.barsPerSecond / flat.barsPerSecond, 3)} (target 0.90 to 1.10)`);
    console.log(`  the readers (${paths.length} paths in turn on each connection: ${paths.join(' ')}):`);
    console.log(`  ${describeCannon(r)}`);
  } finally {
    await service.stop();
    store.close();
  }
}

try {
  await tradeFigure();
  await paceFigure();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
