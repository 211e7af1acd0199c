// The exit parameters `warden optimize` searches, each with the config path(s) it sets and a range
// inside the config schema's own bounds (narrower where the schema's bound is a sanity limit rather than
// a sensible trading value). A trial is a set of values; applied onto the trader's own config document
// and validated by the config schema, it is a config like any other: best.yaml is always loadable.
//
// Rules kept here:
// - Only exit parameters are tuned. Feature settings (config.features) are never touched: every trial
//   reads the market through the same indicators.
// - `{symbol}` in a path is the instrument's canonical symbol. Its symbolParams entry is written whole
//   (the schema wants every field), from what the trader's config resolves for it.
// - The trail multiplier and the breakeven buffer are the symbol's base values; the symbol's session
//   adjustments are absolute values that replace the base in their session, so they are scaled by the
//   same ratio as the base (clamped to the schema's range): the sessions keep their shape.
// - One partial trigger and one partial size apply to every trade type (SCALP, INTRADAY, WEEKEND): the
//   trader's per-type values are replaced, and the baseline's point in the space shows the INTRADAY ones.
// - DTMS thresholds are sampled in ranges that keep the schema's ordering with the other scores at
//   their defaults (hedge < warningL2 < warningL1 < healthyFromL1; warningL2 < l1FromL2); a trader's
//   config with other scores may still refuse a sample, which is then drawn again (see sampleTrials).
import { z } from 'zod';
import { parseConfig, formatConfigErrors } from '../config/load.ts';
import { bySymbol } from '../domain/symbols.ts';
import type { WardenConfig } from '../config/schema.ts';

export type ParamKind = 'float' | 'int' | 'bool';

export interface ParamSpec {
  /** Name in reports and trials (camelCase, trading terms). */
  name: string;
  /** What it is, for report.html. */
  label: string;
  kind: ParamKind;
  /** Config paths set to the value (dots; `{symbol}` is the canonical symbol). */
  paths: readonly string[];
  min: number;
  max: number;
  /** Decimals a float is rounded to (readable values in best.yaml; the grid is finer than any effect). */
  decimals: number;
}

// INTRADAY first: the baseline's point in the space reads the first path (the trader's INTRADAY values).
const TRADE_TYPES = ['INTRADAY', 'SCALP', 'WEEKEND'] as const;
const GATES = ['critical', 'volatility', 'mtf', 'rmag', 'vwap', 'hvn'] as const;

export const SEARCH_SPACE: readonly ParamSpec[] = [
  {
    name: 'breakevenR',
    label: 'breakeven trigger (R of profit)',
    kind: 'float',
    paths: ['exits.breakeven.atR'],
    min: 0.3,
    max: 3,
    decimals: 2,
  },
  {
    name: 'breakevenBuffer',
    label: 'breakeven buffer (ATR)',
    kind: 'float',
    paths: ['exits.symbolParams.{symbol}.bufferMultiplier'],
    min: 0.1,
    max: 1,
    decimals: 2,
  },
  {
    name: 'partialTriggerPct',
    label: 'partial trigger (% of the way to TP)',
    kind: 'float',
    paths: TRADE_TYPES.map((t) => `exits.tradeTypes.${t}.partialPct`),
    min: 30,
    max: 95,
    decimals: 0,
  },
  {
    name: 'partialSizePct',
    label: 'partial size (% of the volume)',
    kind: 'float',
    paths: TRADE_TYPES.map((t) => `exits.tradeTypes.${t}.partialClosePct`),
    min: 10,
    max: 90,
    decimals: 0,
  },
  {
    name: 'trailMultiplier',
    label: 'trail distance (ATR)',
    kind: 'float',
    paths: ['exits.symbolParams.{symbol}.trailingMultiplier'],
    min: 0.5,
    max: 3,
    decimals: 2,
  },
  {
    name: 'minChangeAtr',
    label: 'minimum stop change (ATR)',
    kind: 'float',
    paths: ['exits.trailing.minChangeAtr'],
    min: 0,
    max: 0.5,
    decimals: 3,
  },
  ...GATES.map(
    (g): ParamSpec => ({
      name: `gate_${g}`,
      label: `trailing gate ${g} on`,
      kind: 'bool',
      paths: [`exits.trailing.gates.${g}`],
      min: 0,
      max: 1,
      decimals: 0,
    }),
  ),
  {
    name: 'dtmsWarningL1',
    label: 'DTMS WARNING_L1 score',
    kind: 'float',
    paths: ['dtms.scores.warningL1'],
    min: -8,
    max: -2,
    decimals: 1,
  },
  {
    name: 'dtmsWarningL2',
    label: 'DTMS WARNING_L2 score',
    kind: 'float',
    paths: ['dtms.scores.warningL2'],
    min: -14,
    max: -9,
    decimals: 1,
  },
  {
    name: 'dtmsHedge',
    label: 'DTMS hedge score',
    kind: 'float',
    paths: ['dtms.scores.hedge'],
    min: -24,
    max: -15,
    decimals: 1,
  },
  {
    name: 'dtmsGraceMinutes',
    label: 'DTMS grace (minutes)',
    kind: 'int',
    paths: ['dtms.graceMinutes'],
    min: 0,
    max: 240,
    decimals: 0,
  },
  {
    name: 'dtmsMinAdverseLayers',
    label: 'DTMS adverse layers to escalate',
    kind: 'int',
    paths: ['dtms.minAdverseLayers'],
    min: 2,
    max: 5,
    decimals: 0,
  },
];

/** A trial's values by parameter name (booleans as true/false). */
export type TrialParams = Record<string, number | boolean>;

export const trialParamsSchema = z.record(z.string(), z.union([z.number(), z.boolean()]));

/** One value drawn uniformly in the parameter's range, rounded as the parameter says. */
export function sampleValue(p: ParamSpec, rand: () => number): number | boolean {
  const u = rand();
  if (p.kind === 'bool') return u < 0.5;
  if (p.kind === 'int') return Math.min(p.max, p.min + Math.floor(u * (p.max - p.min + 1)));
  const f = 10 ** p.decimals;
  return Math.round((p.min + u * (p.max - p.min)) * f) / f;
}

/** The values the trader's own config has for the space (the baseline's point in it). */
export function baselineParams(config: WardenConfig, canonical: string): TrialParams {
  const out: TrialParams = {};
  for (const p of SEARCH_SPACE)
    out[p.name] = readPath(config as unknown as Json, p.paths[0]!.replace('{symbol}', canonical), config, canonical) as
      | number
      | boolean;
  return out;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function readPath(doc: Json, path: string, config: WardenConfig, canonical: string): unknown {
  // A symbol's parameters come from its entry, or DEFAULT (as the engine resolves them).
  const m = /^exits\.symbolParams\.[^.]+\.(\w+)$/.exec(path);
  if (m) return (bySymbol(config.exits.symbolParams, canonical) as unknown as Json)[m[1]!];
  let v: unknown = doc;
  for (const k of path.split('.')) v = isObject(v) ? v[k] : undefined;
  return v;
}

function setPath(doc: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = doc;
  for (const k of keys.slice(0, -1)) {
    if (!isObject(o[k])) o[k] = {};
    o = o[k] as Json;
  }
  o[keys[keys.length - 1]!] = value;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The trader's config document (as read from the file; {} for the defaults) with the trial's values
 * set: a new document, the input untouched. `config` is that document validated (for the symbol's
 * resolved entry).
 */
export function applyTrial(doc: Json, config: WardenConfig, canonical: string, params: TrialParams): Json {
  const out = structuredClone(doc);
  const sym = bySymbol(config.exits.symbolParams, canonical);
  const entry: Json = structuredClone({ ...sym, sessions: { ...sym.sessions } }) as unknown as Json;
  let symbolTouched = false;
  for (const p of SEARCH_SPACE) {
    const v = params[p.name];
    if (v === undefined) continue;
    for (const raw of p.paths) {
      if (raw.includes('{symbol}')) {
        const field = raw.slice(raw.lastIndexOf('.') + 1) as 'trailingMultiplier' | 'bufferMultiplier';
        const base = sym[field];
        const value = v as number;
        entry[field] = value;
        // The sessions keep their shape: each scaled by the same ratio as the base.
        const [lo, hi] = field === 'trailingMultiplier' ? [0.5, 3] : [0.1, 1];
        const sessions = entry['sessions'] as Record<string, Record<string, number>>;
        for (const s of Object.keys(sessions)) {
          const adj = { ...sessions[s] };
          if (adj[field] !== undefined && base > 0) adj[field] = round(clamp((adj[field] * value) / base, lo, hi), 3);
          sessions[s] = adj;
        }
        symbolTouched = true;
      } else setPath(out, raw, v);
    }
  }
  if (symbolTouched) setPath(out, `exits.symbolParams.${canonical}`, entry);
  return out;
}

export class TrialConfigError extends Error {}

/** The trial's config, validated by the schema; throws TrialConfigError with the schema's words when refused. */
export function trialConfig(
  doc: Json,
  config: WardenConfig,
  canonical: string,
  params: TrialParams,
): { doc: Json; config: WardenConfig } {
  const next = applyTrial(doc, config, canonical, params);
  const r = parseConfig(next, 'the trial config');
  if (!r.ok) throw new TrialConfigError(formatConfigErrors(r.errors));
  return { doc: next, config: r.config };
}

/**
 * `count` trials drawn from `seed`: each parameter uniformly in its range. A draw the trader's config
 * refuses (DTMS score ordering against scores the trader set) is drawn again, up to 50 times.
 */
export function sampleTrials(
  count: number,
  rand: () => number,
  doc: Json,
  config: WardenConfig,
  canonical: string,
): TrialParams[] {
  const out: TrialParams[] = [];
  for (let k = 0; k < count; k++) {
    let last = '';
    let ok = false;
    for (let attempt = 0; attempt < 50 && !ok; attempt++) {
      const params: TrialParams = {};
      for (const p of SEARCH_SPACE) params[p.name] = sampleValue(p, rand);
      try {
        trialConfig(doc, config, canonical, params);
        out.push(params);
        ok = true;
      } catch (err) {
        if (!(err instanceof TrialConfigError)) throw err;
        last = err.message;
      }
    }
    if (!ok) throw new TrialConfigError(`no valid trial in 50 draws against this config; the last refusal:\n${last}`);
  }
  return out;
}
