// Keeps a shared store's account lease while a session runs: renewed every LEASE_RENEW_MS until the
// session closes. A renewal the database does not answer is tried again at the next; one refused
// means another session took the account (this one missed its renewals: paused, cut off from the
// database): the session is told once and renews no more (its intents are refused by then anyway).
import type { Logger } from 'pino';
import type { AccountLease, WardenStore } from '../store/store.ts';
import { LEASE_RENEW_MS, LEASE_TTL_MS } from './storeClaim.ts';

export interface LeaseKeeper {
  stop(): void;
}

/** Starts renewing `store`'s lease (null: the store has no leases, the embedded file). */
export function keepLease(
  store: WardenStore,
  log: Logger | undefined,
  onLost: (message: string) => void,
): LeaseKeeper | null {
  const leases = store.leases;
  if (leases === undefined) return null;
  const timer = setInterval(() => {
    let renewed: AccountLease | null;
    try {
      renewed = leases.renew(LEASE_TTL_MS);
    } catch (err) {
      log?.warn(
        { error: err instanceof Error ? err.message : String(err) },
        'could not renew the account lease; trying again',
      );
      return;
    }
    if (renewed !== null) return;
    clearInterval(timer);
    const holder = leases.current();
    const message = `the lease on account ${leases.account} was taken over${holder === null ? '' : ` by ${holder.holder} (token ${holder.token})`}: this session sends nothing more`;
    log?.error({ holder: holder?.holder, leaseToken: holder?.token }, message);
    onLost(message);
  }, LEASE_RENEW_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
