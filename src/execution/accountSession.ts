// One trading account, managed live: the engine, the store, the broker and the executor wired so that
// a crash at whatever instant loses no decision and applies none twice: every decision and intent is
// kept before anything is sent, and every answer is kept with the state it produced.
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
// degraded with the reason meanwhile, and nothing decided in the step is sent before it is kept
// (storeOutage.ts). Decisions kept only after a long outage are not sent at all: they are refused,
// recorded, and the engine decides afresh on fresh prices.
// On start: the bars before now rebuild the features, the stored state is restored
// (storedEngineState.ts), every intent the engine still waits on is settled (from the journal when the
// broker had answered, else from the broker's positions), then the broker's positions are taken as
// they are (venueSync.ts). A crash between 2 and 4 leaves intents `pending` or `unknown` with the plans
// that sent them: the start settles them.
import type { Logger } from 'pino';
import type { BrokerQuote } from '../brokers/brokerPort.ts';
import { TIMEFRAME_MS, type Bar, type Intent, type Position } from '../domain/types.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import { FeatureBreakers } from '../features/featureBreaker.ts';
import type { TimeframeHistory } from '../features/warmUp.ts';
import { describeStoreFailure, type WardenStore } from '../store/store.ts';
import type { HealthReport } from './health.ts';
import { IntentExecutor } from './intentExecutor.ts';
import { answersKeptWithVenue } from './venueJournal.ts';
import { SessionConsole } from './consoleLines.ts';
import { barProblem, foldHistory, quoteProblem } from './marketInput.ts';
import { QuoteGate } from './quoteGate.ts';
import type { RetryPolicy } from './retryPolicy.ts';
import { BufferedSink, ClockWatch, manualNote, sessionNote } from './sessionNotes.ts';
import { keepAndSend, type DispatchParts } from './decisionDispatch.ts';
import { keepSessionState, type KeptParts } from './sessionTransaction.ts';
import type { ShadowBook } from './shadowBook.ts';
import { StepTimes } from './stepTimes.ts';
import { keepLease, type LeaseKeeper } from './leaseKeeper.ts';
import { claimStore, thisProcess } from './storeClaim.ts';
import { SessionHealth } from './sessionHealth.ts';
import { promoteToLive } from './shadowSteps.ts';
import { StoredEngineState } from './storedEngineState.ts';
import { isStoreOutage, StoreOutage, StoreUnavailableError } from './storeOutage.ts';
import { VenueSync } from './venueSync.ts';
import type { AccountSessionOptions, EngineLag, QuoteStepReport, StartReport, StepReport } from './sessionTypes.ts';

export type { AccountSessionOptions, EngineLag, QuoteStepReport, StartReport, StepReport } from './sessionTypes.ts';
export { StoreInUseError } from './storeClaim.ts';
export { StoreUnavailableError } from './storeOutage.ts';

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class AccountSession {
  readonly engine: ExitEngine;
  readonly executor: IntentExecutor;
  readonly breakers: FeatureBreakers;
  /** The trader's console: a line per action, DTMS change and position adopted or gone (consoleLines.ts). */
  readonly lines: SessionConsole;
  /** The store the session keeps its state in (the views read the journal from it). */
  readonly store: WardenStore;
  /** Shadow mode's would-be positions (undefined: the account is live). */
  readonly shadow: ShadowBook | undefined;
  /** The session's clock (see AccountSessionOptions.clock). */
  private readonly clock: () => number;
  private readonly log: Logger | undefined;
  private readonly sink = new BufferedSink();
  private readonly baseMs: number;
  /** Close time of the last bar folded into each symbol's features. */
  private readonly lastBarAt = new Map<string, number>();
  /** The latest bar stepped per symbol (the shadow book reads how a position left the venue from it). */
  private readonly lastBars = new Map<string, Bar>();
  private readonly storeOutage: StoreOutage;
  private readonly engineState = new StoredEngineState();
  private readonly venue: VenueSync;
  private readonly quotes: QuoteGate;
  /** The session's clock against the market's, step by step (a clock jump is recorded). */
  private readonly clockWatch = new ClockWatch();
  private steps: Promise<unknown> = Promise.resolve();
  private started = false;
  private leaseKeeper: LeaseKeeper | null = null;
  /** What health reports (see health()). */
  private readonly healthNow: SessionHealth;
  /** The parts a decision goes through on its way to the broker (keepAndSend), and those the store keeps. */
  private readonly parts: DispatchParts & KeptParts;

  constructor(private readonly wiring: AccountSessionOptions) {
    const { config, store, clock, log } = wiring;
    this.store = store;
    this.shadow = wiring.shadow;
    this.clock = clock;
    this.log = log;
    this.engine = new ExitEngine(config, { baseTimeframe: wiring.baseTimeframe, sink: this.sink });
    const execution = config.execution;
    const retry: RetryPolicy = {
      maxSends: execution.maxSends,
      baseDelayMs: execution.retryBaseMs,
      rateLimitDelayMs: execution.rateLimitWaitMs,
      maxDelayMs: execution.retryMaxWaitMs,
    };
    this.executor = new IntentExecutor(wiring.broker, answersKeptWithVenue(store, wiring.alongside), {
      retry,
      clock,
      sleep: wiring.sleep ?? realSleep,
      ...(log ? { log } : {}),
    });
    this.breakers = new FeatureBreakers({
      maxFailures: execution.breakerFailures,
      openMs: execution.breakerOpenSec * 1000,
    });
    this.lines = new SessionConsole(log, (symbol) => this.engine.instrument(symbol));
    this.baseMs = TIMEFRAME_MS[wiring.baseTimeframe];
    this.storeOutage = new StoreOutage(store.location, clock, log, wiring.storeSleep);
    this.quotes = new QuoteGate(this.engine, this.lastBarAt, log);
    this.healthNow = new SessionHealth({
      config,
      instruments: wiring.instruments,
      engine: this.engine,
      breakers: this.breakers,
      store,
      lastBarAt: this.lastBarAt,
      clock,
      wallClock: wiring.wallClock,
    });
    this.venue = new VenueSync({
      engine: this.engine,
      store,
      executor: this.executor,
      lines: this.lines,
      shadow: this.shadow,
      log,
      clock,
      record: (r) => this.sink.record(r),
      rejections: this.healthNow.rejections,
      lastBars: this.lastBars,
    });
    this.parts = {
      engine: this.engine,
      store,
      executor: this.executor,
      venue: this.venue,
      lines: this.lines,
      shadow: this.shadow,
      sink: this.sink,
      log,
      clock,
      baseMs: this.baseMs,
      storeOutage: this.storeOutage,
      rejections: this.healthNow.rejections,
      persist: (intents) => this.persist(intents),
      venuePositions: () => this.venuePositions(),
      readPositions: () => this.readPositions(),
      engineState: this.engineState,
      health: this.healthNow,
      wiring,
    };
    for (const inst of wiring.instruments) this.engine.addInstrument(inst);
  }

  /**
   * Starts (or restarts) the session: `history` (closed bars per symbol, oldest first, up to now:
   * base bars, or bars per timeframe for a warm-up of every timeframe from its own bars) rebuilds the
   * features; then the stored state is restored and settled with the broker. Throws when
   * the broker's positions cannot be read: nothing is decided blind.
   */
  async start(history: ReadonlyMap<string, readonly Bar[] | TimeframeHistory> = new Map()): Promise<StartReport> {
    if (this.started) throw new Error('AccountSession.start: already started');
    claimStore(this.store, this.wiring.owner ?? thisProcess(), this.clock, this.log);
    this.started = true;
    this.leaseKeeper = keepLease(this.store, this.log, (message) => this.wiring.onLeaseLost?.(message));
    this.venue.start();
    const time = foldHistory(this.engine, history, this.wiring.baseTimeframe, this.baseMs, this.lastBarAt);
    const restored = this.engineState.restore(
      this.store,
      this.engine,
      Number.isFinite(time) ? time : this.clock(),
      this.log,
    );
    const now = this.engineTime();
    const book = this.venue.book;
    // Lifetimes left open by a position the restore dropped: nothing manages them any more.
    for (const l of book.open()) {
      if (this.engine.plan(l.key) !== undefined) continue;
      const change = book.end(l.ticket, now, 'not restored at start (its plan or instrument is not in this session)');
      if (change) this.venue.recordLifetime(change, now);
    }
    const positions = await this.venuePositions();
    const report: StartReport = { restored, settled: [], adopted: [], fromLegacy: [], closedWhileAway: [] };
    this.venue.settleOutstanding(this.venue.asManaged(positions), 'at start', report.settled);
    const before = new Set(this.engine.positionIds());
    this.venue.syncWith(positions, now, report);
    for (const id of before) if (this.engine.plan(id) === undefined) report.closedWhileAway.push(id);
    this.persist([]);
    this.log?.info(
      {
        restored,
        settled: report.settled.length,
        adopted: report.adopted.length,
        closed: report.closedWhileAway.length,
      },
      'session started',
    );
    return report;
  }

  /**
   * Changes the engine's state from outside the market (the API: disable a plan, change its
   * parameters) between two steps, then stores it. Returns what `change` returns.
   */
  act<T>(change: () => T): Promise<T> {
    // Refused at once while the store cannot be written (the step under way waits for it, and so
    // would this change): nothing is changed.
    const refusal = () =>
      `the store cannot be written (${this.storeOutage.trouble?.reason}): nothing is changed until it can`;
    if (this.storeOutage.trouble !== null) return Promise.reject(new StoreUnavailableError(refusal()));
    return this.queue(() => {
      if (this.storeOutage.trouble !== null) throw new StoreUnavailableError(refusal());
      const result = change();
      try {
        this.persist([]);
      } catch (err) {
        if (!isStoreOutage(err)) throw err;
        this.storeOutage.note(err, 1);
        // The change is made in memory and goes into the store with the next step that can write it.
        throw new StoreUnavailableError(
          `the change is made, but the store cannot be written (${describeStoreFailure(err)}): it is kept with the next step that can write; a restart before then loses it`,
        );
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
      if (this.venue.unsettled)
        this.venue.settleOutstanding(this.venue.asManaged(positions), 'after an unknown answer', []);
      this.venue.strategyAsked = strategy ?? null;
      try {
        this.venue.syncWith(positions, this.engineTime(), null);
      } finally {
        this.venue.strategyAsked = null;
      }
      await this.storeOutage.commit(() => this.persist([]));
    });
  }

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
    const l = this.venue.bookIfStarted?.of(ticket);
    return l !== undefined && this.engine.plan(l.key) !== undefined ? l.key : undefined;
  }

  /**
   * Stops waiting for a store that cannot be written: the step waiting gives up (what it decided is
   * not kept, and nothing of it was sent), and no step waits again. For a stop that must end.
   */
  interrupt(): void {
    this.storeOutage.interrupt();
  }

  /**
   * Waits for the step under way (see interrupt), stores the session's state once more (an API
   * change, the paper account as it stopped), then releases the store for another session. A store
   * that cannot be written is said in the log, never a reason not to close.
   */
  async close(): Promise<void> {
    this.interrupt();
    this.leaseKeeper?.stop();
    this.leaseKeeper = null;
    await this.steps;
    if (this.started) {
      try {
        this.persist([]);
      } catch (err) {
        this.log?.warn({ error: messageOf(err) }, 'could not store the session state at close');
      }
      try {
        this.store.saveSessionOwner(null);
      } catch (err) {
        // A store that cannot be written keeps this session as its owner: the next one takes over
        // from a process that is gone (claimStore).
        this.log?.warn({ error: messageOf(err) }, 'could not release the store at close');
      }
    }
    this.started = false;
  }

  /** Plugs in how far the market loop feeding this session is behind (reported by health). */
  setLagSource(lag: () => EngineLag): void {
    this.healthNow.lagSource = lag;
  }

  /** Plugs in what the quote feed finds wrong (stale quotes, a stream down): each degrades health. */
  setQuoteProblems(problems: () => string[]): void {
    this.healthNow.quoteProblems = problems;
  }

  /** A closed bar of `symbol`. Steps run one at a time, in call order. */
  onBar(symbol: string, bar: Bar): Promise<StepReport> {
    return this.queue(async () => {
      const began = performance.now();
      try {
        return await this.step(symbol, () => this.stepOn(symbol, bar));
      } finally {
        this.stepTimes.add(performance.now() - began);
      }
    });
  }

  /** How long the bar steps took (the latest ones), for /metrics. */
  readonly stepTimes = new StepTimes();

  /**
   * A quote of `symbol` between two bars (a real account's quote feed): the positions on the symbol
   * are decided at it with the features of the last closed bar (stops trail, DTMS's fast check runs
   * on its own interval), and what is decided is kept and sent as in a bar step. Queued with the bar
   * steps, one at a time. A quote that cannot be taken (see QuoteGate.skip) is no step: nothing is
   * read, decided or written.
   */
  onQuote(symbol: string, quote: BrokerQuote): Promise<QuoteStepReport> {
    const bad = quoteProblem(quote);
    if (bad !== '') return Promise.resolve(this.quoteSkipped(symbol, 'price', bad));
    return this.queue(() => {
      if (!this.started) throw new Error('AccountSession: call start() first');
      const skipped = this.quotes.skip(symbol, quote);
      if (skipped !== null) return this.quoteSkipped(symbol, skipped.kind, skipped.why);
      return this.step(symbol, () => this.quoteOn(symbol, quote));
    });
  }

  /** The market data of `symbol` could not be had (a feed error): counts toward its breaker. */
  feedFailed(symbol: string, error: string): void {
    if (this.breakers.failure(symbol, this.clock(), error))
      this.log?.warn({ symbol, error }, 'feature circuit breaker open: holding the last good values');
  }

  /** Health now: breakers, feeds, unsettled intents, recent refusals, the store, the engine's lag. */
  health(): HealthReport {
    return this.healthNow.assess(this.storeOutage.trouble);
  }

  // ---------------------------------------------------------------- a step

  private async step<R>(symbol: string, run: () => Promise<R>): Promise<R> {
    if (!this.started) throw new Error('AccountSession: call start() first');
    try {
      const report = await run();
      this.healthNow.stepFailure = null;
      this.healthNow.lastStepAt = this.wiring.wallClock?.() ?? this.clock();
      return report;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) {
        this.healthNow.stepFailure = { at: this.clock(), message: messageOf(err) };
        this.log?.error({ symbol, err }, 'a step failed');
      }
      throw err;
    }
  }

  /**
   * The broker's view first: stops and targets filled since the last step, positions opened or closed
   * by hand, intents still unsettled. Unreadable: decide on the last view (the broker refuses what no
   * longer fits), but never settle blind.
   */
  private async syncBeforeDeciding(now: number): Promise<void> {
    const before = await this.readPositions();
    if (before === null) return;
    if (this.venue.unsettled) this.venue.settleOutstanding(this.venue.asManaged(before), 'after an unknown answer', []);
    this.venue.syncWith(before, now, null);
  }

  private async stepOn(symbol: string, bar: Bar): Promise<StepReport> {
    const closeTime = bar.time + this.baseMs;
    this.noteClock(closeTime);
    this.lastBars.set(symbol, bar);
    // A would-be stop the bar crossed ends its would-be position before anything is decided on the bar.
    this.shadow?.onBar(symbol, bar, closeTime);
    await this.syncBeforeDeciding(closeTime);
    const out: Intent[] = [];
    let problem = barProblem(bar, this.lastBarAt.get(symbol) ?? Number.NaN, this.baseMs);
    let held = !this.breakers.allows(symbol, this.clock());
    if (!held && problem === '') {
      try {
        this.engine.onBar(symbol, bar, out);
        this.lastBarAt.set(symbol, closeTime);
        if (this.breakers.success(symbol)) this.log?.info({ symbol }, 'feature circuit breaker closed');
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
    const results = await keepAndSend(this.parts, out, closeTime);
    return { intents: results, featuresHeld: held, barProblem: problem };
  }

  /** A quote not stepped on (see QuoteGate). */
  private quoteSkipped(symbol: string, kind: string, why: string): QuoteStepReport {
    this.quotes.refused(symbol, kind, why);
    return { intents: [], featuresHeld: false, skipped: why };
  }

  private async quoteOn(symbol: string, q: BrokerQuote): Promise<QuoteStepReport> {
    this.noteClock(q.time);
    // A would-be stop the quote reached ends its would-be position first, as a bar's range does.
    this.shadow?.onBar(
      symbol,
      {
        time: q.time - this.baseMs,
        open: q.bid,
        high: q.bid,
        low: q.bid,
        close: q.bid,
        volume: 0,
        spread: q.ask - q.bid,
      },
      q.time,
    );
    await this.syncBeforeDeciding(q.time);
    const out: Intent[] = [];
    const held = !this.breakers.allows(symbol, this.clock());
    this.engine.onQuote(symbol, q.time, q.bid, q.ask, out);
    this.quotes.taken(symbol, q.time);
    // Nothing decided (most quotes): one write of what changed (a trail's reference, DTMS's check
    // times, the engine's time and the health report), as a bar step's last one; decisions go the one
    // way a bar step's go.
    if (out.length === 0 && this.sink.buffer.length === 0) {
      await this.storeOutage.commit(() => this.persist([]));
      return { intents: [], featuresHeld: held, skipped: '' };
    }
    const intents = await keepAndSend(this.parts, out, q.time);
    return { intents, featuresHeld: held, skipped: '' };
  }

  /** The venue's positions, seen through the shadow book's would-be positions in shadow mode. */
  private async venuePositions(): Promise<Position[]> {
    const venue = await this.wiring.broker.positions();
    const shadow = this.shadow;
    if (shadow === undefined) return venue;
    return shadow.overlay(venue, this.engineTimeNow(), (symbol) => {
      const q =
        this.engine.instrument(symbol) === undefined ? { bid: Number.NaN, ask: Number.NaN } : this.engine.quote(symbol);
      return { bid: q.bid, ask: q.ask, bar: this.lastBars.get(symbol) ?? null };
    });
  }

  /** The broker's positions, or null (logged) when it cannot be read now. */
  private async readPositions(): Promise<Position[] | null> {
    try {
      return await this.venuePositions();
    } catch (err) {
      this.log?.warn(
        { broker: this.wiring.broker.name, error: err instanceof Error ? err.message : String(err) },
        'cannot read the broker positions',
      );
      return null;
    }
  }

  /** The engine's clock where it has one, else the session's. */
  private engineTimeNow(): number {
    const lastClose = this.clockWatch.lastClose;
    return Number.isFinite(lastClose) ? lastClose : this.clock();
  }

  /**
   * Shadow mode: `symbol` goes live, without a restart (see promoteToLive). Returns the lifetimes
   * ended, or null when the symbol is not shadowed.
   */
  promote(symbol: string): Promise<string[] | null> {
    return this.act(() => {
      const shadow = this.shadow;
      if (shadow === undefined || !shadow.shadows(symbol)) return null;
      return promoteToLive(shadow, symbol, this.engineTimeNow(), {
        engine: this.engine,
        venue: this.venue,
        managedKey: (ticket) => this.managedKey(ticket),
        record: (r) => this.sink.record(r),
        log: this.log,
      });
    });
  }

  /**
   * A trader's change to the position managed under `key`, recorded as a `manual` decision: `change`
   * says what changed, from what to what; `source` where the request came from (the page, the API,
   * Telegram, an agent). Called inside `act`, so the record is stored with the change, or neither is.
   */
  recordManual(key: string, change: string, source: string): void {
    const engine = this.engine;
    const pos = engine.position(key);
    const quote = pos === undefined ? null : engine.quote(pos.symbol);
    this.sink.record(manualNote(this.engineTime(), key, engine.plan(key), pos, quote, change, source));
  }

  /** Records a jump of the session's clock (see ClockWatch); the step goes on. */
  private noteClock(closeTime: number): void {
    const jump = this.clockWatch.step(this.clock(), closeTime);
    if (jump === null) return;
    this.sink.record(sessionNote(closeTime, '', '', 'buy', 'clock_jump', jump.note));
    this.log?.warn({ from: jump.from, to: jump.to, marketMs: jump.marketMs }, 'the session clock jumped');
  }

  // ---------------------------------------------------------------- state

  /** The engine's clock after a restore (the stored time, or the last history bar's close). */
  private engineTime(): number {
    let t = Number.NEGATIVE_INFINITY;
    for (const v of this.lastBarAt.values()) t = Math.max(t, v);
    const stored = this.store.sessionState()?.time ?? Number.NEGATIVE_INFINITY;
    t = Math.max(t, stored);
    return Number.isFinite(t) ? t : this.clock();
  }

  /** One transaction: the session's state, `intents` journaled as pending (see keepSessionState). */
  private persist(intents: readonly Intent[]): void {
    keepSessionState(this.parts, intents);
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
