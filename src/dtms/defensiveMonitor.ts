// The DTMS step of the engine (original-dtms.md §4), pure and clock-driven: features per symbol fed
// by closed bars, a defensive state per position, and on each evaluation the checks that are due:
// - a deep check every 15 min from registration: regime, score, the trade's VWAP crosses, one
//   state-machine step, and the orders of the actions it asks for;
// - a fast check every 30 s (60 s hedged): a VWAP flip against the trade (steep slope after two
//   crosses) brings the deep check forward, but never sooner than the cooldown (10 min) after the
//   last one (the original's event path skipped the cooldown and could walk HEALTHY -> HEDGED in 90 s).
// Safety rails the original only configured: no check at all on stale bars or a spread spike (the
// decision says so); no new risk (hedge, re-add) past the daily or hourly loss limit.
// Turning the orders into broker intents, and the stop hand-over with the exit plan, is the engine's
// (defensiveIntents.ts).
import type { Bar, Instrument, Position, Timeframe } from '../domain/types.ts';
import { planDefensiveAction, DEFAULT_DEFENSIVE_PARAMS, type DefensiveOrder, type DefensivePlan, type DefensiveParams } from './defensiveActions.ts';
import { deepCheck, DEFAULT_MACHINE_PARAMS, newDefensiveState, positionGone, type DefensiveState, type DtmsActionKind, type DtmsMachineParams, type DtmsState } from './defensiveState.ts';
import { DtmsFeatures } from './dtmsFeatures.ts';
import type { FeatureReadiness, TimeframeHistory } from '../features/warmUp.ts';
import { adaptiveThresholds, classifyRegime, DEFAULT_REGIME_PARAMS, type DtmsRegime, type DtmsThresholds, type RegimeParams } from './regime.ts';
import { DEFAULT_SCORE_PARAMS, emptyDtmsSignals, newDtmsScore, scoreDtmsSignals, type DtmsScore, type DtmsScoreParams, type DtmsSignals } from './signalScore.ts';

export interface DefensiveMonitorParams {
  deepCheckMs: number;
  fastCheckMs: number;
  hedgedFastCheckMs: number;
  /** After a deep check, an event-triggered one waits at least this long. */
  cooldownMs: number;
  /** No check on data older than this (the last bar's close is this far behind the clock). */
  staleBarMs: number;
  /** No check while the spread is above this multiple of its recent median. */
  spreadSpikeFactor: number;
  /** No new risk (hedge, re-add) past these losses, in % of the balance. */
  dailyLossLimitPct: number;
  hourlyLossLimitPct: number;
  maxConsecutiveStops: number; // no new risk after this many stops in a row; 0 = no limit
  /**
   * DTMS may open positions (a hedge, a re-add). Off: the machine asks for what a netting account
   * does in place of a hedge (close the position), and a re-add is skipped; both say why.
   */
  openPositions: boolean;
  machine: DtmsMachineParams;
  defensive: DefensiveParams;
  regime: RegimeParams;
  score: DtmsScoreParams;
}

/** Why DTMS opens nothing on this account (a hedge is closed instead, a re-add skipped). */
export const OPENING_OFF = 'opening positions is off on this account (dtms.actions.openPositions)';
/** The skip reason of a hedge or re-add with opening positions off: its code, then why. */
export const OPEN_POSITIONS_OFF = `open_positions_off: ${OPENING_OFF}`;

export const DEFAULT_MONITOR_PARAMS: DefensiveMonitorParams = {
  deepCheckMs: 900_000,
  fastCheckMs: 30_000,
  hedgedFastCheckMs: 60_000,
  cooldownMs: 600_000,
  staleBarMs: 300_000,
  spreadSpikeFactor: 2,
  dailyLossLimitPct: 2,
  hourlyLossLimitPct: 1,
  maxConsecutiveStops: 3,
  openPositions: true,
  machine: DEFAULT_MACHINE_PARAMS,
  defensive: DEFAULT_DEFENSIVE_PARAMS,
  regime: DEFAULT_REGIME_PARAMS,
  score: DEFAULT_SCORE_PARAMS,
};

/** Account losses so far, for the loss-limit rails (positive = a loss), in % of the balance. */
export interface AccountRisk {
  dailyLossPct: number;
  hourlyLossPct: number;
  /** Trades closed by their stop at a loss in a row, most recent first (0 when unknown). */
  consecutiveStops?: number;
}

/** A deep check that changed the state: for the engine (orders) and the decision journal (everything). */
export interface DefensiveDecision {
  positionId: string;
  time: number;
  trigger: 'scheduled' | 'vwap_flip';
  from: DtmsState;
  to: DtmsState;
  reason: string;
  regime: DtmsRegime;
  /** A copy of the score with its breakdown. */
  score: DtmsScore;
  orders: { action: DtmsActionKind; order: DefensiveOrder }[];
  /** Actions the transition asked for that produce no order, and why. */
  skipped: { action: DtmsActionKind; reason: string }[];
  /** Why an action stands in for the one the state would ask for (a close in place of a hedge). */
  notes: string[];
}

/** A check that did not run because the data could not be trusted (reported, not silent). */
export interface DefensiveHold {
  positionId: string;
  time: number;
  reason: 'stale_data' | 'spread_spike' | 'no_data';
  detail: string;
}

/** A defended position, as `track` returns it: pass it to `evaluateTracked` to skip the lookups. */
export interface Tracked {
  position: Position;
  sym: SymbolData;
  state: DefensiveState;
  instrument: Instrument;
  initialRisk: number;
  vwapCrosses: number;
  lastFast: number;
  lastDeep: number;
  cooldownUntil: number;
  closedVolume: number;
  hedgeId: string | null;
  hedgeVolume: number;
  /** The last deep check's score with its per-layer breakdown, and the regime it was weighted for. */
  score: DtmsScore;
  regime: DtmsRegime | null;
  /** Engine time of the last deep check that ran (NaN before the first). */
  checkedAt: number;
}

/**
 * What of a defended position outlives a restart (plain data; the caller persists it): everything but
 * the broker's view of the position, its instrument and the symbol's market state.
 */
export type TrackedSnapshot = Omit<Tracked, 'position' | 'sym' | 'instrument'>;

/** A copy of the defended position's lasting state. */
export function snapshotTracked(t: Tracked): TrackedSnapshot {
  return {
    state: { ...t.state },
    initialRisk: t.initialRisk,
    vwapCrosses: t.vwapCrosses,
    lastFast: t.lastFast,
    lastDeep: t.lastDeep,
    cooldownUntil: t.cooldownUntil,
    closedVolume: t.closedVolume,
    hedgeId: t.hedgeId,
    hedgeVolume: t.hedgeVolume,
    score: { ...t.score },
    regime: t.regime === null ? null : { ...t.regime },
    checkedAt: t.checkedAt,
  };
}

export interface SymbolData {
  features: DtmsFeatures;
  /** Median of the spreads at the last M15 closes, for the spread-spike rail. */
  spreads: SlidingMedian;
  /** m15Closed when the last spread was sampled. */
  spreadM15: number;
  lastBarEnd: number;
  lastSpread: number;
  bid: number;
  ask: number;
  /** Regime and thresholds, cached until an M15 bar closes or the hour changes (fast checks run every bar). */
  regimeM15: number;
  regimeHour: number;
  regime: DtmsRegime;
  thresholds: DtmsThresholds;
  /** The signals read at `signalsAt` (engine time; a bar changes them only through onBar, which resets it). */
  signals: DtmsSignals;
  signalsAt: number;
}

/**
 * The spread-spike rail's reference: the median spread at the last 480 M15 closes (5 trading days;
 * the original's rail spoke of a 30-day median). One sample per M15 bar, not per base bar: the
 * sorted window cost ~0.1 s per million M1 bars when fed every bar.
 */
const SPREADS_KEPT = 480;

export class DefensiveMonitor {
  private readonly symbols = new Map<string, SymbolData>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly baseMs: number;
  private readonly machineHedging: DtmsMachineParams;
  private readonly machineNetting: DtmsMachineParams;
  /** Deep checks run (every one; only those that change something become decisions). */
  deepChecks = 0;

  constructor(
    private readonly baseTimeframe: Timeframe,
    baseTimeframeMs: number,
    private readonly p: DefensiveMonitorParams = DEFAULT_MONITOR_PARAMS,
    private readonly vwapAnchorHourUtc = 0,
  ) {
    this.baseMs = baseTimeframeMs;
    this.machineHedging = { ...p.machine, hedging: true };
    this.machineNetting = { ...p.machine, hedging: false };
  }

  private symbol(symbol: string): SymbolData {
    let s = this.symbols.get(symbol);
    if (!s) {
      s = {
        features: new DtmsFeatures(this.baseTimeframe, this.vwapAnchorHourUtc),
        spreads: new SlidingMedian(SPREADS_KEPT),
        spreadM15: -1,
        lastBarEnd: NaN,
        lastSpread: NaN,
        bid: NaN,
        ask: NaN,
        regimeM15: -1,
        regimeHour: NaN,
        regime: { session: 'ASIAN', volatility: 'NORMAL', structure: 'TREND' },
        thresholds: { vwapSlope: NaN, rsi: NaN, volumeFlipShare: NaN },
        signals: emptyDtmsSignals(),
        signalsAt: NaN,
      };
      this.symbols.set(symbol, s);
    }
    return s;
  }

  /** A symbol's market state (its DTMS layers, spreads, regime), to share with another monitor (shareSymbol). */
  symbolData(symbol: string): SymbolData {
    return this.symbol(symbol);
  }

  /**
   * Reads `symbol`'s market state from another monitor's object, which that monitor keeps folding
   * (onBar) and resetting: monitors with different defence settings over the same bars share one
   * market. The cached regime and signals in it depend on the bars only, so whichever reads first
   * computes what the others would.
   */
  shareSymbol(symbol: string, data: SymbolData): void {
    this.symbols.set(symbol, data);
  }

  /** The defended position's handle (state, last score and regime, hedge), or undefined. */
  defended(positionId: string): Readonly<Tracked> | undefined {
    return this.tracked.get(positionId);
  }

  /** A closed base bar of `symbol` (quotes at its close: bid = close, ask = close + spread). */
  onBar(symbol: string, bar: Readonly<Bar>): void {
    const s = this.symbol(symbol);
    s.features.onBar(bar);
    s.signalsAt = NaN;
    s.lastBarEnd = bar.time + this.baseMs;
    const spread = Number.isFinite(bar.spread) && bar.spread >= 0 ? bar.spread : NaN;
    s.lastSpread = spread;
    s.bid = bar.close;
    s.ask = bar.close + (Number.isNaN(spread) ? 0 : spread);
    if (!Number.isNaN(spread) && s.features.m15Closed !== s.spreadM15) {
      s.spreadM15 = s.features.m15Closed;
      s.spreads.push(spread);
    }
  }

  /**
   * A quote between two bars (live): the orders DTMS plans from now on are priced at it, not at the last
   * bar's close. The features and the checks' data stay those of the closed bars.
   */
  onQuote(symbol: string, bid: number, ask: number): void {
    if (!(Number.isFinite(bid) && Number.isFinite(ask) && bid > 0 && ask >= bid)) return;
    const s = this.symbol(symbol);
    s.bid = bid;
    s.ask = ask;
  }

  /**
   * Seeds a symbol's market state from closed bars per timeframe (DtmsFeatures.warmUp), then its last
   * base bar's quote and spread, as feeding the base bars one by one leaves them. On a fresh symbol.
   */
  warmUp(symbol: string, history: TimeframeHistory): void {
    const s = this.symbol(symbol);
    const base = history[this.baseTimeframe] ?? [];
    s.features.warmUp({ ...history, [this.baseTimeframe]: [] }, (m15) => {
      // The spread at each M15 close, as onBar samples it from the base bar that closes the M15 bar.
      if (Number.isFinite(m15.spread) && m15.spread >= 0 && s.features.m15Closed !== s.spreadM15) {
        s.spreadM15 = s.features.m15Closed;
        s.spreads.push(m15.spread);
      }
    });
    for (const b of base) this.onBar(symbol, b);
  }

  /** Which DTMS layers of a symbol cannot score yet (DtmsFeatures.readiness). */
  readiness(symbol: string): FeatureReadiness {
    return this.symbol(symbol).features.readiness();
  }

  /** Starts defending a position (auto-enable): its state, and its schedule from now. */
  track(position: Position, instrument: Instrument, initialRisk: number, now: number): Tracked {
    const existing = this.tracked.get(position.id);
    if (existing) {
      existing.position = position;
      return existing;
    }
    const t: Tracked = {
      position,
      sym: this.symbol(position.symbol),
      state: newDefensiveState(position.id, now),
      instrument,
      initialRisk,
      vwapCrosses: 0,
      lastFast: now,
      lastDeep: now,
      cooldownUntil: now,
      closedVolume: 0,
      hedgeId: null,
      hedgeVolume: 0,
      score: newDtmsScore(),
      regime: null,
      checkedAt: NaN,
    };
    this.tracked.set(position.id, t);
    return t;
  }

  /**
   * A defended position picked up again from storage (after a restart): its machine, schedule, hedge
   * and last score as they were. The symbol's market state comes from the bars, not from storage.
   */
  restoreTracked(position: Position, instrument: Instrument, snap: TrackedSnapshot): Tracked {
    const t = this.track(position, instrument, snap.initialRisk, snap.lastDeep);
    t.state = { ...snap.state, positionId: position.id };
    t.initialRisk = snap.initialRisk;
    t.vwapCrosses = snap.vwapCrosses;
    t.lastFast = snap.lastFast;
    t.lastDeep = snap.lastDeep;
    t.cooldownUntil = snap.cooldownUntil;
    t.closedVolume = snap.closedVolume;
    t.hedgeId = snap.hedgeId;
    t.hedgeVolume = snap.hedgeVolume;
    Object.assign(t.score, snap.score);
    t.regime = snap.regime === null ? null : { ...snap.regime };
    t.checkedAt = snap.checkedAt;
    return t;
  }

  /** The broker's fresh view of the position (volume after a defensive close is counted for a re-add). */
  refresh(position: Position): void {
    const t = this.tracked.get(position.id);
    if (!t) return;
    if (position.volume < t.position.volume - 1e-9 && t.state.state !== 'HEALTHY') t.closedVolume += t.position.volume - position.volume;
    t.position = position;
  }

  /** The hedge's ticket once the broker opened it (or null when it is closed). */
  setHedge(positionId: string, hedgeId: string | null, volume: number): void {
    const t = this.tracked.get(positionId);
    if (!t) return;
    t.hedgeId = hedgeId;
    t.hedgeVolume = hedgeId === null ? 0 : volume;
  }

  /**
   * A position given back to DTMS after it was left alone: its schedule and the timers of its state
   * count from `now` (a hedged position is not closed for time DTMS did not watch), the next deep check
   * due at once, and the VWAP crosses counted afresh.
   */
  resume(positionId: string, now: number): void {
    const t = this.tracked.get(positionId);
    if (!t) return;
    t.lastDeep = now - this.p.deepCheckMs;
    t.lastFast = now;
    t.cooldownUntil = now;
    t.vwapCrosses = 0;
    if (Number.isFinite(t.state.flatTimerStart)) t.state.flatTimerStart = now;
    if (Number.isFinite(t.state.recoveryTimerStart)) t.state.recoveryTimerStart = now;
  }

  /** The position is gone at the broker: its machine ends; returns its final state. */
  untrack(positionId: string, now: number): DefensiveState | undefined {
    const t = this.tracked.get(positionId);
    if (!t) return undefined;
    positionGone(t.state, now);
    this.tracked.delete(positionId);
    return t.state;
  }

  state(positionId: string): DefensiveState | undefined {
    return this.tracked.get(positionId)?.state;
  }

  /**
   * Runs the checks due for one position at `now`. A deep check that changes the state goes to
   * `decisions` (with its score, regime and orders); a check held back by bad data to `holds`.
   */
  evaluate(positionId: string, now: number, risk: AccountRisk, decisions: DefensiveDecision[], holds: DefensiveHold[]): void {
    const t = this.tracked.get(positionId);
    if (t) this.evaluateTracked(t, now, risk, decisions, holds);
  }

  /** evaluate() for a handle from track() (the engine's per-bar path: no map lookups). */
  evaluateTracked(t: Tracked, now: number, risk: AccountRisk, decisions: DefensiveDecision[], holds: DefensiveHold[]): void {
    if (t.state.state === 'CLOSED') return;
    const sym = t.sym;
    const positionId = t.position.id;
    const p = this.p;
    let trigger: DefensiveDecision['trigger'] | null = null;
    if (now - t.lastDeep >= p.deepCheckMs) trigger = 'scheduled';
    else {
      const fastEvery = t.state.state === 'HEDGED' ? p.hedgedFastCheckMs : p.fastCheckMs;
      if (now - t.lastFast >= fastEvery) {
        t.lastFast = now;
        if (now >= t.cooldownUntil && this.vwapFlipAgainst(t, sym, now)) trigger = 'vwap_flip';
      }
    }
    if (trigger === null) return;

    // Rails: never act on data that cannot be trusted; say so.
    const hold = this.dataHold(sym, now);
    if (hold !== null) {
      t.lastDeep = now; // retried at the next scheduled check, not every bar
      holds.push({ positionId, time: now, reason: hold.reason, detail: hold.detail });
      return;
    }

    t.lastDeep = now;
    t.lastFast = now;
    t.cooldownUntil = now + p.cooldownMs;
    const side = t.position.side;
    // Signals are the symbol's: positions checked at the same instant share one read of them.
    if (sym.signalsAt !== now) {
      sym.features.signals(sym.signals);
      sym.signalsAt = now;
    }
    const s = sym.signals;
    s.vwapCrosses = t.vwapCrosses;
    const { regime, thresholds } = this.regimeOf(sym, t.instrument.canonical, now);
    // Scored into the position's own object: its latest breakdown stays readable (API, dashboard) without a copy per check.
    const score = scoreDtmsSignals(side, s, regime, thresholds, t.score, p.score);
    t.regime = regime;
    t.checkedAt = now;
    // The trade's VWAP crosses, after scoring (the scorer saw the count from before this check).
    if (Number.isFinite(s.vwap) && Number.isFinite(s.price)) {
      const wrongSide = side === 'buy' ? s.price < s.vwap : s.price > s.vwap;
      t.vwapCrosses = wrongSide ? t.vwapCrosses + 1 : Math.max(0, t.vwapCrosses - 1);
    }
    const step = deepCheck(
      t.state,
      {
        score: score.total,
        vwapFlipAgainst: score.vwapFlipAgainst,
        volumeFlipAgainst: score.volumeFlipAgainst,
        structureResumed: score.structure > 0,
        adverseLayers: score.adverseLayers,
        ageMs: t.position.openTime > 0 ? now - t.position.openTime : Infinity,
      },
      now,
      // With opening positions off, the hedge is what a netting account does in its place: a close.
      t.instrument.hedging && p.openPositions ? this.machineHedging : this.machineNetting,
    );
    this.deepChecks++;
    if (step.to === step.from) return; // the score is kept on the state; nothing to decide
    // A new episode starts counting what DTMS closes afresh. (Not reset on the way back to HEALTHY: the
    // re-add that transition asks for is half of it, planned now and again when it is sent.)
    if (step.from === 'HEALTHY') t.closedVolume = 0;
    const orders: DefensiveDecision['orders'] = [];
    const skipped: DefensiveDecision['skipped'] = [];
    const notes: string[] = [];
    const stops = risk.consecutiveStops ?? 0;
    const lossLimited =
      risk.dailyLossPct >= p.dailyLossLimitPct
        ? `daily loss ${risk.dailyLossPct.toFixed(2)}% >= ${p.dailyLossLimitPct}%`
        : risk.hourlyLossPct >= p.hourlyLossLimitPct
          ? `hourly loss ${risk.hourlyLossPct.toFixed(2)}% >= ${p.hourlyLossLimitPct}%`
          : p.maxConsecutiveStops > 0 && stops >= p.maxConsecutiveStops
            ? `${stops} stops in a row >= ${p.maxConsecutiveStops}`
            : null;
    for (const action of step.actions) {
      if (lossLimited !== null && (action === 'open_hedge' || action === 're_add')) {
        skipped.push({ action, reason: `loss_limit: ${lossLimited}` });
        continue;
      }
      if (action === 'close_instead_of_hedge' && t.instrument.hedging) notes.push(`close_instead_of_hedge in place of open_hedge: ${OPENING_OFF}`);
      const planned = this.planOrders(t, action);
      if (planned.skip !== null) skipped.push({ action, reason: planned.skip });
      for (const order of planned.orders) orders.push({ action, order });
    }
    decisions.push({ positionId, time: now, trigger, from: step.from, to: step.to, reason: step.reason, regime, score: { ...score }, orders, skipped, notes });
  }

  /** DTMS may open positions (hedges, re-adds) on this account. */
  get opensPositions(): boolean {
    return this.p.openPositions;
  }

  /** The orders of one action for a defended position, at the symbol's latest quote (or why there are none). */
  planOrders(t: Tracked, action: DtmsActionKind): DefensivePlan {
    // Never an open with opening positions off, whatever asked for it (a queue stored under another config included).
    if (!this.p.openPositions && (action === 'open_hedge' || action === 're_add')) return { orders: [], skip: OPEN_POSITIONS_OFF };
    const sym = t.sym;
    return planDefensiveAction(
      action,
      {
        position: t.position,
        instrument: t.instrument,
        bid: sym.bid,
        ask: sym.ask,
        initialRisk: t.initialRisk,
        atr: sym.features.atr(),
        closedVolume: t.closedVolume,
        hedgeId: t.hedgeId,
        hedgeVolume: t.hedgeVolume,
      },
      this.p.defensive,
    );
  }

  /** Forgets a symbol's market history (a data boundary): the defended positions keep their states. */
  resetSymbol(symbol: string): void {
    const s = this.symbols.get(symbol);
    if (!s) return;
    s.features = new DtmsFeatures(this.baseTimeframe, this.vwapAnchorHourUtc);
    s.spreads = new SlidingMedian(SPREADS_KEPT);
    s.spreadM15 = -1;
    s.lastBarEnd = NaN;
    s.lastSpread = NaN;
    s.regimeM15 = -1;
    s.regimeHour = NaN;
    s.signalsAt = NaN;
  }

  private regimeOf(sym: SymbolData, canonical: string, now: number): { regime: DtmsRegime; thresholds: DtmsThresholds } {
    const hour = Math.floor(now / 3_600_000);
    if (sym.regimeM15 !== sym.features.m15Closed || sym.regimeHour !== hour) {
      sym.regimeM15 = sym.features.m15Closed;
      sym.regimeHour = hour;
      sym.regime = classifyRegime(now, sym.features.atrRatio(), sym.features.bollingerWidth(), this.p.regime);
      sym.thresholds = adaptiveThresholds(canonical, sym.regime, this.p.regime);
    }
    return sym;
  }

  /** The fast check's trigger: a steep VWAP slope against the trade after two crosses (counting this price). */
  private vwapFlipAgainst(t: Tracked, sym: SymbolData, now: number): boolean {
    const f = sym.features;
    const slope = f.vwapSlope;
    const side = t.position.side;
    if (!(side === 'buy' ? slope < 0 : slope > 0)) return false; // false for NaN too
    const vwap = f.vwapValue;
    const price = f.price;
    if (!Number.isFinite(vwap)) return false;
    const wrongSide = side === 'buy' ? price < vwap : price > vwap;
    const crosses = wrongSide ? t.vwapCrosses + 1 : Math.max(0, t.vwapCrosses - 1);
    return crosses >= 2 && Math.abs(slope) >= this.regimeOf(sym, t.instrument.canonical, now).thresholds.vwapSlope;
  }

  private dataHold(sym: SymbolData, now: number): { reason: DefensiveHold['reason']; detail: string } | null {
    if (!Number.isFinite(sym.lastBarEnd)) return { reason: 'no_data', detail: 'no bar yet' };
    const age = now - sym.lastBarEnd;
    if (age > this.p.staleBarMs) return { reason: 'stale_data', detail: `last bar closed ${Math.round(age / 1000)} s ago (limit ${this.p.staleBarMs / 1000} s)` };
    if (sym.spreads.count >= 10 && Number.isFinite(sym.lastSpread)) {
      const median = sym.spreads.median();
      if (median > 0 && sym.lastSpread > this.p.spreadSpikeFactor * median) {
        return { reason: 'spread_spike', detail: `spread ${sym.lastSpread} > ${this.p.spreadSpikeFactor} x median ${median}` };
      }
    }
    return null;
  }
}

/**
 * Median of the last `size` values: a ring for the order of arrival plus a sorted copy kept by binary
 * search and one memmove per value (sorting the window at every check was most of the DTMS time).
 */
export class SlidingMedian {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  count = 0;
  constructor(readonly size: number) {
    this.ring = new Float64Array(size);
    this.sorted = new Float64Array(size);
  }

  push(x: number): void {
    const sorted = this.sorted;
    let n = this.count;
    if (n === this.size) {
      // drop the oldest value from the sorted copy
      const old = this.ring[this.head]!;
      const i = lowerBound(sorted, n, old);
      sorted.copyWithin(i, i + 1, n);
      n--;
    }
    const j = lowerBound(sorted, n, x);
    sorted.copyWithin(j + 1, j, n);
    sorted[j] = x;
    this.ring[this.head] = x;
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
    this.count = n + 1;
  }

  median(): number {
    const n = this.count;
    if (n === 0) return NaN;
    const mid = n >> 1;
    return n % 2 === 1 ? this.sorted[mid]! : (this.sorted[mid - 1]! + this.sorted[mid]!) / 2;
  }
}

function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
