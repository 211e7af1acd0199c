// The Python bot's `intelligent_exits.json` rules (an object keyed by ticket string, one rule per open
// position), validated with zod and turned into Warden exit plans. Missing keys take the defaults the
// bot's loader gave them: breakeven 30, partial 60, close 50, and trailing multiplier 1.5 (it was
// never serialised). Percentages stored as fractions by an older version (0.3 / 0.6 / 0.5) are
// migrated; a stop on the wrong side of entry is rejected with its reason rather than imported with
// a negative risk.
import { z } from 'zod';
import type { Instrument } from '../domain/types.ts';
import {
  BREAKEVEN_DONE,
  BREAKEVEN_PENDING,
  freshPlanProgress,
  noTemplate,
  PARTIAL_DONE,
  PARTIAL_PENDING,
  type ExitPlan,
} from './exitPlan.ts';
import type { TradeType } from './tradeType.ts';

const num = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

export const legacyRuleSchema = z.object({
  ticket: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String),
  symbol: z.string().min(1),
  entry_price: num.pipe(z.number().positive()),
  direction: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['buy', 'sell'])),
  initial_sl: num,
  initial_tp: num,
  breakeven_profit_pct: num.optional(),
  partial_profit_pct: num.optional(),
  partial_close_pct: num.optional(),
  trailing_enabled: z.boolean().optional(),
  trailing_multiplier: num.optional(),
  breakeven_triggered: z.boolean().optional(),
  partial_triggered: z.boolean().optional(),
  trailing_active: z.boolean().optional(),
  original_trade_type: z.string().nullable().optional(),
  created_at: z.string().optional(),
});
export type LegacyRule = z.infer<typeof legacyRuleSchema>;

export type LegacyParse = { ok: true; rule: LegacyRule; notes: string[] } | { ok: false; key: string; reason: string };

/** The keys the Python bot's loader required; an entry without one is skipped. */
const REQUIRED_KEYS = ['ticket', 'symbol', 'entry_price', 'direction', 'initial_sl', 'initial_tp'] as const;

/** Validates one entry of the legacy file (keyed by ticket string). */
export function parseLegacyRule(key: string, value: unknown): LegacyParse {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, key, reason: 'entry is not an object' };
  const missing = REQUIRED_KEYS.filter((k) => !(k in value));
  if (missing.length > 0)
    return { ok: false, key, reason: `missing ${missing.join(', ')} (required: ${REQUIRED_KEYS.join(', ')})` };
  const parsed = legacyRuleSchema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const field = i.path[0];
    const got =
      typeof field === 'string' && field in value
        ? ` (got ${JSON.stringify((value as Record<string, unknown>)[field])})`
        : '';
    return { ok: false, key, reason: `${i.path.join('.') || '(entry)'}: ${i.message}${got}` };
  }
  const rule = parsed.data;
  const notes: string[] = [];
  if (rule.ticket !== key) notes.push(`ticket ${rule.ticket} differs from its key ${key}; using the ticket`);
  const entry = rule.entry_price;
  const sl = rule.initial_sl;
  if (sl > 0 && (rule.direction === 'buy' ? sl >= entry : sl <= entry)) {
    return {
      ok: false,
      key,
      reason: `${rule.direction} with initial_sl ${sl} on the wrong side of entry ${entry} (risk would be negative)`,
    };
  }
  const pcts = [rule.breakeven_profit_pct, rule.partial_profit_pct, rule.partial_close_pct].filter(
    (x): x is number => x !== undefined,
  );
  if (pcts.length > 0 && pcts.every((x) => x > 0 && x <= 1)) {
    if (rule.breakeven_profit_pct !== undefined) rule.breakeven_profit_pct *= 100;
    if (rule.partial_profit_pct !== undefined) rule.partial_profit_pct *= 100;
    if (rule.partial_close_pct !== undefined) rule.partial_close_pct *= 100;
    notes.push('percentages stored as fractions (older format): multiplied by 100');
  }
  for (const [name, v] of [
    ['breakeven_profit_pct', rule.breakeven_profit_pct],
    ['partial_profit_pct', rule.partial_profit_pct],
    ['partial_close_pct', rule.partial_close_pct],
  ] as const) {
    if (v !== undefined && !(v >= 0 && v <= 100))
      return { ok: false, key, reason: `${name} ${v} is out of range: must be between 0 and 100` };
  }
  if (rule.trailing_multiplier !== undefined && !(rule.trailing_multiplier >= 0.5 && rule.trailing_multiplier <= 3)) {
    return {
      ok: false,
      key,
      reason: `trailing_multiplier ${rule.trailing_multiplier} is out of range: must be between 0.5 and 3`,
    };
  }
  return { ok: true, rule, notes };
}

const TRADE_TYPES: readonly TradeType[] = ['SCALP', 'INTRADAY', 'WEEKEND'];

/**
 * Builds the Warden plan for an imported legacy rule. The position's current volume is the plan's
 * initial volume; `key` is the managed position's key (a live session's lifetime key; the ticket by default).
 */
export function planFromLegacy(
  rule: LegacyRule,
  instrument: Instrument,
  volume: number,
  now: number,
  key: string = rule.ticket,
): ExitPlan {
  const sl = rule.initial_sl > 0 ? rule.initial_sl : NaN;
  const risk = Number.isNaN(sl) ? NaN : Math.abs(rule.entry_price - sl);
  const type = TRADE_TYPES.find((t) => t === rule.original_trade_type?.toUpperCase()) ?? 'INTRADAY';
  const be = rule.breakeven_profit_pct ?? 30;
  const pa = rule.partial_profit_pct ?? 60;
  const breakevenDone = rule.breakeven_triggered === true;
  return {
    positionId: key,
    ticket: rule.ticket,
    symbol: rule.symbol,
    canonical: instrument.canonical,
    side: rule.direction,
    entry: rule.entry_price,
    initialSl: sl,
    initialVolume: volume,
    closedVolume: 0,
    risk: risk > 0 ? risk : NaN,
    enabled: true,
    tradeType: type,
    tradeTypeConfidence: rule.original_trade_type ? 1 : 0.5,
    tradeTypeReason: rule.original_trade_type
      ? `imported (${rule.original_trade_type})`
      : 'imported (no trade type stored)',
    // The original's rule carries its own parameters: no template over them.
    ...noTemplate(),
    baseBreakevenPct: be,
    // The original bot's rule is a percent of the way to TP: kept as it was.
    breakevenR: NaN,
    basePartialPct: pa,
    partialClosePct: rule.partial_close_pct ?? 50,
    breakevenPct: be,
    partialPct: pa,
    ...freshPlanProgress(now, rule.trailing_multiplier ?? 1.5),
    breakevenState: breakevenDone ? BREAKEVEN_DONE : BREAKEVEN_PENDING,
    breakevenReason: breakevenDone ? 'confirmed' : '',
    partialState: rule.partial_triggered === true ? PARTIAL_DONE : PARTIAL_PENDING,
    trailingEnabled: rule.trailing_enabled !== false,
    trailingActive: breakevenDone && rule.trailing_active === true,
  };
}
