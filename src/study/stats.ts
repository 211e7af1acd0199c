// The statistics of a study, as pure functions over plain numbers and trade records: mean and
// standard error, pairing trades across configs by their entry, paired differences, whipsaw and the
// DTMS warning's forecast. Every figure says how many trades it rests on.
import type { ExitReason } from '../replay/reportModel.ts';
import { STOP_EXIT_REASONS } from './studyModel.ts';

export interface MeanSe {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n - 1) / sqrt(n); null below two values. */
  se: number | null;
}

export function meanSe(xs: readonly number[]): MeanSe {
  const n = xs.length;
  if (n === 0) return { n, mean: null, se: null };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  if (n < 2) return { n, mean, se: null };
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { n, mean, se: Math.sqrt(ss / (n - 1)) / Math.sqrt(n) };
}

/** One trade as the study reads it; `r`, `mfeR`, `maeR` null without an initial stop. */
export interface StudyTrade {
  entryTime: number;
  side: 'buy' | 'sell';
  exitTime: number;
  exitReason: ExitReason;
  r: number | null;
  mfeR: number | null;
  maeR: number | null;
  /** A position DTMS opened again after closing the original: not an entry of the study. */
  reAdd: boolean;
  /** When DTMS first warned (null: never) and the trade's open R at the close of that bar. */
  warningTime: number | null;
  warningR: number | null;
}

/** The entry a trade came from: the same in every config run on the same entries. */
export const entryKey = (t: Pick<StudyTrade, 'entryTime' | 'side'>): string => `${t.entryTime}|${t.side}`;

export interface Pairing {
  /** Entry keys every config traded, in entry order. */
  keys: string[];
  /** Per config: the trade of each key (same order as keys). */
  paired: StudyTrade[][];
  /** Per config: its entries left out because another config has no trade for them (refused there). */
  dropped: number[];
  /** Entries some config traded but not every one: left out of the pairing. */
  droppedEntries: number;
  /** Keys held by two trades of one run (never expected from generated entries): left out everywhere. */
  ambiguous: number;
}

/** Pairs the trades of several configs run on the same entries; re-added trades take no part. */
export function pairByEntry(runs: readonly (readonly StudyTrade[])[]): Pairing {
  const maps: Map<string, StudyTrade>[] = [];
  const bad = new Set<string>();
  for (const trades of runs) {
    const m = new Map<string, StudyTrade>();
    for (const t of trades) {
      if (t.reAdd) continue;
      const k = entryKey(t);
      if (m.has(k)) bad.add(k);
      m.set(k, t);
    }
    maps.push(m);
  }
  const first = maps[0] ?? new Map<string, StudyTrade>();
  const keys = [...first.keys()].filter((k) => !bad.has(k) && maps.every((m) => m.has(k)));
  keys.sort((a, b) => first.get(a)!.entryTime - first.get(b)!.entryTime || (a < b ? -1 : a > b ? 1 : 0));
  const common = new Set(keys);
  return {
    keys,
    paired: maps.map((m) => keys.map((k) => m.get(k)!)),
    dropped: maps.map((m) => [...m.keys()].filter((k) => !bad.has(k) && !common.has(k)).length),
    droppedEntries: new Set(maps.flatMap((m) => [...m.keys()])).size - bad.size - keys.length,
    ambiguous: bad.size,
  };
}

export interface PairedDelta extends MeanSe {
  /** |mean| < se: the difference is within the noise of the sample. */
  withinNoise: boolean | null;
}

/** Mean and standard error of R(config) - R(baseline) over paired entries with R on both sides. */
export function pairedDelta(config: readonly StudyTrade[], baseline: readonly StudyTrade[]): PairedDelta {
  const d: number[] = [];
  for (let i = 0; i < config.length; i++) {
    const a = config[i]!.r;
    const b = baseline[i]!.r;
    if (a !== null && b !== null) d.push(a - b);
  }
  const m = meanSe(d);
  return { ...m, withinNoise: m.mean === null || m.se === null ? null : Math.abs(m.mean) < m.se };
}

/** A stop fill within this many R of the entry counts as stopped "at or near breakeven". */
export const NEAR_BREAKEVEN_R = 0.25;

export interface Whipsaw {
  /** Paired trades looked at. */
  trades: number;
  /** Of them, stopped at or near breakeven (a stop fill with |R| <= NEAR_BREAKEVEN_R). */
  nearBreakevenStops: number;
  /** Of those, the ones whose untouched (bracket) twin went on to take profit. */
  whipsaws: number;
  /** whipsaws / trades. */
  rate: number | null;
  /** whipsaws / nearBreakevenStops. */
  ofNearBreakevenStops: number | null;
}

export function whipsaw(config: readonly StudyTrade[], horizon: readonly StudyTrade[]): Whipsaw {
  let near = 0;
  let ws = 0;
  for (let i = 0; i < config.length; i++) {
    const t = config[i]!;
    if (!STOP_EXIT_REASONS.has(t.exitReason) || t.r === null || Math.abs(t.r) > NEAR_BREAKEVEN_R) continue;
    near++;
    if (horizon[i]!.exitReason === 'take_profit') ws++;
  }
  const n = config.length;
  return {
    trades: n,
    nearBreakevenStops: near,
    whipsaws: ws,
    rate: n ? ws / n : null,
    ofNearBreakevenStops: near ? ws / near : null,
  };
}

export interface WarningForecast {
  /** The untouched twin's R still to come after the warning: R(bracket) - open R at the warning. */
  horizon: MeanSe;
  /** The managed trade's own R after the warning: R(managed) - open R at the warning. */
  managed: MeanSe;
  /** Warned trades left out because their bracket twin had already closed when the warning came. */
  twinClosedBefore: number;
}

/**
 * What DTMS's first warning foretold. If warnings carry information, the untouched twin's remaining
 * R after them is negative (the trade was about to go wrong); near 0, the warning is noise.
 */
export function warningForecast(config: readonly StudyTrade[], horizon: readonly StudyTrade[]): WarningForecast {
  const h: number[] = [];
  const m: number[] = [];
  let closed = 0;
  for (let i = 0; i < config.length; i++) {
    const t = config[i]!;
    const twin = horizon[i]!;
    if (
      t.warningTime === null ||
      t.warningR === null ||
      !Number.isFinite(t.warningR) ||
      t.r === null ||
      twin.r === null
    )
      continue;
    if (twin.exitTime < t.warningTime) {
      closed++;
      continue;
    }
    h.push(twin.r - t.warningR);
    m.push(t.r - t.warningR);
  }
  return { horizon: meanSe(h), managed: meanSe(m), twinClosedBefore: closed };
}

/** Trades' R, realized against their best open R: Σ R / Σ MFE over trades whose MFE > 0. */
export function capture(trades: readonly StudyTrade[]): number | null {
  let r = 0;
  let mfe = 0;
  for (const t of trades) {
    if (t.r === null || t.mfeR === null || !(t.mfeR > 0)) continue;
    r += t.r;
    mfe += t.mfeR;
  }
  return mfe > 0 ? r / mfe : null;
}
