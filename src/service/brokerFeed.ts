// The live loop of `warden serve` on a real account: the venue's own bars drive the session. Every
// `pollMs` it asks the broker for each symbol's M1 bars closed since the last one it fed, and steps
// the session on each, in time order. Polling closed bars (rather than streaming ticks) is what the
// engine needs, since it decides on closed bars, and it recovers from a dropped connection by asking
// again: a bar missed while the venue was unreachable is fetched on the next poll (up to 1,000).
// A venue that cannot be read counts as a feed failure (the symbol's circuit breaker; health).
import type { Logger } from 'pino';
import type { BrokerPort } from '../brokers/brokerPort.ts';
import type { Bar } from '../domain/types.ts';
import type { AccountSession, EngineLag, StepReport } from '../execution/accountSession.ts';
import type { MarketLoop } from './engineLoop.ts';
import { Nap, StepFailures, StepGate } from './stepGate.ts';

const MINUTE = 60_000;
/** Most bars asked for in one poll (after a long outage the features re-warm from what comes). */
const MAX_CATCH_UP = 1000;

export interface BrokerFeedOptions {
  broker: Pick<BrokerPort, 'candles'>;
  session: AccountSession;
  symbols: readonly string[];
  /** Wait between polls, ms. */
  pollMs: number;
  /** Epoch ms (default Date.now): how many bars to ask for after a pause. */
  clock?: () => number;
  log?: Logger;
  /** Called with each bar before its step. */
  onBar?: (symbol: string, bar: Bar) => void;
  /** Called after every step. */
  onStep?: (symbol: string, report: StepReport) => void;
  sleep?: (ms: number) => Promise<void>;
}

export class BrokerFeed implements MarketLoop {
  private stopping = false;
  private done: Promise<void> | null = null;
  private readonly lastFed = new Map<string, number>();
  private readonly failing = new Map<string, number>();
  private readonly gate = new StepGate();
  /** Bars fed so far. */
  played = 0;
  /** Close times of the bars fetched and not yet stepped, oldest first. */
  private readonly waiting: number[] = [];
  /** The wall clock when the last poll ended (NaN before the first). */
  private lastPollEnd = Number.NaN;
  private readonly failures: StepFailures;

  private readonly napping: Nap;

  constructor(
    private readonly o: BrokerFeedOptions,
    history: ReadonlyMap<string, readonly Bar[]> = new Map(),
  ) {
    this.napping = new Nap(o.sleep);
    if (!(o.pollMs > 0)) throw new RangeError(`pollMs must be > 0, got ${o.pollMs}`);
    this.failures = new StepFailures(o.log, 'the feed goes on');
    for (const [symbol, bars] of history) {
      const last = bars[bars.length - 1];
      if (last) this.lastFed.set(symbol, last.time);
    }
  }

  run(): Promise<void> {
    this.done ??= this.loop();
    return this.done;
  }

  pause(): Promise<void> {
    return this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  /**
   * The oldest bar fetched and not yet stepped has waited since it closed; a feed that has not polled
   * for longer than its interval (a step that does not end) is that much behind too.
   */
  lag(): EngineLag {
    const now = (this.o.clock ?? Date.now)();
    const oldest = this.waiting[0];
    const byBars = oldest === undefined ? 0 : Math.max(0, now - oldest);
    const byPolls =
      Number.isFinite(this.lastPollEnd) && this.gate.passed() === null
        ? Math.max(0, now - this.lastPollEnd - this.o.pollMs)
        : 0;
    return { lagMs: Math.max(byBars, byPolls), barsBehind: this.waiting.length };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.resume();
    this.napping.wake();
    await this.done;
  }

  /** One poll of every symbol (the loop's body; tests call it directly). */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  async poll(): Promise<number> {
    let fed = 0;
    const now = (this.o.clock ?? Date.now)();
    for (const symbol of this.o.symbols) {
      if (this.stopping) break;
      const last = this.lastFed.get(symbol);
      const want = last === undefined ? 3 : Math.min(MAX_CATCH_UP, Math.max(3, Math.ceil((now - last) / MINUTE)));
      let bars: Bar[];
      try {
        bars = await this.o.broker.candles(symbol, 'M1', want);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const n = (this.failing.get(symbol) ?? 0) + 1;
        this.failing.set(symbol, n);
        // Logged on the first failure and then every 10th, so an outage does not flood the log.
        if (n === 1 || n % 10 === 0)
          this.o.log?.warn({ symbol, failures: n, err: message }, 'cannot read bars from the broker');
        this.o.session.feedFailed(symbol, `bars unreadable: ${message}`);
        continue;
      }
      if (this.failing.delete(symbol)) this.o.log?.info({ symbol }, 'bars readable again');
      const fresh = bars.filter((b) => b.time > (this.lastFed.get(symbol) ?? Number.NEGATIVE_INFINITY));
      for (const b of fresh) this.waiting.push(b.time + MINUTE);
      this.waiting.sort((a, b) => a - b);
      for (const bar of fresh) {
        if (this.stopping) break;
        await this.gate.step(async () => {
          this.o.onBar?.(symbol, bar);
          try {
            const report = await this.o.session.onBar(symbol, bar);
            this.o.onStep?.(symbol, report);
            this.failures.succeeded(symbol);
          } catch (err) {
            this.failures.failed(symbol, err);
          }
          this.lastFed.set(symbol, bar.time);
          const at = this.waiting.indexOf(bar.time + MINUTE);
          if (at >= 0) this.waiting.splice(at, 1);
          this.played++;
          fed++;
        });
        await this.gate.passed();
      }
      // A stop part-way: what is left of this symbol is fetched again by the next run.
      if (this.stopping) {
        for (const b of fresh) {
          if (b.time <= (this.lastFed.get(symbol) ?? Number.NEGATIVE_INFINITY)) continue;
          const k = this.waiting.indexOf(b.time + MINUTE);
          if (k >= 0) this.waiting.splice(k, 1);
        }
      }
    }
    this.lastPollEnd = (this.o.clock ?? Date.now)();
    return fed;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const held = this.gate.passed();
      if (held !== null) {
        await held;
        continue;
      }
      try {
        await this.poll();
      } catch (err) {
        this.o.log?.error({ err }, 'a step of the live feed failed');
      }
      if (this.stopping) break;
      await this.napping.for(this.o.pollMs);
    }
  }
}
