// Reads bars in Warden's uniform CSV layout (one bar per row; the layout of the market data Warden is tested on):
//   time,open,high,low,close,volume,spread
// time = bar open, ISO-8601 UTC with Z; volume empty when unknown (-> 0); spread in price units,
// empty when unknown (-> NaN). Bad rows are reported with file:line and the reason, never guessed.
// The rows are read by the importers' hand-written parser (importers/uniform.ts), several times faster
// than split + regex + Date.parse; it also refuses dates Date.parse would roll over (Feb 30, 24:00).
import { readFileSync } from 'node:fs';
import type { Bar } from '../domain/types.ts';
import { BarSink, countLines, type RowError } from './importers/scan.ts';
import { readUniformRows } from './importers/uniform.ts';

// Every bar and entries reader reports its bad rows in this shape; the row checks that make them are the scanner's.
export type { RowError };

export const UNIFORM_HEADER = 'time,open,high,low,close,volume,spread';

export interface ParsedBars {
  bars: Bar[];
  errors: RowError[];
}

export function parseUniformCsv(text: string, file = '<input>'): ParsedBars {
  const nl = text.indexOf('\n');
  const header = (nl === -1 ? text : text.slice(0, nl)).replace(/\r$/, '').trim();
  if (header !== UNIFORM_HEADER) {
    return {
      bars: [],
      errors: [{ file, line: 1, reason: `expected header "${UNIFORM_HEADER}", found "${header.slice(0, 80)}"` }],
    };
  }
  const pos = nl === -1 ? text.length : nl + 1;
  const sink = new BarSink(file, countLines(text, pos));
  readUniformRows(text, pos, 2, sink);
  return { bars: sink.series.toBars(), errors: sink.errors };
}

export function readUniformCsv(path: string): ParsedBars {
  return parseUniformCsv(readFileSync(path, 'utf8'), path);
}
