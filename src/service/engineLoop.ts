// The live engine loop of `warden serve` on the embedded default: a played market (paperMarket.ts)
// feeds the paper account (stops and targets fill inside each bar) and the account session (decisions,
// journal, execution), at `speed` bars per second. A few demo positions are kept open per symbol, as a
// trader would open them by hand, so there is always something to manage. Stops between two bars.
// Decisions are on bars only here: the played market has no quotes between its bars (a real account
// decides on quotes between bars too: quoteFeed.ts).
import type { Logger } from 'pino';
import type { PaperAccount } from '../brokers/paperAccount.ts';
import { ceilToStep, floorToStep, roundStop, roundVolumeDown } from '../domain/rounding.ts';
import type { Bar, Instrument, Side } from '../domain/types.ts';
import type { AccountSession, EngineLag, StepReport } from '../execution/accountSession.ts';
import type { PaperMarket } from './paperMarket.ts';
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

  constructor(private readonly o: EngineLoopOptions) {
    if (!(o.speed > 0)) throw new RangeError(`speed must be > 0 bars per second, got ${o.speed}`);
    this.now = o.now ?? Date.now;
    this.failures = new StepFailures(o.log, 'the market plays on');
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
    const sleep = this.o.sleep ?? realSleep;
    const gap = 1000 / this.o.speed;
    for (const inst of this.o.instruments) this.topUp(inst);
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
      if (report !== null) this.o.onStep?.(e.symbol, report);
      const inst = this.o.instruments.find((i) => i.symbol === e.symbol);
      if (inst) {
        this.barsSinceOpen.set(e.symbol, (this.barsSinceOpen.get(e.symbol) ?? Number.POSITIVE_INFINITY) + 1);
        this.topUp(inst);
      }
      const wait = gap - (this.now() - t0);
      if (wait > 0 && !this.stopping) await sleep(wait);
      // Behind its schedule the loop would start the next step at once, every time, and the API, the
      // event stream and the timers would never get the thread: it hands it over after every step.
      else await yieldToOthers();
    }
  }

  /** Opens a demo position on the symbol when fewer than `demoPositions` are open and the last one is old enough. */
  private topUp(inst: Instrument): void {
    const want = this.o.demoPositions;
    if (want <= 0) return;
    const broker = this.o.account.broker(inst.symbol);
    const open = broker.positions().filter((p) => !p.comment.startsWith('DTMS_')).length;
    if (open >= want || (this.barsSinceOpen.get(inst.symbol) ?? Number.POSITIVE_INFINITY) < (this.o.reopenBars ?? 30)) return;
    const q = broker.quote();
    if (!Number.isFinite(q.bid)) return;
    const atr = this.o.session.engine.features(inst.symbol).atr;
    const side: Side = this.opened % 2 === 0 ? 'buy' : 'sell';
    const entry = side === 'buy' ? q.ask : q.bid;
    const dist = atr > 0 ? 1.5 * atr : entry * 0.003;
    const s = side === 'buy' ? 1 : -1;
    const sl = roundStop(side, entry - s * dist, inst.tickSize);
    const tp = side === 'buy' ? floorToStep(entry + 2 * dist, inst.tickSize) : ceilToStep(entry - 2 * dist, inst.tickSize);
    const volume = Math.max(inst.minLot, roundVolumeDown(inst.minLot * 10, inst.lotStep));
    const a = broker.open({ requestId: `demo:${inst.symbol}:${this.opened}`, side, volume, sl, tp, comment: this.opened % 3 === 0 ? 'scalp' : 'demo', exempt: true });
    this.opened++;
    this.barsSinceOpen.set(inst.symbol, 0);
    if (a.outcome === 'applied') this.o.log?.info({ symbol: inst.symbol, side, volume, sl, tp, ticket: a.positionId }, 'demo position opened');
  }
}
