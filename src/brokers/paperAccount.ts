// The paper broker as a BrokerPort for a live session: one PaperBroker per instrument (its book,
// rules and faults), one account. Tickets are unique across the account: each symbol's broker
// numbers from its own block of a million. The market is fed by the caller (`onBar`), which fills
// the stops and targets a bar touched before the engine sees it, as in replay.
import type { Bar, Instrument, Intent, Position } from '../domain/types.ts';
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';
import type { AccountMode, BrokerPort, BrokerQuote } from './brokerPort.ts';
import { PaperBroker, type PaperBrokerOptions, type PaperFill } from './paperBroker.ts';

const TICKET_BLOCK = 1_000_000;

export class PaperAccount implements BrokerPort {
  readonly name = 'paper';
  private readonly brokers = new Map<string, PaperBroker>();
  private readonly mode: AccountMode;

  /** `options.faults.seed` is offset per symbol, so each symbol draws its own faults. */
  constructor(instruments: readonly Instrument[], options: Omit<PaperBrokerOptions, 'firstTicket'>) {
    this.mode = options.accountMode;
    instruments.forEach((inst, i) => {
      const faults = options.faults ? { ...options.faults, seed: options.faults.seed + i } : undefined;
      this.brokers.set(inst.symbol, new PaperBroker(inst, { ...options, ...(faults ? { faults } : {}), firstTicket: 100_001 + i * TICKET_BLOCK }));
    });
  }

  /** The symbol's paper broker (its audit, deals, snapshot). */
  broker(symbol: string): PaperBroker {
    const b = this.brokers.get(symbol);
    if (!b) throw new Error(`paper account: no instrument ${symbol}`);
    return b;
  }

  /** A closed bar: stops and targets it touched fill (at their level, or the open on a gap); then the quote is its close at `closeTime`. */
  onBar(symbol: string, bar: Bar, closeTime: number): readonly PaperFill[] {
    const b = this.broker(symbol);
    b.setQuote(bar.time, bar.open, bar.spread);
    const fills = b.fillBar(bar);
    b.setQuote(closeTime, bar.close, bar.spread);
    return fills;
  }

  positions(): Promise<Position[]> {
    const out: Position[] = [];
    for (const b of this.brokers.values()) for (const p of b.positions()) out.push(p);
    return Promise.resolve(out);
  }

  send(intent: Intent): Promise<BrokerAnswer> {
    const b = this.brokers.get(intent.symbol);
    if (!b) return Promise.resolve({ outcome: 'rejected', retryable: false, code: RETCODE.INVALID, reason: `paper account: no instrument ${intent.symbol}` });
    return Promise.resolve(b.apply(intent));
  }

  instrument(symbol: string): Promise<Instrument> {
    const b = this.brokers.get(symbol);
    return b ? Promise.resolve({ ...b.instrument }) : Promise.reject(new Error(`paper account: no instrument ${symbol}`));
  }

  accountMode(): Promise<AccountMode> {
    return Promise.resolve(this.mode);
  }

  quote(symbol: string): Promise<BrokerQuote> {
    const b = this.brokers.get(symbol);
    return b ? Promise.resolve(b.quote()) : Promise.reject(new Error(`paper account: no instrument ${symbol}`));
  }
}
