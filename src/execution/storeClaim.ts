// One live session per store: two would both manage (and send for) the same positions. A session
// claims the store at start and releases it at close; a holder that died (killed, crashed) is taken
// over, its state being what the new session restarts from.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AccountLease, WardenStore } from '../store/store.ts';

/** Another live session runs on the store: two would both manage (and send for) the same positions. */
export class StoreInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreInUseError';
  }
}

/** How long a session on another machine counts as running after its last report. */
const OTHER_HOST_SILENT_MS = 180_000;

/**
 * An account lease (a store shared by several processes) is taken for this long and renewed every
 * third of it: a holder that dies (killed, its machine gone) loses the account within 20 s, and
 * another process takes it over then; a holder that misses two renewals in a row (a 13 s stall of
 * its event loop or its database) still keeps it.
 */
export const LEASE_TTL_MS = 20_000;
export const LEASE_RENEW_MS = LEASE_TTL_MS / 3;

/** The lease holder's name: host and process, unique among the processes alive. */
export const leaseHolder = (me: Pick<StoreClaimant, 'pid' | 'host'>): string => `${me.host}:${me.pid}`;

/** Who holds an account and until when, for a refusal or a wait. */
export function describeLease(store: WardenStore, lease: AccountLease): string {
  return `${store.location} is held by another Warden session (${lease.holder}, lease token ${lease.token}) until ${new Date(lease.expiresAt).toISOString()} unless it renews`;
}

/** A process claiming a store: its pid and host, and how to tell whether a pid of this host is alive. */
export interface StoreClaimant {
  pid: number;
  host: string;
  alive: (pid: number) => boolean;
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EPERM';
  }
};

/** This process as a claimant. */
export const thisProcess = (): StoreClaimant => ({ pid: process.pid, host: hostname(), alive: pidAlive });

/**
 * Claims `store` for `me`: refuses when another process on this machine that is still alive holds it,
 * or a session on another machine reported within the last 3 minutes.
 */
export function claimStore(store: WardenStore, me: StoreClaimant, clock: () => number, log: Logger | undefined): void {
  if (store.leases !== undefined) {
    // A shared store: the lease decides, across processes and machines (clocks: the database's).
    const attempt = store.leases.acquire(leaseHolder(me), LEASE_TTL_MS);
    if (!attempt.acquired)
      throw new StoreInUseError(
        `${describeLease(store, attempt.heldBy)}; stop it first, or start with --wait-for-lease to take over when it stops`,
      );
    // The fencing token is logged as leaseToken: the logger hides any field named token (API tokens).
    const l = attempt.lease;
    if (l.token > 1) log?.info({ account: l.account, holder: l.holder, leaseToken: l.token }, 'took the account lease');
    store.saveSessionOwner({ pid: me.pid, host: me.host, startedAt: clock() });
    return;
  }
  store.transaction(() => {
    const holder = store.sessionOwner();
    if (holder !== null && !(holder.pid === me.pid && holder.host === me.host)) {
      const since = new Date(holder.startedAt).toISOString();
      if (holder.host === me.host && me.alive(holder.pid)) {
        throw new StoreInUseError(
          `${store.location} is in use by another Warden session (process ${holder.pid}, started ${since}); stop it first, or use another store`,
        );
      }
      const last = store.health()?.at ?? Number.NEGATIVE_INFINITY;
      if (holder.host !== me.host && clock() - last < OTHER_HOST_SILENT_MS) {
        throw new StoreInUseError(
          `${store.location} is in use by a Warden session on ${holder.host} (process ${holder.pid}, started ${since}, last report ${Math.round((clock() - last) / 1000)} s ago)`,
        );
      }
      log?.warn({ holder }, 'taking over the store from a session that is no longer running');
    }
    store.saveSessionOwner({ pid: me.pid, host: me.host, startedAt: clock() });
  });
}
