// `warden shadow report --store FILE`: what Warden would have done in shadow mode, position by position,
// beside what happened at the venue: the would-be stop and exit, the would-be result and the actual one
// in R, and the totals (mean of the paired difference with its standard error). Read-only.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ShadowBook, shadowTotals, type ShadowScore } from '../../execution/shadowBook.ts';
import { isPostgresUrl, openStore } from '../../store/openStore.ts';
import { StoreError, type WardenStore } from '../../store/store.ts';
import { CliError } from '../errors.ts';
import { clockOf, writeOut } from '../io.ts';

interface ReportOptions {
  store: string;
  json?: boolean;
}

export function register(program: Command): void {
  const shadow = program
    .command('shadow')
    .description('shadow mode (warden serve --shadow): what Warden would have done, scored against what happened');
  shadow
    .command('report')
    .description('per position: the would-be stop, exit and result (R) beside the actual one, and the totals')
    .requiredOption('--store <file>', 'the Warden store a shadow session wrote to')
    .option('--json', 'the report as JSON')
    .action((o: ReportOptions, cmd: Command) => report(o, cmd));
}

const r = (x: number | null): string => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);
const when = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

function exitText(e: ShadowScore['shadowExit']): string {
  if (e === null) return 'open';
  return `${e.how} ${e.price} (${e.by}) ${when(e.time)}`;
}

function report(o: ReportOptions, cmd: Command): void {
  if (!isPostgresUrl(o.store) && !existsSync(o.store))
    throw new CliError(`${o.store}: no store there (the file does not exist)`);
  let store: WardenStore | undefined;
  try {
    store = openStore(o.store, { now: clockOf(cmd)(), readonly: true });
    const snap = store.shadowBook();
    if (snap === null)
      throw new CliError(
        `${o.store}: no shadow session has run on this store (start one with: warden serve --shadow --store ${o.store})`,
      );
    const book = new ShadowBook([], snap);
    const scores = book.scores();
    const totals = shadowTotals(scores);
    if (o.json === true) {
      writeOut(cmd, JSON.stringify({ promoted: snap.promoted, totals, positions: scores }, null, 2));
      return;
    }
    const lines = [
      `shadow report of ${o.store}: ${totals.positions} position(s), ${totals.final} ended at the venue and in shadow, ${totals.acted} with would-be decisions (${totals.decisions} in all)`,
    ];
    if (snap.promoted.length > 0) lines.push(`promoted to live: ${snap.promoted.join(', ')}`);
    lines.push('ticket       symbol     side  decisions  would-be R  actual R  would-be exit / actual exit');
    for (const s of scores) {
      lines.push(
        `${s.ticket.padEnd(12)} ${s.symbol.padEnd(10)} ${s.side.padEnd(5)} ${String(s.decisions).padStart(9)}  ${r(s.shadowR).padStart(10)}  ${(s.virtual ? 'hedge' : r(s.actualR)).padStart(8)}  ${exitText(s.shadowExit)} / ${s.virtual ? 'would-be hedge' : exitText(s.actualExit)}`,
      );
    }
    if (totals.diffMeanR !== null) {
      const se = totals.diffSeR === null ? '' : ` ± ${totals.diffSeR.toFixed(3)}`;
      const noise =
        totals.diffSeR !== null && Math.abs(totals.diffMeanR) < totals.diffSeR
          ? ' (within noise: under one standard error)'
          : '';
      lines.push(
        `would-be ${r(totals.shadowMeanR)} R against actual ${r(totals.actualMeanR)} R per position; difference ${r(totals.diffMeanR)}${se} R${noise}; better ${totals.better}, worse ${totals.worse}, same ${totals.same}`,
      );
    } else lines.push('no position with a stop to measure R by yet');
    writeOut(cmd, lines.join('\n'));
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  } finally {
    store?.close();
  }
}
