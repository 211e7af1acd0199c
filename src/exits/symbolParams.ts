// Per-symbol exit parameters, resolved once per plan from the config tables (keyed by canonical
// symbol, with DEFAULT), and the session adjustment applied at decision time.
import { bySymbol } from '../domain/symbols.ts';
import type { Session } from '../domain/sessions.ts';
import type { ExitsConfig, SymbolExitParams } from '../config/schema.ts';
import type { Timeframe } from '../domain/types.ts';

export interface ResolvedSymbolParams {
  canonical: string;
  trailingMultiplier: number;
  bufferMultiplier: number;
  minSlChangePct: number;
  atrTimeframe: Timeframe;
  rmagThreshold: number;
  /** Session-adjusted multipliers, indexed by SESSION_INDEX (NaN = no adjustment: use the base). */
  sessionTrailing: Float64Array;
  sessionBuffer: Float64Array;
}

export const SESSION_INDEX: Readonly<Record<Session, number>> = { ASIAN: 0, LONDON: 1, OVERLAP: 2, NY: 3, POST_NY: 4 };
const SESSIONS: readonly Session[] = ['ASIAN', 'LONDON', 'OVERLAP', 'NY', 'POST_NY'];

export function resolveSymbolParams(exits: ExitsConfig, canonical: string): ResolvedSymbolParams {
  const p: SymbolExitParams = bySymbol(exits.symbolParams, canonical);
  const sessionTrailing = new Float64Array(5).fill(NaN);
  const sessionBuffer = new Float64Array(5).fill(NaN);
  for (const s of SESSIONS) {
    const adj = p.sessions[s];
    if (adj?.trailingMultiplier !== undefined) sessionTrailing[SESSION_INDEX[s]] = adj.trailingMultiplier;
    if (adj?.bufferMultiplier !== undefined) sessionBuffer[SESSION_INDEX[s]] = adj.bufferMultiplier;
  }
  return {
    canonical,
    trailingMultiplier: p.trailingMultiplier,
    bufferMultiplier: p.bufferMultiplier,
    minSlChangePct: p.minSlChangePct,
    atrTimeframe: p.atrTimeframe,
    rmagThreshold: bySymbol(exits.rmag.thresholds, canonical),
    sessionTrailing,
    sessionBuffer,
  };
}

export function trailingMultiplierFor(p: ResolvedSymbolParams, session: Session): number {
  const v = p.sessionTrailing[SESSION_INDEX[session]]!;
  return Number.isNaN(v) ? p.trailingMultiplier : v;
}

export function bufferMultiplierFor(p: ResolvedSymbolParams, session: Session): number {
  const v = p.sessionBuffer[SESSION_INDEX[session]]!;
  return Number.isNaN(v) ? p.bufferMultiplier : v;
}
