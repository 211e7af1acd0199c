// Strategy templates (a strategy type's parameter profile): which one a position gets, what it sets
// in the plan, and how a plan changes to another one. Chosen in this order: the API's strategy_type
// (carried as the position's strategyType), a `!strategy:NAME` token in the position's comment, the
// symbol's entry in exits.strategyBySymbol, else none (the exits defaults). A name no template has is
// never ignored quietly: the API refuses it, and a comment's is recorded, with the known names, while
// the position runs on the defaults. The template sets the base of the plan; the advanced trigger rules
// then adjust from that base, and the session adjusts its multipliers as it adjusts the symbol's (the
// plan's side of it, a plan put on another template included, is in exitPlan.ts: that module uses this one).
import { bySymbol } from '../domain/symbols.ts';
import { TIMEFRAMES, type Position, type Timeframe } from '../domain/types.ts';
import type { ExitsConfig, StrategyTemplate } from '../config/schema.ts';
import { normaliseStrategyName } from '../domain/strategyName.ts';
import { decimalText } from '../domain/decimalText.ts';
import type { TradeType } from './tradeType.ts';

/** Where a plan's template was named: the API (POST /api/trades), the position's comment, the config's symbol entry. */
export type StrategySource = 'api' | 'comment' | 'config';

export interface StrategyChoice {
  /** The template's name ('' none). */
  name: string;
  source: StrategySource | '';
  template: StrategyTemplate | null;
  /** A name that was asked for and that no template has ('' none): the plan keeps the defaults. */
  unknown: string;
}

/** The names of the configured templates, in the config's order. */
export function knownStrategies(exits: ExitsConfig): string[] {
  return Object.keys(exits.strategies);
}

/** `name` as a configured template's name, or why not (the known names listed). */
export function lookUpStrategy(
  exits: ExitsConfig,
  name: string,
): { ok: true; name: string; template: StrategyTemplate } | { ok: false; message: string } {
  const n = normaliseStrategyName(name);
  const t = Object.hasOwn(exits.strategies, n) ? exits.strategies[n] : undefined;
  if (t !== undefined) return { ok: true, name: n, template: t };
  return { ok: false, message: `unknown strategy type "${name}": known are ${knownStrategies(exits).join(', ')}` };
}

// The token stands alone in the comment (at its start, or after a space); the name is letters,
// digits, _ and - (a comma or a dot after it is not part of it).
const COMMENT_TOKEN = /(?:^|\s)!strategy:([A-Za-z0-9_-]+)/i;

/** The template name a `!strategy:NAME` token in a comment asks for (null: no token). */
export function strategyInComment(comment: string): string | null {
  const m = COMMENT_TOKEN.exec(comment);
  return m === null ? null : m[1]!;
}

/**
 * The comment without its `!strategy:NAME` token: what the trade-type classifier reads, so that a
 * template's name ("mean_reversion_range_scalp") is not taken for a comment keyword ("scalp").
 */
export function withoutStrategyToken(comment: string): string {
  return comment.replace(new RegExp(COMMENT_TOKEN.source, 'gi'), ' ');
}

/** Which template a position gets when its plan is made: see the file comment for the order. */
export function chooseStrategy(
  exits: ExitsConfig,
  position: Pick<Position, 'comment' | 'strategyType'>,
  canonical: string,
): StrategyChoice {
  let asked = '';
  let source: StrategySource = 'api';
  if (position.strategyType !== undefined && position.strategyType !== '') asked = position.strategyType;
  else {
    asked = strategyInComment(position.comment) ?? '';
    source = 'comment';
  }
  if (asked !== '') {
    const found = lookUpStrategy(exits, asked);
    if (found.ok) return { name: found.name, source, template: found.template, unknown: '' };
    // MT5 keeps 31 characters of a comment: after "!strategy:" a long name arrives cut. A cut name
    // that begins exactly one template's name is that template; two or more, and it stays unknown.
    if (source === 'comment') {
      const cut = normaliseStrategyName(asked);
      const matches = knownStrategies(exits).filter((n) => n.startsWith(cut));
      if (cut.length >= 3 && matches.length === 1)
        return { name: matches[0]!, source, template: exits.strategies[matches[0]!]!, unknown: '' };
    }
    return { name: '', source, template: null, unknown: asked };
  }
  const configured = bySymbol(exits.strategyBySymbol, canonical);
  // The config's names were checked at load: a configured name is always a template.
  const template = configured === null ? undefined : exits.strategies[configured];
  if (configured === null || template === undefined) return { name: '', source: '', template: null, unknown: '' };
  return { name: configured, source: 'config', template, unknown: '' };
}

/** The plan fields a template decides, over the exits defaults for the position's trade type. */
export interface TemplateFields {
  baseBreakevenPct: number;
  breakevenR: number;
  basePartialPct: number;
  partialClosePct: number;
  trailingEnabled: boolean;
  templateTrailingMultiplier: number;
  templateBufferMultiplier: number;
  trailTimeframe: Timeframe | '';
}

/**
 * What the plan's base is with template `t` (null: none) for a trade of `tradeType` and risk `risk` (R;
 * NaN without a stop). Breakeven in R: the template's R; else, when the template sets a percent of the
 * way to TP, that percent alone (it replaces exits.breakeven.atR, as a trader's percent does); else
 * exits.breakeven.atR. A position without a stop has no R and always uses the percent.
 */
export function templateFields(
  exits: ExitsConfig,
  tradeType: TradeType,
  risk: number,
  t: StrategyTemplate | null,
): TemplateFields {
  const base = exits.tradeTypes[tradeType];
  const atR = t?.breakevenR ?? (t?.breakevenPct !== undefined ? null : exits.breakeven.atR);
  return {
    baseBreakevenPct: t?.breakevenPct ?? base.breakevenPct,
    breakevenR: atR !== null && risk > 0 ? atR : NaN,
    basePartialPct: t?.partialPct ?? base.partialPct,
    partialClosePct: t?.partialClosePct ?? base.partialClosePct,
    trailingEnabled: t?.trailingEnabled ?? true,
    templateTrailingMultiplier: t?.trailingMultiplier ?? NaN,
    templateBufferMultiplier: t?.bufferMultiplier ?? NaN,
    trailTimeframe: t?.trailingTimeframe ?? '',
  };
}

/** What a template sets, in words ("sets nothing" when it takes every default). */
export function describeTemplate(t: StrategyTemplate): string {
  const parts: string[] = [];
  if (t.breakevenR !== undefined) parts.push(`breakeven at ${decimalText(t.breakevenR, 2)} R`);
  if (t.breakevenPct !== undefined)
    parts.push(
      `breakeven at ${decimalText(t.breakevenPct, 1)}% of the way to TP${t.breakevenR !== undefined ? ' without a stop' : ''}`,
    );
  if (t.partialPct !== undefined) parts.push(`partial at ${decimalText(t.partialPct, 1)}%`);
  if (t.partialClosePct !== undefined) parts.push(`partial closing ${decimalText(t.partialClosePct, 1)}%`);
  if (t.trailingEnabled === false) parts.push('no trailing');
  if (t.trailingEnabled === true) parts.push('trailing on');
  if (t.trailingMultiplier !== undefined || t.trailingTimeframe !== undefined) {
    parts.push(
      `trail ${t.trailingMultiplier !== undefined ? decimalText(t.trailingMultiplier, 2) : "the symbol's multiplier"} x ATR(${t.trailingTimeframe ?? "the symbol's timeframe"})`,
    );
  }
  if (t.bufferMultiplier !== undefined) parts.push(`breakeven buffer ${decimalText(t.bufferMultiplier, 2)} x ATR`);
  return parts.length === 0 ? 'sets nothing (the exits defaults)' : `sets ${parts.join(', ')}`;
}

/** The classify record's words about the plan's template ('' when there is none and none was asked for). */
export function strategyNote(exits: ExitsConfig, c: StrategyChoice): string {
  if (c.unknown !== '') {
    return `strategy template "${c.unknown}" (${c.source}) is unknown: managed with the defaults; known are ${knownStrategies(exits).join(', ')}`;
  }
  if (c.template === null) return '';
  return `strategy template ${c.name} (${c.source}): ${describeTemplate(c.template)}`;
}

// Multipliers and the trail's ATR, per plan ----------------------------------------------------------------

/** Index of each timeframe in TIMEFRAMES: where its ATR is in EvalContext.atrByTimeframe. */
export const TIMEFRAME_INDEX: Readonly<Record<Timeframe, number>> = Object.fromEntries(
  TIMEFRAMES.map((tf, i) => [tf, i]),
) as Record<Timeframe, number>;

/** The timeframes the templates trail on: the symbols' features keep an ATR for each. */
export function strategyTimeframes(exits: ExitsConfig): Timeframe[] {
  const out: Timeframe[] = [];
  for (const t of Object.values(exits.strategies))
    if (t.trailingTimeframe !== undefined && !out.includes(t.trailingTimeframe)) out.push(t.trailingTimeframe);
  return out;
}
