// Settings whose default depends on the account they run on: null in the config means "by the
// account", resolved here once the account is known (the service, when it builds the session; replay,
// which plays on the paper broker). A real account is one whose orders reach a venue (broker.kind ccxt
// or metaapi); the embedded paper account and replay are not. Replay resolves like the paper account,
// so replay and study results do not depend on where the config is later used.
//
// To add a setting: make it nullable with default null in schema.ts, and add a rule below giving its
// value on a real account and on paper. Everything past this point reads a value, never a null.
import type { WardenConfig } from './schema.ts';

export interface AccountKind {
  /** Orders reach a venue (broker.kind ccxt or metaapi); false: the embedded paper account, or replay. */
  real: boolean;
}

interface AccountDefault {
  /** The config key, as a trader writes it (for the start line and the log). */
  key: string;
  /** The key is left to the account in `c`. */
  unset(c: WardenConfig): boolean;
  /** Sets the account's value in `c` (a copy: the caller's config is never changed). */
  apply(c: WardenConfig, account: AccountKind): void;
}

const RULES: readonly AccountDefault[] = [
  {
    // A hedge or a re-add puts new risk on the account: on a real one only when the trader said so.
    key: 'dtms.actions.openPositions',
    unset: (c) => c.dtms.actions.openPositions === null,
    apply: (c, a) => {
      c.dtms.actions.openPositions = !a.real;
    },
  },
  {
    // A trailing gate or trigger rule without data: on a real account the trail waits for it; on paper
    // and in replay it passes, as the original did (the replay and study results are made that way).
    key: 'exits.noDataPasses',
    unset: (c) => c.exits.noDataPasses === null,
    apply: (c, a) => {
      c.exits.noDataPasses = !a.real;
    },
  },
];

/**
 * The config with every "by the account" setting (null) given the account's value. The same object
 * when none is left to the account; else a copy (the given config is not changed).
 */
export function resolveAccountDefaults(config: WardenConfig, account: AccountKind): WardenConfig {
  const open = RULES.filter((r) => r.unset(config));
  if (open.length === 0) return config;
  const c = structuredClone(config);
  for (const r of open) r.apply(c, account);
  return c;
}

/** The keys `config` leaves to the account (null), for a person: what resolveAccountDefaults will decide. */
export function keysByAccount(config: WardenConfig): string[] {
  return RULES.filter((r) => r.unset(config)).map((r) => r.key);
}
