// The live engine loop of `warden serve` on the embedded default: a played market (paperMarket.ts)
// feeds the paper account (stops and targets fill inside each bar) and the account session (decisions,
// journal, execution), at `speed` bars per second. A few demo positions are kept open per symbol, as a
// trader would open them by hand, so there is always something to manage. Stops between two bars.
// Decisions are on bars only here: the played market has no quotes between its bars (a real account
// decides on quotes between bars too: quoteFeed.ts).
// The demo trader's openings are summarised on the console, not said one by one (a busy demo would
// bury Warden's actions): one line for those opened before the first bar, then one per
// `openingsEveryBars` bars played (when any opened), and one for the rest when the loop ends. Counting
// bars, not wall time, keeps the lines the same however fast the machine plays. Each opening is still
// logged at debug level with its fields, and the summary's JSON names every ticket.
import type { Logger } from 'pino';
import type { PaperAccount } from '../brokers/paperAccount.ts';
import { ceilToStep, floorToStep, roundStop, roundVolumeDown } from '../domain/rounding.ts';
import type { Bar, Instrument, Side } from '../domain/types.ts';
import type { AccountSession, EngineLag, StepReport } from '../execution/accountSession.ts';
import type { PaperMarket } from './paperMarket.ts';
import { clockText } from '../execution/consoleLines.ts';
import { StepFailures, StepGate } from './stepGate.ts';

export interface EngineLoopOptions {
  /** The bars to play, one at a time (the generated market, or bars read from a file). */
  market: Pick<PaperMarket, 'nextBar'>;
  account: PaperAccount;
  session: AccountSession;
  instruments: readonly Instrument[];
  /** Bars played per second (all symbols together). */
  speed: number;
  /** Demo positions kept open per symbol (0: none), each opened at least `reopenBars` bars after the last. */
  demoPositions: number;
  reopenBars?: number;
  log?: Logger;
  /** Called with each bar's close time before its step (the session's clock follows the market). */
  beforeStep?: (symbol: string, closeTime: number) => void;
  /** Called with each bar as it is played (before its step). */
  onBar?: (symbol: string, bar: Bar) => void;
  /** Called after every step (live views). */
  onStep?: (symbol: string, report: StepReport) => void;
  sleep?: (ms: number) => Promise<void>;
  /** The wall clock that paces the market (epoch ms; default Date.now). */
  now?: () => number;
  /**
   * The demo trader's openings are summarised on the console once per this many bars played (all
   * symbols together). Default: `speed` x 60, a minute of the market's pace.
   */
  openingsEveryBars?: number;
}

/** What the service drives and the API pauses: the played market here, the venue's bars on a real account (brokerFeed.ts). */
export interface MarketLoop {
  /** Bars fed so far. */
  readonly played: number;
  run(): Promise<void>;
  /** Holds after the bar under way (resolves once it is done). */
  pause(): Promise<void>;
  resume(): void;
  /** Finishes the bar under way, then stops. */
  stop(): Promise<void>;
  /** How far behind the market the engine is: how long the oldest bar waiting to be stepped has waited, and how many wait. */
  lag(): EngineLag;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets what waits on I/O and timers run (setImmediate: after them, unlike a resolved promise). */
const yieldToOthers = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class EngineLoop implements MarketLoop {
  private stopping = false;
  private done: Promise<void> | null = null;
  private readonly barsSinceOpen = new Map<string, number>();
  private opened = 0;
  /** Bars played so far. */
  played = 0;
  /** The schedule: bars played and the wall clock when it last started (run, or resume after a pause). */
  private scheduleAt = Number.NaN;
  private scheduledFrom = 0;
  private readonly now: () => number;
  private readonly failures: StepFailures;
  private readonly openings: OpeningsTally;

  constructor(private readonly o: EngineLoopOptions) {
    if (!(o.speed > 0)) throw new RangeError(`speed must be > 0 bars per second, got ${o.speed}`);
    this.now = o.now ?? Date.now;
    this.failures = new StepFailures(o.log, 'the market plays on');
    const every = o.openingsEveryBars ?? Math.round(o.speed * 60);
    if (!(every >= 1)) throw new RangeError(`openingsEveryBars must be >= 1, got ${every}`);
    this.openings = new OpeningsTally(
      o.instruments.map((i) => i.symbol),
      Math.floor(every),
    );
  }

  /** Behind the schedule of `speed` bars a second since the loop last started: those bars are waiting. */
  lag(): EngineLag {
    if (!Number.isFinite(this.scheduleAt) || this.gate.passed() !== null) return { lagMs: 0, barsBehind: 0 };
    const due = Math.floor(((this.now() - this.scheduleAt) * this.o.speed) / 1000);
    const barsBehind = Math.max(0, due - (this.played - this.scheduledFrom));
    return { lagMs: Math.round((barsBehind * 1000) / this.o.speed), barsBehind };
  }

  private restartSchedule(): void {
    this.scheduleAt = this.now();
    this.scheduledFrom = this.played;
  }

  /** Starts playing (the session must be started). Resolves when the market ends or `stop` is called. */
  run(): Promise<void> {
    this.done ??= this.loop();
    return this.done;
  }

  private readonly gate = new StepGate();

  /** Holds the market after the bar under way (resolves once it is done); `resume` plays on. */
  pause(): Promise<void> {
    return this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
    // A pause is not lag: the schedule starts again from here.
    if (Number.isFinite(this.scheduleAt)) this.restartSchedule();
  }

  /** Finishes the bar under way, then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.resume();
    await this.done;
  }

  private async loop(): Promise<void> {
    try {
      await this.play();
    } finally {
      // Whatever opened since the last summary is said before the loop ends.
      this.summarise(this.played, 'the loop ended');
    }
  }

  private async play(): Promise<void> {
    const sleep = this.o.sleep ?? realSleep;
    const gap = 1000 / this.o.speed;
    for (const inst of this.o.instruments) this.fill(inst);
    this.summarise(this.played, 'start');
    this.restartSchedule();
    while (!this.stopping) {
      const held = this.gate.passed();
      if (held !== null) {
        await held;
        continue;
      }
      const e = this.o.market.nextBar();
      if (e === null) {
        this.o.log?.info({ played: this.played }, 'the played market has ended');
        return;
      }
      const t0 = this.now();
      let report: StepReport | null = null;
      try {
        report = await this.gate.step(() => {
          this.o.beforeStep?.(e.symbol, e.bar.time + 60_000);
          this.o.onBar?.(e.symbol, e.bar);
          this.o.account.onBar(e.symbol, e.bar, e.bar.time + 60_000);
          return this.o.session.onBar(e.symbol, e.bar);
        });
        this.failures.succeeded(e.symbol);
      } catch (err) {
        this.failures.failed(e.symbol, err);
      }
      this.played++;
      this.openings.marketAt(e.bar.time + 60_000);
      if (report !== null) this.o.onStep?.(e.symbol, report);
      const inst = this.o.instruments.find((i) => i.symbol === e.symbol);
      if (inst) {
        this.barsSinceOpen.set(e.symbol, (this.barsSinceOpen.get(e.symbol) ?? Number.POSITIVE_INFINITY) + 1);
        this.fill(inst);
      }
      if (this.openings.due(this.played)) this.summarise(this.played, 'bars');
      const wait = gap - (this.now() - t0);
      if (wait > 0 && !this.stopping) await sleep(wait);
      // Behind its schedule the loop would start the next step at once, every time, and the API, the
      // event stream and the timers would never get the thread: it hands it over after every step.
      else await yieldToOthers();
    }
  }

  /** One demo opening when due; with reopenBars 0, every one missing at once (a full book from the first bar). */
  private fill(inst: Instrument): void {
    if ((this.o.reopenBars ?? 30) > 0) this.topUp(inst);
    else while (this.topUp(inst));
  }

  /** Opens a demo position on the symbol when fewer than `demoPositions` are open and the last one is old enough; true when it opened one. */
  private topUp(inst: Instrument): boolean {
    const want = this.o.demoPositions;
    if (want <= 0) return false;
    const broker = this.o.account.broker(inst.symbol);
    const open = broker.positions().filter((p) => !p.comment.startsWith('DTMS_')).length;
    if (open >= want || (this.barsSinceOpen.get(inst.symbol) ?? Number.POSITIVE_INFINITY) < (this.o.reopenBars ?? 30))
      return false;
    const q = broker.quote();
    if (!Number.isFinite(q.bid)) return false;
    const atr = this.o.session.engine.features(inst.symbol).atr;
    const side: Side = this.opened % 2 === 0 ? 'buy' : 'sell';
    const entry = side === 'buy' ? q.ask : q.bid;
    const dist = atr > 0 ? 1.5 * atr : entry * 0.003;
    const s = side === 'buy' ? 1 : -1;
    const sl = roundStop(side, entry - s * dist, inst.tickSize);
    const tp =
      side === 'buy' ? floorToStep(entry + 2 * dist, inst.tickSize) : ceilToStep(entry - 2 * dist, inst.tickSize);
    const volume = Math.max(inst.minLot, roundVolumeDown(inst.minLot * 10, inst.lotStep));
    const a = broker.open({
      requestId: `demo:${inst.symbol}:${this.opened}`,
      side,
      volume,
      sl,
      tp,
      comment: this.opened % 3 === 0 ? 'scalp' : 'demo',
      exempt: true,
    });
    this.opened++;
    this.barsSinceOpen.set(inst.symbol, 0);
    if (a.outcome !== 'applied') return false;
    // Said by the summary, and by the session at debug level when it adopts the position.
    this.o.session.lines.openedByDemoTrader(a.positionId);
    this.openings.add(inst.symbol, a.positionId, q.time);
    this.o.log?.debug(
      { symbol: inst.symbol, side, volume, sl, tp, ticket: a.positionId, at: q.time },
      'demo position opened',
    );
    return true;
  }

  /** The demo trader's summary line, when it opened any since the last one. */
  private summarise(played: number, why: 'start' | 'bars' | 'the loop ended'): void {
    const s = this.openings.take(played);
    if (s === null) return;
    const by = s.bySymbol.map(([symbol, n]) => `${symbol} ${n}`).join(', ');
    const when = why === 'start' ? 'at the start' : `since ${clockText(s.since)} (${s.bars} bars played)`;
    this.o.log?.info(
      {
        event: 'demo_openings',
        at: s.at,
        opened: s.tickets.length,
        bySymbol: Object.fromEntries(s.bySymbol),
        tickets: s.tickets,
        bars: s.bars,
      },
      `demo trader: ${s.tickets.length} position${s.tickets.length === 1 ? '' : 's'} opened ${when}: ${by}`,
    );
  }
}

/** What one demo summary says: the openings since the last one, per symbol. */
export interface OpeningsSummary {
  /** The market time of the summary (the last bar's close, or the last opening's time). */
  at: number;
  /** The market time of the last summary (or of the first opening, for the first one). */
  since: number;
  /** Bars played since the last summary. */
  bars: number;
  /** Symbols in the configured order, those that opened any only. */
  bySymbol: [string, number][];
  tickets: string[];
}

/**
 * The demo trader's openings since the last summary, and when the next summary is due: every
 * `every` bars played. Driven by the bars played and the market's time only (no wall clock).
 */
export class OpeningsTally {
  private readonly counts = new Map<string, number>();
  private tickets: string[] = [];
  private lastPlayed = 0;
  private at = Number.NaN;
  private since = Number.NaN;

  constructor(
    private readonly symbols: readonly string[],
    private readonly every: number,
  ) {}

  /** The market's time moved on (a bar closed). */
  marketAt(t: number): void {
    if (!(t <= this.at)) this.at = t;
  }

  add(symbol: string, ticket: string, t: number): void {
    this.counts.set(symbol, (this.counts.get(symbol) ?? 0) + 1);
    this.tickets.push(ticket);
    this.marketAt(t);
    if (Number.isNaN(this.since)) this.since = t;
  }

  /** A summary is due at `played` bars: `every` bars since the last one. */
  due(played: number): boolean {
    return played - this.lastPlayed >= this.every;
  }

  /** The summary since the last one (null: nothing opened), and the count starts again from `played`. */
  take(played: number): OpeningsSummary | null {
    const bars = played - this.lastPlayed;
    this.lastPlayed = played;
    const since = this.since;
    this.since = this.at;
    if (this.tickets.length === 0) return null;
    const bySymbol: [string, number][] = [];
    for (const s of this.symbols) {
      const n = this.counts.get(s) ?? 0;
      if (n > 0) bySymbol.push([s, n]);
    }
    const tickets = this.tickets;
    this.tickets = [];
    this.counts.clear();
    return { at: this.at, since, bars, bySymbol, tickets };
  }
}
