// Where replay's positions come from. Warden manages trades opened elsewhere, so a replay needs
// entries: a CSV of the trader's own trades, or reproducible generated ones. Either way a position
// opens at the open of the first bar at or after the entry time (an entry stamped between bars
// enters at the next bar's open), at the ask for a buy and the bid for a sell.
import { readFileSync } from 'node:fs';
import type { SymbolRules } from '../domain/symbols.ts';
import { TIMEFRAME_MS, type Instrument, type Side, type Timeframe } from '../domain/types.ts';
import { BarAggregator } from '../features/barAggregator.ts';
import { WilderAtr } from '../features/indicators.ts';
import type { BarSource } from '../market/barSource.ts';
import { DEFAULT_MAX_GAP_MS } from '../market/gaps.ts';
import { seededRandom } from '../market/sampleMarket.ts';
import type { RowError } from '../market/uniformCsv.ts';
import { stopsProblem, symbolProblem, volumeProblem } from './entries/rules.ts';
import type { ReplayEntry } from './replayEntry.ts';

// The entry's type is shared with the entries' row checks (entries/rules.ts), which this module runs.
export type { ReplayEntry };

export const ENTRIES_HEADER = 'time,symbol,side,volume,sl,tp,comment';

// Explicit zone required: an entry time without one would be a silent guess.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function cell(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t;
}

/**
 * Parses an entries CSV (`time,symbol,side,volume,sl,tp,comment`) for one instrument. Every bad
 * row is an error with file:line and the reason (symbol of another instrument included): replay
 * refuses to run on a file it would have to guess about.
 */
export function parseEntriesCsv(
  text: string,
  file: string,
  instrument: Instrument,
  symbols: SymbolRules,
): { entries: ReplayEntry[]; errors: RowError[] } {
  const entries: ReplayEntry[] = [];
  const errors: RowError[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '').trim().toLowerCase().replace(/\s+/g, '');
  if (header !== ENTRIES_HEADER) {
    errors.push({
      file,
      line: 1,
      reason: `expected header "${ENTRIES_HEADER}", found "${(lines[0] ?? '').slice(0, 80)}"`,
    });
    return { entries, errors };
  }
  let last = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const line = i + 1;
    const err = (reason: string) => errors.push({ file, line, reason });
    const parts = raw.split(',');
    if (parts.length < 6) {
      err(`expected 7 columns (${ENTRIES_HEADER}), found ${parts.length}`);
      continue;
    }
    const [ts, sym, sd, vol, sl, tp] = parts.slice(0, 6).map(cell) as [string, string, string, string, string, string];
    const comment = cell(parts.slice(6).join(','));
    if (!ISO_WITH_ZONE.test(ts)) {
      err(`time "${ts}" must be ISO-8601 with a zone (e.g. 2014-05-02T13:30:00Z)`);
      continue;
    }
    const time = Date.parse(ts.replace(' ', 'T'));
    const symbolWrong = symbolProblem(sym, instrument, symbols);
    if (symbolWrong !== null) {
      err(symbolWrong);
      continue;
    }
    const side = sd.toLowerCase();
    if (side !== 'buy' && side !== 'sell') {
      err(`side "${sd}" must be buy or sell`);
      continue;
    }
    const volumeWrong = volumeProblem(vol, Number(vol), instrument);
    if (volumeWrong !== null) {
      err(volumeWrong);
      continue;
    }
    const volume = Number(vol);
    const price = (s: string, name: string): number | null | undefined => {
      if (s === '') return null;
      const n = Number(s);
      if (!(n > 0)) {
        err(`${name} "${s}" must be a positive price or empty`);
        return undefined;
      }
      return n;
    };
    const slP = price(sl, 'sl');
    if (slP === undefined) continue;
    const tpP = price(tp, 'tp');
    if (tpP === undefined) continue;
    const stopsWrong = stopsProblem(side, slP, tpP);
    if (stopsWrong !== null) {
      err(stopsWrong);
      continue;
    }
    if (time < last) {
      err(`time ${ts} is before the previous entry: sort the file by time`);
      continue;
    }
    last = time;
    entries.push({
      time,
      side,
      volume,
      sl: slP,
      tp: tpP,
      slDistance: NaN,
      tpDistance: NaN,
      comment,
      source: `${file}:${line}`,
    });
  }
  return { entries, errors };
}

export function readEntriesCsv(
  path: string,
  instrument: Instrument,
  symbols: SymbolRules,
): { entries: ReplayEntry[]; errors: RowError[] } {
  return parseEntriesCsv(readFileSync(path, 'utf8'), path, instrument, symbols);
}

export interface GeneratedEntriesOptions {
  /** One entry every this many bars after warm-up. */
  every: number;
  /** Random sides are drawn from it; alternate sides start with a buy for an odd seed, a sell for an even one. */
  seed: number;
  side: 'alternate' | 'random';
  /** SL = slAtr x ATR(14) of `atrTimeframe`; TP = rr x SL distance. */
  slAtr: number;
  rr: number;
  volume: number;
  atrTimeframe: Timeframe;
  /** Bars skipped before the first entry (the features warm up meanwhile), again after each data boundary. */
  warmupBars: number;
  /** A hole longer than this is a data boundary: ATR and warm-up start afresh (as replay's features do). */
  maxGapMs?: number;
}

export const DEFAULT_GENERATED: Omit<GeneratedEntriesOptions, 'every' | 'seed'> = {
  side: 'alternate',
  slAtr: 1.5,
  rr: 2,
  volume: 0.1,
  atrTimeframe: 'M15',
  warmupBars: 1500,
};

/** The first side of alternating entries: a buy for an odd seed (1, the default), a sell for an even one. */
export const firstAlternateSide = (seed: number): Side => (seed % 2 === 1 ? 'buy' : 'sell');

/**
 * Reproducible entries: every N bars (after warm-up and once ATR is ready) an entry at that bar's
 * close, i.e. the next bar's open; sides alternating from the first side `seed` picks (see
 * firstAlternateSide) or drawn from `seed`; SL = k x ATR from the fill price, TP = RR x SL.
 * Independent of the exit config, so `--compare` runs see the same trades.
 */
export function generateEntries(bars: BarSource, baseTimeframe: Timeframe, o: GeneratedEntriesOptions): ReplayEntry[] {
  const baseMs = TIMEFRAME_MS[baseTimeframe];
  const atrTf = TIMEFRAME_MS[o.atrTimeframe] >= baseMs ? o.atrTimeframe : baseTimeframe;
  let agg = new BarAggregator(atrTf, baseTimeframe);
  let atr = new WilderAtr(14);
  const maxGap = o.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  let segmentStart = 0;
  const rand = seededRandom(o.seed);
  const first = firstAlternateSide(o.seed);
  const second: Side = first === 'buy' ? 'sell' : 'buy';
  const entries: ReplayEntry[] = [];
  const bar = { time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, spread: NaN };
  const last = bars.length - 1;
  let prevTime = NaN;
  let n = 0;
  bars.forEachChunk((chunk, offset) => {
    for (let j = 0; j < chunk.length; j++) {
      const i = offset + j;
      chunk.read(j, bar);
      if (i > 0 && bar.time - prevTime > maxGap) {
        agg = new BarAggregator(atrTf, baseTimeframe);
        atr = new WilderAtr(14);
        segmentStart = i;
      }
      prevTime = bar.time;
      const closed = agg.update(bar);
      for (let k = 0; k < closed; k++) {
        const b = agg.closed(k);
        atr.update(b.high, b.low, b.close);
      }
      const k = i - segmentStart - o.warmupBars;
      if (k < 0 || k % o.every !== 0 || !atr.ready || i === last) continue;
      const side: Side = o.side === 'alternate' ? (n % 2 === 0 ? first : second) : rand() < 0.5 ? 'buy' : 'sell';
      n++;
      const dist = o.slAtr * atr.value;
      entries.push({
        time: bar.time + baseMs,
        side,
        volume: o.volume,
        sl: null,
        tp: null,
        slDistance: dist,
        tpDistance: o.rr * dist,
        comment: '',
        source: `generated #${n}`,
      });
    }
  });
  return entries;
}
