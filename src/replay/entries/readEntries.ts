// `replay --entries FILE`: the trades to replay, from Warden's entries CSV or from a trader's history as
// the venue saves it. The layout is told from the content (an .xlsx is a zip; an HTML report starts
// with markup; a CSV by its header), the extension only confirming .xlsx and .htm(l). Only openings
// become entries: the replay manages the exits itself. Every row that cannot be read is an error naming
// file:line (for a workbook: the sheet's row number) and the reason; rows that are no openings (closes,
// account operations) are counted in the description, never dropped unsaid.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import type { SymbolRules } from '../../domain/symbols.ts';
import type { Instrument } from '../../domain/types.ts';
import { decodeBarBytes, detectFormat } from '../../market/importers.ts';
import type { RowError } from '../../market/uniformCsv.ts';
import { ENTRIES_HEADER, parseEntriesCsv, type ReplayEntry } from '../entries.ts';
import { ReplayInputError } from '../replayInputs.ts';
import { binanceColumns, binanceOpenings } from './binance.ts';
import { csvRows, headerKey, splitCsvLine } from './csv.ts';
import { htmlTableRows } from './html.ts';
import { isMt5DealsHeader, mt5DealsOpenings } from './mt5Deals.ts';
import { MT5_POSITIONS_COLUMNS, mt5ReportOpenings, type ReportRow } from './mt5Report.ts';
import { toReplayEntries, type HistoryContext } from './rules.ts';
import { XlsxError, xlsxSheets } from './xlsx.ts';

export type EntriesLayout =
  | 'warden_csv'
  | 'mt5_report_html'
  | 'mt5_report_xlsx'
  | 'mt5_deals_csv'
  | 'binance_futures_csv'
  | 'binance_spot_csv';

export const LAYOUT_NAMES: Readonly<Record<EntriesLayout, string>> = {
  warden_csv: 'Warden entries CSV',
  mt5_report_html: 'MT5 History report (HTML)',
  mt5_report_xlsx: 'MT5 History report (XLSX)',
  mt5_deals_csv: 'MT5 deals CSV (history_deals_get)',
  binance_futures_csv: 'Binance USDⓈ-M futures trade history',
  binance_spot_csv: 'Binance spot trade history',
};

/** The layouts `--entries` reads, for the message about a file that is none of them. */
export const ACCEPTED_LAYOUTS = [
  `Warden's entries CSV (${ENTRIES_HEADER}; times ISO-8601 with a zone)`,
  `the MT5 terminal's History report saved as HTML (Report > HTML) or XLSX (Report > Open XML), read from its Positions table (${MT5_POSITIONS_COLUMNS}); needs --tz`,
  `MT5 deals written to CSV from the Python API's history_deals_get (ticket,order,time,time_msc,type,entry,magic,position_id,reason,volume,price,commission,swap,profit,fee,symbol,comment,external_id); needs --tz`,
  `Binance trade history CSV: USDⓈ-M futures (Date(UTC),Symbol,Side,Price,Quantity,Amount,Fee,Realized Profit) or spot (Date(UTC),Pair,Side,Price,Executed,Amount,Fee)`,
];

/** The layouts stamped with the broker's server clock (they need --tz). */
const SERVER_TIME: ReadonlySet<EntriesLayout> = new Set<EntriesLayout>([
  'mt5_report_html',
  'mt5_report_xlsx',
  'mt5_deals_csv',
]);

export interface EntriesFile {
  layout: EntriesLayout;
  entries: ReplayEntry[];
  /** Bad rows, in file order. */
  errors: RowError[];
  /** For the summary and the report, e.g. "MT5 deals CSV (history_deals_get), server time Etc/GMT-2; not entries: 3 closing deal(s)". Empty for Warden's CSV. */
  about: string;
}

export interface EntriesOptions {
  /** --tz: the broker's server clock, for the MT5 layouts. */
  tz?: string;
}

const ZIP_MAGIC = 0x04034b50;

const extOf = (file: string) => path.extname(file).toLowerCase();

/** The layout of a file from its bytes (and extension for .xlsx / .htm(l)); null when it is none `--entries` reads. */
export function entriesLayoutOf(buf: Buffer, file: string): EntriesLayout | null {
  const ext = extOf(file);
  if (buf.length >= 4 && buf.readUInt32LE(0) === ZIP_MAGIC)
    return ext === '.xlsx' || ext === '' || ext === '.xlsm' ? 'mt5_report_xlsx' : null;
  if (ext === '.xlsx') return null;
  const head = decodeBarBytes(buf.subarray(0, 64 * 1024));
  // Markup: an HTML document or table (an MT5 bar export starts with "<DATE>" and is none).
  if (ext === '.htm' || ext === '.html' || /^\s*<(?:!doctype\s+html|html|head|body|table)\b/i.test(head))
    return 'mt5_report_html';
  return csvLayoutOf(firstLine(head));
}

function firstLine(text: string): string {
  const t = text.replace(/^\uFEFF/, '');
  for (const line of t.split('\n')) if (line.trim() !== '') return line.replace(/\r$/, '');
  return '';
}

function csvLayoutOf(header: string): EntriesLayout | null {
  const cells = splitCsvLine(header);
  if (isMt5DealsHeader(cells)) return 'mt5_deals_csv';
  const b = binanceColumns(cells);
  if (b !== null) return b.kind === 'futures' ? 'binance_futures_csv' : 'binance_spot_csv';
  const keys = cells.map(headerKey);
  // Warden's own header, or one close enough that its reader's "expected header" says what is wrong.
  if (keys[0] === 'time' && keys.includes('symbol') && keys.includes('side')) return 'warden_csv';
  return null;
}

function unknownLayout(file: string, what: string): ReplayInputError {
  return new ReplayInputError(
    `${file}: unknown entries layout (${what}); --entries reads:\n${ACCEPTED_LAYOUTS.map((l) => `  - ${l}`).join('\n')}`,
  );
}

/** The sheet holding the Positions table (the first one naming it), else the first sheet. */
function positionsSheet(sheets: { rows: ReportRow[] }[]): ReportRow[] {
  const named = sheets.find((s) =>
    s.rows.some((r) => r.cells.filter((c) => c !== '').length === 1 && r.cells[0]?.toLowerCase() === 'positions'),
  );
  return (named ?? sheets[0]!).rows;
}

/** Reads an entries file of any accepted layout from its bytes. `file` names it in messages and sources. */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function parseEntriesFile(
  buf: Buffer,
  file: string,
  instrument: Instrument,
  symbols: SymbolRules,
  o: EntriesOptions = {},
): EntriesFile {
  if (buf.length === 0) throw new ReplayInputError(`${file}: the entries file is empty`);
  const layout = entriesLayoutOf(buf, file);
  if (layout === null) {
    if (buf.length >= 4 && buf.readUInt32LE(0) === ZIP_MAGIC)
      throw unknownLayout(file, `a zip archive named ${path.basename(file)}: a workbook must be an .xlsx`);
    if (extOf(file) === '.xlsx') throw unknownLayout(file, 'named .xlsx but not a zip archive, as every .xlsx is');
    throw unknownLayout(file, `first line "${firstLine(decodeBarBytes(buf.subarray(0, 64 * 1024))).slice(0, 80)}"`);
  }
  const name = LAYOUT_NAMES[layout];
  if (layout === 'warden_csv') {
    const r = parseEntriesCsv(decodeBarBytes(buf), file, instrument, symbols);
    return { layout, ...r, about: '' };
  }
  const ctx: HistoryContext = { file, instrument, symbols, tz: o.tz, errors: [], otherSymbols: new Map() };
  let openings;
  const notes: string[] = [];
  if (layout === 'mt5_report_xlsx') {
    let sheets;
    try {
      sheets = xlsxSheets(buf);
    } catch (err) {
      if (err instanceof XlsxError) throw new ReplayInputError(`${file}: ${err.message}`);
      throw err;
    }
    openings = mt5ReportOpenings(positionsSheet(sheets), ctx, name);
  } else if (layout === 'mt5_report_html') {
    openings = mt5ReportOpenings(htmlTableRows(decodeBarBytes(buf)), ctx, name);
  } else {
    const rows = csvRows(decodeBarBytes(buf));
    if (layout === 'mt5_deals_csv') {
      const r = mt5DealsOpenings(rows, ctx, name);
      openings = r.openings;
      if (r.tally.closing > 0) notes.push(`${r.tally.closing} closing deal(s)`);
      if (r.tally.added > 0) notes.push(`${r.tally.added} deal(s) adding to an open position`);
      if (r.tally.other > 0) notes.push(`${r.tally.other} balance or other non-trade deal(s)`);
    } else {
      const r = binanceOpenings(rows, binanceColumns(rows[0]!.cells)!, ctx);
      openings = r.openings;
      if (r.tally.closing > 0)
        notes.push(`${r.tally.closing} ${r.tally.kind === 'spot' ? 'selling' : 'closing'} fill(s)`);
    }
  }
  const errors = ctx.errors.sort((a, b) => a.line - b.line);
  const entries = toReplayEntries(openings, file);
  if (ctx.otherSymbols.size > 0) {
    const others = [...ctx.otherSymbols].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    const list = others.map(([sym, n]) => `${sym} ${n}`).join(', ');
    if (entries.length === 0 && errors.length === 0) {
      throw new ReplayInputError(
        `${file}: no trade of ${instrument.symbol} (${instrument.canonical}) in it, only of other symbols (rows: ${list}): replay each symbol with its own bars and --symbol`,
      );
    }
    notes.push(`${others.reduce((n, [, k]) => n + k, 0)} row(s) of other symbols (${list})`);
  }
  const zone = SERVER_TIME.has(layout) ? `, server time ${o.tz}` : '';
  const about = `${name}${zone}${notes.length > 0 ? `; not entries: ${notes.join(', ')}` : ''}`;
  return { layout, entries, errors, about };
}

/** Reads `--entries FILE`. Throws ENOENT as fs does; a file no layout fits, a missing --tz, ... as ReplayInputError. */
export function readEntriesFile(
  file: string,
  instrument: Instrument,
  symbols: SymbolRules,
  o: EntriesOptions = {},
): EntriesFile {
  return parseEntriesFile(readFileSync(file), file, instrument, symbols, o);
}

/** The first bytes of a file; null when it cannot be read (the reader that needs it says why later). */
function headOf(file: string, bytes = 64 * 1024): Buffer | null {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether an entries file is in a layout stamped with the broker's server time (it uses --tz). */
export function entriesUseServerTime(file: string): boolean {
  const head = headOf(file);
  if (head === null) return false;
  const layout = entriesLayoutOf(head, file);
  return layout !== null && SERVER_TIME.has(layout);
}

/**
 * The --tz the bar files are read with. --tz is the broker's server clock, for MT5 bars and MT5 entries
 * alike; bars in UTC refuse a --tz that nothing uses, so when only the entries use it the bars are
 * read without it (every bar file in a UTC layout). Otherwise --tz goes to the bars as given.
 */
export function barsTz(
  barFiles: readonly string[],
  entriesFile: string | undefined,
  tz: string | undefined,
): string | undefined {
  if (tz === undefined || entriesFile === undefined || !entriesUseServerTime(entriesFile)) return tz;
  const utcOnly = barFiles.every((f) => {
    const head = headOf(f);
    if (head === null) return false;
    const format = detectFormat(decodeBarBytes(head));
    return format === 'uniform' || format === 'binance';
  });
  return utcOnly ? undefined : tz;
}
