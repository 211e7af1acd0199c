// What the API shows of the live session, as plain JSON: a position with its exit plan and DTMS
// state, the seed's /api/dtms/trade/{ticket} shape, the DTMS status, actions and engine. Built from
// the engine's and the store's current state; NaN ("not known yet") becomes null, as JSON has no NaN.
import { BREAKEVEN_DONE, PARTIAL_DONE } from '../exits/exitPlan.ts';
import type { AccountSession } from '../execution/accountSession.ts';
import type { WardenStore } from '../store/store.ts';

const known = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);
const round = (x: number, digits: number): number | null => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

export interface PositionView {
  /** The venue's ticket. */
  ticket: string;
  /** The lifetime Warden manages under it (`<ticket>#<n>`): what its history and intents are kept under. */
  lifetime: string;
  symbol: string;
  side: 'buy' | 'sell';
  volume: number;
  entry: number;
  sl: number | null;
  tp: number | null;
  /** The exit-side price of the last evaluation (bid for a buy, ask for a sell). */
  price: number | null;
  /** Quote-currency profit at that price. */
  profit: number | null;
  rAchieved: number | null;
  /** Share of the way from entry to the take profit (to 2R without one), %. */
  progressPct: number | null;
  /** Who moves the stop now: the exit plan, or DTMS (warden.md §4). */
  stopOwner: 'exit_plan' | 'dtms';
  exits: {
    enabled: boolean;
    tradeType: string;
    breakevenPct: number;
    partialPct: number;
    partialClosePct: number;
    /** The volume when Warden started managing the position, and what its requests closed since (as the venue confirmed). */
    initialVolume: number;
    closedVolume: number;
    breakevenDone: boolean;
    partialDone: boolean;
    trailingEnabled: boolean;
    trailingActive: boolean;
    /** The trader asked to trail before breakeven. */
    trailNow: boolean;
    trailMoves: number;
    /** The intent in flight, if one is. */
    pending: string | null;
  };
  dtms: { state: string; since: number; score: number | null; episode: number; hedgeId: string | null; queued: string[] } | null;
}

/** The view of the position Warden manages now under the venue's `ticket` (null: none). */
export function positionViewOfTicket(session: AccountSession, ticket: string): PositionView | null {
  const key = session.managedKey(ticket);
  return key === undefined ? null : positionView(session, key);
}

/** The view of the managed position whose lifetime key is `key`. */
export function positionView(session: AccountSession, key: string): PositionView | null {
  const engine = session.engine;
  const plan = engine.plan(key);
  const pos = engine.position(key);
  if (!plan || !pos) return null;
  const inst = engine.instrument(pos.symbol);
  const q = engine.quote(pos.symbol);
  const buy = pos.side === 'buy';
  const price = buy ? q.bid : q.ask;
  const move = buy ? price - pos.entryPrice : pos.entryPrice - price;
  const ref = pos.tp !== null && Math.abs(pos.tp - pos.entryPrice) > 0 ? Math.abs(pos.tp - pos.entryPrice) : 2 * plan.risk;
  const def = engine.defence(key);
  const digits = inst?.digits ?? 5;
  return {
    ticket: plan.ticket,
    lifetime: key,
    symbol: pos.symbol,
    side: pos.side,
    volume: pos.volume,
    entry: pos.entryPrice,
    sl: pos.sl,
    tp: pos.tp,
    price: round(price, digits),
    profit: round(move * pos.volume * (inst?.contractSize ?? 1), 2),
    rAchieved: plan.risk > 0 ? round(move / plan.risk, 2) : null,
    progressPct: ref > 0 ? round((move / ref) * 100, 1) : null,
    stopOwner: def?.tracked.state.ownsStop === true ? 'dtms' : 'exit_plan',
    exits: {
      enabled: plan.enabled,
      tradeType: plan.tradeType,
      breakevenPct: plan.breakevenPct,
      partialPct: plan.partialPct,
      partialClosePct: plan.partialClosePct,
      initialVolume: plan.initialVolume,
      closedVolume: plan.closedVolume,
      breakevenDone: plan.breakevenState === BREAKEVEN_DONE,
      partialDone: plan.partialState === PARTIAL_DONE,
      trailingEnabled: plan.trailingEnabled,
      trailingActive: plan.trailingActive,
      trailNow: plan.trailNow,
      trailMoves: plan.trailMoves,
      pending: plan.pending?.id ?? null,
    },
    dtms: def
      ? {
          state: def.tracked.state.state,
          since: def.tracked.state.since,
          score: known(def.tracked.state.score),
          episode: def.tracked.state.episode,
          hedgeId: def.tracked.hedgeId,
          queued: [...def.queue],
        }
      : null,
  };
}

export function positionViews(session: AccountSession): PositionView[] {
  return session.engine
    .positionIds()
    .map((id) => positionView(session, id))
    .filter((v): v is PositionView => v !== null);
}

/** The seed's JSON for /api/dtms/trade/{ticket} (phase 6 item 6), for a ticket Warden manages. */
export function dtmsTradeView(session: AccountSession, store: WardenStore, ticket: string) {
  const v = positionViewOfTicket(session, ticket);
  if (v === null) return null;
  const def = session.engine.defence(v.lifetime);
  const s = def?.tracked.score;
  const state = v.dtms?.state ?? 'NOT_DEFENDED';
  const actions = store
    .intentsFor(v.lifetime)
    .filter((i) => i.intent.rule === 'dtms')
    .map((i) => ({ time: new Date(i.intent.time).toISOString(), action: i.intent.action, kind: i.intent.kind, status: i.status, reason: i.reason || i.intent.reason }));
  return {
    success: true as const,
    summary: `Trade ${ticket} is in ${state} state`,
    trade_info: {
      ticket: Number.isSafeInteger(Number(ticket)) ? Number(ticket) : ticket,
      symbol: v.symbol,
      type: v.side === 'buy' ? ('BUY' as const) : ('SELL' as const),
      volume: v.volume,
      open_price: v.entry,
      current_price: v.price,
      profit: v.profit,
      sl: v.sl,
      tp: v.tp,
      state,
      current_score: v.dtms?.score ?? null,
      state_entry_time: v.dtms ? new Date(v.dtms.since).toISOString() : null,
      warnings: {
        structural: s?.structuralWarnings ?? 0,
        vwap: s?.vwapWarnings ?? 0,
        momentum: s?.momentumWarnings ?? 0,
      },
      actions_taken: actions,
      performance: { r_achieved: v.rAchieved, progress_pct: v.progressPct, profit: v.profit },
      protection_active: state !== 'CLOSED' && state !== 'NOT_DEFENDED',
      intelligent_exits: {
        breakeven_triggered: v.exits.breakevenDone,
        partial_profit_triggered: v.exits.partialDone,
        trailing_stop_active: v.exits.trailingActive,
      },
    },
  };
}

/** DTMS over the account: positions per state, hedges, deep checks. */
export function dtmsStatusView(session: AccountSession) {
  const byState: Record<string, number> = {};
  for (const v of positionViews(session)) if (v.dtms) byState[v.dtms.state] = (byState[v.dtms.state] ?? 0) + 1;
  return {
    enabled: session.engine.config.dtms.enabled,
    positions: session.engine.openPositions,
    byState,
    hedges: session.engine.hedgeIds().length,
    deepChecks: session.engine.deepChecks,
  };
}
