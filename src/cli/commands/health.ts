// `warden health --store FILE`: is Warden looking after the positions in this store right now?
// healthy / degraded / idle with the reasons (open circuit breakers, stale feeds, features warming up,
// intents not settled with the broker, recent refusals, a session that stopped reporting), from the report the live
// session writes at each step and the intent journal read afresh. Read-only: nothing is written, in the
// store or beside it (no -wal or -shm, no copy of a damaged store: a monitor calls this every minute,
// perhaps as a user who cannot write there), so a damaged store is reported with how to save a copy.
// Exit code 0 for healthy and idle, 3 for degraded (for monitors), 2 for a store that cannot be read.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { featuresWarmingUp, healthFromStore } from '../../execution/health.ts';
import { isPostgresUrl, openStore } from '../../store/openStore.ts';
import { StoreError, type WardenStore } from '../../store/store.ts';
import { CliError, EXIT_DEGRADED } from '../errors.ts';
import { clockOf, writeOut } from '../io.ts';

interface HealthOptions {
  store: string;
  account?: string;
  json?: boolean;
  silentAfter?: string;
}

/** A session reports at every bar; three M1 bars without a report, and nobody is watching. */
const DEFAULT_SILENT_AFTER_SEC = 180;

export function register(program: Command): void {
  program
    .command('health')
    .description('healthy / degraded / idle for the positions in a store, with the reasons (exit code 3 when degraded)')
    .requiredOption(
      '--store <file|url>',
      'the Warden store the live session writes to: a SQLite file, or a PostgreSQL URL (postgres://user@host/db?schema=NAME)',
    )
    .option('--account <id>', 'the account of a PostgreSQL store (default: default)')
    .option('--json', 'the whole report as JSON')
    .option(
      '--silent-after <sec>',
      `degraded when the session has not reported for this long while positions are open (default ${DEFAULT_SILENT_AFTER_SEC})`,
    )
    .action((options: HealthOptions, cmd: Command) => health(options, cmd));
}

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
function health(o: HealthOptions, cmd: Command): void {
  let silentAfterSec = DEFAULT_SILENT_AFTER_SEC;
  if (o.silentAfter !== undefined) {
    silentAfterSec = Number(o.silentAfter);
    if (!Number.isInteger(silentAfterSec) || silentAfterSec < 1 || silentAfterSec > 86_400)
      throw new CliError(`--silent-after must be a whole number of seconds within 1..86400, got "${o.silentAfter}"`);
  }
  if (!isPostgresUrl(o.store) && !existsSync(o.store))
    throw new CliError(`${o.store}: no store there (the file does not exist)`);
  let store: WardenStore | undefined;
  try {
    const now = clockOf(cmd)();
    store = openStore(o.store, { now, readonly: true, account: o.account });
    const h = healthFromStore(store, now, silentAfterSec * 1000);
    if (o.json === true)
      writeOut(
        cmd,
        JSON.stringify({ ...h, reportAgeMs: Number.isFinite(h.reportAgeMs) ? h.reportAgeMs : null }, null, 2),
      );
    else {
      const age = Number.isFinite(h.reportAgeMs) ? `, report ${Math.round(h.reportAgeMs / 1000)} s old` : '';
      const lines = [`${h.status}: ${h.positions} position(s), ${h.hedges} hedge(s) under management${age}`];
      for (const r of h.reasons) lines.push(`  - ${r}`);
      for (const f of h.feeds)
        lines.push(
          `  feed ${f.symbol}: ${Number.isFinite(f.lastBarAt) ? `last bar closed ${new Date(f.lastBarAt).toISOString()}` : 'no bar yet'}${f.stale ? ' (stale)' : ''}`,
        );
      for (const f of h.features)
        lines.push(f.featuresReady ? `  features ${f.symbol}: ready` : `  ${featuresWarmingUp(f)}`);
      if (Number.isFinite(h.lag.lastStepAt))
        lines.push(
          `  engine: last step ended ${new Date(h.lag.lastStepAt).toISOString()}, ${Math.round(h.lag.lagMs / 1000)} s behind the market (${h.lag.barsBehind} bar(s) waiting) when it reported`,
        );
      writeOut(cmd, lines.join('\n'));
    }
    if (h.status === 'degraded') throw new CliError('', EXIT_DEGRADED);
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  } finally {
    store?.close();
  }
}
