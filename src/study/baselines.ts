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

// Breakeven at 50% of the way to a 2R target is 1R. The config cannot switch the advanced triggers
// off yet: RMAG's tightening is neutralised by tightening to the same percents, but the squeeze,
// liquidity, fake-momentum and VWAP-zone rules can still pull breakeven earlier (to 20-25%).
// partialClosePct 0 closes nothing (the partial is skipped as below the minimum lot). Every gate is
// made to pass (critical R 0, advisory failures never widen: wide factor 1), and the multiplier is
// 1.5 in every session of every symbol, moving the stop by any amount (minimum change 0).
const CHANDELIER_SYMBOL = { trailingMultiplier: 1.5, minSlChangePct: 0, sessions: {} };
const CHANDELIER_TRADE_TYPE = { breakevenPct: 50, partialPct: 100, partialClosePct: 0 };

export const CHANDELIER_OVERRIDES = {
  exits: {
    autoEnable: true,
    breakevenMode: 'lock',
    lockOffsetPoints: 0,
    tradeTypes: { SCALP: CHANDELIER_TRADE_TYPE, INTRADAY: CHANDELIER_TRADE_TYPE, WEEKEND: CHANDELIER_TRADE_TYPE },
    rmag: { tightenBreakevenPct: 50, tightenPartialPct: 100 },
    trailing: { enabled: true, criticalRAchieved: 0, maxAdvisoryFailures: 5, wideFactor: 1, mtfMinAligned: 0, hvnMinDistAtr: 0 },
    symbolParams: Object.fromEntries(Object.keys(DEFAULT_SYMBOL_PARAMS).map((s) => [s, CHANDELIER_SYMBOL])),
  },
  dtms: { enabled: false },
};

const OVERRIDES: Record<BaselineName, unknown> = { bracket: BRACKET_OVERRIDES, chandelier: CHANDELIER_OVERRIDES };

export const isBaselineName = (name: string): name is BaselineName => (BASELINE_NAMES as readonly string[]).includes(name);

/** The baseline's full config: its overrides over the built-in defaults, through the config schema. */
export function baselineConfig(name: BaselineName): WardenConfig {
  const r = parseConfig(structuredClone(OVERRIDES[name]), `the ${name} baseline`);
  // The overrides are the project's own: a schema change that refuses them is a bug to see at once.
  if (!r.ok) throw new Error(`the ${name} baseline no longer fits the config schema:\n${formatConfigErrors(r.errors)}`);
  return r.config;
}
