// The paper broker as a BrokerPort for a live session: one PaperBroker per instrument (its book,
// rules and faults), one account. Tickets are unique across the account: each symbol's broker
// numbers from its own block of a million. The market is fed by the caller (`onBar`), which fills
// the stops and targets a bar touched before the engine sees it, as in replay.
import {
  TIMEFRAME_MS,
  type Bar,
  type Instrument,
  type Intent,
  type Position,
  type Timeframe,
} from '../domain/types.ts';
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';
import type {
  AccountFunds,
  AccountMode,
  BookedProfit,
  BrokerPort,
  BrokerQuote,
  ClosedPositionFacts,
  ClosedPositionQuery,
  PositionDeal,
} from './brokerPort.ts';
import {
  PaperBroker,
  type PaperBrokerOptions,
  type PaperBrokerSnapshot,
  type PaperDeal,
  type PaperFill,
} from './paperBroker.ts';

const TICKET_BLOCK = 1_000_000;
/** Closed bars kept per symbol for `candles` (about 3.5 days of M1). */
const KEPT_BARS = 5000;
/** Every this many bars fed, each symbol's broker forgets old deals and request ids (trimHistory). */
const TRIM_EVERY_BARS = 5000;
/** Booked profits kept for `bookedSince`: two days of market time before the latest (today's and yesterday's). */
const BOOKED_KEPT_MS = 2 * 86_400_000;
/** The paper account's money when the config names none. */
export const PAPER_FUNDS = { balance: 10_000, currency: 'USD' } as const;

/** What the paper account starts with, and its currency. */
export interface PaperFunding {
  balance: number;
  currency: string;
}

/**
 * What one unit of a symbol's profit (its quote currency) is worth in the account's currency at
 * `price`; null when it cannot be told. The paper account's instruments are the config's table, named
 * as currency pairs (XAUUSD, USDJPY, BTCUSD): quoted in the account's currency, 1; based in it
 * (USDJPY in a USD account), 1 / price. A real venue books profit in the account's currency itself.
 */
export function quoteToAccount(canonical: string, currency: string, price: number): number | null {
  const c = canonical.toUpperCase();
  const cur = currency.toUpperCase();
  if (c.endsWith(cur)) return 1;
  if (/^[A-Z]{6}$/.test(c) && c.startsWith(cur) && price > 0) return 1 / price;
  return null;
}

/**
 * The paper account as a restart needs it, per symbol: the broker's book, ticket counter, quote and
 * fault generator (its deals and request ids trimmed), and the realized profit of closed positions.
 */
export interface PaperAccountSnapshot {
  symbols: { symbol: string; broker: PaperBrokerSnapshot; closedProfit: number }[];
  /** The balance (account currency) and the profits booked in the last two days; absent in a snapshot from before the account kept them. */
  funds?: { balance: number; currency: string; booked: BookedProfit[] };
}

export class PaperAccount implements BrokerPort {
  readonly name = 'paper';
  private readonly brokers = new Map<string, PaperBroker>();
  private readonly mode: AccountMode;
  private readonly timeframeMs: number;
  private readonly bars = new Map<string, Bar[]>();
  private fed = 0;

  private readonly funding: PaperFunding;
  private balance: number;
  private readonly booked: BookedProfit[] = [];
  /** Symbols whose profit could not be put in the account's currency (left out of balance and equity). */
  private readonly unconverted = new Set<string>();

  /** `options.faults.seed` is offset per symbol, so each symbol draws its own faults. `funding`: PAPER_FUNDS by default. */
  constructor(
    instruments: readonly Instrument[],
    options: Omit<PaperBrokerOptions, 'firstTicket'>,
    funding: PaperFunding = PAPER_FUNDS,
  ) {
    this.mode = options.accountMode;
    this.timeframeMs = options.timeframeMs;
    this.funding = { ...funding };
    this.balance = funding.balance;
    instruments.forEach((inst, i) => {
      const faults = options.faults ? { ...options.faults, seed: options.faults.seed + i } : undefined;
      const b = new PaperBroker(inst, {
        ...options,
        ...(faults ? { faults } : {}),
        firstTicket: 100_001 + i * TICKET_BLOCK,
      });
      b.onDeal = (d) => this.book(inst, d);
      this.brokers.set(inst.symbol, b);
    });
  }

  /** A deal's profit goes to the balance, in the account's currency at the deal's price. */
  private book(inst: Instrument, d: PaperDeal): void {
    if (d.reason === 'open') return;
    const rate = quoteToAccount(inst.canonical, this.funding.currency, d.price);
    if (rate === null) {
      this.unconverted.add(inst.symbol);
      return;
    }
    const profit = d.profit * rate;
    this.balance += profit;
    this.booked.push({ time: d.time, symbol: inst.symbol, profit, fees: 0 });
    let drop = 0;
    while (drop < this.booked.length && this.booked[drop]!.time < d.time - BOOKED_KEPT_MS) drop++;
    if (drop > 0) this.booked.splice(0, drop);
  }

  /** Balance, equity (open positions at the bid for a buy, the ask for a sell) and the margin, which paper does not keep. */
  funds(): Promise<AccountFunds> {
    let floating = 0;
    for (const b of this.brokers.values()) {
      const q = b.quote();
      for (const p of b.positions()) {
        const price = p.side === 'buy' ? q.bid : q.ask;
        const rate = quoteToAccount(b.instrument.canonical, this.funding.currency, price);
        if (rate === null) {
          this.unconverted.add(p.symbol);
          continue;
        }
        floating += (p.side === 'buy' ? 1 : -1) * (price - p.entryPrice) * p.volume * b.instrument.contractSize * rate;
      }
    }
    const notes = [...this.unconverted].map(
      (s) => `${s}: its profit is not in ${this.funding.currency} and no rate converts it: left out`,
    );
    return Promise.resolve({
      currency: this.funding.currency,
      balance: this.balance,
      equity: this.balance + floating,
      margin: null,
      freeMargin: null,
      notes,
    });
  }

  /** The profits booked at or after `since` that the account still keeps (two days back from the latest). */
  bookedSince(since: number): Promise<BookedProfit[]> {
    return Promise.resolve(this.booked.filter((b) => b.time >= since).map((b) => ({ ...b })));
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
    this.keep(symbol, bar);
    if (++this.fed % TRIM_EVERY_BARS === 0) for (const x of this.brokers.values()) x.trimHistory();
    return fills;
  }

  /** The account's lasting state (a copy): see PaperAccountSnapshot. */
  snapshot(): PaperAccountSnapshot {
    const symbols: PaperAccountSnapshot['symbols'] = [];
    for (const [symbol, b] of this.brokers) {
      const s = b.snapshot();
      const open = new Set(s.book.map((p) => p.id));
      symbols.push({
        symbol,
        broker: {
          ...s,
          deals: [],
          appliedIds: s.appliedIds.slice(-200),
          realized: s.realized.filter(([id]) => open.has(id)),
        },
        closedProfit: b.closedProfit(),
      });
    }
    return {
      symbols,
      funds: { balance: this.balance, currency: this.funding.currency, booked: this.booked.map((b) => ({ ...b })) },
    };
  }

  /**
   * Picks the account up where a snapshot left it (a restart), on an account made for the same
   * symbols that has not traded yet. A symbol the snapshot lacks starts afresh; one it has that this
   * account lacks is an error (the caller checks the configured symbols first).
   */
  restore(s: PaperAccountSnapshot): void {
    for (const { symbol, broker, closedProfit } of s.symbols) {
      const b = this.broker(symbol);
      b.restore(broker);
      b.carryClosedProfit(closedProfit);
    }
    // The balance goes on in the currency it was kept in; a snapshot from before the account kept one
    // (or in another currency) starts from the funding plus what its symbols realized, where the
    // quote is the account's currency (the rest cannot be converted without the prices of the time).
    if (s.funds !== undefined && s.funds.currency === this.funding.currency) {
      this.balance = s.funds.balance;
      this.booked.splice(0, this.booked.length, ...s.funds.booked.map((b) => ({ ...b })));
    } else {
      this.balance = this.funding.balance;
      for (const { symbol } of s.symbols) {
        const b = this.broker(symbol);
        let realized = b.closedProfit();
        for (const p of b.positions()) realized += b.realizedProfit(p.id);
        if (quoteToAccount(b.instrument.canonical, this.funding.currency, Number.NaN) === 1) this.balance += realized;
        else if (realized !== 0) this.unconverted.add(symbol);
      }
    }
  }

  /** Closed bars from before the account opened (history `candles` reports; nothing fills). */
  addHistory(symbol: string, bars: readonly Bar[]): void {
    this.broker(symbol);
    for (const bar of bars) this.keep(symbol, bar);
  }

  private keep(symbol: string, bar: Bar): void {
    let kept = this.bars.get(symbol);
    if (!kept) this.bars.set(symbol, (kept = []));
    const last = kept[kept.length - 1];
    if (last && bar.time <= last.time) return;
    kept.push(bar);
    // Trimmed in blocks so a bar does not shift the whole array.
    if (kept.length > KEPT_BARS + 500) kept.splice(0, kept.length - KEPT_BARS);
  }

  positions(): Promise<Position[]> {
    const out: Position[] = [];
    for (const b of this.brokers.values()) for (const p of b.positions()) out.push(p);
    return Promise.resolve(out);
  }

  send(intent: Intent): Promise<BrokerAnswer> {
    const b = this.brokers.get(intent.symbol);
    if (!b)
      return Promise.resolve({
        outcome: 'rejected',
        retryable: false,
        code: RETCODE.INVALID,
        reason: `paper account: no instrument ${intent.symbol}`,
      });
    return Promise.resolve(b.apply(intent));
  }

  /**
   * The deals the account still holds of a position (its symbol's broker keeps the last few hundred,
   * and none across a restart): open and adds `in`; partial closes, closes, nets and SL/TP fills `out`,
   * each with its profit; no fees (the paper account charges none). A deal carrying one of the query's
   * request ids is that request's; another request's is from elsewhere (the demo's hand-opened trades).
   * Null when it holds none in the window.
   */
  closedPosition(q: ClosedPositionQuery): Promise<ClosedPositionFacts | null> {
    const b = this.brokers.get(q.symbol);
    if (!b) return Promise.resolve(null);
    const mine = new Set(q.requestIds);
    const deals: PositionDeal[] = [];
    for (const d of b.deals) {
      if (d.positionId !== q.ticket || d.time < q.since || d.time > q.until) continue;
      const cause = d.reason === 'sl' || d.reason === 'tp' ? d.reason : mine.has(d.requestId) ? 'request' : 'outside';
      deals.push({
        time: d.time,
        entry: d.reason === 'open' ? 'in' : 'out',
        volume: d.volume,
        price: d.price,
        profit: d.profit,
        fees: 0,
        cause,
        requestId: cause === 'request' ? d.requestId : '',
      });
    }
    return Promise.resolve(deals.length === 0 ? null : { deals, notes: [] });
  }

  instrument(symbol: string): Promise<Instrument> {
    const b = this.brokers.get(symbol);
    return b
      ? Promise.resolve({ ...b.instrument })
      : Promise.reject(new Error(`paper account: no instrument ${symbol}`));
  }

  accountMode(): Promise<AccountMode> {
    return Promise.resolve(this.mode);
  }

  quote(symbol: string): Promise<BrokerQuote> {
    const b = this.brokers.get(symbol);
    return b ? Promise.resolve(b.quote()) : Promise.reject(new Error(`paper account: no instrument ${symbol}`));
  }

  /**
   * The bars fed so far: the feed's timeframe as fed, a coarser one built from them (its closed bars
   * only, as a venue serves them; as far back as the kept bars reach).
   */
  async candles(symbol: string, timeframe: Timeframe, limit: number): Promise<Bar[]> {
    this.broker(symbol);
    const tfMs = TIMEFRAME_MS[timeframe];
    if (tfMs < this.timeframeMs || tfMs % this.timeframeMs !== 0)
      throw new Error(
        `paper account: bars of ${timeframe} cannot be built from the feed's ${this.timeframeMs / 60_000} min bars`,
      );
    const kept = this.bars.get(symbol) ?? [];
    const n = Math.max(0, Math.floor(limit));
    if (tfMs === this.timeframeMs) return kept.slice(Math.max(0, kept.length - n));
    const built: Bar[] = [];
    let current: Bar | null = null;
    for (const b of kept) {
      const open = Math.floor(b.time / tfMs) * tfMs;
      if (current !== null && current.time !== open) current = null;
      if (current === null) built.push((current = { ...b, time: open }));
      else {
        current.high = Math.max(current.high, b.high);
        current.low = Math.min(current.low, b.low);
        current.close = b.close;
        current.volume += b.volume;
        current.spread = b.spread;
      }
      // Closed once its last feed bar is in.
      if (b.time + this.timeframeMs >= open + tfMs) current = null;
    }
    // A bucket whose last feed bar has not come yet is still forming: left out.
    const last = kept[kept.length - 1];
    const closed =
      last !== undefined && last.time + this.timeframeMs < Math.floor(last.time / tfMs) * tfMs + tfMs
        ? built.slice(0, -1)
        : built;
    return closed.slice(Math.max(0, closed.length - n));
  }
}
