// The account as the cockpit shows it: balance, equity and margin, today's realized P/L and the
// exposure per symbol, read from the venue (BrokerPort funds, bookedSince, positions) at most once per
// `refreshMs` however many pages and chats ask, each part kept with the time it was read. A part the
// venue does not answer keeps its last figures, marked with the failure and their age: the strip never
// shows a stale balance as fresh, and never a blank where a figure was known.
import type { Logger } from 'pino';
import type { AccountFunds, BookedProfit, BrokerPort } from '../brokers/brokerPort.ts';
import type { Position } from '../domain/types.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** One symbol's open positions at the venue (Warden's, its hedges and any other), in lots. */
export interface SymbolExposure {
  symbol: string;
  positions: number;
  buyVolume: number;
  sellVolume: number;
  /** Bought minus sold: what moves with the price. */
  netVolume: number;
}

/** What the day booked so far: profits and fees of the closing deals since `from` (UTC midnight of the session's clock). */
export interface TodayRealized {
  from: number;
  profit: number;
  fees: number;
  /** profit + fees. */
  realized: number;
  bookings: number;
  /** profit + fees of the last hour before the read (the session's clock): the hourly loss rail's figure. */
  lastHour: number;
}

/** A part of the figures and when the venue last answered it (wall clock). */
interface Read<T> {
  value: T;
  at: number;
}

export interface AccountFiguresSnapshot {
  funds: Read<AccountFunds> | null;
  today: Read<TodayRealized> | null;
  exposure: Read<SymbolExposure[]> | null;
  /** The last read's failures, one line per part that failed (empty: everything is fresh). */
  errors: string[];
  /** Parts the venue does not report at all. */
  unsupported: ('funds' | 'today')[];
}

export interface AccountFiguresOptions {
  broker: Pick<BrokerPort, 'positions' | 'funds' | 'bookedSince'>;
  /** The session's clock (the played market's time on paper): the day of "today". */
  clock: () => number;
  /** The wall clock: how old a read is. */
  wallClock: () => number;
  /** A read newer than this is answered from memory (0: every call reads). */
  refreshMs: number;
  /** A venue part slower than this is given up (its last figures stand, marked). */
  timeoutMs?: number;
  log?: Logger;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class AccountFigures {
  private funds: Read<AccountFunds> | null = null;
  private today: Read<TodayRealized> | null = null;
  private exposure: Read<SymbolExposure[]> | null = null;
  private errors: string[] = [];
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | null = null;

  constructor(private readonly o: AccountFiguresOptions) {}

  /** The figures, read from the venue first when the last read is older than `refreshMs`. Never throws. */
  async read(): Promise<AccountFiguresSnapshot> {
    if (this.o.wallClock() - this.lastAttempt >= this.o.refreshMs) {
      this.reading ??= this.refresh().finally(() => (this.reading = null));
      await this.reading;
    } else if (this.reading !== null) await this.reading;
    return this.snapshot();
  }

  /** The next read asks the venue, however recent the last one (Warden has just changed the account). */
  invalidate(): void {
    this.lastAttempt = Number.NEGATIVE_INFINITY;
  }

  /** The figures as last read, without asking the venue. */
  snapshot(): AccountFiguresSnapshot {
    const unsupported: AccountFiguresSnapshot['unsupported'] = [];
    if (this.o.broker.funds === undefined) unsupported.push('funds');
    if (this.o.broker.bookedSince === undefined) unsupported.push('today');
    return { funds: this.funds, today: this.today, exposure: this.exposure, errors: [...this.errors], unsupported };
  }

  private async refresh(): Promise<void> {
    this.lastAttempt = this.o.wallClock();
    const b = this.o.broker;
    const now = this.o.clock();
    const from = Math.floor(now / DAY_MS) * DAY_MS;
    const [funds, booked, positions] = await Promise.allSettled([
      b.funds !== undefined ? this.bounded(b.funds()) : Promise.resolve(null),
      b.bookedSince !== undefined ? this.bounded(b.bookedSince(Math.min(from, now - HOUR_MS))) : Promise.resolve(null),
      this.bounded(b.positions()),
    ]);
    const at = this.o.wallClock();
    const errors: string[] = [];
    const failed = (what: string, r: PromiseRejectedResult) => {
      const message = r.reason instanceof Error ? r.reason.message : String(r.reason);
      errors.push(`${what}: ${message}`);
      this.o.log?.warn({ part: what, error: message }, 'account: a figure could not be read; the last one stands');
    };
    if (funds.status === 'fulfilled') {
      if (funds.value !== null) this.funds = { value: funds.value, at };
    } else failed('balance and equity', funds);
    if (booked.status === 'fulfilled') {
      if (booked.value !== null) this.today = { value: todayOf(from, booked.value, now), at };
    } else failed("today's realized P/L", booked);
    if (positions.status === 'fulfilled') this.exposure = { value: exposureOf(positions.value), at };
    else failed('positions', positions);
    this.errors = errors;
  }

  private bounded<T>(p: Promise<T>): Promise<T> {
    const ms = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the venue did not answer within ${ms / 1000} s`)), ms);
      timer.unref();
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }
}

/** The day's bookings summed (a booking from before `from` is not the day's), and those of the hour before `now`. */
export function todayOf(from: number, booked: readonly BookedProfit[], now: number): TodayRealized {
  let profit = 0;
  let fees = 0;
  let bookings = 0;
  let lastHour = 0;
  for (const b of booked) {
    if (b.time > now - HOUR_MS && b.time <= now) lastHour += b.profit + b.fees;
    if (b.time < from || b.time >= from + DAY_MS) continue;
    profit += b.profit;
    fees += b.fees;
    bookings++;
  }
  return { from, profit, fees, realized: profit + fees, bookings, lastHour };
}

/** The venue's positions by symbol, in symbol order. */
export function exposureOf(positions: readonly Position[]): SymbolExposure[] {
  const by = new Map<string, SymbolExposure>();
  for (const p of positions) {
    let e = by.get(p.symbol);
    if (!e) by.set(p.symbol, (e = { symbol: p.symbol, positions: 0, buyVolume: 0, sellVolume: 0, netVolume: 0 }));
    e.positions++;
    if (p.side === 'buy') e.buyVolume += p.volume;
    else e.sellVolume += p.volume;
    e.netVolume = e.buyVolume - e.sellVolume;
  }
  return [...by.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
}
