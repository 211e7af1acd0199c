// Shared machinery of the bar importers: line and cell scanning on the decoded text (index ranges,
// no per-row substrings or regexes), hand-written number and date parsing, and the row checks every
// format applies before a bar is stored.
import { BarSeries } from '../barSeries.ts';
import { civilDays, daysInMonth } from '../timezone.ts';

/** A bad row of a bar or entries file: where it is and why it was refused (it is reported, never guessed). */
export interface RowError {
  file: string;
  line: number;
  reason: string;
}

/** A whole-file problem (unknown format, missing --tz, ...): the message names the file and says what to do. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

const DAY = 86_400_000;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Number(cell) with the uniform parser's rules: blank or non-finite -> NaN. */
function slowNumber(text: string, s: number, e: number): number {
  const cell = text.slice(s, e);
  if (cell.trim() === '') return NaN;
  const n = Number(cell);
  return Number.isFinite(n) ? n : NaN;
}

/**
 * The number in text[s, e); NaN when blank or not a number. Plain decimals with at most 15 digits take
 * the fast path: the digits as an integer m < 2^53 and 10^k are both exact doubles, so m / 10^k is
 * the correctly rounded value, i.e. exactly what Number() returns. Anything else goes through Number().
 */
export function parseDecimal(text: string, s: number, e: number): number {
  let i = s;
  let neg = false;
  const c0 = text.charCodeAt(i);
  if (c0 === 45) {
    neg = true;
    i++;
  } else if (c0 === 43) i++;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      m = m * 10 + d;
      digits++;
    } else if (c === 46 && frac < 0) frac = digits;
    else return slowNumber(text, s, e);
  }
  if (digits === 0 || digits > 15) return slowNumber(text, s, e);
  const v = frac < 0 || frac === digits ? m : m / POW10[digits - frac]!;
  return neg ? -v : v;
}

/** Whether text[s, e) is empty or whitespace. */
export function isBlank(text: string, s: number, e: number): boolean {
  if (s >= e) return true;
  const c = text.charCodeAt(s);
  if (c > 32 && c < 127) return false;
  return text.slice(s, e).trim() === '';
}

/** A run of exactly `n` digits at text[i..] as an integer, or -1. */
export function digitsAt(text: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = text.charCodeAt(i + k) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** An unsigned integer filling text[s, e) (at most 16 digits), or -1. */
export function integerIn(text: string, s: number, e: number): number {
  if (e <= s || e - s > 16) return -1;
  return digitsAt(text, s, e - s);
}

/** Calendar fields -> ms since the epoch, reading them as UTC; NaN when a field is out of range. */
export function checkedWall(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return NaN;
  if (d > daysInMonth(y, mo)) return NaN;
  return civilDays(y, mo, d) * DAY + h * 3_600_000 + mi * 60_000 + s * 1000;
}

/**
 * `YYYY-MM-DDTHH:MM[:SS[.fff...]]Z` in text[s, e) -> epoch ms; NaN when malformed or out of range
 * (Feb 30 and 24:00 are refused, not rolled over as Date.parse does). Fractions beyond ms are truncated.
 */
export function parseIsoUtc(text: string, s: number, e: number): number {
  const n = e - s;
  if (n < 17 || text.charCodeAt(e - 1) !== 90 /* Z */) return NaN;
  if (
    text.charCodeAt(s + 4) !== 45 ||
    text.charCodeAt(s + 7) !== 45 ||
    text.charCodeAt(s + 10) !== 84 ||
    text.charCodeAt(s + 13) !== 58
  )
    return NaN;
  const y = digitsAt(text, s, 4);
  const mo = digitsAt(text, s + 5, 2);
  const d = digitsAt(text, s + 8, 2);
  const h = digitsAt(text, s + 11, 2);
  const mi = digitsAt(text, s + 14, 2);
  let sec = 0;
  let ms = 0;
  if (n > 17) {
    if (n < 20 || text.charCodeAt(s + 16) !== 58) return NaN;
    sec = digitsAt(text, s + 17, 2);
    if (n > 20) {
      if (n < 22 || text.charCodeAt(s + 19) !== 46) return NaN;
      for (let i = s + 20, scale = 100; i < e - 1; i++, scale /= 10) {
        const dg = text.charCodeAt(i) - 48;
        if (dg < 0 || dg > 9) return NaN;
        if (scale >= 1) ms += dg * scale;
      }
    }
  }
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return NaN;
  return checkedWall(y, mo, d, h, mi, sec) + ms;
}

/**
 * Splits text[s, e) at `delim` into cells [cs[i], ce[i]) and returns how many cells the row has
 * (bounds are kept for the first cs.length).
 */
export function splitCells(text: string, s: number, e: number, delim: string, cs: Int32Array, ce: Int32Array): number {
  const cap = cs.length;
  let n = 0;
  let p = s;
  for (;;) {
    let q = text.indexOf(delim, p);
    if (q === -1 || q > e) q = e;
    if (n < cap) {
      cs[n] = p;
      ce[n] = q;
    }
    n++;
    if (q === e) return n;
    p = q + 1;
  }
}

/**
 * Calls `row` for each non-blank line from `pos` (which starts line number `line`), CRLF or LF.
 * Returns the number of the line after the text (the text ends with a newline, or at the file's end).
 */
export function forEachRow(
  text: string,
  pos: number,
  line: number,
  row: (s: number, e: number, line: number) => void,
): number {
  const len = text.length;
  while (pos < len) {
    const nl = text.indexOf('\n', pos);
    const next = nl === -1 ? len : nl + 1;
    let e = nl === -1 ? len : nl;
    if (e > pos && text.charCodeAt(e - 1) === 13) e--;
    if (!isBlank(text, pos, e)) row(pos, e, line);
    pos = next;
    line++;
  }
  return line;
}

/** Text of a cell range for a message, tabs shown as spaces. */
export function cellText(text: string, s: number, e: number): string {
  return text.slice(s, e).replace(/\t/g, ' ');
}

/**
 * The prices a bar may have: anything outside is a broken row (a 1e308 makes the ATR infinite and
 * every later entry is refused), refused like any other bad row. The range holds every instrument
 * traded for real, with room: the dearest quotes are bitcoin in currencies of many units (BTC/IDR,
 * BTC/VND ~2e9), index points (~4e4), Berkshire A (~7e5); the cheapest, meme tokens in dollars
 * (~1e-8); JPY pairs (~150) and exotic crosses (USD/IDR ~1.6e4) sit well inside.
 */
export const MIN_PRICE = 1e-12;
export const MAX_PRICE = 1e11;
/** Volume of one bar: ticks, lots or base units (a Binance minute of a meme token trades ~1e12 units). */
export const MAX_VOLUME = 1e15;
const inPriceRange = (p: number): boolean => p >= MIN_PRICE && p < MAX_PRICE;

/**
 * Collects the bars of one file. `add` applies the checks every format shares, in the uniform parser's
 * order (prices, high/low, time order, volume, spread), so a row with several faults reports the same
 * one whatever the format.
 */
export class BarSink {
  readonly series: BarSeries;
  readonly errors: RowError[] = [];
  /** Open time of the last accepted bar. */
  lastTime = -Infinity;

  constructor(
    readonly file: string,
    capacity: number,
  ) {
    this.series = new BarSeries(capacity);
  }

  reject(line: number, reason: string): void {
    this.errors.push({ file: this.file, line, reason });
  }

  /**
   * `volume` NaN = the cell text[vs, ve) is not a volume. `spread` NaN with a non-blank text[ss, se) =
   * not a number (blank = unknown). text[ts, te) is the time as written, for messages.
   */
  add(
    line: number,
    time: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    spread: number,
    text: string,
    ts: number,
    te: number,
    vs: number,
    ve: number,
    ss: number,
    se: number,
  ): void {
    // `!(x > 0)` also catches NaN (a cell that is not a number).
    if (!(open > 0) || !(high > 0) || !(low > 0) || !(close > 0)) {
      this.reject(line, 'open, high, low and close must be positive numbers');
    } else if (!inPriceRange(open) || !inPriceRange(high) || !inPriceRange(low) || !inPriceRange(close)) {
      this.reject(
        line,
        `prices must be from ${MIN_PRICE} up to below ${MAX_PRICE} (o ${open} h ${high} l ${low} c ${close}): no real instrument trades outside, a price there is a broken row`,
      );
    } else if (high < (open > close ? open : close) || low > (open < close ? open : close)) {
      this.reject(line, `high/low do not contain open/close (o ${open} h ${high} l ${low} c ${close})`);
    } else if (time <= this.lastTime) {
      this.reject(line, `time ${cellText(text, ts, te)} is not after the previous row`);
    } else if (!(volume >= 0)) {
      this.reject(line, `volume "${text.slice(vs, ve)}" is not a number >= 0`);
    } else if (!(volume < MAX_VOLUME)) {
      this.reject(line, `volume "${text.slice(vs, ve)}" is not below ${MAX_VOLUME}: a broken row`);
    } else if (Number.isNaN(spread) && !isBlank(text, ss, se)) {
      this.reject(line, `spread "${text.slice(ss, se)}" is not a number`);
    } else if (!Number.isNaN(spread) && !(spread > -MAX_PRICE && spread < MAX_PRICE)) {
      // A negative spread is kept (the broker falls back to the configured one); only the absurd is refused.
      this.reject(line, `spread "${text.slice(ss, se)}" is not a number between -${MAX_PRICE} and ${MAX_PRICE}`);
    } else {
      this.lastTime = time;
      this.series.push(time, open, high, low, close, volume, spread);
    }
  }
}

/** Lines from `pos` on (an upper bound of the bar count), to size the columns once. */
export function countLines(text: string, pos: number): number {
  let n = 1;
  for (let i = text.indexOf('\n', pos); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
