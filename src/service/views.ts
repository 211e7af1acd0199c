// What the API shows of the live session, as plain JSON: a position with its exit plan and DTMS
// state, the DTMS trade JSON of /api/dtms/trade/{ticket}, the DTMS status, actions and engine. Built
// from the engine's and the store's current state; NaN ("not known yet") becomes null, as JSON has no
// NaN. Times are ISO 8601 UTC strings (apiTime), null when not known: the engine and the store keep
// epoch ms, and the API turns them into ISO here, at its edge.
//
// The engine and the HTTP handlers share one thread, so the hot views (the positions list, one
// position, a trade's DTMS JSON and stop path, the DTMS status) are built at most once per change of
// the session's state and served as the JSON text built then (LiveViews): a read between two steps
// costs a lookup, however many clients ask.
import { breakevenTriggerR } from '../exits/breakevenStop.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE } from '../exits/exitPlan.ts';
import type { AccountSession } from '../execution/accountSession.ts';
import { realizedSoFar, wardenBook } from '../execution/realized.ts';
import type { ShadowExit } from '../domain/shadowBookSnapshot.ts';
import type { ShadowScore } from '../execution/shadowBook.ts';
import type { StoredIntent, WardenStore } from '../store/store.ts';

const known = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : x;
const round = (x: number, digits: number): number | null => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

/**
 * A time as the API answers it: ISO 8601 UTC (2026-03-11T10:00:00.000Z) from the engine's epoch ms;
 * null when not known (null, NaN), never 1970. The one conversion of the API's answers.
 */
/** A time that is always known (a record's own stamp), as the API gives it. */
export const isoTime = (t: number): string => new Date(t).toISOString();
export const apiTime = (t: number | null | undefined): string | null =>
  t === null || t === undefined || !Number.isFinite(t) ? null : new Date(t).toISOString();

/**
 * A position's open time as the API answers it: a venue that keeps none (Binance) gives 0, "not known"
 * (domain Position.openTime), which is null here rather than 1970.
 */
const openTimeOf = (t: number): string | null => apiTime(t > 0 ? t : null);

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
  /** Quote-currency profit at that price: the venue's floating profit of what is still open. */
  profit: number | null;
  /**
   * What Warden's requests realized on it so far: its partial closes and the DTMS hedges it closed, at
   * the fills the venue answered them with (the decision's price for a request answered without one).
   */
  realizedProfit: number | null;
  rAchieved: number | null;
  /** Share of the way from entry to the take profit (to 2R without one), %. */
  progressPct: number | null;
  /** Who moves the stop now: the exit plan, or DTMS (from WARNING_L2 or HEDGED until HEALTHY again). */
  stopOwner: 'exit_plan' | 'dtms';
  exits: {
    enabled: boolean;
    tradeType: string;
    /** The triggers the engine uses (the base as the advanced triggers adjust it) and their bases, % of the way to TP. */
    breakevenPct: number;
    baseBreakevenPct: number;
    /** Breakeven at this many R of profit, as the advanced rules left it; null: at breakevenPct of the way to TP. */
    breakevenR: number | null;
    partialPct: number;
    basePartialPct: number;
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
    /** The strategy template the plan's base came from (null: none, the exits defaults) and where it was named. */
    strategy: string | null;
    strategySource: 'api' | 'comment' | 'config' | null;
    /** The trail multiplier and breakeven buffer multiplier before the session's adjustment (the template's, else the symbol's). */
    trailingMultiplier: number;
    bufferMultiplier: number;
    /** The timeframe of the ATR the trail distance is measured in (the template's, else the symbol's). */
    trailingTimeframe: string;
  };
  dtms: {
    /** False: a trader took the position out of DTMS's hands (no check, no action) at `disabledAt` (ISO), for `disabledReason`. */
    enabled: boolean;
    disabledAt: string | null;
    disabledReason: string | null;
    state: string;
    /** When DTMS entered `state` (ISO). */
    since: string | null;
    score: number | null;
    episode: number;
    hedgeId: string | null;
    queued: string[];
  } | null;
  /**
   * Shadow mode (null: the symbol is live): what Warden would have done. `sl` and `volume` above are
   * then the venue's; here the would-be stop and volume, and the would-be result beside the actual one.
   */
  shadow: ShadowView | null;
}

export interface ShadowView {
  wouldBeSl: number | null;
  wouldBeVolume: number;
  /** Intents Warden would have sent for it (none was). */
  decisions: number;
  /** Results so far in R (open parts at the last price); null without a stop to measure R by. */
  wouldBeR: number | null;
  actualR: number | null;
  /** How the would-be position ended (its would-be stop hit, a would-be close), null while open. */
  wouldBeExit: ExitView | null;
}

/** How a would-be or actual position ended, as the API shows it: when (ISO), at what price, how and by what. */
export interface ExitView {
  time: string | null;
  price: number;
  how: string;
  by: string;
}

/** A shadow book's exit (epoch ms) as the API shows it. */
export const exitView = (e: ShadowExit | null): ExitView | null =>
  e === null ? null : { time: apiTime(e.time), price: e.price, how: e.how, by: e.by };

/** The shadow block of a venue ticket (null when its symbol is live or the book does not know it). */
export function shadowViewOf(session: AccountSession, ticket: string, symbol: string): ShadowView | null {
  const book = session.shadow;
  if (book === undefined || !book.shadows(symbol)) return null;
  const s = book.position(ticket);
  if (s === null) return null;
  return {
    wouldBeSl: s.wouldBeSl ?? s.venueSl,
    wouldBeVolume: s.wouldBeVolume,
    decisions: s.decisions,
    wouldBeR: s.shadowR,
    actualR: s.actualR,
    wouldBeExit: exitView(s.shadowExit),
  };
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
  const params = engine.exitParams(pos.symbol);
  const q = engine.quote(pos.symbol);
  const buy = pos.side === 'buy';
  const price = buy ? q.bid : q.ask;
  const move = buy ? price - pos.entryPrice : pos.entryPrice - price;
  const ref =
    pos.tp !== null && Math.abs(pos.tp - pos.entryPrice) > 0 ? Math.abs(pos.tp - pos.entryPrice) : 2 * plan.risk;
  const def = engine.defence(key);
  const digits = inst?.digits ?? 5;
  const shadow = shadowViewOf(session, plan.ticket, pos.symbol);
  const realized = realizedSoFar(
    wardenBook(tradingIntents(session.store, key), session.store.fillsOf(key), plan.ticket),
    pos.side,
    pos.entryPrice,
    inst?.contractSize ?? 1,
  );
  const venue = shadow === null ? null : (session.shadow?.position(plan.ticket) ?? null);
  return {
    ticket: plan.ticket,
    lifetime: key,
    symbol: pos.symbol,
    side: pos.side,
    volume: venue?.venueVolume ?? pos.volume,
    entry: pos.entryPrice,
    sl: venue !== null ? venue.venueSl : pos.sl,
    tp: pos.tp,
    price: round(price, digits),
    profit: round(move * pos.volume * (inst?.contractSize ?? 1), 2),
    realizedProfit: round(realized.total, 2),
    rAchieved: plan.risk > 0 ? round(move / plan.risk, 2) : null,
    progressPct: ref > 0 ? round((move / ref) * 100, 1) : null,
    stopOwner: def !== undefined && def.disabled === null && def.tracked.state.ownsStop ? 'dtms' : 'exit_plan',
    exits: {
      enabled: plan.enabled,
      tradeType: plan.tradeType,
      breakevenPct: plan.breakevenPct,
      baseBreakevenPct: plan.baseBreakevenPct,
      breakevenR: Number.isNaN(plan.breakevenR) || !(plan.risk > 0) ? null : round(breakevenTriggerR(plan, pos), 2),
      partialPct: plan.partialPct,
      basePartialPct: plan.basePartialPct,
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
      strategy: plan.strategy === '' ? null : plan.strategy,
      strategySource: plan.strategySource === '' ? null : plan.strategySource,
      trailingMultiplier: Number.isNaN(plan.templateTrailingMultiplier)
        ? params.trailingMultiplier
        : plan.templateTrailingMultiplier,
      bufferMultiplier: Number.isNaN(plan.templateBufferMultiplier)
        ? params.bufferMultiplier
        : plan.templateBufferMultiplier,
      trailingTimeframe: plan.trailTimeframe === '' ? params.atrTimeframe : plan.trailTimeframe,
    },
    dtms: def
      ? {
          enabled: def.disabled === null,
          disabledAt: apiTime(def.disabled?.at),
          disabledReason: def.disabled?.reason ?? null,
          state: def.tracked.state.state,
          since: apiTime(def.tracked.state.since),
          // Scores are sums of weighted parts: shown to 2 decimals (0.96, not 0.9600000000000002).
          score: round(known(def.tracked.state.score) ?? Number.NaN, 2),
          episode: def.tracked.state.episode,
          hedgeId: def.tracked.hedgeId,
          queued: [...def.queue],
        }
      : null,
    shadow,
  };
}

/**
 * A position's applied requests that traded (partial and whole closes, opens), each kind read by its own
 * filter in the store: a long-lived position's hundreds of stop moves are never decoded for them.
 */
function tradingIntents(store: WardenStore, key: string): StoredIntent[] {
  return (['close_partial', 'close', 'open'] as const).flatMap((kind) =>
    store.intentsFor(key, { kind, status: 'applied' }),
  );
}

export function positionViews(session: AccountSession): PositionView[] {
  return session.engine
    .positionIds()
    .map((id) => positionView(session, id))
    .filter((v): v is PositionView => v !== null);
}

/**
 * The DTMS trade JSON of /api/dtms/trade/{ticket}, for a ticket Warden manages: snake_case, in the
 * shape the original bot's DTMS trade page reads (success, summary, trade_info with the state, score,
 * warnings, actions taken and performance).
 */
export function dtmsTradeView(session: AccountSession, store: WardenStore, ticket: string) {
  const v = positionViewOfTicket(session, ticket);
  if (v === null) return null;
  const def = session.engine.defence(v.lifetime);
  const s = def?.tracked.score;
  const state = v.dtms?.state ?? 'NOT_DEFENDED';
  const actions = store.intentsFor(v.lifetime, { rule: 'dtms' }).map((i) => ({
    time: new Date(i.intent.time).toISOString(),
    action: i.intent.action,
    kind: i.intent.kind,
    status: i.status,
    reason: i.reason || i.intent.reason,
  }));
  return {
    success: true as const,
    summary: `Trade ${ticket} is in ${state} state`,
    trade_info: {
      // A string, as every ticket in the API (a Binance position is BTC/USDT:USDT:long; an MT5 one is digits).
      ticket,
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
      state_entry_time: v.dtms?.since ?? null,
      warnings: {
        structural: s?.structuralWarnings ?? 0,
        vwap: s?.vwapWarnings ?? 0,
        momentum: s?.momentumWarnings ?? 0,
      },
      actions_taken: actions,
      performance: { r_achieved: v.rAchieved, progress_pct: v.progressPct, profit: v.profit },
      // A position out of DTMS's hands keeps its last state, but DTMS does not protect it.
      protection_active: state !== 'CLOSED' && state !== 'NOT_DEFENDED' && v.dtms?.enabled !== false,
      intelligent_exits: {
        breakeven_triggered: v.exits.breakevenDone,
        partial_profit_triggered: v.exits.partialDone,
        trailing_stop_active: v.exits.trailingActive,
      },
    },
  };
}

/**
 * A position's stop over time: the initial stop, then every move the venue applied (null: no such
 * position). Times are ISO; the initial stop's is the open time, null when the venue keeps none.
 */
export function stopPathView(session: AccountSession, store: WardenStore, ticket: string) {
  const key = session.managedKey(ticket);
  const plan = key === undefined ? undefined : session.engine.plan(key);
  const pos = key === undefined ? undefined : session.engine.position(key);
  if (key === undefined || !plan || !pos) return null;
  const openTime = openTimeOf(pos.openTime);
  const stops: { time: string | null; sl: number; by: string }[] = [];
  if (Number.isFinite(plan.initialSl)) stops.push({ time: openTime, sl: plan.initialSl, by: 'initial' });
  for (const i of store.intentsFor(key, { kind: 'move_stop', status: 'applied' })) {
    if (i.intent.kind === 'move_stop' && i.intent.targetId === plan.ticket)
      stops.push({
        time: apiTime(i.intent.time),
        sl: i.intent.newSl,
        by: i.intent.rule === 'dtms' ? i.intent.action : i.intent.rule,
      });
  }
  return { ticket, symbol: pos.symbol, side: pos.side, entry: pos.entryPrice, openTime, tp: pos.tp, stops };
}

/**
 * A shadow book's position score as the API shows it (GET /api/shadow): the fields the schema names,
 * times ISO (the open time null when the venue keeps none); the price moves stay in the book.
 */
export function shadowScoreView(s: ShadowScore) {
  return {
    ticket: s.ticket,
    symbol: s.symbol,
    side: s.side,
    entryPrice: s.entryPrice,
    openTime: openTimeOf(s.openTime),
    virtual: s.virtual,
    decisions: s.decisions,
    wouldBeSl: s.wouldBeSl,
    venueSl: s.venueSl,
    wouldBeVolume: s.wouldBeVolume,
    venueVolume: s.venueVolume,
    shadowExit: exitView(s.shadowExit),
    actualExit: exitView(s.actualExit),
    shadowR: s.shadowR,
    actualR: s.actualR,
    final: s.final,
  };
}

/** DTMS over the account: positions per state, hedges, deep checks. */
export function dtmsStatusView(session: AccountSession) {
  const byState: Record<string, number> = {};
  for (const key of session.engine.positionIds()) {
    if (!session.engine.plan(key) || !session.engine.position(key)) continue;
    const state = session.engine.defence(key)?.tracked.state.state;
    if (state !== undefined) byState[state] = (byState[state] ?? 0) + 1;
  }
  return {
    enabled: session.engine.config.dtms.enabled,
    positions: session.engine.openPositions,
    byState,
    hedges: session.engine.hedgeIds().length,
    deepChecks: session.engine.deepChecks,
  };
}

/**
 * The order the positions list pages in, by the venue's ticket: numeric tickets by value, then the
 * others (e.g. Binance's `BTC/USDT:USDT:long`) by text. A cursor `after=<ticket>` stays valid when
 * that position closes: the page goes on with the tickets that sort after it.
 */
export function compareTickets(a: string, b: string): number {
  const da = /^\d+$/.test(a);
  const db = /^\d+$/.test(b);
  if (da !== db) return da ? -1 : 1;
  if (da) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A page of the positions list: its JSON (UTF-8, as sent), how many it holds, and the last ticket in it (the next page's cursor). */
export interface PositionsPage {
  json: Buffer;
  count: number;
  last: string | null;
}

/** Entries a map of views may hold before it starts afresh (within one state version: distinct cursors or tickets asked). */
const MAX_VIEWS_PER_VERSION = 4096;

/**
 * The hot views of a live session as JSON text, built at most once per version of its state
 * (AccountSession.version: it rises as each step, API change or refresh ends) and per what was asked
 * (a page, a ticket). Between two changes, every read of the
 * same thing is a map lookup; a change drops them all, and each is built again when next asked. While
 * a change is under way (a step waiting on the venue), views are built for each request and none is
 * kept: the state is half-way, and what is kept must be the state as a change left it.
 */
export class LiveViews {
  /** The version the kept views were built at; null: none kept (a change is under way). */
  private at: number | null = null;
  /** The managed positions in ticket order: [ticket, lifetime key]. */
  private order: [string, string][] | null = null;
  private readonly positionJson = new Map<string, string | null>();
  private readonly pages = new Map<string, PositionsPage>();
  private readonly trades = new Map<string, string | null>();
  private readonly stops = new Map<string, string | null>();
  private readonly others = new Map<string, unknown>();
  private status: ReturnType<typeof dtmsStatusView> | null = null;
  private head: number | null = null;

  constructor(
    private readonly session: AccountSession,
    private readonly store: WardenStore,
  ) {}

  /** The positions after `after` in ticket order (from the first without it), at most `limit`. */
  positionsPage(after: string | undefined, limit: number): PositionsPage {
    return this.kept(this.pages, `${limit}|${after ?? ''}`, () => {
      const order = this.ticketOrder();
      let lo = 0;
      if (after !== undefined) {
        // The first ticket sorting after the cursor (binary search: the order is sorted).
        let hi = order.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compareTickets(order[mid]![0], after) <= 0) lo = mid + 1;
          else hi = mid;
        }
      }
      const parts: string[] = [];
      let last: string | null = null;
      for (let i = lo; i < order.length && parts.length < limit; i++) {
        const json = this.positionJsonOf(order[i]![1]);
        if (json === null) continue;
        parts.push(json);
        last = order[i]![0];
      }
      // Kept as the bytes sent: encoding the text again on every request would cost more than the rest of it.
      return { json: Buffer.from(`[${parts.join(',')}]`), count: parts.length, last };
    });
  }

  /** One position's JSON, by the venue's ticket (null: not managed). */
  position(ticket: string): string | null {
    const key = this.session.managedKey(ticket);
    return key === undefined ? null : this.positionJsonOf(key);
  }

  /** The DTMS trade JSON of a ticket (null: not managed). */
  dtmsTrade(ticket: string): string | null {
    return this.kept(this.trades, ticket, () => jsonOf(dtmsTradeView(this.session, this.store, ticket)));
  }

  /** A ticket's stop path JSON (null: not managed). */
  stopPath(ticket: string): string | null {
    return this.kept(this.stops, ticket, () => jsonOf(stopPathView(this.session, this.store, ticket)));
  }

  /**
   * The decision journal's last seq. Only the session appends to the journal, inside the steps and
   * changes the session's version follows, so it is asked of the store once per version.
   */
  journalHead(): number {
    if (!this.current()) return this.store.lastDecisionSeq();
    this.head ??= this.store.lastDecisionSeq();
    return this.head;
  }

  /**
   * Anything else built from the session's state (a symbol's recent bars, statistics), kept under
   * `key` until the next change. A key names one thing, built by one caller: what it returns is that
   * caller's `build`'s.
   */
  memo<T>(key: string, build: () => T): T {
    return this.kept(this.others, key, build) as T;
  }

  dtmsStatus(): ReturnType<typeof dtmsStatusView> {
    if (!this.current()) return dtmsStatusView(this.session);
    this.status ??= dtmsStatusView(this.session);
    return this.status;
  }

  /** Whether views may be kept now; drops those of an older version (or of before a change under way). */
  private current(): boolean {
    const at = this.session.changing ? null : this.session.version;
    if (at !== null && at === this.at) return true;
    this.at = at;
    this.order = null;
    this.positionJson.clear();
    this.pages.clear();
    this.trades.clear();
    this.stops.clear();
    this.others.clear();
    this.status = null;
    this.head = null;
    return at !== null;
  }

  /** `map[key]`, built and kept when missing (built and not kept while a change is under way). */
  private kept<V>(map: Map<string, V>, key: string, build: () => V): V {
    if (!this.current()) return build();
    if (map.has(key)) return map.get(key)!;
    const value = build();
    // A flood of distinct cursors or tickets within one version starts the map afresh rather than grow it.
    if (map.size >= MAX_VIEWS_PER_VERSION) map.clear();
    map.set(key, value);
    return value;
  }

  private ticketOrder(): [string, string][] {
    if (this.order !== null) return this.order;
    const engine = this.session.engine;
    const order: [string, string][] = [];
    for (const key of engine.positionIds()) {
      const plan = engine.plan(key);
      if (plan) order.push([plan.ticket, key]);
    }
    order.sort((a, b) => compareTickets(a[0], b[0]) || compareTickets(a[1], b[1]));
    if (this.current()) this.order = order;
    return order;
  }

  private positionJsonOf(key: string): string | null {
    return this.kept(this.positionJson, key, () => jsonOf(positionView(this.session, key)));
  }
}

const jsonOf = (view: unknown): string | null => (view === null ? null : JSON.stringify(view));
