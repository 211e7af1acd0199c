// MT5 deals as the Python API's history_deals_get gives them, written to CSV by pandas:
//   [index,]ticket,order,time,time_msc,type,entry,magic,position_id,reason,volume,price,commission,swap,profit,fee,symbol,comment,external_id
// (the leading index column is pandas' default; column order does not matter, they are found by name).
// Rules:
//  - time is the server's wall clock as unix seconds (MT5 stamps with server time, not real UTC), or as
//    text when the script converted it (`YYYY-MM-DD HH:MM:SS`); time_msc (the same in ms) is used when
//    present. --tz converts them to UTC.
//  - type 0 is a buy, 1 a sell; other types (2 balance, 3 credit, 4 charge, 5 correction, 6 bonus,
//    7 commission, ...) are account operations, not trades: not entries.
//  - entry 0 (in) opens a position: the first in-deal of a position_id is its entry (side, volume in
//    lots as is, price, time). A later in-deal of the same position (a netting account adding to it) is
//    no new position: not an entry. entry 1 (out) and 3 (out by) close: not entries.
//  - entry 2 (in/out, a netting account's reversal) closes the position and opens the other way the
//    volume beyond it: that part is an entry. Its size needs the position's volume before, so the
//    position's earlier deals must be in the file; otherwise the row is a bad row.
//  - Deals carry no stop or target: sl and tp are null (the exit config decides).
import type { Side } from '../../domain/types.ts';
import { headerKey, type CsvRow } from './csv.ts';
import {
  cleanLots,
  parseNumber,
  parseWallTime,
  rowError,
  serverToUtc,
  serverZone,
  otherSymbol,
  symbolProblem,
  volumeProblem,
  type HistoryContext,
  type Opening,
} from './rules.ts';

export const MT5_DEALS_REQUIRED = ['time', 'type', 'entry', 'position_id', 'volume', 'price', 'symbol'] as const;

/** Whether a header row is the deals CSV's. */
export function isMt5DealsHeader(cells: readonly string[]): boolean {
  const keys = cells.map(headerKey);
  return MT5_DEALS_REQUIRED.every((k) => keys.includes(k));
}

export interface DealsTally {
  /** In-deals adding to an open position, out-deals, and account operations: rows that are no opening. */
  added: number;
  closing: number;
  other: number;
}

const DEAL_IN = 0;
const DEAL_OUT = 1;
const DEAL_INOUT = 2;
const DEAL_OUT_BY = 3;

/** The openings of a deals CSV (rows[0] is the header). */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export function mt5DealsOpenings(
  rows: readonly CsvRow[],
  ctx: HistoryContext,
  layout: string,
): { openings: Opening[]; tally: DealsTally } {
  const keys = rows[0]!.cells.map(headerKey);
  const col = (k: string) => keys.indexOf(k);
  const c = {
    time: col('time'),
    timeMsc: col('time_msc'),
    type: col('type'),
    entry: col('entry'),
    position: col('position_id'),
    volume: col('volume'),
    price: col('price'),
    symbol: col('symbol'),
    comment: col('comment'),
  };
  const zone = serverZone(ctx.file, layout, ctx.tz);
  const tally: DealsTally = { added: 0, closing: 0, other: 0 };
  // Server wall time of each row first: the deals are taken in time order (a position's deals must be
  // seen open -> close), whatever order the script wrote them in.
  const timed: { row: CsvRow; wall: number }[] = [];
  for (const row of rows.slice(1)) {
    const cell = (k: number) => (k >= 0 ? (row.cells[k] ?? '') : '');
    const msc = cell(c.timeMsc);
    const t = cell(c.time);
    const wall = /^\d+$/.test(msc) ? Number(msc) : /^\d+$/.test(t) ? Number(t) * 1000 : parseWallTime(t);
    if (Number.isNaN(wall)) {
      rowError(ctx, row.line, `time "${t}" must be unix seconds of the server's clock or YYYY-MM-DD HH:MM:SS`);
      continue;
    }
    timed.push({ row, wall });
  }
  timed.sort((a, b) => a.wall - b.wall);
  /** Volume open per position_id, from the deals seen so far. */
  const open = new Map<string, number>();
  const openings: Opening[] = [];
  let after = -Infinity;
  for (const { row, wall } of timed) {
    const cell = (k: number) => (k >= 0 ? (row.cells[k] ?? '') : '');
    const bad = (reason: string) => rowError(ctx, row.line, reason);
    if (row.cells.length !== keys.length) {
      bad(`expected ${keys.length} columns as in the header, found ${row.cells.length}`);
      continue;
    }
    const typeText = cell(c.type);
    const entryText = cell(c.entry);
    if (!/^\d+$/.test(typeText)) {
      bad(`type "${typeText}" must be a deal type number (0 buy, 1 sell, 2 balance, ...)`);
      continue;
    }
    const type = Number(typeText);
    if (type > 1) {
      tally.other++;
      continue;
    }
    const entry = Number(entryText);
    if (!/^[0-3]$/.test(entryText)) {
      bad(`entry "${entryText}" must be 0 (in), 1 (out), 2 (in/out) or 3 (out by)`);
      continue;
    }
    const sym = cell(c.symbol);
    if (symbolProblem(sym, ctx.instrument, ctx.symbols) !== null) {
      otherSymbol(ctx, sym);
      continue;
    }
    const volText = cell(c.volume);
    const volume = parseNumber(volText);
    if (!(volume > 0)) {
      bad(`volume "${volText}" must be a positive number of lots`);
      continue;
    }
    const pos = cell(c.position);
    if (pos === '' || pos === '0') {
      bad(`a ${type === 0 ? 'buy' : 'sell'} deal without a position_id`);
      continue;
    }
    const before = open.get(pos);
    if (entry === DEAL_OUT || entry === DEAL_OUT_BY) {
      tally.closing++;
      if (before !== undefined) open.set(pos, Math.max(0, cleanLots(before - volume)));
      continue;
    }
    let lots = volume;
    if (entry === DEAL_IN) {
      open.set(pos, cleanLots((before ?? 0) + volume));
      if (before !== undefined && before > 0) {
        tally.added++;
        continue;
      }
    } else if (entry === DEAL_INOUT) {
      tally.closing++;
      if (before === undefined) {
        bad(
          `a reversal (entry 2) of position ${pos}, whose earlier deals are not in the file: the volume it opens is not known`,
        );
        continue;
      }
      lots = cleanLots(volume - before);
      open.set(pos, Math.max(0, lots));
      if (!(lots > 0)) continue;
    }
    const volumeWrong = volumeProblem(String(lots), lots, ctx.instrument);
    if (volumeWrong !== null) {
      bad(volumeWrong);
      continue;
    }
    const priceText = cell(c.price);
    const price = parseNumber(priceText);
    if (!(price > 0)) {
      bad(`price "${priceText}" must be a positive number`);
      continue;
    }
    const time = serverToUtc(ctx, zone, wall, after, row.line);
    if (Number.isNaN(time)) continue;
    after = time;
    const side: Side = type === 0 ? 'buy' : 'sell';
    const comment = cell(c.comment);
    openings.push({
      time,
      side,
      volume: lots,
      price,
      sl: null,
      tp: null,
      comment: `MT5 position ${pos}${comment ? ` ${comment}` : ''}`,
      line: row.line,
    });
  }
  return { openings, tally };
}
