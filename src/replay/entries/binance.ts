// Binance's "Trade History" CSV exports: one row per fill, times in UTC (the header says so:
// `Date(UTC)`; a header giving another offset, `Date(UTC+8)`, is honoured).
//   USDⓈ-M futures: Date(UTC),Symbol,Side,Price,Quantity,Amount,Fee,Realized Profit[,...]
//   spot:           Date(UTC),Pair,Side,Price,Executed,Amount,Fee[,...]
// (columns found by name; quantities may carry their asset, `0.010BTC`, and amounts a grouping comma).
// A fill says whether it bought or sold, not whether it opened or closed a position; the rules chosen:
//  - Futures, one-way mode (no Position Side column, or BOTH): a fill against the position the file has
//    built so far closes it, and the part beyond it opens the other way (a reversal). Any other fill opens
//    a position (or adds to one), unless it realized a profit or a loss: a fill that realizes something
//    closed a position opened before the file starts. So the rows with Realized Profit 0 are the
//    openings, except a close at exactly break-even, which is told apart by the position it reduces.
//    The file is taken as starting flat: a break-even close of a position opened before it reads as an
//    opening (nothing in the file can tell).
//  - Futures, hedge mode (a Position Side column of LONG / SHORT): BUY LONG and SELL SHORT open, the
//    others close.
//  - Spot (no Realized Profit column): a BUY opens a long position; a SELL sells what was bought and
//    opens nothing (spot cannot be short).
//  - One order filled in several rows (same symbol, side and time) is one entry: quantities added, the
//    price their volume-weighted mean, its line the first fill's (in time order).
//  - Each opening is a position of its own (one that adds to a position opens another in the replay).
//  - Quantity is in base units (BTC); the replay trades lots: lots = quantity / the instrument's
//    contractSize (1 for a coin contract: 0.01 BTC = 0.01 lots), which must be a multiple of its lot step.
//  - Fills carry no stop or target: sl and tp are null (the exit config decides).
//  - Exports list the newest fill first: fills are taken in time order whatever the file's order.
//  - The symbol is matched as Warden's Binance adapter maps it: BTCUSDT is BTCUSD (or BTCUSDT, when the
//    replayed instrument is defined under that name).
import type { Side } from '../../domain/types.ts';
import { checkedWall } from '../../market/importers/scan.ts';
import { headerKey, type CsvRow } from './csv.ts';
import {
  cleanLots,
  rowError,
  otherSymbol,
  symbolProblem,
  volumeProblem,
  type HistoryContext,
  type Opening,
} from './rules.ts';

export type BinanceKind = 'futures' | 'spot';

interface BinanceColumns {
  kind: BinanceKind;
  time: number;
  /** Hours and minutes east of UTC stated by the time column's header, in ms. */
  offsetMs: number;
  symbol: number;
  side: number;
  price: number;
  quantity: number;
  realized: number;
  positionSide: number;
}

const TIME_HEADER = /^(?:date|time)\(utc(?:([+-])(\d{1,2})(?::?(\d{2}))?)?\)$/;

/** The columns of a Binance trade-history header, or null when the header is not one. */
export function binanceColumns(cells: readonly string[]): BinanceColumns | null {
  const keys = cells.map(headerKey);
  const time = keys.findIndex((k) => TIME_HEADER.test(k));
  const columnNamed = (...names: string[]) => keys.findIndex((k) => names.includes(k));
  const cols = {
    time,
    symbol: columnNamed('symbol', 'pair'),
    side: columnNamed('side'),
    price: columnNamed('price'),
    quantity: columnNamed('quantity', 'executed', 'qty'),
    realized: columnNamed('realizedprofit', 'realizedpnl'),
    positionSide: columnNamed('positionside'),
  };
  if (cols.time < 0 || cols.symbol < 0 || cols.side < 0 || cols.price < 0 || cols.quantity < 0) return null;
  const z = TIME_HEADER.exec(keys[time]!)!;
  const offsetMs =
    z[1] === undefined ? 0 : (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 3_600_000 + Number(z[3] ?? 0) * 60_000);
  return { ...cols, kind: cols.realized >= 0 ? 'futures' : 'spot', offsetMs };
}

/** `2024-01-02 10:15:23` (or with a two-digit year, as some exports write) -> wall ms; NaN otherwise. */
function parseBinanceTime(text: string): number {
  const m = /^(\d{2}|\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return NaN;
  const y = m[1]!.length === 2 ? 2000 + Number(m[1]) : Number(m[1]);
  return checkedWall(y, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

/** `0.010BTC`, `1,215.36`, `-3.2 USDT`, `0` -> the number; NaN when it is none. */
export function parseAmount(text: string): number {
  const m = /^([-+]?[\d.,]+)\s*(?:[A-Za-z][A-Za-z0-9]*)?$/.exec(text.trim());
  if (!m) return NaN;
  let n = m[1]!;
  if (n.includes(',')) {
    if (!/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(n)) return NaN;
    n = n.replace(/,/g, '');
  }
  return /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(n) ? Number(n) : NaN;
}

interface Fill {
  line: number;
  time: number;
  symbol: string;
  side: Side;
  qty: number;
  price: number;
  realized: number;
  positionSide: 'LONG' | 'SHORT' | 'BOTH';
}

interface Part {
  line: number;
  time: number;
  symbol: string;
  side: Side;
  qty: number;
  notional: number;
  fills: number;
}

export interface BinanceTally {
  kind: BinanceKind;
  /** Fills that closed (or, on spot, sold): no opening. */
  closing: number;
}

/** The openings of a Binance trade history (rows[0] is the header, `cols` its columns). */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export function binanceOpenings(
  rows: readonly CsvRow[],
  cols: BinanceColumns,
  ctx: HistoryContext,
): { openings: Opening[]; tally: BinanceTally } {
  const fills: Fill[] = [];
  for (const row of rows.slice(1)) {
    const cell = (k: number) => (k >= 0 ? (row.cells[k] ?? '') : '');
    const bad = (reason: string) => rowError(ctx, row.line, reason);
    const timeText = cell(cols.time);
    const wall = parseBinanceTime(timeText);
    if (Number.isNaN(wall)) {
      bad(`time "${timeText}" must be YYYY-MM-DD HH:MM:SS (UTC)`);
      continue;
    }
    const symbol = cell(cols.symbol);
    if (symbolProblem(symbol, ctx.instrument, ctx.symbols, true) !== null) {
      otherSymbol(ctx, symbol);
      continue;
    }
    const sideText = cell(cols.side);
    const side = sideText.toLowerCase();
    if (side !== 'buy' && side !== 'sell') {
      bad(`side "${sideText}" must be BUY or SELL`);
      continue;
    }
    const qty = parseAmount(cell(cols.quantity));
    if (!(qty > 0)) {
      bad(`quantity "${cell(cols.quantity)}" must be a positive amount`);
      continue;
    }
    const price = parseAmount(cell(cols.price));
    if (!(price > 0)) {
      bad(`price "${cell(cols.price)}" must be a positive number`);
      continue;
    }
    let realized = 0;
    if (cols.realized >= 0) {
      realized = parseAmount(cell(cols.realized));
      if (Number.isNaN(realized)) {
        bad(`realized profit "${cell(cols.realized)}" must be a number`);
        continue;
      }
    }
    const ps = cell(cols.positionSide).toUpperCase();
    if (ps !== '' && ps !== 'LONG' && ps !== 'SHORT' && ps !== 'BOTH') {
      bad(`position side "${cell(cols.positionSide)}" must be LONG, SHORT or BOTH`);
      continue;
    }
    fills.push({
      line: row.line,
      time: wall - cols.offsetMs,
      symbol,
      side,
      qty,
      price,
      realized,
      positionSide: ps === 'LONG' || ps === 'SHORT' ? ps : 'BOTH',
    });
  }
  // Newest first (as exported) -> oldest first; then in time order, a stable sort keeping a second's fills in file order.
  if (fills.length > 1 && fills[0]!.time > fills[fills.length - 1]!.time) fills.reverse();
  fills.sort((a, b) => a.time - b.time);

  const tally: BinanceTally = { kind: cols.kind, closing: 0 };
  const parts: Part[] = [];
  const open = (f: Fill, qty: number) => {
    const last = parts[parts.length - 1];
    if (last && last.time === f.time && last.symbol === f.symbol && last.side === f.side) {
      last.qty += qty;
      last.notional += qty * f.price;
      last.fills++;
    } else
      parts.push({
        line: f.line,
        time: f.time,
        symbol: f.symbol,
        side: f.side,
        qty,
        notional: qty * f.price,
        fills: 1,
      });
  };
  /** Signed base quantity held per symbol (one-way mode), built from the file's fills. */
  const net = new Map<string, number>();
  for (const f of fills) {
    const s = f.side === 'buy' ? 1 : -1;
    if (cols.kind === 'spot') {
      if (f.side === 'buy') open(f, f.qty);
      else tally.closing++;
    } else if (f.positionSide !== 'BOTH') {
      if ((f.side === 'buy') === (f.positionSide === 'LONG')) open(f, f.qty);
      else tally.closing++;
    } else {
      const held = net.get(f.symbol) ?? 0;
      if (held !== 0 && Math.sign(held) !== s) {
        tally.closing++;
        const beyond = cleanLots(f.qty - Math.abs(held));
        net.set(f.symbol, cleanLots(held + s * f.qty));
        if (beyond > 0) open(f, beyond);
      } else if (f.realized === 0) {
        net.set(f.symbol, cleanLots(held + s * f.qty));
        open(f, f.qty);
      } else tally.closing++;
    }
  }

  const openings: Opening[] = [];
  const cs = ctx.instrument.contractSize;
  for (const p of parts) {
    const qty = cleanLots(p.qty);
    const lots = cleanLots(qty / cs);
    const what = `${lots} lots (quantity ${qty}${p.fills > 1 ? ` in ${p.fills} fills` : ''} / contract size ${cs})`;
    const volumeWrong = volumeProblem(what, lots, ctx.instrument);
    if (volumeWrong !== null) {
      rowError(
        ctx,
        p.line,
        `${volumeWrong}; --instrument lotStep=... sets the contract's step (Binance's BTCUSDT perpetual: 0.001)`,
      );
      continue;
    }
    openings.push({
      time: p.time,
      side: p.side,
      volume: lots,
      price: Number((p.notional / p.qty).toPrecision(12)),
      sl: null,
      tp: null,
      comment: `Binance ${p.symbol}${p.fills > 1 ? ` (${p.fills} fills)` : ''}`,
      line: p.line,
    });
  }
  return { openings, tally };
}
