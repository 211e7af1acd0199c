// The two reference strategies every study runs beside the configs under test, as config overrides
// validated by the same schema as a user's file:
//   bracket     no management at all: the entry's stop and target, nothing else. It is also the
//               "horizon": what a trade would have done had nobody touched it.
//   chandelier  the textbook alternative: stop to entry at 1R, then a plain 1.5 x ATR trail; no
//               partial, no gates, no DTMS. Whatever Warden's extra machinery adds must beat this.
import { parseConfig, formatConfigErrors } from '../config/load.ts';
import { DEFAULT_SYMBOL_PARAMS, type WardenConfig } from '../config/schema.ts';

export const BASELINE_NAMES = ['bracket', 'chandelier'] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

export const BRACKET_OVERRIDES = {
  exits: { autoEnable: false },
  dtms: { enabled: false },
} as const;

// Breakeven at exactly 1R (a lock at entry + spread), no advanced trigger rule, no partial, no gate,
// then a 1.5 x ATR trail in every session of every symbol that moves the stop by any amount and keeps
// its distance (no step from the breakeven stop, no tightening with R).
const CHANDELIER_SYMBOL = { trailingMultiplier: 1.5, minSlChangePct: 0, sessions: {} };
const ALL_OFF = {
  rmagStretched: false,
  qualityTrend: false,
  squeeze: false,
  fakeMomentum: false,
  mtfAligned: false,
  liquidityRisk: false,
  vwapOuter: false,
};
const NO_GATES = { critical: false, volatility: false, mtf: false, rmag: false, vwap: false, hvn: false };

export const CHANDELIER_OVERRIDES = {
  exits: {
    autoEnable: true,
    breakevenMode: 'lock',
    lockOffsetPoints: 0,
    triggers: ALL_OFF,
    breakeven: { enabled: true, atR: 1 },
    partial: { enabled: false },
    trailing: { enabled: true, minChangeAtr: 0, fromBreakevenStop: false, tightenPerR: 0, gates: NO_GATES },
    symbolParams: Object.fromEntries(Object.keys(DEFAULT_SYMBOL_PARAMS).map((s) => [s, CHANDELIER_SYMBOL])),
  },
  dtms: { enabled: false },
};

const OVERRIDES: Record<BaselineName, unknown> = { bracket: BRACKET_OVERRIDES, chandelier: CHANDELIER_OVERRIDES };

export const isBaselineName = (name: string): name is BaselineName =>
  (BASELINE_NAMES as readonly string[]).includes(name);

/** The baseline's full config: its overrides over the built-in defaults, through the config schema. */
export function baselineConfig(name: BaselineName): WardenConfig {
  const r = parseConfig(structuredClone(OVERRIDES[name]), `the ${name} baseline`);
  // The overrides are the project's own: a schema change that refuses them is a bug to see at once.
  if (!r.ok) throw new Error(`the ${name} baseline no longer fits the config schema:\n${formatConfigErrors(r.errors)}`);
  return r.config;
}
