// DTMS's loss-limit rails on a running account: no new risk (a hedge, a re-add) past a daily or hourly
// realized loss in % of the balance, or after a run of stops. The engine holds the figures it is given
// (ExitEngine.setAccountRisk); this keeps them current from the venue's own books: today's and the last
// hour's bookings (AccountFigures), the balance, and the run of losing stops among the closed trades.
// Replay books the same figures as it closes trades (replay/accountRiskBook.ts).
import type { Logger } from 'pino';
import type { AccountRisk } from '../dtms/defensiveMonitor.ts';
import type { WardenStore } from '../store/store.ts';
import type { AccountFigures, AccountFiguresSnapshot } from './accountFigures.ts';

/** Closed trades looked at for the run of stops (a longer run is past any limit the config allows). */
const STOP_RUN_WINDOW = 100;

export interface AccountRiskFeedOptions {
  figures: AccountFigures;
  store: Pick<WardenStore, 'closedTradePage'>;
  engine: { setAccountRisk(risk: AccountRisk): void };
  /** The session's clock: a refresh at most once per `everyMs` of it. */
  clock: () => number;
  everyMs: number;
  log?: Logger;
}

/** The rails' figures from the account's: losses as positive % of the balance before them. */
export function accountRiskOf(f: AccountFiguresSnapshot, consecutiveStops: number): AccountRisk | null {
  const balance = f.funds?.value.balance;
  const today = f.today?.value;
  if (balance === undefined || today === undefined) return null;
  const lossPct = (realized: number) =>
    realized < 0 && balance - realized > 0 ? (-realized / (balance - realized)) * 100 : 0;
  return { dailyLossPct: lossPct(today.realized), hourlyLossPct: lossPct(today.lastHour), consecutiveStops };
}

/** Losing stops in a row, newest first: a stop (or stop-out) at a loss adds one, a winner ends the run, the rest pass. */
export function stopsInARow(store: Pick<WardenStore, 'closedTradePage'>): number {
  let run = 0;
  for (const t of store.closedTradePage({ limit: STOP_RUN_WINDOW })) {
    const realized = t.realizedProfit ?? 0;
    if ((t.exitReason === 'sl' || t.exitReason === 'stop_out') && realized < 0) run++;
    else if (realized > 0) break;
  }
  return run;
}

export class AccountRiskFeed {
  private last = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | null = null;
  private warned = false;
  /** What the engine was last given (null: nothing yet). */
  current: AccountRisk | null = null;

  constructor(private readonly o: AccountRiskFeedOptions) {}

  /** After a step: refreshes in the background when one is due. Never throws. */
  poke(): void {
    if (this.running !== null || this.o.clock() - this.last < this.o.everyMs) return;
    this.running = this.refresh().finally(() => (this.running = null));
  }

  /** Reads the account and gives the engine its losses; the last figures stand when the venue does not answer. */
  async refresh(): Promise<void> {
    this.last = this.o.clock();
    try {
      const f = await this.o.figures.read();
      const risk = accountRiskOf(f, stopsInARow(this.o.store));
      if (risk === null) {
        if (!this.warned && f.errors.length === 0) {
          this.warned = true;
          this.o.log?.warn(
            { unsupported: f.unsupported },
            'DTMS loss rails: the venue reports no balance or bookings; the daily and hourly loss limits cannot be applied (the run of stops still is)',
          );
        }
        this.give({ dailyLossPct: 0, hourlyLossPct: 0, consecutiveStops: stopsInARow(this.o.store) });
        return;
      }
      this.give(risk);
    } catch (err) {
      this.o.log?.warn(
        { error: err instanceof Error ? err.message : String(err) },
        'DTMS loss rails: the account could not be read; the last figures stand',
      );
    }
  }

  /** Resolves once a refresh under way is over. */
  async idle(): Promise<void> {
    await this.running;
  }

  private give(risk: AccountRisk): void {
    this.current = risk;
    this.o.engine.setAccountRisk(risk);
  }
}
