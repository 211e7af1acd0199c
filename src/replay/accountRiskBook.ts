// The replayed account's loss-limit book: what DTMS's rails see (no new risk, a hedge or a re-add, past
// a daily or hourly realized loss, or after a run of stops). Realized profit (account currency) is
// booked as closes happen; the day rolls at 00:00 UTC, the hour is the last 60 minutes.
import type { AccountRisk } from '../dtms/defensiveMonitor.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The book as a replay checkpoint keeps it (plain data). */
export interface AccountRiskState {
  risk: { dailyLossPct: number; hourlyLossPct: number; consecutiveStops: number };
  balance: number;
  riskDay: number;
  dayStartBalance: number;
  dayProfit: number;
  hourCloses: number[];
  hourProfit: number;
}

export class AccountRiskBook {
  /** The rails' view, kept current by `update` (the engine holds this object). */
  readonly risk: AccountRisk = { dailyLossPct: 0, hourlyLossPct: 0, consecutiveStops: 0 };
  private balance: number;
  private riskDay = Number.NaN;
  private dayStartBalance: number;
  private dayProfit = 0;
  /** Time, profit pairs of the closes of the last hour (from hourStart on). */
  private hourCloses: number[] = [];
  private hourStart = 0;
  private hourProfit = 0;

  /** The realized balance (starting balance plus every realized profit so far). */
  get realizedBalance(): number {
    return this.balance;
  }

  constructor(startingBalance: number) {
    this.balance = startingBalance;
    this.dayStartBalance = startingBalance;
  }

  /** A realized profit (account currency) at `time`. */
  book(time: number, profit: number): void {
    this.balance += profit;
    this.dayProfit += profit;
    this.hourProfit += profit;
    this.hourCloses.push(time, profit);
  }

  /** A trade closed: a stop closing at a loss adds to the run of stops, a winner ends it. */
  tradeClosed(byStop: boolean, realized: number): void {
    if (byStop && realized < 0) this.risk.consecutiveStops = (this.risk.consecutiveStops ?? 0) + 1;
    else if (realized > 0) this.risk.consecutiveStops = 0;
  }

  /** Rolls the day and the hour window to `now` and sets the losses the rails see (only when something changed). */
  update(now: number): void {
    if (!(this.hourStart < this.hourCloses.length || Math.floor(now / DAY_MS) !== this.riskDay)) return;
    const day = Math.floor(now / DAY_MS);
    if (day !== this.riskDay) {
      this.riskDay = day;
      this.dayStartBalance = this.balance;
      this.dayProfit = 0;
    }
    const closes = this.hourCloses;
    while (this.hourStart < closes.length && closes[this.hourStart]! <= now - HOUR_MS) {
      this.hourProfit -= closes[this.hourStart + 1]!;
      this.hourStart += 2;
    }
    if (this.hourStart > 1024 && this.hourStart * 2 > closes.length) {
      closes.splice(0, this.hourStart);
      this.hourStart = 0;
    }
    const r = this.risk;
    r.dailyLossPct =
      this.dayStartBalance > 0 && this.dayProfit < 0 ? (-this.dayProfit / this.dayStartBalance) * 100 : 0;
    const hourStartBalance = this.balance - this.hourProfit;
    r.hourlyLossPct = hourStartBalance > 0 && this.hourProfit < 0 ? (-this.hourProfit / hourStartBalance) * 100 : 0;
  }

  state(): AccountRiskState {
    const r = this.risk;
    return {
      risk: { dailyLossPct: r.dailyLossPct, hourlyLossPct: r.hourlyLossPct, consecutiveStops: r.consecutiveStops ?? 0 },
      balance: this.balance,
      riskDay: this.riskDay,
      dayStartBalance: this.dayStartBalance,
      dayProfit: this.dayProfit,
      hourCloses: this.hourCloses.slice(this.hourStart),
      hourProfit: this.hourProfit,
    };
  }

  restore(s: AccountRiskState): void {
    Object.assign(this.risk, s.risk);
    this.balance = s.balance;
    this.riskDay = s.riskDay;
    this.dayStartBalance = s.dayStartBalance;
    this.dayProfit = s.dayProfit;
    this.hourCloses = [...s.hourCloses];
    this.hourStart = 0;
    this.hourProfit = s.hourProfit;
  }
}
