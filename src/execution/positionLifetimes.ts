// Which lifetime each of the venue's positions is (domain/lifetime.ts). A live session asks this book
// at every look at the venue: a ticket it already manages is the same position while its open time
// (or, where the venue gives none, its entry) says so; anything else is a new lifetime with a new key,
// and the lifetime it replaces has ended. The book keeps the rows the store needs (lifetimes table) and
// hands them over with each of the session's transactions, so a lifetime is stored together with the
// plan and decisions keyed on it.
//
// How a venue's position is told apart from an earlier one on the same ticket:
//   - open time: MetaTrader (MetaApi) and the paper account give each position's open time; a ticket
//     seen with another open time is another position (the paper account after a restart, an MT5 demo
//     account reset);
//   - no open time (Binance USD-M: a position per symbol and side, whose only time is its last update,
//     which every fill, margin change and funding moves): a position seen gone (size through zero) is
//     over, and one whose entry price moved was closed and opened again between two looks. A partial
//     close keeps a position's entry (Binance averages the entry only over what opens), so Warden's own
//     partials never move it. A trader's add moves it too, and cannot be told from a close and a reopen
//     between two looks: it is taken as a new lifetime. That is the reading that never shows a step as
//     done on a position the venue did not do it on (a partial "done" while the venue holds a whole new
//     size); the cost is that an add starts the exit plan afresh on the new size.
//   - a side or symbol that changed (a netting account reversed) is always another position.
import { lifetimeKey } from '../domain/lifetime.ts';
import type { Position } from '../domain/types.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import type { StoredLifetime, WardenStore } from '../store/store.ts';

/**
 * Why a lifetime ended when the venue closed the position: it is gone from the venue, or its ticket
 * holds another position now (the old one closed between two looks). The other ends (shadow mode's
 * would-be position, a promotion to live, a plan not restored at start) leave the venue's position as
 * it was: no closed trade is made of them.
 */
export const END_GONE = 'gone from the venue (closed)';
export const endReused = (ticket: string): string => `ticket ${ticket} holds another position now`;
export function closedAtVenue(endReason: string): boolean {
  return endReason === END_GONE || /^ticket .+ holds another position now$/.test(endReason);
}

/** A lifetime the venue closed, handed on once its end is stored: what Warden knew of it at the end. */
export interface EndedLifetime {
  /** With `endedAt` and `endReason` set. */
  lifetime: StoredLifetime;
  /** Its exit plan as it stood (the initial stop, volumes). */
  plan: ExitPlan;
  /** The venue's position as last seen (volume left, stop, target). */
  position: Position | undefined;
  /** The DTMS hedge it left open (its ticket), if any. */
  hedgeId: string | null;
}

/** A change of lifetimes the session records as a decision. */
export interface LifetimeChange {
  reason: 'lifetime_started' | 'lifetime_ended' | 'ticket_reused' | 'open_time_unknown';
  lifetime: StoredLifetime;
  note: string;
}

const iso = (t: number): string => (Number.isFinite(t) && t > 0 ? new Date(t).toISOString() : 'unknown');

/** Relative tolerance on an entry price: far below a tick, far above float noise. */
const ENTRY_EPS = 1e-9;

export class PositionLifetimes {
  /** The open lifetime of each ticket. */
  private readonly current = new Map<string, StoredLifetime>();
  /** The highest lifetime number of each ticket seen so far (read from the store on first use). */
  private readonly lastNumber = new Map<string, number>();
  /** Rows changed since the last `takeChanged`. */
  private readonly changed = new Map<string, StoredLifetime>();

  constructor(private readonly store: WardenStore) {
    for (const l of store.openLifetimes()) this.current.set(l.ticket, l);
  }

  /** The open lifetime of a venue ticket, if any. */
  of(ticket: string): StoredLifetime | undefined {
    return this.current.get(ticket);
  }

  /** Every open lifetime. */
  open(): StoredLifetime[] {
    return [...this.current.values()];
  }

  /**
   * Whether the venue's `p` is still the lifetime `l`, whose position was last seen as `last` (the
   * engine's view, for its entry). See the file header.
   */
  isSame(l: StoredLifetime, last: Position | undefined, p: Position): boolean {
    if (l.symbol !== p.symbol || l.side !== p.side) return false;
    if (l.openTime > 0 && p.openTime > 0) return l.openTime === p.openTime;
    const entry = last?.entryPrice ?? l.entryPrice;
    return Math.abs(p.entryPrice - entry) <= ENTRY_EPS * Math.max(1, Math.abs(entry));
  }

  /** The venue's position `p` as the managed position of lifetime `key`. */
  static managed(p: Position, key: string): Position {
    return { ...p, id: key, ticket: p.id };
  }

  /**
   * Starts a new lifetime for the venue's position `p` (first seen at `now`, the session's clock).
   * Returns it with what to record: its start, and whether the venue gave no open time or the ticket
   * had lifetimes before.
   */
  begin(p: Position, now: number): { lifetime: StoredLifetime; changes: LifetimeChange[] } {
    const ticket = p.id;
    const n = this.nextNumber(ticket);
    const lifetime: StoredLifetime = {
      key: lifetimeKey(ticket, n),
      ticket,
      n,
      symbol: p.symbol,
      side: p.side,
      openTime: p.openTime > 0 ? p.openTime : 0,
      entryPrice: p.entryPrice,
      startedAt: now,
      endedAt: null,
      endReason: '',
    };
    this.current.set(ticket, lifetime);
    this.changed.set(lifetime.key, lifetime);
    const changes: LifetimeChange[] = [
      {
        reason: 'lifetime_started',
        lifetime,
        note: `ticket ${ticket} (${p.symbol} ${p.side} ${p.volume} at ${p.entryPrice}, opened ${iso(p.openTime)}) is managed as lifetime ${lifetime.key}`,
      },
    ];
    if (n > 1) {
      changes.push({
        reason: 'ticket_reused',
        lifetime,
        note: `ticket ${ticket} held ${n - 1} earlier position(s) in this store; this one is a new lifetime: its plan, DTMS state, decisions and intents are its own`,
      });
    }
    if (lifetime.openTime === 0) {
      changes.push({
        reason: 'open_time_unknown',
        lifetime,
        note: `the venue gives no open time for ticket ${ticket}: its lifetime starts when Warden first saw it (${iso(now)}); the trade type reads that time, and a close and reopen is told by the entry price`,
      });
    }
    return { lifetime, changes };
  }

  /** Ends the open lifetime of `ticket` (gone at the venue, or its ticket holds another position now). */
  end(ticket: string, now: number, why: string): LifetimeChange | null {
    const l = this.current.get(ticket);
    if (l === undefined) return null;
    this.current.delete(ticket);
    const ended: StoredLifetime = { ...l, endedAt: now, endReason: why };
    this.changed.set(ended.key, ended);
    return { reason: 'lifetime_ended', lifetime: ended, note: `lifetime ${l.key} of ticket ${ticket} ended: ${why}` };
  }

  /** The rows changed and not yet stored, for the session's next transaction. */
  changedRows(): StoredLifetime[] {
    return [...this.changed.values()];
  }

  /** These rows are stored (a row changed again since is kept for the next transaction). */
  committed(rows: readonly StoredLifetime[]): void {
    for (const r of rows) if (this.changed.get(r.key) === r) this.changed.delete(r.key);
  }

  private nextNumber(ticket: string): number {
    let last = this.lastNumber.get(ticket);
    if (last === undefined) {
      last = 0;
      for (const l of this.store.lifetimesOf(ticket)) last = Math.max(last, l.n);
    }
    this.lastNumber.set(ticket, last + 1);
    return last + 1;
  }
}
