// The live soak: `warden serve` in a child process on a real store file, driving the real adapter (ccxt
// over the fake Binance API, or MetaApi over the fake SDK connection) whose venue lives here, in the
// driver; real M1 bars played a bar at a time as fast as Warden steps; a trader opening, closing and
// reopening positions by hand; SIGKILLs at chosen moments, each followed by a restart on the same
// store; and a share of the venue's write requests failing. After every step the checks of
// soakChecks.ts run, and the venue's audit checks every change as it happens.
//
// One bar is one step: the bar plays at the venue (its stops and targets fill where the price reached
// them), closes there, the trader has a turn, then the driver waits for the child's server-sent `step`
// event for it (the bar feed polls the venue every `pollSec`), and checks. A child killed during the
// step is started again at once; the bar it was on is then history, and the next bar is the settling
// step. Nothing here reads the wall clock: the venue's clock is the bars', and the child's follows it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bar } from '../../src/domain/types.ts';
import type { SqliteStore } from '../../src/store/sqliteStore.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { SoakChecks } from './soakChecks.ts';
import { BinanceSoakVenue, MetaApiSoakVenue, clockAfter, type SoakVenue } from './soakVenues.ts';
import { KILL_KINDS, ServeProcess, type ArmedKill, type KillKind } from './serveProcess.ts';
import { DEFAULT_TRADER, rng, Trader, type TraderFigures } from './trader.ts';
import { VenueAudit, type Violation } from './venueAudit.ts';

export interface SoakOptions {
  venue: 'binance' | 'metaapi';
  /** The bars: the first `historyBars` are the venue's history at the first start, then `playBars` are played. */
  bars: readonly Bar[];
  historyBars: number;
  playBars: number;
  kills: number;
  /** The kinds of kill, in turn (default: all of them). */
  killKinds?: readonly KillKind[];
  /** Share of the venue's write requests that fail (0.1: 10%). */
  faultRate: number;
  seed: number;
  /** A directory for the store and the config file. */
  dir: string;
  /** The child's bar feed poll, seconds. */
  pollSec?: number;
  /** Stop at the first violation (the test), or play on and count them (the script). */
  stopOnViolation?: boolean;
  /** Progress lines (the script prints them). */
  progress?: (line: string) => void;
  /** The child's warnings, line by line. */
  onChildLog?: (line: string) => void;
  /** Config sections beside the soak's own (e.g. `exits`, `dtms`), as a trader's file would have them. */
  configExtra?: Record<string, unknown>;
}

export interface SoakFigures {
  venue: string;
  barsPlayed: number;
  /** Market time the played bars cover: minutes of bars, and the span from the first to the last close. */
  marketMinutes: number;
  marketSpanMs: number;
  from: string;
  to: string;
  /** Steps Warden finished (a step cut short by a kill is not one). */
  steps: number;
  kills: Record<string, number>;
  killsTotal: number;
  restarts: number;
  requests: number;
  writes: number;
  faults: Record<string, number>;
  faultsTotal: number;
  intents: {
    journaled: number;
    byKind: Record<string, number>;
    applied: number;
    rejected: number;
    /** Settled from the venue's positions: after an unknown answer, at a start (after a kill), as the position left. */
    reconciled: { afterUnknown: number; atStart: number; asPositionLeft: number; other: number };
    /** Of those, found applied (the request had gone through). */
    reconciledApplied: number;
    stillOpen: number;
  };
  lifetimes: { total: number; reusedTicket: number; venuePositions: number };
  trader: TraderFigures;
  /** Stops and targets the market reached at the venue. */
  exitsFilled: number;
  checks: Record<string, number>;
  checksTotal: number;
  violations: Violation[];
  /** How the child stopped at the end (SIGTERM, as Ctrl-C). */
  cleanStopExitCode: number | null;
}

export class SoakFailure extends Error {
  constructor(
    message: string,
    readonly figures: SoakFigures,
  ) {
    super(message);
    this.name = 'SoakFailure';
  }
}

function makeVenue(kind: SoakOptions['venue']): SoakVenue {
  return kind === 'binance' ? new BinanceSoakVenue() : new MetaApiSoakVenue();
}

/** A planned kill: at a step (the kinds that wait for their moment are armed there), or during the start after the kill before it. */
export interface PlannedKill {
  step: number;
  kind: KillKind;
}

/**
 * When the kills come and how: every kind in turn (shuffled), one in each of `kills` equal stretches of
 * the run after the first few steps, at a random step of it; seeded. A kill during the start happens at
 * the start that follows the kill before it (or at the first start).
 */
export function killPlan(
  kills: number,
  steps: number,
  random: () => number,
  only: readonly KillKind[] = KILL_KINDS,
): PlannedKill[] {
  if (kills <= 0 || only.length === 0) return [];
  const kinds: KillKind[] = [];
  while (kinds.length < kills) kinds.push(...only);
  kinds.length = kills;
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const first = Math.min(5, steps - 1);
  const stretch = (steps - first) / kills;
  return kinds.map((kind, k) => ({
    kind,
    step: Math.min(steps - 1, first + Math.floor(k * stretch + random() * Math.max(1, stretch - 1))),
  }));
}

export async function runSoak(o: SoakOptions): Promise<SoakFigures> {
  mkdirSync(o.dir, { recursive: true });
  const random = rng(o.seed);
  const venue = makeVenue(o.venue);
  const audit = new VenueAudit(() => venue.positions());
  const trader = new Trader(venue, audit, o.seed * 7919 + 1, DEFAULT_TRADER);
  const store = join(o.dir, `${o.venue}.db`);
  const config = join(o.dir, `${o.venue}.json`);
  writeFileSync(
    config,
    JSON.stringify(
      {
        service: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 1_000_000 },
        // Bars only (quoteSec 0): the driver checks the venue after each bar's step, and a quote step on the
        // wall clock's cadence would run between its checks (an intent of a quote step in flight when a bar's
        // check looks). Quote steps have their own tests.
        broker: {
          kind: o.venue === 'binance' ? 'ccxt' : 'metaapi',
          symbols: [venue.symbol],
          pollSec: o.pollSec ?? 0.02,
          quoteSec: 0,
          historyBars: o.historyBars,
        },
        // Played fast: a venue's retry-after and the backoff are waited in full but capped at 20 ms of the
        // driver's time (the venue's clock stands still meanwhile, so no market time passes anyway).
        execution: { retryBaseMs: 5, rateLimitWaitMs: 10, retryMaxWaitMs: 20 },
        ...o.configExtra,
        // The venue's history is the soak's first bars (a day), too short for the H1 features: on a real
        // account a gate without data would hold every trail. The soak is about crashes and faults, so
        // missing data passes as on paper, and DTMS may open hedges and re-adds (a trader's opt-in), as
        // the original's real accounts did: the opens are what a kill mid-request tests hardest.
        exits: { noDataPasses: true, ...(o.configExtra?.exits as Record<string, unknown> | undefined) },
        dtms: {
          ...(o.configExtra?.dtms as Record<string, unknown> | undefined),
          actions: {
            openPositions: true,
            ...(o.configExtra?.dtms as { actions?: Record<string, unknown> } | undefined)?.actions,
          },
        },
      },
      null,
      2,
    ),
  );
  const history = o.bars.slice(0, o.historyBars);
  const played = o.bars.slice(o.historyBars, o.historyBars + o.playBars);
  if (history.length < o.historyBars || played.length === 0)
    throw new Error(`the soak needs ${o.historyBars} history bars and some to play; it has ${o.bars.length}`);
  venue.loadHistory(history);
  audit.now = venue.now;
  audit.observe({ by: 'market', what: 'history loaded' });
  // A position the trader opened before Warden ever started: adopted at the first start.
  trader.act(o.historyBars - 1, history.slice(-60));

  const proc = new ServeProcess({
    venue,
    audit,
    store,
    config,
    faultRate: o.faultRate,
    random,
    ...(o.onChildLog ? { onLog: o.onChildLog } : {}),
  });
  const checks = new SoakChecks(venue, audit, store, proc.applied);
  const plan = killPlan(o.kills, played.length, random, o.killKinds);
  let exitsFilled = 0;
  let armedAt = -1;
  let violationsSeen = 0;
  const figures = (): SoakFigures => summarise(o, venue, audit, proc, checks, trader, played, exitsFilled, store);
  const stopIfBroken = () => {
    if (o.stopOnViolation && audit.violations.length > violationsSeen) {
      const v = audit.violations.slice(violationsSeen);
      throw new SoakFailure(
        `the soak on ${o.venue} broke at step ${audit.step} (bar ${new Date(played[Math.max(0, audit.step - 1)]!.time).toISOString()}):\n${v.map((x) => `[${x.check}] ${x.message}`).join('\n')}\n${proc.tail()}`,
        figures(),
      );
    }
    violationsSeen = audit.violations.length;
  };
  /** Starts the child; a kill planned during the start happens there, and it is started again. */
  const startChild = async (): Promise<void> => {
    for (;;) {
      if (plan[0]?.kind === 'during_start') {
        plan.shift();
        proc.armed = { kind: 'during_start', at: 1 + Math.floor(random() * 3) } satisfies ArmedKill;
      }
      const r = await proc.start();
      if (proc.armed?.kind === 'during_start')
        throw new Error('a kill planned during the start found the start over before its moment: plan it earlier');
      if (r === 'ready') return;
    }
  };

  /**
   * Runs checks that talk to the child's API. The child works in the background too (the closed trades
   * recorder reads the venue's history after a step), so an armed kill can meet one of those requests
   * while the checks' own request is under way: the kill is real and the request fails with it. Then
   * the child is started again and checked as after any kill; a failure with no kill is a failure.
   */
  const checkOrRestart = async (check: () => Promise<void>): Promise<void> => {
    const killsBefore = proc.killCount;
    try {
      await check();
    } catch (err) {
      if (proc.killCount === killsBefore) throw err;
      await proc.gone();
      await restartAndCheck();
    }
  };
  const restartAndCheck = async (): Promise<void> => {
    await startChild();
    await checkOrRestart(() => checks.afterStart(proc.url));
  };

  try {
    await startChild();
    for (let i = 0; i < played.length; i++) {
      const bar = played[i]!;
      const at = o.historyBars + i;
      audit.step = i + 1;
      const before = proc.steps;
      // The bar plays and closes at the venue, then the trader's turn: all before the child's next look.
      const exits = venue.playBar(bar);
      audit.now = venue.now;
      exitsFilled += exits.length;
      audit.observe({
        by: 'market',
        what: exits.length > 0 ? exits.join('; ') : `bar ${new Date(bar.time).toISOString()}`,
      });
      trader.act(at, o.bars.slice(Math.max(0, at - 59), at + 1));
      let killAfter = false;
      if (proc.armed === null && plan[0] !== undefined && plan[0].kind !== 'during_start' && plan[0].step <= i) {
        const { kind } = plan.shift()!;
        if (kind === 'before_write' || kind === 'after_write') proc.armed = { kind };
        else if (kind === 'mid_step') proc.armed = { kind, at: 1 + Math.floor(random() * 3) };
        else killAfter = true;
        armedAt = i;
      }
      proc.barClosed();
      if (venue.now !== clockAfter(bar)) throw new Error('the venue clock is not a second past the bar');
      const r = await proc.stepAfter(before);
      if (r === 'killed') await restartAndCheck();
      else await checkOrRestart(() => checks.afterStep(proc.url));
      stopIfBroken();
      if (proc.armed === null) armedAt = -1;
      // A kill at a write waits for one; after a long stretch without any, it happens in the next step.
      if (proc.armed !== null && armedAt >= 0 && i - armedAt >= 200 && proc.armed.kind !== 'mid_step') {
        proc.armed = { kind: 'mid_step', at: 1, instead: proc.armed.kind };
      }
      if (killAfter) {
        await proc.kill('between_steps');
        armedAt = -1;
        await restartAndCheck();
      }
      if (o.progress && (i + 1) % 500 === 0)
        o.progress(
          `${o.venue}: ${i + 1}/${played.length} bars, ${proc.steps} steps, ${Object.values(proc.kills).reduce((a, b) => a + b, 0)} kills, ${audit.violations.length} violations`,
        );
    }
    // The end: Warden stops as Ctrl-C stops it, and what it left must be settled.
    const code = await proc.stop();
    checks.settled();
    stopIfBroken();
    const f = figures();
    f.cleanStopExitCode = code;
    return f;
  } finally {
    if (proc.child) await proc.kill('cleanup');
    checks.close();
  }
}

function summarise(
  o: SoakOptions,
  venue: SoakVenue,
  audit: VenueAudit,
  proc: ServeProcess,
  checks: SoakChecks,
  trader: Trader,
  played: readonly Bar[],
  exitsFilled: number,
  storeFile: string,
): SoakFigures {
  const rows = [...checks.journal.values()];
  const byKind: Record<string, number> = {};
  for (const r of rows)
    byKind[`${r.intent.kind}:${r.intent.rule}`] = (byKind[`${r.intent.kind}:${r.intent.rule}`] ?? 0) + 1;
  const reconciled = { afterUnknown: 0, atStart: 0, asPositionLeft: 0, other: 0 };
  let reconciledApplied = 0;
  for (const r of rows) {
    if (!r.reason.startsWith('reconciled')) continue;
    if (r.reason.startsWith('reconciled after an unknown answer')) reconciled.afterUnknown++;
    else if (r.reason.startsWith('reconciled at start')) reconciled.atStart++;
    else if (r.reason.startsWith('reconciled as the position left')) reconciled.asPositionLeft++;
    else reconciled.other++;
    if (r.status === 'applied') reconciledApplied++;
  }
  let total = 0;
  let reused = 0;
  let db: SqliteStore | null = null;
  try {
    db = openSqliteStore(storeFile, { readonly: true, now: venue.now });
    for (const id of new Set(audit.segments.map((s) => s.id))) {
      for (const l of db.lifetimesOf(id)) {
        total++;
        if (l.n > 1) reused++;
      }
    }
  } catch {
    // No store yet (the child never started): no lifetimes.
  } finally {
    db?.close();
  }
  const kills = { ...proc.kills };
  delete kills['cleanup'];
  const checksTotal = Object.values(checks.runs).reduce((a, b) => a + b, 0);
  const first = played[0];
  const last = played[played.length - 1];
  return {
    venue:
      o.venue === 'binance'
        ? 'ccxt adapter over the fake Binance USD-M API'
        : 'MetaApi adapter over the fake SDK connection',
    barsPlayed: audit.step,
    marketMinutes: audit.step,
    marketSpanMs: first && last ? last.time - first.time + 60_000 : 0,
    from: first ? new Date(first.time).toISOString() : '',
    to: last ? new Date(last.time + 60_000).toISOString() : '',
    steps: proc.steps,
    kills,
    killsTotal: Object.values(kills).reduce((a, b) => a + b, 0),
    restarts: proc.restarts,
    requests: proc.requests,
    writes: proc.writes,
    faults: { ...proc.faults },
    faultsTotal: Object.values(proc.faults).reduce((a, b) => a + b, 0),
    intents: {
      journaled: rows.length,
      byKind,
      applied: rows.filter((r) => r.status === 'applied').length,
      rejected: rows.filter((r) => r.status === 'rejected').length,
      reconciled,
      reconciledApplied,
      stillOpen: rows.filter((r) => r.status === 'pending' || r.status === 'unknown').length,
    },
    lifetimes: { total, reusedTicket: reused, venuePositions: audit.segments.length },
    trader: { ...trader.figures },
    exitsFilled,
    checks: { ...checks.runs },
    checksTotal,
    violations: [...audit.violations],
    cleanStopExitCode: null,
  };
}
