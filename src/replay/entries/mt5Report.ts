// The MT5 terminal's History report (Toolbox > History > right-click > Report), saved as HTML or as
// XLSX ("Open XML"): a title block, then the sections Positions, Orders and Deals, each a title row, a
// header row and data rows. Entries come from the Positions table alone: one row per position, with
// what a replay needs (open time, side, volume, open price, and the stop and target the position had):
//   Time | Position | Symbol | Type | Volume | Price | S / L | T / P | Time | Price | Commission | Swap | Profit
// Columns are found by their header (the first Time and Price are the opening's, the second the
// closing's), so extra or padding columns do not matter. Rules:
//  - Times are the broker's server time, `YYYY.MM.DD HH:MM[:SS]` (an XLSX cell may hold it as a date
//    number: days since 1899-12-30, the spreadsheet convention); --tz converts them to UTC.
//  - Type is buy or sell (a position's direction); anything else is a bad row.
//  - Volume is in lots, taken as it is. A position closed in parts shows `closed / opened` volumes: the
//    larger one is what the position opened with (a part closed is never more than that).
//  - S / L and T / P empty or 0 mean none (MT5 prints either).
//  - The totals row under the table (no time, symbol, type or volume: only the sums of commission, swap
//    and profit) is not a position. A row with only some of those cells empty is a bad row.
//  - The table ends at the next title row (Orders) or at an empty row.
// The report must be saved with the terminal in English (the section and column names are matched).
import type { Side } from '../../domain/types.ts';
import { ReplayInputError } from '../replayInputs.ts';
import { headerKey } from './csv.ts';
import {
  MT5_TIME_FORMAT,
  parseNumber,
  parseWallTime,
  rowError,
  serverToUtc,
  serverZone,
  stopCell,
  stopsProblem,
  otherSymbol,
  symbolProblem,
  volumeProblem,
  type HistoryContext,
  type Opening,
} from './rules.ts';

/** A table row of a report: its line (HTML) or sheet row number (XLSX), its cells' text, and whether it is a heading row. */
export interface ReportRow {
  line: number;
  cells: string[];
  /** HTML: every cell is a <th>. XLSX: not known (false); a title is told by its single non-empty cell. */
  heading: boolean;
}

export const MT5_POSITIONS_COLUMNS =
  'Time, Position, Symbol, Type, Volume, Price, S / L, T / P, Time, Price, Commission, Swap, Profit';

interface PositionColumns {
  time: number;
  position: number;
  symbol: number;
  type: number;
  volume: number;
  price: number;
  sl: number;
  tp: number;
}

const REQUIRED: readonly (keyof PositionColumns)[] = ['time', 'symbol', 'type', 'volume', 'price'];

/** The header's columns, or null when the row is not the Positions header. */
function positionColumns(cells: readonly string[]): PositionColumns | null {
  const keys = cells.map(headerKey);
  const first = (k: string) => keys.indexOf(k);
  const cols: PositionColumns = {
    time: first('time'),
    position: first('position'),
    symbol: first('symbol'),
    type: first('type'),
    volume: first('volume'),
    price: first('price'),
    sl: first('s/l'),
    tp: first('t/p'),
  };
  return REQUIRED.every((k) => cols[k] >= 0) ? cols : null;
}

const nonEmpty = (row: ReportRow): string[] => row.cells.filter((c) => c !== '');
const isTitle = (row: ReportRow, title?: string): boolean => {
  const shown = nonEmpty(row);
  return (
    shown.length === 1 &&
    (row.heading || row.cells[0] === shown[0]) &&
    (title === undefined || shown[0]!.toLowerCase() === title.toLowerCase())
  );
};

/** 1899-12-30, day 0 of spreadsheet date numbers (1900 date system, its 1900 leap-year quirk included). */
const SHEET_EPOCH_DAYS = -25_569;

/** A report time cell -> server wall time (encoded as if UTC); NaN when it is none. */
function wallOf(cell: string): number {
  if (/^\d+(\.\d+)?$/.test(cell)) {
    // A spreadsheet date number: rounded to the second (the report's precision).
    const days = Number(cell);
    return days > 1 ? Math.round((days + SHEET_EPOCH_DAYS) * 86_400) * 1000 : NaN;
  }
  return parseWallTime(cell);
}

/** Volume cell -> lots: `0.1`, or `0.05 / 0.1` (closed / opened: the larger). NaN when neither. */
function volumeOf(cell: string): number {
  const parts = cell.split('/').map(parseNumber);
  if (parts.length > 2 || parts.some((n) => Number.isNaN(n))) return NaN;
  return Math.max(...parts);
}

/**
 * The openings of a History report's Positions table. `layout` names the file's kind in messages. Throws
 * ReplayInputError when the report has no Positions table or --tz is missing; bad rows go to ctx.errors.
 */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function mt5ReportOpenings(rows: readonly ReportRow[], ctx: HistoryContext, layout: string): Opening[] {
  let at = rows.findIndex((r) => isTitle(r, 'Positions'));
  let cols: PositionColumns | null = null;
  if (at >= 0) {
    // The header is the first non-empty row under the title.
    let h = at + 1;
    while (h < rows.length && nonEmpty(rows[h]!).length === 0) h++;
    cols = h < rows.length ? positionColumns(rows[h]!.cells) : null;
    at = h;
  } else {
    // No title (a report cut down to its table): the first row that reads as the header.
    at = rows.findIndex((r) => positionColumns(r.cells) !== null);
    if (at >= 0) cols = positionColumns(rows[at]!.cells);
  }
  if (cols === null) {
    throw new ReplayInputError(
      `${ctx.file}: no Positions table with the columns ${MT5_POSITIONS_COLUMNS}: save the History report from the MT5 terminal in English (Toolbox > History > right-click > Report > HTML or Open XML)`,
    );
  }
  const zone = serverZone(ctx.file, layout, ctx.tz);
  const openings: Opening[] = [];
  let after = -Infinity;
  for (let i = at + 1; i < rows.length; i++) {
    const row = rows[i]!;
    if (nonEmpty(row).length === 0 || row.heading || isTitle(row)) break;
    const cell = (k: number) => (k >= 0 ? (row.cells[k] ?? '') : '');
    const timeText = cell(cols.time);
    const sym = cell(cols.symbol);
    const typeText = cell(cols.type);
    const volText = cell(cols.volume);
    if (timeText === '' && sym === '' && typeText === '' && volText === '') continue; // the totals row
    const bad = (reason: string) =>
      rowError(ctx, row.line, `${cell(cols.position) ? `position ${cell(cols.position)}: ` : ''}${reason}`);
    const wall = wallOf(timeText);
    if (Number.isNaN(wall)) {
      bad(`time "${timeText}" must be ${MT5_TIME_FORMAT}`);
      continue;
    }
    if (symbolProblem(sym, ctx.instrument, ctx.symbols) !== null) {
      otherSymbol(ctx, sym);
      continue;
    }
    const type = typeText.toLowerCase();
    if (type !== 'buy' && type !== 'sell') {
      bad(`type "${typeText}" must be buy or sell`);
      continue;
    }
    const side: Side = type;
    const volume = volumeOf(volText);
    const volumeWrong = volumeProblem(volText, volume, ctx.instrument);
    if (volumeWrong !== null) {
      bad(volumeWrong);
      continue;
    }
    const price = parseNumber(cell(cols.price));
    if (!(price > 0)) {
      bad(`price "${cell(cols.price)}" must be a positive number`);
      continue;
    }
    const sl = stopCell(cell(cols.sl));
    if (sl === undefined) {
      bad(`S / L "${cell(cols.sl)}" must be a price, 0 or empty`);
      continue;
    }
    const tp = stopCell(cell(cols.tp));
    if (tp === undefined) {
      bad(`T / P "${cell(cols.tp)}" must be a price, 0 or empty`);
      continue;
    }
    const stopsWrong = stopsProblem(side, sl, tp);
    if (stopsWrong !== null) {
      bad(stopsWrong);
      continue;
    }
    const time = serverToUtc(ctx, zone, wall, after, row.line);
    if (Number.isNaN(time)) continue;
    after = time;
    const id = cell(cols.position);
    openings.push({ time, side, volume, price, sl, tp, comment: id ? `MT5 position ${id}` : '', line: row.line });
  }
  return openings;
}
