// `warden import-legacy FILE --store STORE`: the Python bot's intelligent_exits.json (its rules keyed
// by ticket) into Warden's store, one line per record (imported, or skipped with the reason), then a summary.
//
// The rules go to the store's legacy_rules, not yet as exit plans: a plan needs the position's volume
// and instrument (planFromLegacy), which the legacy file does not hold. When Warden first sees the
// position with that ticket, its plan is built from the imported rule instead of a fresh registration.
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { parseLegacyRule, type LegacyRule } from '../../exits/legacyRule.ts';
import { isPostgresUrl, openStore } from '../../store/openStore.ts';
import { StoreError, type StoredLegacyRule, type WardenStore } from '../../store/store.ts';
import { CliError } from '../errors.ts';
import { clockOf, writeOut } from '../io.ts';
import { readVersion } from '../version.ts';

interface ImportOptions {
  store: string;
  dryRun?: boolean;
}

/** The legacy file's records, keyed by ticket string; a file that is not one is a CliError. */
function readLegacyFile(file: string): [string, unknown][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    throw new CliError(
      code === 'ENOENT'
        ? `${file}: file not found`
        : `${file}: cannot read it (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const what = Array.isArray(data) ? 'an array' : data === null ? 'null' : `a ${typeof data}`;
    throw new CliError(
      `${file} is not an intelligent_exits.json: the top level is ${what}, expected an object keyed by ticket`,
    );
  }
  return Object.entries(data);
}

const pct = (v: number | undefined, dflt: number): string => `${v ?? dflt}%${v === undefined ? ' (default)' : ''}`;

function describe(rule: LegacyRule): string {
  const sl = rule.initial_sl > 0 ? `sl ${rule.initial_sl}` : 'no sl';
  const tp = rule.initial_tp > 0 ? `tp ${rule.initial_tp}` : 'no tp';
  const state = [
    rule.breakeven_triggered === true ? 'breakeven done' : '',
    rule.partial_triggered === true ? 'partial done' : '',
  ].filter(Boolean);
  return (
    `${rule.symbol} ${rule.direction} entry ${rule.entry_price} ${sl} ${tp}: ` +
    `breakeven ${pct(rule.breakeven_profit_pct, 30)}, partial ${pct(rule.partial_profit_pct, 60)} closing ${pct(rule.partial_close_pct, 50)}` +
    `${rule.original_trade_type ? `, ${rule.original_trade_type}` : ''}${state.length ? `, ${state.join(', ')}` : ''}`
  );
}

/** Why an accepted rule is not imported after all (already in the store, or twice in the file). */
function conflict(store: WardenStore | null, ticket: string, seen: Map<string, string>): string | null {
  const first = seen.get(ticket);
  if (first !== undefined) return `ticket ${ticket} appears twice in the file (first under key ${first})`;
  if (store === null) return null;
  if (store.plan(ticket) !== null) return `position ${ticket} already has an exit plan in the store`;
  const prior = store.legacyRule(ticket);
  if (prior !== null) return `already imported (from ${prior.source} at ${new Date(prior.importedAt).toISOString()})`;
  return null;
}

function importLegacy(file: string, options: ImportOptions, cmd: Command): void {
  const entries = readLegacyFile(file);
  const dryRun = options.dryRun === true;
  const now = clockOf(cmd)();
  let store: WardenStore | null = null;
  try {
    // A dry run writes nothing: it reads an existing store (to report what is already there) read-only.
    if (!dryRun) store = openStore(options.store, { now, createdBy: `warden ${readVersion()}` });
    else if (isPostgresUrl(options.store) || storeExists(options.store))
      store = openStore(options.store, { now, readonly: true });

    const lines: string[] = [];
    let imported = 0;
    const run = () => {
      const seen = new Map<string, string>();
      for (const [key, value] of entries) {
        const p = parseLegacyRule(key, value);
        if (!p.ok) {
          lines.push(`skipped ${key}: ${p.reason}`);
          continue;
        }
        const ticket = p.rule.ticket;
        const why = conflict(store, ticket, seen);
        if (why !== null) {
          lines.push(`skipped ${key}: ${why}`);
          continue;
        }
        seen.set(ticket, key);
        const record: StoredLegacyRule = {
          positionId: ticket,
          rule: p.rule,
          notes: p.notes,
          source: file,
          importedAt: now,
        };
        if (!dryRun) store!.saveLegacyRule(record);
        imported++;
        lines.push(
          `${dryRun ? 'would import' : 'imported'} ${ticket} ${describe(p.rule)}${p.notes.length ? `; ${p.notes.join('; ')}` : ''}`,
        );
      }
    };
    // One transaction: the whole file is imported, or (on a store error) nothing.
    if (store !== null && !dryRun) store.transaction(run);
    else run();

    const skipped = entries.length - imported;
    const counts = `${entries.length} record${entries.length === 1 ? '' : 's'}: ${imported} ${dryRun ? 'would be imported' : 'imported'}, ${skipped} skipped`;
    lines.push(dryRun ? `dry run, nothing written: ${counts}` : `${counts}, into ${options.store}`);
    writeOut(cmd, lines.join('\n'));
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    if (code.startsWith('SQLITE_'))
      throw new CliError(`${options.store}: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  } finally {
    store?.close();
  }
}

/** A store to read in a dry run: an existing, non-empty file (a missing or empty one is a new, empty store). */
function storeExists(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}

export function register(program: Command): void {
  program
    .command('import-legacy')
    .description(
      "import the Python bot's intelligent_exits.json rules into a Warden store, reporting each record imported or skipped",
    )
    .argument('<file>', 'the legacy intelligent_exits.json')
    .requiredOption('--store <file>', 'the Warden store (SQLite file; created if missing)')
    .option('--dry-run', 'only report what would be imported; write nothing')
    .action((file: string, options: ImportOptions, cmd: Command) => {
      importLegacy(file, options, cmd);
    });
}
