// The `accounts:` config section: the accounts one installation manages (`warden serve` on a
// PostgreSQL store). Each account runs in its own session with its own `broker:` section (default: the
// file's top-level one) and, for the embedded paper account, its own played market's seed and
// positions; everything else (exits, DTMS, symbols, notify) is the file's. Several processes given the
// same list share it: each takes the accounts whose leases are free.
import { z } from 'zod';
import { BROKER_ENV, brokerSchema } from './brokerSchema.ts';

/** An account's id: how the store keys its rows and the API and pages name it. */
export const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const accountSchema = z.strictObject({
  id: z.string().regex(ACCOUNT_ID, 'letters, digits, . _ -, starting with a letter or digit, at most 64'),
  /** This account's venue; default: the file's `broker:` section. Credentials: see accountEnv. */
  broker: brokerSchema.optional(),
  /** The embedded paper account's played market for this account (default: service.market's). */
  market: z
    .strictObject({
      seed: z.number().int().min(0).optional(),
      symbols: z.array(z.string().min(1)).min(1).max(20).optional(),
      demoPositions: z.number().int().min(0).max(50).optional(),
    })
    .optional(),
});

export const accountsSchema = z
  .array(accountSchema)
  .max(1000)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((a, i) => {
      if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `account ${a.id} is listed twice` });
      seen.add(a.id);
    });
  });

export type AccountEntry = z.infer<typeof accountSchema>;

/** The environment variable prefix of an account's own credentials: WARDEN_ACCOUNT_<ID>_ (upper case, other characters as _). */
export const accountEnvPrefix = (id: string): string =>
  `WARDEN_ACCOUNT_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;

/**
 * The environment an account's broker reads its credentials from: each of BROKER_ENV's variables
 * (WARDEN_CCXT_API_KEY...) taken from the account's own (WARDEN_ACCOUNT_<ID>_CCXT_API_KEY...), never
 * from the shared one: one account's keys must never place another account's orders.
 */
export function accountEnv(
  id: string,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  const prefix = accountEnvPrefix(id);
  for (const variable of Object.values(BROKER_ENV)) {
    const own = env[`${prefix}${variable.slice('WARDEN_'.length)}`];
    if (own === undefined) delete out[variable];
    else out[variable] = own;
  }
  return out;
}
