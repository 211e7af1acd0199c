// MetaTrader 5 bar files. Both layouts are stamped in broker SERVER time (converted with a ZoneClock)
// and give the spread in POINTS (converted with the instrument's point).
//  - mt5_export: the terminal's "Export bars", tab-separated:
//      <DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>
//    (<TIME> is absent for daily bars), dates YYYY.MM.DD, times HH:MM:SS or HH:MM.
//  - mt5_rates: the Python API's copy_rates_* written as CSV (usually by pandas):
//      [index or empty,]time,open,high,low,close,tick_volume[,spread,real_volume]
//    time = unix seconds (of the server's wall clock, not real UTC) or YYYY-MM-DD[ HH:MM[:SS]].
// Volume = tick volume; the real (exchange) volume only when the tick volume is 0 and the real one is not.
import type { ZoneClock } from '../timezone.ts';
import {
  type BarSink,
  cellText,
  checkedWall,
  digitsAt,
  forEachRow,
  ImportError,
  integerIn,
  parseDecimal,
  splitCells,
} from './scan.ts';

export interface ServerTimeSetup {
  file: string;
  zone: ZoneClock;
  /** Price of one point; required when the file has a spread column. */
  point: number | undefined;
}

/** Column positions found in a header (-1 = absent). */
type Columns<K extends string> = Record<K, number>;

function columnsOf<K extends string>(names: readonly string[], wanted: Record<K, string>): Columns<K> {
  const out = {} as Columns<K>;
  for (const key of Object.keys(wanted) as K[]) out[key] = names.indexOf(wanted[key]);
  return out;
}

function requireColumns<K extends string>(
  cols: Columns<K>,
  wanted: Record<K, string>,
  required: readonly K[],
  file: string,
  layout: string,
): void {
  const missing = required.filter((k) => cols[k] < 0).map((k) => wanted[k]);
  if (missing.length > 0)
    throw new ImportError(`${file}: not an ${layout} file: the header lacks ${missing.join(', ')}`);
}

/** Spread in points -> price units. Dividing by 1/point (an integer for 10^-digits points) avoids 12 * 0.00001 = 0.00012000000000000002. */
function pointsToPrice(point: number): (points: number) => number {
  const inv = 1 / point;
  const invInt = Math.round(inv);
  if (invInt > 0 && Math.abs(inv - invInt) < 1e-9 * inv) return (p) => p / invInt;
  return (p) => p * point;
}

function spreadConverter(hasSpread: boolean, setup: ServerTimeSetup): (points: number) => number {
  if (!hasSpread) return () => NaN;
  const point = setup.point;
  if (point === undefined) {
    throw new ImportError(
      `${setup.file}: MT5 spreads are in points: configure the instrument (its point, e.g. 0.00001 for a 5-digit FX pair, 0.01 for XAUUSD with 2 digits) so they can be converted to price`,
    );
  }
  if (!(point > 0) || !Number.isFinite(point))
    throw new ImportError(`${setup.file}: the instrument's point must be a positive number, got ${point}`);
  return pointsToPrice(point);
}

/** Tick volume, or the real volume when the tick volume is 0 and the real one positive. */
function mt5Volume(tick: number, real: number): number {
  return tick === 0 && real > 0 ? real : tick;
}

const EXPORT_COLUMNS = {
  date: '<DATE>',
  time: '<TIME>',
  open: '<OPEN>',
  high: '<HIGH>',
  low: '<LOW>',
  close: '<CLOSE>',
  tickVolume: '<TICKVOL>',
  volume: '<VOL>',
  spread: '<SPREAD>',
} as const;

/**
 * Reads rows of an MT5 "Export bars" file; `header` is its first line, rows start at text[pos] (line
 * number `line`). Returns the line number after the text.
 */
export function readMt5ExportRows(
  text: string,
  header: string,
  pos: number,
  line: number,
  sink: BarSink,
  setup: ServerTimeSetup,
): number {
  const names = header.split('\t').map((n) => n.trim().toUpperCase());
  const c = columnsOf(names, EXPORT_COLUMNS);
  requireColumns(
    c,
    EXPORT_COLUMNS,
    ['date', 'open', 'high', 'low', 'close', 'tickVolume'],
    setup.file,
    'MT5 "Export bars"',
  );
  const toPrice = spreadConverter(c.spread >= 0, setup);
  const zone = setup.zone;
  const ncol = names.length;
  const cs = new Int32Array(ncol + 1);
  const ce = new Int32Array(ncol + 1);
  const at = (i: number): [number, number] => (i < 0 ? [0, 0] : [cs[i]!, ce[i]!]);
  const num = (i: number): number => (i < 0 ? NaN : parseDecimal(text, cs[i]!, ce[i]!));
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  return forEachRow(text, pos, line, (s, e, ln) => {
    const n = splitCells(text, s, e, '\t', cs, ce);
    if (n !== ncol) return sink.reject(ln, `expected ${ncol} tab-separated columns, found ${n}`);
    const [ds, de] = at(c.date);
    const [tms, tme] = at(c.time);
    // YYYY.MM.DD, then HH:MM:SS or HH:MM (midnight for daily files without <TIME>).
    let wall = NaN;
    if (de - ds === 10 && text.charCodeAt(ds + 4) === 46 && text.charCodeAt(ds + 7) === 46) {
      const tl = tme - tms;
      const okTime =
        c.time < 0 || ((tl === 5 || (tl === 8 && text.charCodeAt(tms + 5) === 58)) && text.charCodeAt(tms + 2) === 58);
      if (okTime) {
        const h = c.time < 0 ? 0 : digitsAt(text, tms, 2);
        const mi = c.time < 0 ? 0 : digitsAt(text, tms + 3, 2);
        const sec = tl === 8 ? digitsAt(text, tms + 6, 2) : 0;
        const y = digitsAt(text, ds, 4);
        const mo = digitsAt(text, ds + 5, 2);
        const d = digitsAt(text, ds + 8, 2);
        if (y >= 0 && mo >= 0 && d >= 0 && h >= 0 && mi >= 0 && sec >= 0) wall = checkedWall(y, mo, d, h, mi, sec);
      }
    }
    const ts = ds;
    const te = c.time >= 0 && tme > de ? tme : de;
    if (Number.isNaN(wall))
      return sink.reject(ln, `date/time "${cellText(text, ts, te)}" is not YYYY.MM.DD HH:MM[:SS]`);
    const time = zone.wallToUtc(wall, sink.lastTime);
    if (typeof time !== 'number') return sink.reject(ln, `server time ${time.error}`);
    const [vs, ve] = at(c.tickVolume);
    const [ss, se] = at(c.spread);
    sink.add(
      ln,
      time,
      num(c.open),
      num(c.high),
      num(c.low),
      num(c.close),
      mt5Volume(parseDecimal(text, vs, ve), num(c.volume)),
      toPrice(num(c.spread)),
      text,
      ts,
      te,
      vs,
      ve,
      ss,
      se,
    );
  });
}

const RATES_COLUMNS = {
  time: 'time',
  open: 'open',
  high: 'high',
  low: 'low',
  close: 'close',
  tickVolume: 'tick_volume',
  spread: 'spread',
  realVolume: 'real_volume',
} as const;

/** Wall time of an mt5_rates time cell: unix seconds, or YYYY-MM-DD[( |T)HH:MM[:SS]]; NaN when neither. */
function ratesWall(text: string, s: number, e: number): number {
  const secs = integerIn(text, s, e);
  if (secs >= 0) return e - s <= 12 ? secs * 1000 : NaN;
  const n = e - s;
  if (n < 10 || text.charCodeAt(s + 4) !== 45 || text.charCodeAt(s + 7) !== 45) return NaN;
  const y = digitsAt(text, s, 4);
  const mo = digitsAt(text, s + 5, 2);
  const d = digitsAt(text, s + 8, 2);
  let h = 0;
  let mi = 0;
  let sec = 0;
  if (n > 10) {
    const sep = text.charCodeAt(s + 10);
    if ((sep !== 32 && sep !== 84) || (n !== 16 && n !== 19) || text.charCodeAt(s + 13) !== 58) return NaN;
    h = digitsAt(text, s + 11, 2);
    mi = digitsAt(text, s + 14, 2);
    if (n === 19) sec = text.charCodeAt(s + 16) === 58 ? digitsAt(text, s + 17, 2) : -1;
  }
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return NaN;
  return checkedWall(y, mo, d, h, mi, sec);
}

/** Reads rows of an mt5_rates CSV; `header` is its first line, rows start at text[pos] (line number `line`). Returns the line number after the text. */
export function readMt5RatesRows(
  text: string,
  header: string,
  pos: number,
  line: number,
  sink: BarSink,
  setup: ServerTimeSetup,
): number {
  const names = header.split(',').map((n) => n.trim().toLowerCase());
  const c = columnsOf(names, RATES_COLUMNS);
  requireColumns(
    c,
    RATES_COLUMNS,
    ['time', 'open', 'high', 'low', 'close', 'tickVolume'],
    setup.file,
    'MT5 rates (copy_rates_*)',
  );
  const toPrice = spreadConverter(c.spread >= 0, setup);
  const zone = setup.zone;
  const ncol = names.length;
  const cs = new Int32Array(ncol + 1);
  const ce = new Int32Array(ncol + 1);
  const num = (i: number): number => (i < 0 ? NaN : parseDecimal(text, cs[i]!, ce[i]!));
  return forEachRow(text, pos, line, (s, e, ln) => {
    const n = splitCells(text, s, e, ',', cs, ce);
    if (n !== ncol) return sink.reject(ln, `expected ${ncol} columns, found ${n}`);
    const ts = cs[c.time]!;
    const te = ce[c.time]!;
    const wall = ratesWall(text, ts, te);
    if (Number.isNaN(wall))
      return sink.reject(ln, `time "${text.slice(ts, te)}" is neither unix seconds nor YYYY-MM-DD HH:MM:SS`);
    const time = zone.wallToUtc(wall, sink.lastTime);
    if (typeof time !== 'number') return sink.reject(ln, `server time ${time.error}`);
    const vs = cs[c.tickVolume]!;
    const ve = ce[c.tickVolume]!;
    const ss = c.spread < 0 ? 0 : cs[c.spread]!;
    const se = c.spread < 0 ? 0 : ce[c.spread]!;
    sink.add(
      ln,
      time,
      num(c.open),
      num(c.high),
      num(c.low),
      num(c.close),
      mt5Volume(parseDecimal(text, vs, ve), num(c.realVolume)),
      toPrice(num(c.spread)),
      text,
      ts,
      te,
      vs,
      ve,
      ss,
      se,
    );
  });
}
