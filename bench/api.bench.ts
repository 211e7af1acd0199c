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
// one symbol and side, opened together, are closed together; after every step the ones gone are
// opened again, as a trader would, and the session takes them before its next step. The account is
// funded for a book of that size and the stops are far, so DTMS works as it would on such an account
// (see PAPER_BALANCE and STOP_DISTANCE) and few positions close while a figure is measured.
// Every figure says what it ran on: positions opened and refused, managed at the start and end of each
// window (and the fewest after any step in it), answers that were not 2xx, by status, with their
// share; a line beginning WARNING says when a figure did not run on the full book or not every answer
// was a 2xx. A benchmark, not a test: it prints figures and asserts nothing.
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
/**
 * The paper account's money. The book is about 14 million USD of positions (1,000 of 10 minimum lots
 * across gold, EURUSD and bitcoin); on the default 10,000 USD the first group DTMS closes at a loss is
 * tens of % of the balance, past DTMS's daily and hourly loss rails, and from then on it opens no
 * hedge and re-adds nothing: the engine the figures measured was no longer the one an account of this
 * size runs. The paper account keeps no margin, so the balance never refuses an open.
 */
const PAPER_BALANCE = 100_000_000;
/**
 * The opened positions' stop distance, a share of the entry. DTMS tightens a warned position's stop to
 * a share of this distance (0.3 R) behind the price and halves what stays against it: at 5% a whole
 * group (the 167 bitcoin buys) was stopped out on its tightened stop after some 400 bars, within one
 * run of the pace figure on a quick machine. Farther, fewer close while a figure is measured (and
 * those that do are opened again).
 */
const STOP_DISTANCE = 0.2;
// The rate limit stays on (its cost is part of the figures), high enough not to refuse the benchmark.
const serviceConfig = (speed: number) =>
  configSchema.parse({
    service: { port: 0, rateLimitPerMinute: 1_000_000, market: { speed, demoPositions: 0 } },
    broker: { paper: { balance: PAPER_BALANCE, currency: 'USD' } },
  });
// autocannon keeps sending on a connection whose last answer said `connection: close` (the server's cap
// of requests per keep-alive connection, MAX_REQUESTS_PER_SOCKET): Node then answers 503 to every further
// request on it, and the figures would be of those (a browser or undici opens a new connection instead).
// The bench lifts the cap (0: none) to measure the API itself.
const start = (store: WardenStore, speed: number) =>
  startService({
    config: serviceConfig(speed),
    store,
    log,
    version: 'bench',
    token,
    tokenFile: path.join(dir, 'token'),
    env: {},
    now: MARKET_NOW,
    maxRequestsPerSocket: 0,
  });

let requests = 0;

/** Opens `count` positions by hand across the symbols at the current quotes, stops STOP_DISTANCE away and no targets. */
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
    const sl = roundStop(
      buy ? 'buy' : 'sell',
      buy ? entry * (1 - STOP_DISTANCE) : entry * (1 + STOP_DISTANCE),
      inst.tickSize,
    );
    const a = broker.open({
      requestId: `bench:${n}`,
      side: buy ? 'buy' : 'sell',
      volume: inst.minLot * 10,
      sl,
      tp: null,
      comment: '',
      exempt: true,
    });
    if (a.outcome === 'applied') opened++;
    else refused.push(`${symbol}: ${a.reason}`);
  }
  return { opened, refused };
}

/** DTMS's own positions (hedges, re-adds) carry this comment prefix. */
const isDtms = (comment: string) => comment.startsWith('DTMS_');

/** The trader's positions open at the paper account (DTMS's hedges and re-adds left out). */
function traderPositions(service: RunningService): number {
  let n = 0;
  for (const symbol of serviceConfig(1).service.market.symbols)
    n += service
      .paper!.broker(symbol)
      .positions()
      .filter((p) => !isDtms(p.comment)).length;
  return n;
}

/** The positions the session manages now: the trader's, and DTMS's re-adds (managed as positions too). */
function managed(service: RunningService): { trader: number; dtms: number } {
  const engine = service.session.engine;
  let dtms = 0;
  for (const id of engine.positionIds()) if (isDtms(engine.position(id)?.comment ?? '')) dtms++;
  return { trader: engine.openPositions - dtms, dtms };
}

/** Opens the book, managed at once. */
async function openBook(service: RunningService, count: number): Promise<{ opened: number; refused: string[] }> {
  await service.loop.pause();
  const book = open(service, count);
  await service.session.refreshFromBroker();
  service.loop.resume();
  return book;
}

interface Holder {
  /** Opens what is missing now and waits until the session manages it (a window's start). */
  topUp(): Promise<void>;
  /** Starts counting a window: the fewest trader's positions managed before any step from now (after the re-opens). */
  mark(): void;
  readonly fewest: number;
  readonly reopened: number;
  /** Refusals met re-opening (the first few, and how many in all). */
  readonly refused: string[];
  readonly refusedCount: number;
  stop(): void;
}

/**
 * Keeps the book at `count` positions: DTMS defends every position, and positions of one symbol and
 * side, opened together, are defended together (their stops tightened, half closed, hedged, closed).
 * After every step the ones gone are opened again at the paper account, as a trader would, and the
 * session is asked to take them at once (a registration between two steps, as the API's POST
 * /api/trades does): the book is whole again before the next step, not half a second later.
 */
function holdBook(service: RunningService, count: number): Holder {
  const session = service.session;
  const onBar = session.onBar.bind(session);
  let reopened = 0;
  let fewest = Number.POSITIVE_INFINITY;
  let stopped = false;
  const refused: string[] = [];
  let refusedCount = 0;
  const refill = async (): Promise<void> => {
    const missing = count - traderPositions(service);
    if (missing > 0) {
      const r = open(service, missing);
      reopened += r.opened;
      refusedCount += r.refused.length;
      for (const why of r.refused) if (refused.length < 3 && !refused.includes(why)) refused.push(why);
      if (r.opened > 0) await session.refreshFromBroker();
    }
  };
  session.onBar = (symbol, bar) => {
    const p = onBar(symbol, bar);
    if (!stopped) {
      void p
        .then(refill)
        .then(() => {
          fewest = Math.min(fewest, managed(service).trader);
        })
        .catch(() => undefined);
    }
    return p;
  };
  return {
    topUp: refill,
    mark() {
      fewest = managed(service).trader;
    },
    get fewest() {
      return fewest;
    },
    get reopened() {
      return reopened;
    },
    get refused() {
      return refused;
    },
    get refusedCount() {
      return refusedCount;
    },
    stop() {
      stopped = true;
    },
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
    void p
      .finally(() => {
        total += performance.now() - t0;
        steps++;
      })
      .catch(() => undefined);
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

interface Held {
  /** The trader's positions managed at the start and the end, and the fewest any step between began with. */
  positions: [number, number];
  fewest: number;
  /** DTMS's re-adds managed at the end (positions too, on top of the trader's). */
  reAdds: number;
}

interface Window extends Held {
  bars: number;
  seconds: number;
  barsPerSecond: number;
  stepMs: number;
}

/** Runs `measure` on the whole book: topped up and managed at the start, counted at the end. */
async function onBook<T>(service: RunningService, holder: Holder, measure: () => Promise<T>): Promise<T & Held> {
  await holder.topUp();
  holder.mark();
  const p0 = managed(service).trader;
  const result = await measure();
  const end = managed(service);
  return { ...result, positions: [p0, end.trader], fewest: Math.min(holder.fewest, end.trader), reAdds: end.dtms };
}

/** The loop's pace over `seconds`: bars played, step time, positions managed. */
function window(
  service: RunningService,
  holder: Holder,
  timer: ReturnType<typeof stepTimer>,
  seconds: number,
): Promise<Window> {
  return onBook(service, holder, async () => {
    timer.reset();
    const b0 = service.loop.played;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const bars = service.loop.played - b0;
    const elapsed = (performance.now() - t0) / 1000;
    return { bars, seconds: elapsed, barsPerSecond: bars / elapsed, stepMs: timer.meanMs };
  });
}

/** How a figure's book went, and a WARNING line when it was not the whole book throughout. */
function describeHeld(h: Held, count: number, holder: Holder): string[] {
  const lines = [
    `positions managed ${h.positions[0]} -> ${h.positions[1]} (fewest before a step: ${h.fewest}${h.reAdds > 0 ? `; and ${h.reAdds} DTMS re-adds` : ''})`,
  ];
  if (h.positions[0] !== count || h.positions[1] !== count || h.fewest < count) {
    const why =
      holder.refusedCount > 0
        ? `the paper account refused ${holder.refusedCount} re-opens (${holder.refused.join('; ')})`
        : h.positions[0] !== count
          ? 'the session did not take every position opened'
          : 'positions closed in a step and the figure ended before the session took their replacements';
    lines.push(
      `WARNING: not the whole book of ${count} throughout: ${h.positions[0]} at the start, ${h.positions[1]} at the end, ${h.fewest} at the fewest: ${why}`,
    );
  }
  return lines;
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
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-e', script, JSON.stringify({ url, paths, connections, seconds })],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  return JSON.parse(stdout) as Cannon;
}

/** Answers by status: the 2xx ones, then the others, each with its count and share of all answers. */
function answers(r: Cannon): { total: number; ok: number; others: { code: string; count: number }[] } {
  const all = Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => ({ code, count: s.count }));
  const total = all.reduce((n, a) => n + a.count, 0);
  const ok = all.filter((a) => a.code.startsWith('2')).reduce((n, a) => n + a.count, 0);
  return { total, ok, others: all.filter((a) => !a.code.startsWith('2')).sort((a, b) => b.count - a.count) };
}

const pct = (part: number, whole: number) => `${fmt(whole > 0 ? (part / whole) * 100 : 0, 1)}%`;

/** The figure and its answers; a WARNING line when some were not 2xx or failed (the figure then counts them too). */
function describeCannon(r: Cannon, target = ''): string[] {
  const a = answers(r);
  const non2xx = a.total - a.ok;
  const byStatus = a.others.map((o) => `${o.code}: ${o.count} (${pct(o.count, a.total)})`).join(', ');
  const lines = [
    `${fmt(r.requests.average, 0)} requests/s (${r.requests.total} in all, ${fmt(r.throughput.average / 1e6, 1)} MB/s), latency p50 ${fmt(r.latency.p50)} ms, p99 ${fmt(r.latency.p99)} ms, max ${fmt(r.latency.max)} ms${target}`,
    `answers: ${a.ok} of ${a.total} 2xx (${pct(a.ok, a.total)}); non-2xx ${non2xx} (${pct(non2xx, a.total)})${byStatus === '' ? '' : `: ${byStatus}`}; errors ${r.errors} (timeouts ${r.timeouts})`,
  ];
  if (non2xx > 0 || r.errors > 0)
    lines.push(
      `WARNING: ${non2xx} answers were not 2xx (${byStatus}) and ${r.errors} requests failed: the requests/s and latency above count them too`,
    );
  return lines;
}

// ---- 1. GET /api/dtms/trade/{ticket} ------------------------------------------------------------------

async function tradeFigure(): Promise<void> {
  const store = openSqliteStore(path.join(dir, 'trade.db'), { now: MARKET_NOW });
  // A live pace (2 bars a second over three symbols): the API answers while the engine works.
  const service = await start(store, 2);
  try {
    const book = await openBook(service, POSITIONS);
    const holder = holdBook(service, POSITIONS);
    const ticket = service.session.engine.plan(service.session.engine.positionIds()[0]!)!.ticket;
    const r = await onBook(service, holder, () =>
      cannon(service.url, [`/api/dtms/trade/${ticket}`], CONNECTIONS, SECONDS),
    );
    holder.stop();
    const closed = service.session.managedKey(ticket) === undefined;
    console.log(
      `api: GET /api/dtms/trade/{ticket}, ${CONNECTIONS} connections for ${SECONDS} s from a second process (autocannon), the market playing at 2 bars/s:`,
    );
    console.log(
      `  positions: ${book.opened} of ${POSITIONS} opened${book.refused.length > 0 ? ` (refused: ${book.refused.slice(0, 3).join('; ')})` : ''}, ${holder.reopened} opened again; ${describeHeld(r, POSITIONS, holder).join('\n  ')}`,
    );
    console.log(
      `  ticket ${ticket} ${closed ? 'CLOSED during the run (the answers after it are 404s)' : 'open throughout'}`,
    );
    console.log(`  ${describeCannon(r, ' (target p99 < 10 ms)').join('\n  ')}`);
    if (closed) console.log(`  WARNING: the ticket read closed during the run: the figure is partly of 404s`);
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
  const calibrationHolder = holdBook(service, POSITIONS);
  // The first steps adopt the new positions (classification, triggers): settled before measuring.
  await sleep(3000);
  const calibration = stepTimer(service);
  const calibrated = await onBook(service, calibrationHolder, async () => {
    calibration.reset();
    await sleep(8000);
    return {};
  });
  const capacity = 1000 / calibration.meanMs;
  calibrationHolder.stop();
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
    const holder = holdBook(service, POSITIONS);
    await sleep(2000);
    const flat = await window(service, holder, timer, SECONDS);
    // The per-ticket reads are of positions with decisions in the stored journal: one that closes
    // meanwhile still has them (200), where one opened since and closed would have none (404).
    const stored = new Set(keys);
    const open = service.session.engine.positionIds();
    const withJournal = open.filter((k) => stored.has(k));
    const tickets = (withJournal.length > 0 ? withJournal : open).map((k) => service.session.engine.plan(k)!.ticket);
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
    const read = await window(service, holder, timer, SECONDS);
    const r = await reading;
    holder.stop();
    const journal = store.lastDecisionSeq();
    console.log(
      `api: the engine's pace under reads: ${flat.positions[0]} open positions (${book.opened} of ${POSITIONS} opened${book.refused.length > 0 ? `, refused: ${book.refused.slice(0, 3).join('; ')}` : ''}), ${DECISIONS.toLocaleString('en-US')} decisions stored before the start (written in ${fmt(writeSeconds, 1)} s; ${journal.toLocaleString('en-US')} in the journal at the end)`,
    );
    console.log(
      `  the engine's own pace: ${fmt(calibration.meanMs, 1)} ms a step, ${fmt(capacity, 1)} bars/s (${describeHeld(calibrated, POSITIONS, calibrationHolder).join('\n  ')}); the market played at ${speed} bars/s${SPEED === null ? ` (${Math.round(PACE * 100)}% of that)` : ''}; the book held at ${POSITIONS} at the paper account (${calibrationHolder.reopened + holder.reopened} opened again after DTMS closed them)`,
    );
    console.log(
      `  no readers:  ${fmt(flat.barsPerSecond, 2)} bars/s (${flat.bars} bars in ${fmt(flat.seconds, 1)} s, ${fmt(flat.stepMs, 1)} ms a step), ${describeHeld(flat, POSITIONS, holder).join('\n  ')}`,
    );
    console.log(
      `  ${READERS} readers: ${fmt(read.barsPerSecond, 2)} bars/s (${read.bars} bars in ${fmt(read.seconds, 1)} s, ${fmt(read.stepMs, 1)} ms a step), ${describeHeld(read, POSITIONS, holder).join('\n  ')}`,
    );
    console.log(`  ratio ${fmt(read.barsPerSecond / flat.barsPerSecond, 3)} (target 0.90 to 1.10)`);
    console.log(`  the readers (${paths.length} paths in turn on each connection: ${paths.join(' ')}):`);
    console.log(`  ${describeCannon(r).join('\n  ')}`);
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
