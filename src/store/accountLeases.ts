// One live owner per account in a store shared by several processes and machines (PostgreSQL): the
// account lease a session holds, and the installation's accounts as every process lists them. The
// embedded SQLite file has neither: one process owns the file (see execution/storeClaim.ts).
import type { HealthReport } from '../domain/health.ts';

/** Who holds an account's lease (PostgreSQL store): times are epoch ms on the database's clock. */
export interface AccountLease {
  account: string;
  holder: string;
  /** Grows by one at every change of holder: the fencing token journaled intents carry. */
  token: number;
  acquiredAt: number;
  expiresAt: number;
}

/** Taking a lease: granted, or refused with who holds it and until when. */
export type LeaseAttempt = { acquired: true; lease: AccountLease } | { acquired: false; heldBy: AccountLease };

/**
 * One live owner per account across processes and machines (a store shared by several, PostgreSQL).
 * A session acquires its account's lease at start, renews it well before it lapses, and releases it
 * at close; one killed stops renewing and its lease lapses after the time it was taken for. While a
 * store holds the lease, it journals intents under its token; after another took the account over,
 * journaling is refused (StoreError 'lease_lost').
 */
export interface AccountLeases {
  readonly account: string;
  /** Takes the lease for `ttlMs` when it is free (never held, released, or lapsed). */
  acquire(holder: string, ttlMs: number): LeaseAttempt;
  /** Extends the held lease by `ttlMs` from now; null when it is no longer this store's (taken over). */
  renew(ttlMs: number): AccountLease | null;
  /** Lets the lease go at once (a clean stop), keeping its token so the next holder's is higher. */
  release(): void;
  /** Who holds the account's lease now (lapsed or not), or null when none ever did. */
  current(): AccountLease | null;
  /** Says where the holder serves the account (its dashboard's URL), for the other processes' lists. */
  advertise(endpoint: string): void;
}

/** One account of a shared installation, as every process sees it. */
export interface InstalledAccount {
  account: string;
  /** Its lease (null: never held), whether it is live now (the database's clock), and where its holder serves it. */
  lease: (AccountLease & { live: boolean; endpoint: string | null }) | null;
  /** Managed positions as its session last stored them. */
  positions: number;
  /** The latest health report its session stored. */
  health: HealthReport | null;
}

/** The accounts of a shared installation (PostgreSQL): what every process's account list shows. */
export interface AccountDirectory {
  accounts(): InstalledAccount[];
}
