// Reads bars in Warden's uniform CSV layout (the layout of ../shared/data):
//   time,open,high,low,close,volume,spread
// time = bar open, ISO-8601 UTC with Z; volume empty when unknown (-> 0); spread in price units,
// empty when unknown (-> NaN). Bad rows are reported with file:line and the reason, never guessed.
import { readFileSync } from 'node:fs';
import type { Bar } from '../domain/types.ts';

export const UNIFORM_HEADER = 'time,open,high,low,close,volume,spread';

export interface RowError {
  file: string;
  line: number;
  reason: string;
}

export interface ParsedBars {
  bars: Bar[];
  errors: RowError[];
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/;

function num(cell: string | undefined): number {
  if (cell === undefined || cell.trim() === '') return NaN;
  const n = Number(cell);
  return Number.isFinite(n) ? n : NaN;
}

export function parseUniformCsv(text: string, file = '<input>'): ParsedBars {
  const bars: Bar[] = [];
  const errors: RowError[] = [];
  const lines = text.split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '').trim();
  if (header !== UNIFORM_HEADER) {
    errors.push({ file, line: 1, reason: `expected header "${UNIFORM_HEADER}", found "${header.slice(0, 80)}"` });
    return { bars, errors };
  }
  let lastTime = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const line = i + 1;
    const c = raw.split(',');
    if (c.length !== 7) {
      errors.push({ file, line, reason: `expected 7 columns, found ${c.length}` });
      continue;
    }
    const [ts, o, h, l, cl, v, sp] = c as [string, string, string, string, string, string, string];
    if (!ISO_UTC.test(ts)) {
      errors.push({ file, line, reason: `time "${ts}" is not ISO-8601 UTC (e.g. 2024-01-02T03:04:00Z)` });
      continue;
    }
    const time = Date.parse(ts);
    const open = num(o);
    const high = num(h);
    const low = num(l);
    const close = num(cl);
    if ([open, high, low, close].some((x) => !(x > 0))) {
      errors.push({ file, line, reason: 'open, high, low and close must be positive numbers' });
      continue;
    }
    if (high < Math.max(open, close) || low > Math.min(open, close)) {
      errors.push({ file, line, reason: `high/low do not contain open/close (o ${open} h ${high} l ${low} c ${close})` });
      continue;
    }
    if (time <= lastTime) {
      errors.push({ file, line, reason: `time ${ts} is not after the previous row` });
      continue;
    }
    const volume = v.trim() === '' ? 0 : num(v);
    if (!(volume >= 0)) {
      errors.push({ file, line, reason: `volume "${v}" is not a number >= 0` });
      continue;
    }
    const spread = num(sp);
    if (sp.trim() !== '' && Number.isNaN(spread)) {
      errors.push({ file, line, reason: `spread "${sp}" is not a number` });
      continue;
    }
    lastTime = time;
    bars.push({ time, open, high, low, close, volume, spread });
  }
  return { bars, errors };
}

export function readUniformCsv(path: string): ParsedBars {
  return parseUniformCsv(readFileSync(path, 'utf8'), path);
}
