// One trading account, managed live: the engine, the store, the broker and the executor wired so that
// a crash at whatever instant loses no decision and applies none twice (issue 5, warden.md §5).
//
// Each market step (a closed bar of one symbol):
//   1. the engine folds the bar into the symbol's features (unless its circuit breaker holds them)
//      and decides for every position on the symbol;
//   2. one transaction keeps the decision records, the intents (journaled `pending`, before they are
//      sent) and the state they came from (plans, DTMS, positions, engine-wide state);
//   3. the executor sends the intents (one in flight per position, retryable refusals retried);
//      unknown outcomes are reconciled from the broker's positions before anything else is decided;
//   4. the broker's fresh positions update the engine (fills, closes, new positions), and a second
//      transaction keeps the answers with the state they produced, and the health report.
// A store that cannot be written (full disk, a lock held by another program, an I/O error) does not
// stop the session: the transaction is tried again with backoff until the store answers, health is
// degraded with the reason meanwhile, and nothing decided in the step is sent before it is kept.
// Decisions kept only after a long outage are not sent at all: they are refused, recorded, and the
// engine decides afresh on fresh prices.
// On start: the bars before now rebuild the features, the stored state is restored, every intent the
// engine still waits on is settled (from the journal when the broker had answered, else from the
// broker's positions), then the broker's positions are taken as they are. A crash between 2 and 4
// leaves intents `pending` or `unknown` with the plans that sent them: the start settles them.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { BrokerQuote, OrderGateway } from '../brokers/brokerPort.ts';
import type { WardenConfig } from '../config/schema.ts';
import { toPlainJson } from '../domain/plainJson.ts';
import { TIMEFRAME_MS, type Bar, type Instrument, type Intent, type Position, type Timeframe } from '../domain/types.ts';
import type { EngineSnapshot } from '../engine/engineState.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import { newDecisionRecord, startRecord, type DecisionRecord, type DecisionSink } from '../exits/decisionRecord.ts';
import { planFromLegacy } from '../exits/legacyRule.ts';
import { FeatureBreakers } from '../features/featureBreaker.ts';
import type { TimeframeHistory } from '../features/warmUp.ts';
import { describeStoreFailure, StoreError, type StoredSessionState, type WardenStore } from '../store/store.ts';
import { assessHealth, REJECTION_WINDOW_MS, type HealthReport, type IntentHealth } from './health.ts';
import { IntentExecutor, type SettledIntent } from './intentExecutor.ts';
import { SessionConsole } from './consoleLines.ts';
import { END_GONE, endReused, PositionLifetimes, type EndedLifetime, type LifetimeChange } from './positionLifetimes.ts';
import type { ShadowBook } from './shadowBook.ts';
import type { RetryPolicy } from './retryPolicy.ts';

export interface AccountSessionOptions {
  config: WardenConfig;
  /** Timeframe of the bars fed to `onBar`. */
  baseTimeframe: Timeframe;
  instruments: readonly Instrument[];
  broker: OrderGateway;
  store: WardenStore;
  /** The session's clock (epoch ms): journal stamps, breakers, feed staleness. The engine runs on the bars' time. */
  clock: () => number;
  /** The wall clock, when `clock` is a played market's time: stamps the health report (default `clock`). */
  wallClock?: () => number;
  /** Waits between retries; default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Waits between tries of a store that cannot be written; default a real timer (which close() cuts short). */
  storeSleep?: (ms: number) => Promise<void>;
  log?: Logger;
  /** Called with each decision record once it is stored (notifications, live views). */
  onDecision?: (r: DecisionRecord) => void;
  /**
   * Saves what must stay in step with the session's state, inside each of its transactions (the
   * embedded paper account, which is the venue: after a crash both restart from the same instant).
   */
  alongside?: (store: WardenStore) => void;
  /**
   * Shadow mode: the symbols it shadows are decided on and nothing is sent for them; every intent is
   * applied to this book's would-be positions instead, which the engine then sees (shadowBook.ts).
   */
  shadow?: ShadowBook;
  /** This process, to keep a second one off the store (default: the real pid and host). */
  owner?: { pid: number; host: string; alive: (pid: number) => boolean };
  /**
   * Called with each lifetime the venue closed, once its end is stored (a closed trade is made of it).
   * It must neither throw nor wait: the step goes on.
   */
  onLifetimeEnded?: (ended: EndedLifetime) => void;
}

/** The store could not be written and the session was closed while it waited for it. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** Another live session runs on the store: two would both manage (and send for) the same positions. */
export class StoreInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreInUseError';
  }
}

/** How long a session on another machine counts as running after its last report. */
const OTHER_HOST_SILENT_MS = 180_000;
/** Waits between tries of a store that cannot be written: doubling from the first to the last. */
const STORE_RETRY_FIRST_MS = 250;
const STORE_RETRY_MAX_MS = 15_000;
/** Decisions kept this long after they were made (a store outage) are not sent: prices have moved on. */
const STALE_DECISION_BARS = 2;
/** The session's clock going back more than this between two steps is a clock jump (recorded). */
const CLOCK_BACK_TOLERANCE_MS = 1_000;
/** ...and moving this much more than the market did between two steps. */
const CLOCK_AHEAD_TOLERANCE_MS = 10 * 60_000;

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EPERM';
  }
};

/** What the start found and did. Positions are named by their lifetime key (`<ticket>#<n>`). */
export interface StartReport {
  /** Positions restored from the store with their plans and DTMS state. */
  restored: number;
  /** Intents the engine was waiting on, and how each was settled. */
  settled: { intentId: string; positionId: string; outcome: 'applied' | 'rejected'; how: 'journal' | 'reconciled' }[];
  /** Positions at the broker seen for the first time (a plan created, or built from an imported legacy rule). */
  adopted: string[];
  fromLegacy: string[];
  /** Managed positions the broker no longer has (closed while Warden was away, or their ticket holds another position now). */
  closedWhileAway: string[];
}

/** What one market step did. */
export interface StepReport {
  /** The step's intents, settled (or left unknown while the venue could not be read). */
  intents: SettledIntent[];
  /** The symbol's features were held (breaker open, or this bar failed). */
  featuresHeld: boolean;
  /** Why this bar was refused, '' when it was taken. */
  barProblem: string;
}

/** What one quote step did. */
export interface QuoteStepReport {
  /** The step's intents, settled (or left unknown while the venue could not be read). */
  intents: SettledIntent[];
  /** The symbol's features are held by its circuit breaker: decided with the last good values. */
  featuresHeld: boolean;
  /** Why the quote was not stepped on ('' when it was): see quoteSkip. */
  skipped: string;
}

/** Keeps only the records whose outcome changed and the intents (as replay's log does), copied: the engine reuses its record. */
class BufferedSink implements DecisionSink {
  readonly keepsUnchanged = false;
  readonly buffer: DecisionRecord[] = [];
  record(r: DecisionRecord): void {
    this.buffer.push({ ...r });
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class AccountSession {
  readonly engine: ExitEngine;
  readonly executor: IntentExecutor;
  readonly breakers: FeatureBreakers;
  /** The trader's console: a line per action, DTMS change and position adopted or gone (consoleLines.ts). */
  readonly lines: SessionConsole;
  private readonly sink = new BufferedSink();
  private readonly baseMs: number;
  private readonly staleAfterMs: number;
  /** Close time of the last bar folded into each symbol's features. */
  private readonly lastBarAt = new Map<string, number>();
  /** What was last saved per position (plan, DTMS state, position, order as JSON): only changes are written. */
  private readonly saved = new Map<string, string>();
  private savedState = '';
  private readonly rejections: IntentHealth[] = [];
  /** Legacy rules turned into plans since the last save: deleted with that save. */
  private readonly legacyUsed: string[] = [];
  /** Lifetimes the venue closed since the last save: handed to onLifetimeEnded once that save commits. */
  private readonly endedAtVenue: EndedLifetime[] = [];
  /** Some intent's outcome is still unknown (the broker could not be read): settle before deciding. */
  private unsettled = false;
  private steps: Promise<unknown> = Promise.resolve();
  private started = false;
  /** Which lifetime each venue position is (made at start, from the store). */
  private lifetimes: PositionLifetimes | null = null;
  /** The session's clock at the last step, and the last bar close it stepped on (a clock jump is recorded). */
  private lastClock = Number.NaN;
  private lastClose = Number.NaN;
  /** The store cannot be written since `since` (the session's clock): health says so until it can. */
  private storeTrouble: { since: number; reason: string; attempts: number } | null = null;
  /** The last step that failed (an error that is not the store's), until a step succeeds. */
  private stepFailure: { at: number; message: string } | null = null;
  /** The wall clock at the end of the last completed step (NaN: none yet). */
  private lastStepAt = Number.NaN;
  /** How far the market loop feeding this session is behind (health), when one is plugged in. */
  private lagSource: (() => EngineLag) | null = null;
  /** What the quote feed finds wrong with its quotes (health), when one is plugged in. */
  private quoteProblems: (() => string[]) | null = null;
  /** The time of the last quote stepped on per symbol: a quote not after it is not stepped on. */
  private readonly lastQuoteAt = new Map<string, number>();
  /** Quote refusals logged (`symbol|kind`): once each, until a quote of the symbol is taken again. */
  private readonly quoteRefusals = new Set<string>();
  /** Set by close(): a wait on the store gives up. */
  private closing = false;
  private wakeClosing: (() => void) | null = null;

  constructor(private readonly o: AccountSessionOptions) {
    this.engine = new ExitEngine(o.config, { baseTimeframe: o.baseTimeframe, sink: this.sink });
    const x = o.config.execution;
    const retry: RetryPolicy = { maxSends: x.maxSends, baseDelayMs: x.retryBaseMs, rateLimitDelayMs: x.rateLimitWaitMs, maxDelayMs: x.retryMaxWaitMs };
    this.executor = new IntentExecutor(o.broker, o.store, { retry, clock: o.clock, sleep: o.sleep ?? realSleep, ...(o.log ? { log: o.log } : {}) });
    this.breakers = new FeatureBreakers({ maxFailures: x.breakerFailures, openMs: x.breakerOpenSec * 1000 });
    this.lines = new SessionConsole(o.log, (symbol) => this.engine.instrument(symbol));
    this.baseMs = TIMEFRAME_MS[o.baseTimeframe];
    this.staleAfterMs = x.staleFeedSec * 1000;
    for (const inst of o.instruments) this.engine.addInstrument(inst);
  }

  /**
   * Starts (or restarts) the session: `history` (closed bars per symbol, oldest first, up to now:
   * base bars, or bars per timeframe for a warm-up of every timeframe from its own bars) rebuilds the
   * features; then the stored state is restored and settled with the broker. Throws when
   * the broker's positions cannot be read: nothing is decided blind.
   */
  async start(history: ReadonlyMap<string, readonly Bar[] | TimeframeHistory> = new Map()): Promise<StartReport> {
    if (this.started) throw new Error('AccountSession.start: already started');
    this.claimStore();
    this.started = true;
    this.lifetimes = new PositionLifetimes(this.o.store);
    const scratch: Intent[] = [];
    let time = Number.NEGATIVE_INFINITY;
    for (const [symbol, given] of history) {
      if (this.engine.instrument(symbol) === undefined) continue;
      if (!isBarList(given)) {
        // Bars per timeframe: each higher timeframe seeds its own features, the base bars follow.
        const base = this.o.baseTimeframe;
        const bars: Bar[] = [];
        let last = this.lastBarAt.get(symbol) ?? Number.NaN;
        for (const bar of given[base] ?? []) {
          if (barProblem(bar, last, this.baseMs) !== '') continue;
          bars.push(bar);
          last = bar.time + this.baseMs;
        }
        this.engine.warmUp(symbol, { ...given, [base]: bars });
        if (bars.length > 0) {
          this.lastBarAt.set(symbol, last);
          time = Math.max(time, last);
        }
        continue;
      }
      const bars = given;
      for (const bar of bars) {
        if (barProblem(bar, this.lastBarAt.get(symbol) ?? Number.NaN, this.baseMs) !== '') continue;
        this.engine.onBar(symbol, bar, scratch);
        this.lastBarAt.set(symbol, bar.time + this.baseMs);
        time = Math.max(time, bar.time + this.baseMs);
      }
    }
    const restored = this.restore(Number.isFinite(time) ? time : this.o.clock());
    const now = this.engineTime();
    // Lifetimes left open by a position the restore dropped: nothing manages them any more.
    for (const l of this.book.open()) {
      if (this.engine.plan(l.key) !== undefined) continue;
      const change = this.book.end(l.ticket, now, 'not restored at start (its plan or instrument is not in this session)');
      if (change) this.recordLifetime(change, now);
    }
    const positions = await this.venuePositions();
    const report: StartReport = { restored, settled: [], adopted: [], fromLegacy: [], closedWhileAway: [] };
    this.settleOutstanding(this.asManaged(positions), 'at start', report.settled);
    const before = new Set(this.engine.positionIds());
    this.syncWith(positions, now, report);
    for (const id of before) if (this.engine.plan(id) === undefined) report.closedWhileAway.push(id);
    this.persist([]);
    this.o.log?.info({ restored, settled: report.settled.length, adopted: report.adopted.length, closed: report.closedWhileAway.length }, 'session started');
    return report;
  }

  /**
   * Changes the engine's state from outside the market (the API: disable a plan, change its
   * parameters) between two steps, then stores it. Returns what `change` returns.
   */
  act<T>(change: () => T): Promise<T> {
    // Refused at once while the store cannot be written (the step under way waits for it, and so
    // would this change): nothing is changed.
    if (this.storeTrouble !== null) return Promise.reject(new StoreUnavailableError(`the store cannot be written (${this.storeTrouble.reason}): nothing is changed until it can`));
    return this.queue(() => {
      if (this.storeTrouble !== null) throw new StoreUnavailableError(`the store cannot be written (${this.storeTrouble.reason}): nothing is changed until it can`);
      const result = change();
      try {
        this.persist([]);
      } catch (err) {
        if (!isStoreOutage(err)) throw err;
        this.noteStoreTrouble(err, 1);
        // The change is made in memory and goes into the store with the next step that can write it.
        throw new StoreUnavailableError(`the change is made, but the store cannot be written (${describeStoreFailure(err)}): it is kept with the next step that can write; a restart before then loses it`);
      }
      return result;
    });
  }

  /**
   * Takes the broker's positions now, between two steps (the API's "register a trade": a position
   * opened a moment ago is managed at once instead of at the next bar). `strategy`: the strategy
   * template the trader named for the venue's `ticket`, which its plan is made with if this is when
   * Warden first sees it. Throws when the broker cannot be read.
   */
  refreshFromBroker(strategy?: { ticket: string; name: string }): Promise<void> {
    return this.queue(async () => {
      const positions = await this.venuePositions();
      if (this.unsettled) this.settleOutstanding(this.asManaged(positions), 'after an unknown answer', []);
      this.strategyAsked = strategy ?? null;
      try {
        this.syncWith(positions, this.engineTime(), null);
      } finally {
        this.strategyAsked = null;
      }
      await this.commit(() => this.persist([]));
    });
  }

  /** The template a trader named for a position being registered (refreshFromBroker), while it syncs. */
  private strategyAsked: { ticket: string; name: string } | null = null;

  /**
   * Rises each time a step, an API change or a refresh from the broker has ended: what the session
   * shows (positions, plans, DTMS state, the journal) may have changed then, and only then. Views
   * built from the session keep their result until it rises.
   */
  get version(): number {
    return this.ended;
  }

  /** A step, change or refresh is queued or under way: what the session shows is about to change. */
  get changing(): boolean {
    return this.queued > 0;
  }

  private ended = 0;
  private queued = 0;

  /** Runs `work` after what is queued, one at a time in call order, and counts it for `version`. */
  private queue<T>(work: () => T | Promise<T>): Promise<T> {
    this.queued++;
    const run = this.steps.then(work).finally(() => {
      this.queued--;
      this.ended++;
    });
    this.steps = run.catch(() => undefined);
    return run;
  }

  /**
   * The key of the lifetime Warden manages now under the venue's `ticket` (undefined: none). The API
   * and pages name positions by ticket; everything kept about a position is under its lifetime key.
   */
  managedKey(ticket: string): string | undefined {
    const l = this.lifetimes?.of(ticket);
    return l !== undefined && this.engine.plan(l.key) !== undefined ? l.key : undefined;
  }

  /**
   * Stops waiting for a store that cannot be written: the step waiting gives up (what it decided is
   * not kept, and nothing of it was sent), and no step waits again. For a stop that must end.
   */
  interrupt(): void {
    this.closing = true;
    this.wakeClosing?.();
  }

  /**
   * Waits for the step under way (see interrupt), stores the session's state once more (an API
   * change, the paper account as it stopped), then releases the store for another session. A store
   * that cannot be written is said in the log, never a reason not to close.
   */
  async close(): Promise<void> {
    this.interrupt();
    await this.steps;
    if (this.started) {
      try {
        this.persist([]);
      } catch (err) {
        this.o.log?.warn({ error: messageOf(err) }, 'could not store the session state at close');
      }
      try {
        this.o.store.saveSessionOwner(null);
      } catch (err) {
        // A store that cannot be written keeps this session as its owner: the next one takes over
        // from a process that is gone (claimStore).
        this.o.log?.warn({ error: messageOf(err) }, 'could not release the store at close');
      }
    }
    this.started = false;
  }

  /** The store the session keeps its state in (the views read the journal from it). */
  get store(): WardenStore {
    return this.o.store;
  }

  /** Shadow mode's would-be positions (undefined: the account is live). */
  get shadow(): ShadowBook | undefined {
    return this.o.shadow;
  }

  /** Plugs in how far the market loop feeding this session is behind (reported by health). */
  setLagSource(lag: () => EngineLag): void {
    this.lagSource = lag;
  }

  /** Plugs in what the quote feed finds wrong (stale quotes, a stream down): each degrades health. */
  setQuoteProblems(problems: () => string[]): void {
    this.quoteProblems = problems;
  }

  /**
   * One live session per store: refuses when another process on this machine that is still alive
   * holds it, or a session on another machine reported within the last 3 minutes. A holder that died
   * (killed, crashed) is taken over: its state is what this session restarts from.
   */
  private claimStore(): void {
    const me = this.o.owner ?? { pid: process.pid, host: hostname(), alive: pidAlive };
    const store = this.o.store;
    store.transaction(() => {
      const holder = store.sessionOwner();
      if (holder !== null && !(holder.pid === me.pid && holder.host === me.host)) {
        const since = new Date(holder.startedAt).toISOString();
        if (holder.host === me.host && me.alive(holder.pid)) {
          throw new StoreInUseError(`${store.location} is in use by another Warden session (process ${holder.pid}, started ${since}); stop it first, or use another store`);
        }
        const last = store.health()?.at ?? Number.NEGATIVE_INFINITY;
        if (holder.host !== me.host && this.o.clock() - last < OTHER_HOST_SILENT_MS) {
          throw new StoreInUseError(`${store.location} is in use by a Warden session on ${holder.host} (process ${holder.pid}, started ${since}, last report ${Math.round((this.o.clock() - last) / 1000)} s ago)`);
        }
        this.o.log?.warn({ holder }, 'taking over the store from a session that is no longer running');
      }
      store.saveSessionOwner({ pid: me.pid, host: me.host, startedAt: this.o.clock() });
    });
  }

  /** A closed bar of `symbol`. Steps run one at a time, in call order. */
  onBar(symbol: string, bar: Bar): Promise<StepReport> {
    return this.queue(() => this.step(symbol, () => this.stepOn(symbol, bar)));
  }

  /**
   * A quote of `symbol` between two bars (a real account's quote feed): the positions on the symbol
   * are decided at it with the features of the last closed bar (stops trail, DTMS's fast check runs
   * on its own interval), and what is decided is kept and sent as in a bar step. Queued with the bar
   * steps, one at a time. A quote that cannot be taken (see quoteSkip) is no step: nothing is read,
   * decided or written.
   */
  onQuote(symbol: string, quote: BrokerQuote): Promise<QuoteStepReport> {
    const bad = quoteProblem(quote);
    if (bad !== '') return Promise.resolve(this.quoteSkipped(symbol, 'price', bad));
    return this.queue(() => {
      if (!this.started) throw new Error('AccountSession: call start() first');
      const skipped = this.quoteSkip(symbol, quote);
      if (skipped !== null) return this.quoteSkipped(symbol, skipped.kind, skipped.why);
      return this.step(symbol, () => this.quoteOn(symbol, quote));
    });
  }

  /** The market data of `symbol` could not be had (a feed error): counts toward its breaker. */
  feedFailed(symbol: string, error: string): void {
    if (this.breakers.failure(symbol, this.o.clock(), error)) this.o.log?.warn({ symbol, error }, 'feature circuit breaker open: holding the last good values');
  }

  /** Health now: breakers, feeds, unsettled intents, recent refusals, the store, the engine's lag. */
  health(): HealthReport {
    return this.assess(true);
  }

  private assess(withStore: boolean): HealthReport {
    const now = this.o.clock();
    while (this.rejections.length > 0 && this.rejections[0]!.at < now - REJECTION_WINDOW_MS) this.rejections.shift();
    const problems: string[] = [];
    if (withStore && this.storeTrouble !== null) {
      const t = this.storeTrouble;
      problems.push(`the store cannot be written since ${new Date(t.since).toISOString()} (${t.reason}; ${t.attempts} tries): nothing is decided or sent until it can`);
    }
    if (this.stepFailure !== null) problems.push(`the last step failed at ${new Date(this.stepFailure.at).toISOString()}: ${this.stepFailure.message}`);
    if (this.quoteProblems !== null) problems.push(...this.quoteProblems());
    const lag = this.lagSource?.() ?? null;
    const maxLagMs = this.o.config.execution.maxLagSec * 1000;
    if (lag !== null && lag.lagMs > maxLagMs) {
      problems.push(`the engine is ${Math.round(lag.lagMs / 1000)} s behind the market (${lag.barsBehind} bar(s) waiting; limit ${maxLagMs / 1000} s)`);
    }
    return assessHealth({
      now,
      problems,
      lag: { lagMs: lag?.lagMs ?? 0, barsBehind: lag?.barsBehind ?? 0, lastStepAt: this.lastStepAt },
      reportedAt: this.o.wallClock?.() ?? now,
      positions: this.engine.openPositions,
      hedges: this.engine.hedgeIds().length,
      breakers: this.breakers.open(now),
      feeds: this.o.instruments.map((i) => ({ symbol: i.symbol, lastBarAt: this.lastBarAt.get(i.symbol) ?? Number.NaN, crypto: i.crypto })),
      staleAfterMs: this.staleAfterMs,
      features: this.o.instruments.map((i) => ({ symbol: i.symbol, ...this.engine.readiness(i.symbol) })),
      // Where a rule without data waits (a real account), features still warming up degrade health.
      featuresRequired: this.o.config.exits.noDataPasses === false,
      unresolvedIntents: this.unresolvedNow(),
      recentRejections: [...this.rejections],
    });
  }

  /** The journal's unsettled intents (the last ones read while the store cannot be read). */
  private unresolved: IntentHealth[] = [];
  private unresolvedNow(): IntentHealth[] {
    try {
      this.unresolved = this.o.store.unresolvedIntents().map((i) => ({ id: i.intent.id, positionId: i.intent.positionId, status: i.status, at: i.recordedAt, code: i.code, reason: i.reason }));
    } catch (err) {
      if (!isStoreOutage(err)) throw err;
    }
    return this.unresolved;
  }

  // ---------------------------------------------------------------- a step

  private async step<R>(symbol: string, run: () => Promise<R>): Promise<R> {
    if (!this.started) throw new Error('AccountSession: call start() first');
    try {
      const report = await run();
      this.stepFailure = null;
      this.lastStepAt = this.o.wallClock?.() ?? this.o.clock();
      return report;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) {
        this.stepFailure = { at: this.o.clock(), message: messageOf(err) };
        this.o.log?.error({ symbol, err }, 'a step failed');
      }
      throw err;
    }
  }

  private async stepOn(symbol: string, bar: Bar): Promise<StepReport> {
    const closeTime = bar.time + this.baseMs;
    // The broker's view first: stops and targets filled since the last step, positions opened or
    // closed by hand, intents still unsettled. Unreadable: decide on the last view (the broker refuses
    // what no longer fits), but never settle blind.
    this.noteClock(closeTime);
    this.lastBars.set(symbol, bar);
    // A would-be stop the bar crossed ends its would-be position before anything is decided on the bar.
    this.o.shadow?.onBar(symbol, bar, closeTime);
    const before = await this.readPositions();
    if (before !== null) {
      if (this.unsettled) this.settleOutstanding(this.asManaged(before), 'after an unknown answer', []);
      this.syncWith(before, closeTime, null);
    }
    const out: Intent[] = [];
    let problem = barProblem(bar, this.lastBarAt.get(symbol) ?? Number.NaN, this.baseMs);
    let held = !this.breakers.allows(symbol, this.o.clock());
    if (!held && problem === '') {
      try {
        this.engine.onBar(symbol, bar, out);
        this.lastBarAt.set(symbol, closeTime);
        if (this.breakers.success(symbol)) this.o.log?.info({ symbol }, 'feature circuit breaker closed');
      } catch (err) {
        problem = `feature update failed: ${err instanceof Error ? err.message : String(err)}`;
        out.length = 0;
      }
    }
    if (problem !== '') {
      if (!held) this.feedFailed(symbol, problem);
      held = true;
    }
    if (held && Number.isFinite(bar.close) && bar.close > 0) {
      // Positions are still looked after at this price, with the last good feature values.
      const spread = Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
      this.engine.onQuote(symbol, closeTime, bar.close, bar.close + spread, out);
    }
    const results = await this.keepAndSend(out, closeTime);
    return { intents: results, featuresHeld: held, barProblem: problem };
  }

  /**
   * Why a quote is not stepped on (null: it is). `nothing`: no position, hedge or orphaned hedge to
   * decide for on the symbol, so the venue is not read at all (a position opened by hand is adopted at
   * the next bar, or at once through the API). `stale`: older than the last bar's close (that bar was
   * decided at a later price). `repeat`: not after the last quote taken. A bar closing after a quote was taken is still
   * decided at its close time, a few seconds before: the engine's rules measure time spans, which a
   * step back of seconds does not upset.
   */
  private quoteSkip(symbol: string, q: BrokerQuote): { kind: 'symbol' | 'stale' | 'repeat' | 'nothing'; why: string } | null {
    if (this.engine.instrument(symbol) === undefined) return { kind: 'symbol', why: `${symbol} is not an instrument this session manages` };
    const lastBar = this.lastBarAt.get(symbol) ?? Number.NEGATIVE_INFINITY;
    if (q.time < lastBar) return { kind: 'stale', why: `quote at ${new Date(q.time).toISOString()} is older than the last bar's close (${new Date(lastBar).toISOString()})` };
    if (q.time <= (this.lastQuoteAt.get(symbol) ?? Number.NEGATIVE_INFINITY)) return { kind: 'repeat', why: `quote at ${new Date(q.time).toISOString()} is not after the last quote taken` };
    if (this.engine.hedgeIds().length === 0 && !this.engine.positionIds().some((id) => this.engine.position(id)?.symbol === symbol)) return { kind: 'nothing', why: 'nothing to decide on this symbol' };
    return null;
  }

  /**
   * A quote not stepped on. Refusals are logged once per symbol and kind until a quote of the symbol
   * is taken again (quotes come every few seconds); a quote older than the bar just stepped is usual
   * around a bar's close in a quiet market, so it is only a debug line.
   */
  private quoteSkipped(symbol: string, kind: string, why: string): QuoteStepReport {
    if (kind !== 'nothing' && kind !== 'repeat') {
      const key = `${symbol}|${kind}`;
      if (!this.quoteRefusals.has(key)) {
        this.quoteRefusals.add(key);
        if (kind === 'stale') this.o.log?.debug({ symbol, reason: why }, 'quote older than the last bar: not stepped on');
        else this.o.log?.warn({ symbol, reason: why }, 'quote refused (logged once until a quote is taken again)');
      }
    }
    return { intents: [], featuresHeld: false, skipped: why };
  }

  private async quoteOn(symbol: string, q: BrokerQuote): Promise<QuoteStepReport> {
    this.noteClock(q.time);
    // A would-be stop the quote reached ends its would-be position first, as a bar's range does.
    this.o.shadow?.onBar(symbol, { time: q.time - this.baseMs, open: q.bid, high: q.bid, low: q.bid, close: q.bid, volume: 0, spread: q.ask - q.bid }, q.time);
    const before = await this.readPositions();
    if (before !== null) {
      if (this.unsettled) this.settleOutstanding(this.asManaged(before), 'after an unknown answer', []);
      this.syncWith(before, q.time, null);
    }
    const out: Intent[] = [];
    const held = !this.breakers.allows(symbol, this.o.clock());
    this.engine.onQuote(symbol, q.time, q.bid, q.ask, out);
    this.lastQuoteAt.set(symbol, q.time);
    for (const key of this.quoteRefusals) if (key.startsWith(`${symbol}|`)) this.quoteRefusals.delete(key);
    // Nothing decided (most quotes): one write of what changed (a trail's reference, DTMS's check
    // times, the engine's time and the health report), as a bar step's last one; decisions go the one
    // way a bar step's go.
    if (out.length === 0 && this.sink.buffer.length === 0) {
      await this.commit(() => this.persist([]));
      return { intents: [], featuresHeld: held, skipped: '' };
    }
    const intents = await this.keepAndSend(out, q.time);
    return { intents, featuresHeld: held, skipped: '' };
  }

  /**
   * What follows a decision, for a bar step and a quote step alike (one execution path): `out`, decided
   * at `closeTime` (the market's time: a bar's close, or a quote's time), is kept, then sent, and the
   * broker's fresh view taken. Returns the intents, settled.
   */
  private async keepAndSend(out: Intent[], closeTime: number): Promise<SettledIntent[]> {
    // Intent ids carry the lifetime key, so a new decision never meets an id the journal holds. One
    // that does (a store older than lifetimes, or a fault) belongs to another decision: it is neither
    // sent nor allowed to settle this one. The engine takes it as refused and decides afresh (the
    // rule's next episode has a new id), and the conflict is recorded.
    const fresh: Intent[] = [];
    for (const it of out) {
      const prior = this.o.store.intent(it.id);
      if (prior === null) {
        fresh.push(it);
        continue;
      }
      const why = `intent id ${it.id} is already in the journal (${prior.status}, journaled ${new Date(prior.recordedAt).toISOString()}): it is another decision's; not sent, decided afresh`;
      this.engine.resolve(it.positionId, it.id, 'rejected', '', why);
      this.recordNote(closeTime, it.positionId, it.symbol, it.side, 'journal_conflict', why, it.id);
      this.o.log?.warn({ intent: it.id, status: prior.status }, 'intent id already in the journal for another decision: not sent, decided afresh');
    }
    // Nothing leaves before it is kept: the decisions, the intents (pending) and their state. How long
    // that took is read on the session's clock: the market's time (a real account's wall clock; a
    // played market waits for its step, so nothing it decided goes stale).
    const shadowed = this.applyInShadow(fresh, closeTime);
    const decidedAt = this.o.clock();
    await this.commit(() => this.persist(fresh));
    const keptAfterMs = this.o.clock() - decidedAt;
    let results: SettledIntent[] = [];
    if (fresh.length > 0 && keptAfterMs > STALE_DECISION_BARS * this.baseMs) {
      // Kept only after a store outage: the prices these were decided on are gone. Refused unsent,
      // recorded, and the engine decides afresh at the next bar.
      const why = `decided ${Math.round(keptAfterMs / 1000)} s ago, before the store could keep it (a store outage): not sent; decided afresh on fresh prices`;
      for (const it of fresh) {
        this.executor.settle(it.id, 'rejected', why);
        this.engine.resolve(it.positionId, it.id, 'rejected', '', why);
        this.recordNote(closeTime, it.positionId, it.symbol, it.side, 'stale_decision', why, it.id);
        this.lines.notSent(it, `NOT SENT: ${why}`);
      }
      this.o.log?.warn({ intents: fresh.map((i) => i.id), keptAfterMs }, 'decisions kept only after a store outage: not sent, decided afresh');
    } else if (fresh.length > 0) {
      results = await this.executor.executeStep(fresh, this.engine, { readPositions: async () => this.asManaged(await this.venuePositions()) });
      for (const r of results) {
        this.lines.settled(r);
        if (r.settled === 'rejected') {
          const reason = r.how === 'answer' ? r.reason : "reconciled: the venue's positions show no effect";
          this.rejections.push({ id: r.intent.id, positionId: r.intent.positionId, status: 'rejected', at: this.o.clock(), code: r.code, reason });
        } else if (r.settled === 'unknown') this.unsettled = true;
      }
    }
    // The fresh view shows the new SL and volume (and settles what the positions could not settle above).
    const after = this.unsettled || results.length > 0 || shadowed > 0 ? await this.readPositions() : null;
    if (after !== null) {
      if (this.unsettled) this.settleOutstanding(this.asManaged(after), 'after an unknown answer', []);
      this.syncWith(after, closeTime, null);
    }
    await this.commit(() => this.persist([]));
    this.lines.endStep();
    return results;
  }

  // ---------------------------------------------------------------- the store, kept working

  /**
   * Runs one of the session's writes. A store that cannot be written (a full disk, a lock held by
   * another program, an I/O error) is tried again with backoff until it answers: meanwhile health is
   * degraded with the reason and the step waits here, so nothing more is decided or sent. `close()`
   * ends the wait: the step gives up (StoreUnavailableError), and what it decided was not kept.
   */
  private async commit(write: () => void): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        write();
        if (this.storeTrouble !== null) {
          const t = this.storeTrouble;
          this.storeTrouble = null;
          this.o.log?.info({ since: new Date(t.since).toISOString(), attempts: t.attempts }, 'the store can be written again: the session goes on');
        }
        return;
      } catch (err) {
        if (!isStoreOutage(err)) throw err;
        this.noteStoreTrouble(err, attempt);
        if (this.closing) throw new StoreUnavailableError(`the store cannot be written (${describeStoreFailure(err)}) and the session is closing: the step under way is not kept`);
        await this.pause(Math.min(STORE_RETRY_MAX_MS, STORE_RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 16)));
      }
    }
  }

  private noteStoreTrouble(err: unknown, attempt: number): void {
    // A full disk is named as such: it is the outage a person must act on.
    const reason = describeStoreFailure(err);
    if (this.storeTrouble === null) {
      this.storeTrouble = { since: this.o.clock(), reason, attempts: attempt };
      this.o.log?.error({ store: this.o.store.location, error: reason }, 'the store cannot be written: waiting for it, nothing is sent meanwhile');
    } else {
      this.storeTrouble.reason = reason;
      this.storeTrouble.attempts = Math.max(this.storeTrouble.attempts + 1, attempt);
    }
  }

  /** Waits `ms` before the store's next try; `close()` cuts it short. */
  private pause(ms: number): Promise<void> {
    const sleep = this.o.storeSleep;
    if (sleep) return sleep(ms);
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wakeClosing = done;
    });
  }

  /** The venue's positions, seen through the shadow book's would-be positions in shadow mode. */
  private async venuePositions(): Promise<Position[]> {
    const venue = await this.o.broker.positions();
    const shadow = this.o.shadow;
    if (shadow === undefined) return venue;
    return shadow.overlay(venue, this.engineTimeNow(), (symbol) => {
      const q = this.engine.instrument(symbol) === undefined ? { bid: Number.NaN, ask: Number.NaN } : this.engine.quote(symbol);
      return { bid: q.bid, ask: q.ask, bar: this.lastBars.get(symbol) ?? null };
    });
  }

  /** The latest bar stepped per symbol (the shadow book reads how a position left the venue from it). */
  private readonly lastBars = new Map<string, Bar>();

  /** The engine's clock where it has one, else the session's. */
  private engineTimeNow(): number {
    return Number.isFinite(this.lastClose) ? this.lastClose : this.o.clock();
  }

  /**
   * Shadow mode: the intents of shadowed symbols are applied to the would-be positions, not sent. Each
   * one's decision record says so (outcome 'shadow'), and the engine takes it as done, as it would a
   * venue's "applied". They leave `intents` (nothing of them is journaled or sent). Returns how many.
   */
  private applyInShadow(intents: Intent[], now: number): number {
    const shadow = this.o.shadow;
    if (shadow === undefined) return 0;
    let n = 0;
    for (let i = 0; i < intents.length; i++) {
      const it = intents[i]!;
      if (!shadow.shadows(it.symbol)) continue;
      const q = this.engine.quote(it.symbol);
      const opened = shadow.apply(it, now, q.bid, q.ask);
      for (const r of this.sink.buffer) {
        if (r.intentId !== it.id || r.outcome !== 'intent') continue;
        r.outcome = 'shadow';
        r.reason = 'not_sent_shadow';
        r.note = `${r.note === '' ? '' : `${r.note}; `}shadow mode: not sent${opened !== '' ? ` (would-be position ${opened})` : ''}`;
      }
      this.engine.resolve(it.positionId, it.id, 'applied', opened);
      intents.splice(i--, 1);
      n++;
      this.lines.notSent(it, `shadow, not sent: ${it.reason}`, 'info', '');
    }
    return n;
  }

  /**
   * Shadow mode: `symbol` goes live, without a restart. Its would-be positions end (scored as they
   * stand), and its positions are managed afresh from what the venue holds: each starts a new lifetime
   * with a plan made from the venue's stop and volume (a would-be stop was never at the venue). Recorded.
   * Returns the lifetimes ended, or null when the symbol is not shadowed.
   */
  promote(symbol: string): Promise<string[] | null> {
    return this.act(() => {
      const shadow = this.o.shadow;
      if (shadow === undefined || !shadow.shadows(symbol)) return null;
      const now = this.engineTimeNow();
      const tickets = shadow.promote(symbol, now);
      const ended: string[] = [];
      // Would-be hedges first: their positions' defences forget them, and none is left as an orphan to close.
      for (const h of this.engine.hedgeIds()) {
        if (h.startsWith('shadow:') && this.engine.position(this.engine.hedgedPosition(h) ?? '')?.symbol === symbol) this.engine.untrack(h);
      }
      for (const ticket of tickets) {
        const key = this.managedKey(ticket);
        if (key === undefined) continue;
        this.engine.untrack(key);
        const change = this.book.end(ticket, now, 'promoted from shadow to live: managed afresh from the stop and volume the venue holds');
        if (change) this.recordLifetime(change, now);
        ended.push(key);
      }
      const r = startRecord(newDecisionRecord(), now, { positionId: '', symbol, side: 'buy' }, 'lifetime');
      r.outcome = 'info';
      r.reason = 'promoted_to_live';
      r.changed = true;
      r.note = `${symbol} promoted from shadow to live: its decisions are sent from now on; ${ended.length} position(s) managed afresh from the venue's stops (${ended.join(', ') || 'none open'})`;
      this.sink.record(r);
      this.o.log?.info({ symbol, positions: ended }, 'promoted from shadow to live');
      return ended;
    });
  }

  /** The broker's positions, or null (logged) when it cannot be read now. */
  private async readPositions(): Promise<Position[] | null> {
    try {
      return await this.venuePositions();
    } catch (err) {
      this.o.log?.warn({ broker: this.o.broker.name, error: err instanceof Error ? err.message : String(err) }, 'cannot read the broker positions');
      return null;
    }
  }

  /**
   * Settles the intents the engine waits on: a final answer in the journal (the broker answered; the
   * process stopped before the engine heard it) is taken as it is; otherwise (pending: perhaps never
   * sent; unknown: timed out) the broker's positions tell whether it took effect.
   */
  private settleOutstanding(positions: readonly Position[], when: string, settled: StartReport['settled']): void {
    // `positions`: the venue's, with the managed ones under their lifetime key (asManaged).
    for (const { positionId, intentId } of this.engine.pendingIntents()) this.settleOne(positionId, intentId, positions, when, settled);
    this.unsettled = false;
  }

  private settleOne(positionId: string, intentId: string, positions: readonly Position[], when: string, settled: StartReport['settled']): void {
    const j = this.o.store.intent(intentId);
    if (j !== null && (j.status === 'applied' || j.status === 'rejected')) {
      const it = j.intent;
      const opened = it.kind === 'open' && j.status === 'applied' ? (positions.find((p) => p.comment === it.comment && !this.engine.isHedge(p.id) && this.engine.plan(p.id) === undefined)?.id ?? '') : '';
      this.engine.resolve(positionId, intentId, j.status, opened, j.reason);
      settled.push({ intentId, positionId, outcome: j.status, how: 'journal' });
      this.lines.settledLater(it, j.status, 'journal', j.reason);
      return;
    }
    const outcome = this.engine.reconcile(positionId, positions)?.outcome ?? null;
    if (outcome === null) return;
    const reason = outcome === 'applied' ? `reconciled ${when}: the broker's positions show it took effect` : `reconciled ${when}: the broker's positions show no effect; decided afresh`;
    if (j !== null) {
      this.executor.settle(intentId, outcome, reason);
      this.lines.settledLater(j.intent, outcome, 'reconciled', reason);
      if (outcome === 'rejected') this.rejections.push({ id: intentId, positionId, status: 'rejected', at: this.o.clock(), code: j.code, reason });
    } else this.o.log?.warn({ intent: intentId, positionId }, 'an intent the engine waited on is not in the journal');
    settled.push({ intentId, positionId, outcome, how: 'reconciled' });
  }

  /** The lifetime book (made at start). */
  private get book(): PositionLifetimes {
    if (this.lifetimes === null) throw new Error('AccountSession: call start() first');
    return this.lifetimes;
  }

  /**
   * The venue's positions with each managed one under its lifetime key (`id` the key, `ticket` the
   * venue's): what the engine's reconciliation compares with. Hedges, positions of other instruments
   * and positions that are not (or no longer) a managed lifetime keep the venue's id.
   */
  private asManaged(venue: readonly Position[]): Position[] {
    return venue.map((p) => {
      if (this.engine.isHedge(p.id)) return p;
      const l = this.book.of(p.id);
      return l !== undefined && this.engine.plan(l.key) !== undefined && this.book.isSame(l, this.engine.position(l.key), p) ? PositionLifetimes.managed(p, l.key) : p;
    });
  }

  /**
   * Takes the broker's positions as they are: fresh SL/TP/volume for the managed lifetimes, a new
   * lifetime and plan for a position seen for the first time (from its imported legacy rule when there
   * is one), and lifetimes the venue no longer shows end (a position leaving a hedge behind hands it to
   * the engine to close). A ticket that holds another position than its lifetime's ends that lifetime
   * and starts a new one: the two never share a plan, a decision or an intent.
   */
  private syncWith(venue: readonly Position[], now: number, report: StartReport | null): void {
    const managed = this.asManaged(venue);
    const present = new Set<string>();
    const fresh: Position[] = [];
    for (let i = 0; i < venue.length; i++) {
      const p = venue[i]!;
      const m = managed[i]!;
      if (this.engine.isHedge(p.id)) {
        present.add(p.id);
        continue;
      }
      if (this.engine.instrument(p.symbol) === undefined) continue; // not an instrument this session manages
      if (m !== p) {
        this.engine.track(m, now);
        present.add(m.id);
      } else fresh.push(p);
    }
    for (const key of this.engine.positionIds()) {
      if (present.has(key)) continue;
      const plan = this.engine.plan(key)!;
      // Its pending intent first: a close shows as the absence, a stop move did not happen.
      if (plan.pending) this.settleOne(key, plan.pending.id, managed, 'as the position left the venue', report?.settled ?? []);
      const last = { position: this.engine.position(key), hedgeId: this.engine.defence(key)?.tracked.hedgeId ?? null };
      this.engine.untrack(key);
      const reused = fresh.some((p) => p.id === plan.ticket);
      const shadowEnd = reused ? '' : (this.o.shadow?.endReason(plan.ticket) ?? '');
      if (last.position !== undefined) {
        const why = reused ? endReused(plan.ticket) : shadowEnd !== '' ? shadowEnd : report !== null ? 'not at the venue at start (closed while Warden was away)' : '';
        this.lines.closed(last.position, now, this.lastBars.get(last.position.symbol), why);
      }
      const change = this.book.end(plan.ticket, now, reused ? endReused(plan.ticket) : shadowEnd !== '' ? shadowEnd : END_GONE);
      if (change) this.recordLifetime(change, now);
      if (change && shadowEnd === '') this.endedAtVenue.push({ lifetime: change.lifetime, plan, ...last });
    }
    for (const p of fresh) {
      const stale = this.book.of(p.id);
      if (stale !== undefined) {
        const change = this.book.end(p.id, now, endReused(p.id));
        if (change) this.recordLifetime(change, now);
      }
      const { lifetime, changes } = this.book.begin(p, now);
      const m = PositionLifetimes.managed(p, lifetime.key);
      if (this.strategyAsked !== null && this.strategyAsked.ticket === p.id) m.strategyType = this.strategyAsked.name;
      for (const c of changes) this.recordLifetime(c, now);
      const legacy = lifetime.n <= 1 ? this.o.store.legacyRule(p.id) : null;
      const inst = this.engine.instrument(p.symbol)!;
      if (legacy !== null && legacy.rule.symbol === p.symbol) {
        this.engine.restore(m, planFromLegacy(legacy.rule, inst, p.volume, now, lifetime.key), now);
        this.legacyUsed.push(p.id);
        report?.fromLegacy.push(lifetime.key);
      } else this.engine.track(m, now);
      report?.adopted.push(lifetime.key);
      const plan = this.engine.plan(lifetime.key);
      if (plan !== undefined) this.lines.adopted(p, lifetime.key, plan, now, legacy !== null && legacy.rule.symbol === p.symbol);
    }
    for (const h of this.engine.hedgeIds()) {
      if (present.has(h)) continue;
      const parent = this.engine.hedgedPosition(h);
      this.lines.hedgeClosed(h, parent === undefined ? undefined : this.engine.position(parent), now);
      this.engine.untrack(h);
    }
  }

  /** A lifetime change as a decision record of its position. */
  private recordLifetime(c: LifetimeChange, now: number): void {
    this.recordNote(now, c.lifetime.key, c.lifetime.symbol, c.lifetime.side, c.reason, c.note, '', c.lifetime.entryPrice);
  }

  /**
   * A trader's change to the position managed under `key`, recorded as a `manual` decision: `change`
   * says what changed, from what to what; `source` where the request came from (the page, the API,
   * Telegram, an agent). Called inside `act`, so the record is stored with the change, or neither is.
   */
  recordManual(key: string, change: string, source: string): void {
    const plan = this.engine.plan(key);
    const pos = this.engine.position(key);
    const r = startRecord(newDecisionRecord(), this.engineTime(), plan ?? { positionId: key, symbol: pos?.symbol ?? '', side: pos?.side ?? 'buy' }, 'manual');
    r.outcome = 'info';
    r.reason = 'manual_change';
    r.changed = true;
    if (pos !== undefined) {
      const q = this.engine.quote(pos.symbol);
      r.price = pos.side === 'buy' ? q.bid : q.ask;
      r.oldSl = pos.sl ?? Number.NaN;
      r.volume = pos.volume;
    }
    r.note = `${change}; source: ${source}`;
    this.sink.record(r);
  }

  /** A 'lifetime' record (the session's own: lifetimes, journal conflicts, clock jumps). */
  private recordNote(time: number, positionId: string, symbol: string, side: Position['side'], reason: DecisionRecord['reason'], note: string, intentId = '', price = Number.NaN): void {
    const r = startRecord(newDecisionRecord(), time, { positionId, symbol, side }, 'lifetime');
    r.outcome = 'info';
    r.reason = reason;
    r.changed = true;
    r.intentId = intentId;
    r.price = price;
    r.note = note;
    this.sink.record(r);
  }

  /**
   * Records a jump of the session's clock (a step whose clock went back, or moved far more than the
   * market did since the last step: a suspended machine, a corrected clock). The step goes on: the
   * engine runs on the bars' time; journal stamps and health read the session's clock.
   */
  private noteClock(closeTime: number): void {
    const now = this.o.clock();
    const dClock = now - this.lastClock;
    const dMarket = closeTime - this.lastClose;
    if (Number.isFinite(dClock)) {
      let what = '';
      if (dClock < -CLOCK_BACK_TOLERANCE_MS) what = `went back ${Math.round(-dClock / 1000)} s`;
      else if (Number.isFinite(dMarket) && dClock - Math.max(0, dMarket) > CLOCK_AHEAD_TOLERANCE_MS) what = `moved ${Math.round(dClock / 1000)} s while the market moved ${Math.round(dMarket / 1000)} s`;
      if (what !== '') {
        const note = `the session clock ${what} (from ${new Date(this.lastClock).toISOString()} to ${new Date(now).toISOString()}): journal and health times around here follow the clock; decisions follow the bars`;
        this.recordNote(closeTime, '', '', 'buy', 'clock_jump', note);
        this.o.log?.warn({ from: this.lastClock, to: now, marketMs: dMarket }, 'the session clock jumped');
      }
    }
    this.lastClock = now;
    this.lastClose = Math.max(Number.isFinite(this.lastClose) ? this.lastClose : closeTime, closeTime);
  }

  // ---------------------------------------------------------------- state

  /** The engine's clock after a restore (the stored time, or the last history bar's close). */
  private engineTime(): number {
    let t = Number.NEGATIVE_INFINITY;
    for (const v of this.lastBarAt.values()) t = Math.max(t, v);
    const stored = this.o.store.sessionState()?.time ?? Number.NEGATIVE_INFINITY;
    t = Math.max(t, stored);
    return Number.isFinite(t) ? t : this.o.clock();
  }

  /** Rebuilds the engine's positions, plans, DTMS state, hedges and orphans from the store. Returns the positions restored. */
  private restore(time: number): number {
    const store = this.o.store;
    const plans = new Map(store.plans().map((p) => [p.positionId, p]));
    const defences = store.defences();
    const state: StoredSessionState | null = store.sessionState();
    const snap: EngineSnapshot = {
      time: Math.max(time, state?.time ?? Number.NEGATIVE_INFINITY),
      positions: [],
      hedges: [],
      orphans: [],
      deepChecks: state?.deepChecks ?? 0,
    };
    for (const { position } of store.positions()) {
      // Rows of a position are deleted together; a row left alone is dropped at the next save.
      this.saved.set(position.id, '');
      const plan = plans.get(position.id);
      if (plan === undefined || this.engine.instrument(position.symbol) === undefined) {
        this.o.log?.warn({ positionId: position.id, symbol: position.symbol }, plan === undefined ? 'stored position without a plan: dropped' : 'stored position on an instrument this session does not manage: dropped');
        continue;
      }
      snap.positions.push({ position, plan, defence: defences.get(position.id) ?? null });
    }
    for (const id of plans.keys()) if (!this.saved.has(id)) this.saved.set(id, '');
    if (state !== null) {
      snap.hedges = state.hedges;
      snap.orphans = state.orphans.filter((o) => this.engine.instrument(o.symbol) !== undefined);
    }
    this.engine.restoreSnapshot(snap);
    return snap.positions.length;
  }

  /**
   * One transaction: the buffered decision records, `intents` journaled as pending, every position whose
   * plan, DTMS state or broker view changed, positions gone, lifetimes, the engine-wide state and the
   * health report. All of it is kept, or none: when the store refuses, nothing here counts as written
   * (the records stay buffered, the caches unchanged) and the same call can be made again. The records
   * reach `onDecision` once they are stored.
   */
  private persist(intents: readonly Intent[]): void {
    const store = this.o.store;
    const records = this.sink.buffer.slice();
    const lifetimes = this.book.changedRows();
    const ended = this.endedAtVenue.slice();
    const legacy = this.legacyUsed.slice();
    const snap = this.engine.snapshot();
    const live = new Set<string>();
    const writes: { p: EngineSnapshot['positions'][number]; order: number; json: string }[] = [];
    snap.positions.forEach((p, order) => {
      const id = p.position.id;
      live.add(id);
      const json = toPlainJson([p.plan, p.defence, p.position, order]);
      if (this.saved.get(id) !== json) writes.push({ p, order, json });
    });
    const gone = [...this.saved.keys()].filter((id) => !live.has(id));
    const state: StoredSessionState = { time: snap.time, hedges: snap.hedges, orphans: snap.orphans, deepChecks: snap.deepChecks };
    const stateJson = toPlainJson(state);
    // The report of a store that is being written: its own trouble is over if this commits.
    const health = this.assess(false);
    const shadowBook = this.o.shadow?.dirty === true ? this.o.shadow.snapshot() : undefined;
    try {
      store.transaction(() => {
        for (const r of records) store.appendDecision(r);
        for (const it of intents) this.executor.journal(it);
        for (const { p, order } of writes) {
          const id = p.position.id;
          store.savePlan(p.plan);
          if (p.defence !== null) store.saveDefence(id, p.defence);
          else store.deleteDefence(id);
          store.savePosition(p.position, order);
        }
        for (const id of gone) {
          store.deletePlan(id);
          store.deleteDefence(id);
          store.deletePosition(id);
        }
        for (const id of legacy) store.deleteLegacyRule(id);
        for (const l of lifetimes) store.saveLifetime(l);
        this.o.alongside?.(store);
        if (shadowBook !== undefined) store.saveShadowBook(shadowBook);
        if (stateJson !== this.savedState) store.saveSessionState(state);
        store.saveHealth(health);
      });
    } catch (err) {
      this.executor.unjournal(intents.map((i) => i.id));
      throw err;
    }
    // Kept: the caches follow the store.
    this.sink.buffer.splice(0, records.length);
    this.book.committed(lifetimes);
    this.legacyUsed.splice(0, legacy.length);
    for (const w of writes) this.saved.set(w.p.position.id, w.json);
    for (const id of gone) this.saved.delete(id);
    this.savedState = stateJson;
    if (shadowBook !== undefined) this.o.shadow?.committed();
    this.lines.stored(records, (id) => this.engine.position(id)?.volume ?? Number.NaN);
    if (this.o.onDecision) for (const r of records) this.o.onDecision(r);
    this.endedAtVenue.splice(0, ended.length);
    if (this.o.onLifetimeEnded) for (const e of ended) this.o.onLifetimeEnded(e);
  }
}

/** How far a market loop is behind: the wall-clock time its oldest waiting bar has waited, and how many wait. */
export interface EngineLag {
  lagMs: number;
  barsBehind: number;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * A store that cannot be written now but may be later: a full disk, a lock held by another program,
 * an I/O error, a file made read-only (SQLite's codes, as better-sqlite3 reports them, or the store's
 * own 'io'). Anything else (a bug, a row that fails validation, a journal conflict) is not retried.
 */
export function isStoreOutage(err: unknown): boolean {
  if (err instanceof StoreError) return err.code === 'io';
  if (typeof err !== 'object' || err === null || !('code' in err) || typeof err.code !== 'string') return false;
  const code = err.code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_LOCKED_') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PROTOCOL';
}

/** Why a quote is not a price ('' when it is): a time that is not one, bid or ask not a positive number, or crossed (bid above ask). */
export function quoteProblem(q: BrokerQuote): string {
  if (!Number.isFinite(q.time)) return `quote time ${q.time} is not a time`;
  if (!(Number.isFinite(q.bid) && q.bid > 0 && Number.isFinite(q.ask) && q.ask > 0)) return `quote has a price that is not a positive number (bid ${q.bid}, ask ${q.ask})`;
  if (q.bid > q.ask) return `quote is crossed (bid ${q.bid} above ask ${q.ask})`;
  return '';
}

const isBarList = (h: readonly Bar[] | TimeframeHistory): h is readonly Bar[] => Array.isArray(h);

/** Why a bar cannot be folded into the features ('' when it can): not a price, not a bar, or not after the last one. */
export function barProblem(bar: Bar, lastCloseTime: number, baseMs: number): string {
  const { open, high, low, close } = bar;
  if (!Number.isFinite(bar.time)) return `bar time ${bar.time} is not a time`;
  if (![open, high, low, close].every((x) => Number.isFinite(x) && x > 0)) return `bar at ${new Date(bar.time).toISOString()} has a price that is not a positive number (${open}/${high}/${low}/${close})`;
  if (high < low || high < Math.max(open, close) || low > Math.min(open, close)) return `bar at ${new Date(bar.time).toISOString()} is not a bar (high ${high}, low ${low}, open ${open}, close ${close})`;
  if (bar.time + baseMs <= lastCloseTime) return `bar at ${new Date(bar.time).toISOString()} is not after the last one (closed ${new Date(lastCloseTime).toISOString()})`;
  return '';
}
