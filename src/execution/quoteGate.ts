// Which quotes between two bars a live session steps on. A quote that is not taken is no step: nothing
// is read, decided or written. Refusals are logged once per symbol and kind until a quote of the
// symbol is taken again (quotes come every few seconds).
import type { Logger } from 'pino';
import type { BrokerQuote } from '../brokers/brokerPort.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';

export type QuoteSkip = { kind: 'symbol' | 'stale' | 'repeat' | 'nothing'; why: string };

export class QuoteGate {
  /** The time of the last quote stepped on per symbol: a quote not after it is not stepped on. */
  private readonly lastQuoteAt = new Map<string, number>();
  /** Quote refusals logged (`symbol|kind`): once each, until a quote of the symbol is taken again. */
  private readonly refusalsLogged = new Set<string>();

  constructor(
    private readonly engine: ExitEngine,
    /** Close time of the last bar folded per symbol (the session's). */
    private readonly lastBarAt: ReadonlyMap<string, number>,
    private readonly log: Logger | undefined,
  ) {}

  /**
   * Why a quote is not stepped on (null: it is). `nothing`: no position, hedge or orphaned hedge to
   * decide for on the symbol, so the venue is not read at all (a position opened by hand is adopted at
   * the next bar, or at once through the API). `stale`: older than the last bar's close (that bar was
   * decided at a later price). `repeat`: not after the last quote taken. A bar closing after a quote
   * was taken is still decided at its close time, a few seconds before: the engine's rules measure
   * time spans, which a step back of seconds does not upset.
   */
  skip(symbol: string, q: BrokerQuote): QuoteSkip | null {
    const engine = this.engine;
    if (engine.instrument(symbol) === undefined)
      return { kind: 'symbol', why: `${symbol} is not an instrument this session manages` };
    const lastBar = this.lastBarAt.get(symbol) ?? Number.NEGATIVE_INFINITY;
    if (q.time < lastBar)
      return {
        kind: 'stale',
        why: `quote at ${new Date(q.time).toISOString()} is older than the last bar's close (${new Date(lastBar).toISOString()})`,
      };
    if (q.time <= (this.lastQuoteAt.get(symbol) ?? Number.NEGATIVE_INFINITY))
      return { kind: 'repeat', why: `quote at ${new Date(q.time).toISOString()} is not after the last quote taken` };
    if (engine.hedgeIds().length === 0 && !engine.positionIds().some((id) => engine.position(id)?.symbol === symbol))
      return { kind: 'nothing', why: 'nothing to decide on this symbol' };
    return null;
  }

  /**
   * Logs a quote not stepped on, once per symbol and kind; a quote older than the bar just stepped is
   * usual around a bar's close in a quiet market, so it is only a debug line.
   */
  refused(symbol: string, kind: string, why: string): void {
    if (kind === 'nothing' || kind === 'repeat') return;
    const key = `${symbol}|${kind}`;
    if (this.refusalsLogged.has(key)) return;
    this.refusalsLogged.add(key);
    if (kind === 'stale') this.log?.debug({ symbol, reason: why }, 'quote older than the last bar: not stepped on');
    else this.log?.warn({ symbol, reason: why }, 'quote refused (logged once until a quote is taken again)');
  }

  /** A quote of `symbol` at `time` was stepped on. */
  taken(symbol: string, time: number): void {
    this.lastQuoteAt.set(symbol, time);
    for (const key of this.refusalsLogged) if (key.startsWith(`${symbol}|`)) this.refusalsLogged.delete(key);
  }
}
