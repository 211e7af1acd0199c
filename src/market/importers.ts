// Market data importers for replay: detect a bar file's layout, read it into a BarSeries (UTC bar open
// times, spread in price units), and report every bad row with its line and reason instead of guessing.
// Layouts: Warden's uniform CSV, MT5 "Export bars", MT5 copy_rates_* CSV, Binance klines. The MT5 ones
// are in broker server time and need --tz; the others are UTC and refuse it (a --tz that would be
// ignored is a mistake to report, not to swallow).
import { readFileSync } from 'node:fs';
import type { BarSeries } from './barSeries.ts';
import { readBinanceRows } from './importers/binance.ts';
import { readMt5ExportRows, readMt5RatesRows } from './importers/mt5.ts';
import { BarSink, countLines, ImportError } from './importers/scan.ts';
import { readUniformRows } from './importers/uniform.ts';
import { UnknownZoneError, ZoneClock } from './timezone.ts';
import { UNIFORM_HEADER, type RowError } from './uniformCsv.ts';

export { ImportError } from './importers/scan.ts';

export type BarFormat = 'uniform' | 'mt5_export' | 'mt5_rates' | 'binance';

export const BAR_FORMATS: readonly BarFormat[] = ['uniform', 'mt5_export', 'mt5_rates', 'binance'];

export interface ImportOptions {
  /** Zone of broker-server-time files (MT5 formats): 'mt5-ny' (see timezone.ts) or an IANA name, e.g. 'Etc/GMT-3' or 'Europe/Athens' (DST). */
  tz?: string;
  /** Price of one point, to convert MT5 spreads given in points into price units. */
  point?: number;
  /** Force a format instead of detecting it. */
  format?: BarFormat;
}

export interface ImportResult {
  file: string;
  format: BarFormat;
  series: BarSeries;
  timeframeMs: number;
  errors: RowError[];
}

const FORMAT_NAMES: Readonly<Record<BarFormat, string>> = {
  uniform: 'uniform CSV',
  mt5_export: 'MT5 "Export bars"',
  mt5_rates: 'MT5 rates (copy_rates_*)',
  binance: 'Binance kline',
};

const SERVER_TIME: ReadonlySet<BarFormat> = new Set<BarFormat>(['mt5_export', 'mt5_rates']);

const MT5_RATES_HEADER = /^(?:(?:|index|unnamed: 0),)?time,open,high,low,close,tick_volume(?:,|$)/i;
const BINANCE_ROW = /^\d{13}(?:\d{3})?,/;

function firstLineOf(text: string): { line: string; next: number } {
  const nl = text.indexOf('\n');
  const line = nl === -1 ? text : text.slice(0, nl);
  return { line: line.replace(/^\uFEFF/, '').replace(/\r$/, ''), next: nl === -1 ? text.length : nl + 1 };
}

/** The layout of a file from its first line(s); null when it is none Warden reads. */
export function detectFormat(head: string): BarFormat | null {
  const first = firstLineOf(head).line.trim();
  if (first === UNIFORM_HEADER) return 'uniform';
  if (first.startsWith('<DATE>') && first.includes('\t')) return 'mt5_export';
  if (MT5_RATES_HEADER.test(first)) return 'mt5_rates';
  if (first.startsWith('open_time,') || (BINANCE_ROW.test(first) && first.split(',').length === 12)) return 'binance';
  return null;
}

function zoneFor(file: string, format: BarFormat, tz: string | undefined): ZoneClock | null {
  if (!SERVER_TIME.has(format)) {
    if (tz !== undefined) {
      throw new ImportError(`${file}: ${FORMAT_NAMES[format]} files are in UTC already: remove --tz ${tz} (it is only for MT5 files in broker server time)`);
    }
    return null;
  }
  if (tz === undefined) throw new ImportError(`${file}: MT5 files are in broker server time: pass --tz, e.g. mt5-ny (UTC+2/+3 with New York's DST, the usual MT5 server clock), Etc/GMT-2, Europe/Athens, or UTC`);
  try {
    return new ZoneClock(tz);
  } catch (err) {
    if (err instanceof UnknownZoneError) {
      throw new ImportError(`${file}: unknown time zone "${tz}": pass mt5-ny (UTC+2/+3 with New York's DST) or an IANA zone name, e.g. Etc/GMT-2 (fixed UTC+2), Europe/Athens (UTC+2/+3 with EU DST), or UTC`);
    }
    throw err;
  }
}

/** Reads bars from a file's text (BOM tolerated, LF or CRLF). `file` names it in messages. */
export function importBarsText(text: string, file: string, o: ImportOptions = {}): ImportResult {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const format = o.format ?? detectFormat(text);
  if (format === null) {
    const first = firstLineOf(text).line.trim();
    if (first === '') throw new ImportError(`${file}: the file is empty (or its first line is blank)`);
    throw new ImportError(
      `${file}: unknown bar file layout (first line "${first.slice(0, 80)}"): Warden reads uniform CSV (${UNIFORM_HEADER}), MT5 "Export bars", MT5 copy_rates_* CSV and Binance klines; convert the file to one of them`,
    );
  }
  const zone = zoneFor(file, format, o.tz);
  const { line: header, next } = firstLineOf(text);
  const sink = new BarSink(file, countLines(text, 0));
  switch (format) {
    case 'uniform':
      if (header.trim() !== UNIFORM_HEADER) throw new ImportError(`${file}: expected the uniform header "${UNIFORM_HEADER}" on line 1, found "${header.trim().slice(0, 80)}"`);
      readUniformRows(text, next, 2, sink);
      break;
    case 'mt5_export':
      readMt5ExportRows(text, header, next, sink, { file, zone: zone!, point: o.point });
      break;
    case 'mt5_rates':
      readMt5RatesRows(text, header, next, sink, { file, zone: zone!, point: o.point });
      break;
    case 'binance':
      // The header row is optional.
      if (header.trim().startsWith('open_time')) readBinanceRows(text, next, 2, sink);
      else readBinanceRows(text, 0, 1, sink);
      break;
  }
  return { file, format, series: sink.series, timeframeMs: detectTimeframeMs(sink.series), errors: sink.errors };
}

/** Bytes -> text: UTF-8 (BOM optional), UTF-16LE (BOM FF FE, as MT5 writes) or UTF-16BE (BOM FE FF). */
export function decodeBarBytes(buf: Buffer): string {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.toString('utf8', 3);
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.toString('utf16le', 2);
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const le = Buffer.from(buf.subarray(2, 2 + ((buf.length - 2) & ~1)));
    return le.swap16().toString('utf16le');
  }
  // UTF-16LE without a BOM: ASCII text has a zero in every odd byte.
  if (buf.length >= 4 && buf[0] !== 0 && buf[1] === 0 && buf[2] !== 0 && buf[3] === 0) return buf.toString('utf16le');
  return buf.toString('utf8');
}

export function importBarsFile(path: string, o: ImportOptions = {}): ImportResult {
  return importBarsText(decodeBarBytes(readFileSync(path)), path, o);
}

/** The most common step between consecutive bar open times (the smaller on a tie); 0 with fewer than 2 bars. */
export function detectTimeframeMs(series: BarSeries): number {
  const t = series.time;
  const counts = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (let i = 1; i < series.length; i++) {
    const step = t[i]! - t[i - 1]!;
    const n = (counts.get(step) ?? 0) + 1;
    counts.set(step, n);
    if (n > bestCount || (n === bestCount && step < best)) {
      best = step;
      bestCount = n;
    }
  }
  return best;
}
