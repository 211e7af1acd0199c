// What an agent calling the API (a ChatGPT action, the MCP server) needs to know about how the exits
// work, in a few sentences built from the config the service runs with: the RMAG thresholds per symbol,
// the trailing's tiered gates and multipliers, the breakeven buffer and its fallback, and the unit of
// the triggers. Built from the config, never written out by hand, so the OpenAPI document cannot say
// one thing while the engine does another.
//
// ChatGPT takes at most 300 characters in an operation's summary or description (700 in a parameter's
// description): each note fits one operation's description; `all` goes in the document's info.
import type { WardenConfig } from '../config/schema.ts';
import { planFields } from './positionActions.ts';

export interface ActionNotes {
  /** What the plan's triggers are measured in, and their range. */
  units: string;
  /** The RMAG thresholds per symbol and what the advanced triggers do with the triggers. */
  rmag: string;
  /** The trailing stop: when it starts, its ATR multipliers per symbol, the tiered gates. */
  trailing: string;
  /** The breakeven trigger and stop: the ATR buffer per symbol and its fallback without ATR. */
  breakeven: string;
  /** Every note, for the document's description. */
  all: string;
}

/** ChatGPT's limit on an operation's summary and description (its action editor refuses longer ones). */
export const ACTION_DESCRIPTION_MAX = 300;

const n = (x: number): string => String(Number(x.toFixed(3)));

/** "BTCUSD 4, XAUUSD 2, others 2": a per-symbol table of the config, DEFAULT last. */
function perSymbol<T>(table: Readonly<Record<string, T>>, value: (v: T) => number): string {
  const named = Object.entries(table).filter(([k]) => k !== 'DEFAULT');
  const parts = named.map(([k, v]) => `${k} ${n(value(v))}`);
  const fallback = table['DEFAULT'];
  if (fallback !== undefined) parts.push(`others ${n(value(fallback))}`);
  return parts.join(', ');
}

/** The range the API takes for a trigger: the config's own bounds for it. */
export function triggerRange(): { min: number; max: number } {
  const f = planFields.breakevenPct.unwrap();
  return { min: f.minValue ?? 0, max: f.maxValue ?? 100 };
}

/** The note with the per-symbol lists when it fits an operation's description, else the one naming where they are. */
const fit = (full: string, short: string): string => (full.length <= ACTION_DESCRIPTION_MAX ? full : short);
const LISTED = 'per symbol, listed in the API description';

export function actionNotes(config: WardenConfig): ActionNotes {
  const x = config.exits;
  const { min, max } = triggerRange();
  const sessions = Object.values(x.symbolParams).some((p) => Object.keys(p.sessions).length > 0)
    ? '; session-adjusted'
    : '';
  const atrFrames = new Set(Object.values(x.symbolParams).map((p) => p.atrTimeframe));
  const atr = atrFrames.size === 1 ? `ATR(${[...atrFrames][0]})` : "ATR (the symbol's timeframe)";

  const units = `Triggers are % of the way from entry to TP (of 2R without a TP), ${min} to ${max}; a value the advanced triggers adjust is answered with its base, the value used now and the rule that moved it.`;

  const rmagNote = (thresholds: string) =>
    `RMAG thresholds (ATR from EMA200 in the trade's favour): ${thresholds}; VWAP at ${n(x.rmag.vwapFactor)}x. Stretched past it: breakeven ${n(x.rmag.tightenBreakevenPct)}% / partial ${n(x.rmag.tightenPartialPct)}%. Trend, squeeze, momentum, MTF, liquidity and VWAP rules set or cap them too.`;
  const rmagOff =
    'RMAG tightening is off (exits.triggers.rmagStretched). Trend, squeeze, momentum, MTF, liquidity and VWAP rules may set or cap the triggers.';
  const rmagFull = x.triggers.rmagStretched ? rmagNote(perSymbol(x.rmag.thresholds, (v) => v)) : rmagOff;
  const rmag = x.triggers.rmagStretched ? fit(rmagFull, rmagNote(LISTED)) : rmagOff;

  const t = x.trailing;
  // Where a gate without data holds the trail (a real account, unless the config says otherwise), it says so.
  const noData =
    x.noDataPasses === false
      ? '; one without data holds it'
      : x.noDataPasses === null
        ? '; on a real account one without data holds it'
        : '';
  const trail = (multipliers: string) =>
    `Trails after breakeven, once the partial is done or at ${n(t.criticalRAchieved)} R: ${atr} x ${multipliers}${sessions}. Over ${t.maxAdvisoryFailures} advisory gates (squeeze, MTF, RMAG, VWAP, volume node) failing widen it x${n(t.wideFactor)}${noData}.`;
  const trailOff = 'Trailing is off in the config (exits.trailing.enabled).';
  const trailingFull = t.enabled ? trail(perSymbol(x.symbolParams, (p) => p.trailingMultiplier)) : trailOff;
  const trailing = t.enabled ? fit(trailingFull, trail(`a multiplier ${LISTED}`)) : trailOff;

  const b = x.breakeven;
  const at =
    b.atR !== null ? `at ${n(b.atR)} R of profit unless a % to TP is set` : "at the trade type's % of the way to TP";
  const buffered = (buffers: string) =>
    `Breakeven ${at}: stop to entry + spread - ${atr} x buffer (${buffers}${sessions}), mirrored for a sell; without ATR the buffer is ${n(x.fallbackBufferPct)}% of entry.`;
  const beOther = !b.enabled
    ? 'Breakeven is off in the config (exits.breakeven.enabled).'
    : `Breakeven ${at}: the stop to entry + spread + ${n(x.lockOffsetPoints)} points (lock mode), mirrored for a sell; a stop never loosens.`;
  const isBuffered = b.enabled && x.breakevenMode === 'buffered';
  const breakevenFull = isBuffered ? buffered(perSymbol(x.symbolParams, (p) => p.bufferMultiplier)) : beOther;
  const breakeven = isBuffered ? fit(breakevenFull, buffered(LISTED)) : beOther;

  const all = [
    'Warden manages the exits of open trading positions: breakeven, partial profit, ATR trailing, and DTMS defence.',
    units,
    rmagFull,
    breakevenFull,
    trailingFull,
    "A strategy template (strategy_type on registerTrade, a !strategy:NAME comment, exits.strategyBySymbol) sets a position's base triggers, breakeven R, buffer and trail multiplier in place of these; the position's exits show them.",
    "Every change made through this API is kept in the position's decision history with its source.",
  ].join('\n\n');
  return { units, rmag, trailing, breakeven, all };
}
