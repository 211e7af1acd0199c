// The quote loop of `warden serve` on a real account: between two closed bars, every `everyMs` it
// takes each symbol's latest quote and steps the session on it (AccountSession.onQuote), so stops
// trail and DTMS's fast check runs on its own interval instead of once a bar. The features still
// change only with the closed bars of the bar feed (brokerFeed.ts), which goes on beside it.
//
// Where the venue streams quotes (BrokerPort.watchQuotes: MetaApi) the latest streamed quote is taken,
// and nothing is asked of the venue; a symbol whose stream has sent nothing for `staleMs` is asked
// (`quote`) meanwhile, and health says the stream stopped. Elsewhere (ccxt, or a stream that could not
// be opened) `quote` is asked at every pass. A quote not newer than the last one handed on is not
// stepped on: an idle market costs no step.
//
// The played market of the embedded paper account has no quotes between its bars: it stays bar-driven
// (engineLoop.ts), and so does replay.
import type { Logger } from 'pino';
import type { BrokerPort, BrokerQuote } from '../brokers/brokerPort.ts';
import { isWeekendWindow } from '../domain/sessions.ts';
import type { AccountSession, QuoteStepReport } from '../execution/accountSession.ts';
import { Nap, StepFailures } from './stepGate.ts';

export interface QuoteFeedOptions {
  broker: Pick<BrokerPort, 'quote' | 'watchQuotes'>;
  session: Pick<AccountSession, 'onQuote'>;
  symbols: readonly string[];
  /** Wait between two passes, ms (> 0). */
  everyMs: number;
  /** Quotes that have not moved for this long are stale (health), ms. */
  staleMs: number;
  /** Symbols that trade through the weekend (crypto): the others are not stale over the FX weekend close. */
  crypto?: ReadonlySet<string>;
  /** The wall clock, epoch ms (default Date.now): staleness only; quotes carry the venue's time. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: Logger;
  /** Called after every quote step taken (not for a quote the session did not step on). */
  onStep?: (symbol: string, report: QuoteStepReport) => void;
}

export type QuoteSource = 'streamed' | 'polled';

export class QuoteFeed {
  private stopping = false;
  private done: Promise<void> | null = null;
  private closeStream: (() => Promise<void>) | null = null;
  private streamError = '';
  private opened = false;
  /** Where quotes come from: `streamed` once the venue's stream is open. */
  source: QuoteSource = 'polled';
  /** Quote steps taken so far. */
  steps = 0;
  /** The latest streamed quote per symbol. */
  private readonly streamed = new Map<string, BrokerQuote>();
  /** The time of the last quote handed to the session per symbol. */
  private readonly handed = new Map<string, number>();
  /** The wall clock when each symbol's quote last moved (from the stream when streamed). */
  private readonly movedAt = new Map<string, number>();
  /** The wall clock at run(), and when the last pass ended. */
  private startedAt = Number.NaN;
  private lastPassEnd = Number.NaN;
  private readonly failing = new Map<string, number>();
  private readonly failures: StepFailures;
  private readonly clock: () => number;

  private readonly napping: Nap;

  constructor(private readonly o: QuoteFeedOptions) {
    this.napping = new Nap(o.sleep);
    if (!(o.everyMs > 0)) throw new RangeError(`everyMs must be > 0, got ${o.everyMs}`);
    this.clock = o.clock ?? Date.now;
    this.failures = new StepFailures(o.log, 'quotes go on');
  }

  /** Opens the venue's stream where there is one, then passes every `everyMs` until stop(). */
  run(): Promise<void> {
    this.done ??= this.loop();
    return this.done;
  }

  /** Finishes the step under way, stops, and closes the stream. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.napping.wake();
    await this.done;
    const close = this.closeStream;
    this.closeStream = null;
    if (close) {
      try {
        await close();
      } catch (err) {
        this.o.log?.warn({ err: messageOf(err) }, 'could not close the quote stream');
      }
    }
  }

  /** Opens the stream (watchQuotes) when the venue has one; polled otherwise. Called by run(); tests call it directly. */
  async open(): Promise<QuoteSource> {
    if (this.opened) return this.source;
    this.opened = true;
    this.startedAt = this.clock();
    const watch = this.o.broker.watchQuotes?.bind(this.o.broker);
    if (watch && this.closeStream === null) {
      try {
        this.closeStream = await watch(this.o.symbols, (symbol, q) => this.received(symbol, q));
        this.source = 'streamed';
      } catch (err) {
        this.streamError = messageOf(err);
        this.o.log?.warn({ err: this.streamError }, 'the venue quote stream cannot be opened: quotes are polled');
      }
    }
    return this.source;
  }

  /** One pass over the symbols (the loop's body; tests call it directly). Returns the quote steps taken. */
  async pass(): Promise<number> {
    let taken = 0;
    for (const symbol of this.o.symbols) {
      if (this.stopping) break;
      const q = await this.latest(symbol);
      if (q === undefined || q.time <= (this.handed.get(symbol) ?? Number.NEGATIVE_INFINITY)) continue;
      this.handed.set(symbol, q.time);
      try {
        const report = await this.o.session.onQuote(symbol, q);
        this.failures.succeeded(symbol);
        if (report.skipped !== '') continue;
        this.steps++;
        taken++;
        this.o.onStep?.(symbol, report);
      } catch (err) {
        this.failures.failed(symbol, err);
      }
    }
    this.lastPassEnd = this.clock();
    return taken;
  }

  /**
   * What is wrong with the quotes now, in words (health): a symbol whose quotes have not moved for
   * `staleMs` (its stream stopped, or the venue does not answer; not over the FX weekend close for
   * what is not crypto), or a loop that has not ended a pass for as long.
   */
  problems(): string[] {
    if (!Number.isFinite(this.startedAt) || this.stopping) return [];
    const now = this.clock();
    const out: string[] = [];
    const weekend = isWeekendWindow(now);
    for (const symbol of this.o.symbols) {
      if (weekend && !(this.o.crypto?.has(symbol) ?? false)) continue;
      const since = this.movedAt.get(symbol) ?? this.startedAt;
      const age = now - since;
      if (age <= this.o.staleMs) continue;
      const what =
        this.source === 'streamed' ? 'the quote stream has sent nothing new' : 'the venue has given no new quote';
      out.push(
        `quotes of ${symbol} are stale: ${what} for ${Math.round(age / 1000)} s (limit ${Math.round(this.o.staleMs / 1000)} s); stops are decided on ${this.source === 'streamed' ? 'polled quotes and ' : ''}closed bars meanwhile`,
      );
    }
    const lastPass = Number.isFinite(this.lastPassEnd) ? this.lastPassEnd : this.startedAt;
    const late = now - lastPass - this.o.everyMs;
    if (late > this.o.staleMs)
      out.push(
        `the quote feed has not ended a pass for ${Math.round((now - lastPass) / 1000)} s (a step that does not end)`,
      );
    return out;
  }

  /** How the feed gets its quotes, for a person (the start line). */
  describe(): string {
    const every = `${this.o.everyMs / 1000} s`;
    if (this.source === 'streamed') return `decisions on quotes every ${every} (streamed)`;
    return `decisions on quotes every ${every} (polled${this.streamError !== '' ? `: the stream could not be opened, ${this.streamError}` : ''})`;
  }

  /** A streamed quote: kept as the symbol's latest when it is newer. */
  private received(symbol: string, q: BrokerQuote): void {
    const had = this.streamed.get(symbol);
    if (had !== undefined && !(q.time > had.time)) return;
    this.streamed.set(symbol, q);
    this.movedAt.set(symbol, this.clock());
  }

  /** The symbol's latest quote: streamed, else (no stream, or a stale one) asked of the venue. */
  private async latest(symbol: string): Promise<BrokerQuote | undefined> {
    if (this.source === 'streamed') {
      const q = this.streamed.get(symbol);
      const since = this.movedAt.get(symbol) ?? this.startedAt;
      if (q !== undefined && this.clock() - since <= this.o.staleMs) return q;
      // Nothing streamed for a while: ask (the stream's health stays stale until it sends again).
      const polled = await this.poll(symbol);
      return polled !== undefined && (q === undefined || polled.time > q.time) ? polled : q;
    }
    const polled = await this.poll(symbol);
    if (polled !== undefined && polled.time > (this.handed.get(symbol) ?? Number.NEGATIVE_INFINITY))
      this.movedAt.set(symbol, this.clock());
    return polled;
  }

  private async poll(symbol: string): Promise<BrokerQuote | undefined> {
    try {
      const q = await this.o.broker.quote(symbol);
      if (this.failing.delete(symbol)) this.o.log?.info({ symbol }, 'quotes readable again');
      return q;
    } catch (err) {
      const n = (this.failing.get(symbol) ?? 0) + 1;
      this.failing.set(symbol, n);
      // Logged on the first failure and then every 100th: a pass comes every few seconds.
      if (n === 1 || n % 100 === 0)
        this.o.log?.warn({ symbol, failures: n, err: messageOf(err) }, 'cannot read a quote from the broker');
      return undefined;
    }
  }

  private async loop(): Promise<void> {
    await this.open();
    while (!this.stopping) {
      await this.napping.for(this.o.everyMs);
      if (this.stopping) break;
      try {
        await this.pass();
      } catch (err) {
        this.o.log?.error({ err: messageOf(err) }, 'a pass of the quote feed failed');
      }
    }
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
