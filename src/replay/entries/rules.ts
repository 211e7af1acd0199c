// Rules every entries layout shares: which symbol is the replayed instrument, which volume a replay can
// open, which stops make sense, how a venue's server time becomes UTC, and how the openings found in a
// history become ReplayEntry values (sorted by time, each naming its file:line).
import { canonicalSymbol, type SymbolRules } from '../../domain/symbols.ts';
import { isStepMultiple } from '../../domain/rounding.ts';
import type { Instrument, Side } from '../../domain/types.ts';
import { serverClockFor, type ZoneClock } from '../../market/timezone.ts';
import type { RowError } from '../../market/uniformCsv.ts';
import { checkedWall } from '../../market/importers/scan.ts';
import { ReplayInputError } from '../replayInputs.ts';
import type { ReplayEntry } from '../replayEntry.ts';

/** What a layout reader needs: the file (for messages), the instrument, the symbol rules, --tz. */
export interface HistoryContext {
  file: string;
  instrument: Instrument;
  symbols: SymbolRules;
  /** --tz as given: the zone of MT5 server times. */
  tz: string | undefined;
  errors: RowError[];
  /**
   * Rows of other symbols, by symbol as written: a trader's history holds every symbol traded, and one
   * replay is of one instrument, so they are left out and counted (said in the entries' description).
   */
  otherSymbols: Map<string, number>;
}

/** A row of another symbol than the replayed instrument: left out and counted. */
export function otherSymbol(ctx: HistoryContext, symbol: string): void {
  ctx.otherSymbols.set(symbol, (ctx.otherSymbols.get(symbol) ?? 0) + 1);
}

/** An opening found in a history, before it is checked as a whole and sorted. */
export interface Opening {
  /** UTC epoch ms. */
  time: number;
  side: Side;
  /** Lots. */
  volume: number;
  /** The venue's fill price (informational: the replay fills at the bar's open). */
  price: number;
  sl: number | null;
  tp: number | null;
  comment: string;
  /** Line of the file (the sheet's row number for XLSX) that names the opening. */
  line: number;
}

export const rowError = (ctx: HistoryContext, line: number, reason: string): void => {
  ctx.errors.push({ file: ctx.file, line, reason });
};

/**
 * Why `symbol` is not the replayed instrument, or null when it is. Same canonical symbol (broker
 * decorations stripped: XAUUSDc is XAUUSD). With `stableQuoted` (Binance), a USDT- or USDC-quoted symbol
 * is also the instrument of its base in USD (BTCUSDT is BTCUSD), as Warden's Binance adapter maps it.
 */
export function symbolProblem(
  symbol: string,
  instrument: Instrument,
  symbols: SymbolRules,
  stableQuoted = false,
): string | null {
  // Binance's spot pairs are sometimes written BTC/USDT.
  const canonical = canonicalSymbol(stableQuoted ? symbol.replace('/', '') : symbol, symbols);
  if (canonical === instrument.canonical) return null;
  if (stableQuoted) {
    const m = /^([A-Z0-9]{2,})(USDT|USDC)$/.exec(canonical);
    if (m && `${m[1]}USD` === instrument.canonical) return null;
  }
  return `symbol "${symbol}" is not the replayed instrument ${instrument.symbol} (${instrument.canonical})`;
}

/** Why a replay cannot open `volume` lots of the instrument, or null. */
export function volumeProblem(text: string, volume: number, instrument: Instrument): string | null {
  if (
    volume > 0 &&
    isStepMultiple(volume, instrument.lotStep) &&
    volume >= instrument.minLot - 1e-12 &&
    volume <= instrument.maxLot + 1e-12
  )
    return null;
  return `volume "${text}" must be a multiple of the lot step ${instrument.lotStep} between ${instrument.minLot} and ${instrument.maxLot}`;
}

/** Why a stop and a target of one side contradict each other, or null. */
export function stopsProblem(side: Side, sl: number | null, tp: number | null): string | null {
  if (sl === null || tp === null || (side === 'buy' ? sl < tp : sl > tp)) return null;
  return `a ${side}'s sl ${sl} must be ${side === 'buy' ? 'below' : 'above'} its tp ${tp}`;
}

/**
 * A number as venues print it: `1 219.18` (MT5 groups thousands with a space, a no-break space or a
 * thin space), `-0.70`. NaN for anything else (empty included).
 */
export function parseNumber(text: string): number {
  const t = text.trim().replace(/(\d)[\s\u00a0\u202f\u2009]+(?=\d)/g, '$1');
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(t)) return NaN;
  return Number(t);
}

/**
 * An MT5 stop or target cell: empty or 0 is "none" (MT5 prints either), otherwise a positive price.
 * undefined when the cell is neither (the caller reports it).
 */
export function stopCell(text: string): number | null | undefined {
  if (text.trim() === '') return null;
  const n = parseNumber(text);
  if (n === 0) return null;
  return n > 0 ? n : undefined;
}

const WALL = /^(\d{4})[.-](\d{2})[.-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;

/**
 * `YYYY.MM.DD HH:MM[:SS]` (MT5) or `YYYY-MM-DD HH:MM[:SS[.fff]]` (pandas) -> that wall-clock reading
 * encoded as if UTC (see timezone.ts wallMs); NaN when malformed or out of range (Feb 30 is refused,
 * not rolled over). A date without a time is midnight.
 */
export function parseWallTime(text: string): number {
  const m = WALL.exec(text.trim());
  if (!m) return NaN;
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  return (
    checkedWall(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) + ms
  );
}

/** What the MT5 layouts say about times, for messages. */
export const MT5_TIME_FORMAT = 'YYYY.MM.DD HH:MM[:SS] (server time)';

/**
 * The broker's server clock for an MT5 history: --tz is required (the same zones as the MT5 bar
 * files: a time without a zone would be a silent guess). Throws ReplayInputError naming the file.
 */
export function serverZone(file: string, layout: string, tz: string | undefined): ZoneClock {
  return serverClockFor(file, `${layout} times are`, tz, (m) => new ReplayInputError(m));
}

/**
 * Server wall time -> UTC with the zone; `after` (the previous opening's UTC time) settles a time the
 * clocks show twice when they fall back. A row error (and NaN) when the time does not exist there.
 */
export function serverToUtc(ctx: HistoryContext, zone: ZoneClock, wall: number, after: number, line: number): number {
  const r = zone.wallToUtc(wall, after);
  if (typeof r === 'number') return r;
  rowError(ctx, line, r.error);
  return NaN;
}

/** A lot count from a division, without the float tail (0.3 / 0.1 = 2.9999999999999996). */
export const cleanLots = (n: number): number => Number(n.toPrecision(12));

/**
 * The openings as replay entries, sorted by time. Histories list trades newest first (Binance) or by
 * closing; a replay takes entries in time order, so they are sorted (a stable sort: openings of one
 * instant keep the file's order) instead of refused as the Warden CSV's unsorted rows are.
 */
export function toReplayEntries(openings: readonly Opening[], file: string): ReplayEntry[] {
  return [...openings]
    .sort((a, b) => a.time - b.time)
    .map((o) => ({
      time: o.time,
      side: o.side,
      volume: o.volume,
      sl: o.sl,
      tp: o.tp,
      slDistance: NaN,
      tpDistance: NaN,
      comment: o.comment,
      source: `${file}:${o.line}`,
      venuePrice: o.price,
    }));
}
