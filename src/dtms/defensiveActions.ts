// What each DTMS action means as broker orders for one position (what the Python bot's action
// executor meant to send), pure: the position, the instrument's rules and the quote in, orders or a
// skip with its reason out. The original's defects fixed here: the data an action needs is passed in
// (entry, R, volume, stop, hedge id); a stop only ever tightens, respects the stops level and the
// tick; volumes are rounded down to the lot step and a close or hedge that would fall below the
// minimum lot is skipped (0.01 lot is never "half closed" to nothing, nor hedged 100%); the hedge id
// is kept.
import { floorToStep, isTighterStop, offsetSteps, roundStop, roundVolumeDown } from '../domain/rounding.ts';
import { ticketOf, type Instrument, type Position, type Side } from '../domain/types.ts';
import { partialVolume } from '../exits/partialClose.ts';
import { frozen, respectsStopsLevel, stopLimit } from '../exits/stopRules.ts';
import type { DtmsActionKind } from './defensiveState.ts';

export type DefensiveOrder =
  /** Move the position's stop (TP kept). */
  | { kind: 'move_stop'; newSl: number }
  /** Close part of the position. */
  | { kind: 'close_partial'; volume: number }
  /** Close a whole position: the main one, or the hedge (`hedge` true). */
  | {
      kind: 'close';
      hedge: boolean /** The venue's ticket to close: the position's own, or its hedge's. */;
      ticket: string;
      volume: number;
    }
  /** Open a market order: the hedge (opposite side) or a re-add (same side). */
  | { kind: 'open'; purpose: 'hedge' | 're_add'; side: Side; volume: number; sl: number | null; comment: string };

export type DefensivePlan = { orders: DefensiveOrder[]; skip: null } | { orders: []; skip: string };

export interface DefensiveParams {
  /** WARNING_L1's stop: this many R behind the exit-side price (0.3). */
  tightenR: number;
  /** WARNING_L2 closes this share of the open volume (50%). */
  partialClosePct: number;
  /** The hedge: this share of the open volume (0.5), its stop this many ATR away (0.5). */
  hedgeShare: number;
  hedgeStopAtr: number;
  /** A recovery re-adds this share of the volume closed defensively (0.5). */
  reAddShare: number;
}

export const DEFAULT_DEFENSIVE_PARAMS: DefensiveParams = {
  tightenR: 0.3,
  partialClosePct: 50,
  hedgeShare: 0.5,
  hedgeStopAtr: 0.5,
  reAddShare: 0.5,
};

export interface DefensiveContext {
  position: Position;
  instrument: Instrument;
  bid: number;
  ask: number;
  /** |entry - initial stop| in price units; NaN when the position had no stop. */
  initialRisk: number;
  /** ATR of the symbol (the hedge's stop distance); NaN when unknown. */
  atr: number;
  /** Volume closed by DTMS in this episode (what a recovery re-adds half of). */
  closedVolume: number;
  /** The open hedge (null when none). */
  hedgeId: string | null;
  hedgeVolume: number;
}

/** MT5 limits comments to 31 characters. */
const MAX_COMMENT = 31;

/**
 * The comment of a DTMS open: `base` (purpose and the defended position's key) and `suffix` (the
 * episode), so a restart finds THIS open among the venue's positions. When both do not fit in 31
 * characters, the base is cut and a hash of it keeps it unique (the same text gives the same comment).
 */
export function fitComment(base: string, suffix: string): string {
  if (base.length + suffix.length <= MAX_COMMENT) return base + suffix;
  // FNV-1a, 32 bits: enough to tell the positions of one account apart in a comment.
  let h = 0x811c9dc5;
  for (let i = 0; i < base.length; i++) {
    h ^= base.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const tag = `~${h.toString(16).padStart(8, '0')}`;
  return base.slice(0, Math.max(0, MAX_COMMENT - suffix.length - tag.length)) + tag + suffix;
}

const skip = (reason: string): DefensivePlan => ({ orders: [], skip: reason });
const plan = (...orders: DefensiveOrder[]): DefensivePlan => ({ orders, skip: null });

/** A stop move to `target` (before rounding), if it is real: tighter, on the tick, allowed by the stops and freeze levels. */
function stopMove(ctx: DefensiveContext, target: number): DefensivePlan {
  const { position: pos, instrument: inst } = ctx;
  if (!Number.isFinite(target)) return skip('no_stop_target');
  const sl = roundStop(pos.side, target, inst.tickSize);
  if (!isTighterStop(pos.side, sl, pos.sl)) return skip('not_tighter');
  // Breakeven on a losing trade: the entry is on the wrong side of the price (no broker takes that stop).
  if (pos.side === 'buy' ? sl >= ctx.bid : sl <= ctx.ask) return skip('beyond_price');
  if (!respectsStopsLevel(pos.side, sl, stopLimit(pos.side, inst, ctx.bid, ctx.ask))) return skip('stops_level');
  const price = pos.side === 'buy' ? ctx.bid : ctx.ask;
  if (frozen(inst, price, pos.sl)) return skip('freeze_level');
  return plan({ kind: 'move_stop', newSl: sl });
}

/** The orders for one action, or why there are none. */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function planDefensiveAction(
  kind: DtmsActionKind,
  ctx: DefensiveContext,
  p: DefensiveParams = DEFAULT_DEFENSIVE_PARAMS,
): DefensivePlan {
  const { position: pos, instrument: inst } = ctx;
  const buy = pos.side === 'buy';
  const direction = buy ? 1 : -1;
  const exitPrice = buy ? ctx.bid : ctx.ask;
  switch (kind) {
    case 'tighten_stop':
      if (!(ctx.initialRisk > 0)) return skip('no_initial_risk');
      return stopMove(ctx, exitPrice - direction * p.tightenR * ctx.initialRisk);
    case 'stop_to_breakeven':
      return stopMove(ctx, pos.entryPrice);
    case 'partial_close': {
      const v = partialVolume(pos.volume, pos.volume, p.partialClosePct, inst);
      if (v.skip !== null) return skip(v.skip);
      return plan({ kind: 'close_partial', volume: v.volume });
    }
    case 'open_hedge': {
      if (!inst.hedging) return skip('netting_account');
      if (ctx.hedgeId !== null) return skip('hedge_already_open');
      const volume = roundVolumeDown(pos.volume * p.hedgeShare, inst.lotStep);
      if (volume < inst.minLot - 1e-9) return skip('hedge_below_min_lot');
      const side: Side = buy ? 'sell' : 'buy';
      // The hedge's own stop, on its side of the price it opens at, never closer than the broker allows.
      const open = side === 'buy' ? ctx.ask : ctx.bid;
      let sl =
        ctx.atr > 0
          ? roundStop(
              side,
              side === 'buy' ? open - p.hedgeStopAtr * ctx.atr : open + p.hedgeStopAtr * ctx.atr,
              inst.tickSize,
            )
          : null;
      if (sl !== null) {
        const limit = stopLimit(side, inst, ctx.bid, ctx.ask);
        if (!respectsStopsLevel(side, sl, limit)) sl = roundStop(side, limit, inst.tickSize);
        if (!respectsStopsLevel(side, sl, limit)) sl = offsetSteps(sl, side === 'buy' ? -1 : 1, inst.tickSize);
      }
      return plan({ kind: 'open', purpose: 'hedge', side, volume, sl, comment: `DTMS_HEDGE_${pos.id}` });
    }
    case 'close_hedge':
      if (ctx.hedgeId === null) return skip('no_hedge');
      return plan({ kind: 'close', hedge: true, ticket: ctx.hedgeId, volume: ctx.hedgeVolume });
    case 're_add': {
      const volume = floorToStep(ctx.closedVolume * p.reAddShare, inst.lotStep);
      if (volume < inst.minLot - 1e-9) return skip('re_add_below_min_lot');
      // Re-added risk is protected by the position's own stop (the original sent none), on the tick and
      // where the broker accepts it now; a stop the price has come too close to gets no re-add.
      const sl = pos.sl === null ? null : roundStop(pos.side, pos.sl, inst.tickSize);
      if (sl !== null && !respectsStopsLevel(pos.side, sl, stopLimit(pos.side, inst, ctx.bid, ctx.ask)))
        return skip('re_add_stop_too_close');
      return plan({ kind: 'open', purpose: 're_add', side: pos.side, volume, sl, comment: `DTMS_READD_${pos.id}` });
    }
    case 'close_instead_of_hedge':
      return plan({ kind: 'close', hedge: false, ticket: ticketOf(pos), volume: pos.volume });
    case 'close_all': {
      // The hedge first: once the position is closed, nothing would be left to close its hedge for.
      const orders: DefensiveOrder[] = [];
      if (ctx.hedgeId !== null)
        orders.push({ kind: 'close', hedge: true, ticket: ctx.hedgeId, volume: ctx.hedgeVolume });
      orders.push({ kind: 'close', hedge: false, ticket: ticketOf(pos), volume: pos.volume });
      return plan(...orders);
    }
  }
}
