// The DTMS step of the engine, pure and clock-driven: features per symbol fed
// by closed bars, a defensive state per position, and on each evaluation the checks that are due:
// - a deep check every 15 min from registration: regime, score, the trade's VWAP crosses, one
//   state-machine step, and the orders of the actions it asks for;
// - a fast check every 30 s (60 s hedged): a VWAP flip against the trade (steep slope after two
//   crosses) brings the deep check forward, but never sooner than the cooldown (10 min) after the
//   last one (an event path that skipped the cooldown could walk HEALTHY -> HEDGED in 90 s).
// Safety rails: no check at all on stale bars or a spread spike (the decision says so); no new risk
// (hedge, re-add) past the daily or hourly loss limit, or after too many stops in a row.
// Turning the orders into broker intents, and the stop hand-over with the exit plan, is the engine's
// (defensiveIntents.ts).
import type { Bar, Instrument, Position, Timeframe } from '../domain/types.ts';
import { planDefensiveAction, type DefensiveOrder, type DefensivePlan } from './defensiveActions.ts';
import {
  deepCheck,
  positionGone,
  type DefensiveState,
  type DtmsActionKind,
  type DtmsMachineParams,
  type DtmsState,
} from './defensiveState.ts';
import { newTracked, restoreTrackedState, type Tracked, type TrackedSnapshot } from './defendedPosition.ts';
import { newSymbolData, resetSymbolData, type SymbolData } from './dtmsMarket.ts';
import type { FeatureReadiness, TimeframeHistory } from '../features/warmUp.ts';
import {
  DEFAULT_MONITOR_PARAMS,
  OPEN_POSITIONS_OFF,
  OPENING_OFF,
  type DefensiveMonitorParams,
} from './monitorParams.ts';
import { adaptiveThresholds, classifyRegime, type DtmsRegime, type DtmsThresholds } from './regime.ts';
import { scoreDtmsSignals, type DtmsScore } from './signalScore.ts';

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
    private readonly params: DefensiveMonitorParams = DEFAULT_MONITOR_PARAMS,
    private readonly vwapAnchorHourUtc = 0,
  ) {
    this.baseMs = baseTimeframeMs;
    this.machineHedging = { ...params.machine, hedging: true };
    this.machineNetting = { ...params.machine, hedging: false };
  }

  private symbol(symbol: string): SymbolData {
    let s = this.symbols.get(symbol);
    if (!s) {
      s = newSymbolData(this.baseTimeframe, this.vwapAnchorHourUtc);
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
    const t = newTracked(position, this.symbol(position.symbol), instrument, initialRisk, now);
    this.tracked.set(position.id, t);
    return t;
  }

  /**
   * A defended position picked up again from storage (after a restart): its machine, schedule, hedge
   * and last score as they were. The symbol's market state comes from the bars, not from storage.
   */
  restoreTracked(position: Position, instrument: Instrument, snap: TrackedSnapshot): Tracked {
    const t = this.track(position, instrument, snap.initialRisk, snap.lastDeep);
    restoreTrackedState(t, snap);
    return t;
  }

  /** The broker's fresh view of the position (volume after a defensive close is counted for a re-add). */
  refresh(position: Position): void {
    const t = this.tracked.get(position.id);
    if (!t) return;
    if (position.volume < t.position.volume - 1e-9 && t.state.state !== 'HEALTHY')
      t.closedVolume += t.position.volume - position.volume;
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
    t.lastDeep = now - this.params.deepCheckMs;
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
  evaluate(
    positionId: string,
    now: number,
    risk: AccountRisk,
    decisions: DefensiveDecision[],
    holds: DefensiveHold[],
  ): void {
    const t = this.tracked.get(positionId);
    if (t) this.evaluateTracked(t, now, risk, decisions, holds);
  }

  /** evaluate() for a handle from track() (the engine's per-bar path: no map lookups). */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  evaluateTracked(
    t: Tracked,
    now: number,
    risk: AccountRisk,
    decisions: DefensiveDecision[],
    holds: DefensiveHold[],
  ): void {
    if (t.state.state === 'CLOSED') return;
    const sym = t.sym;
    const positionId = t.position.id;
    const params = this.params;
    let trigger: DefensiveDecision['trigger'] | null = null;
    if (now - t.lastDeep >= params.deepCheckMs) trigger = 'scheduled';
    else {
      const fastEvery = t.state.state === 'HEDGED' ? params.hedgedFastCheckMs : params.fastCheckMs;
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
    t.cooldownUntil = now + params.cooldownMs;
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
    const score = scoreDtmsSignals(side, s, regime, thresholds, t.score, params.score);
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
      t.instrument.hedging && params.openPositions ? this.machineHedging : this.machineNetting,
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
      risk.dailyLossPct >= params.dailyLossLimitPct
        ? `daily loss ${risk.dailyLossPct.toFixed(2)}% >= ${params.dailyLossLimitPct}%`
        : risk.hourlyLossPct >= params.hourlyLossLimitPct
          ? `hourly loss ${risk.hourlyLossPct.toFixed(2)}% >= ${params.hourlyLossLimitPct}%`
          : params.maxConsecutiveStops > 0 && stops >= params.maxConsecutiveStops
            ? `${stops} stops in a row >= ${params.maxConsecutiveStops}`
            : null;
    for (const action of step.actions) {
      if (lossLimited !== null && (action === 'open_hedge' || action === 're_add')) {
        skipped.push({ action, reason: `loss_limit: ${lossLimited}` });
        continue;
      }
      if (action === 'close_instead_of_hedge' && t.instrument.hedging)
        notes.push(`close_instead_of_hedge in place of open_hedge: ${OPENING_OFF}`);
      const planned = this.planOrders(t, action);
      if (planned.skip !== null) skipped.push({ action, reason: planned.skip });
      for (const order of planned.orders) orders.push({ action, order });
    }
    decisions.push({
      positionId,
      time: now,
      trigger,
      from: step.from,
      to: step.to,
      reason: step.reason,
      regime,
      score: { ...score },
      orders,
      skipped,
      notes,
    });
  }

  /** DTMS may open positions (hedges, re-adds) on this account. */
  get opensPositions(): boolean {
    return this.params.openPositions;
  }

  /** The orders of one action for a defended position, at the symbol's latest quote (or why there are none). */
  planOrders(t: Tracked, action: DtmsActionKind): DefensivePlan {
    // Never an open with opening positions off, whatever asked for it (a queue stored under another config included).
    if (!this.params.openPositions && (action === 'open_hedge' || action === 're_add'))
      return { orders: [], skip: OPEN_POSITIONS_OFF };
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
      this.params.defensive,
    );
  }

  /** Forgets a symbol's market history (a data boundary): the defended positions keep their states. */
  resetSymbol(symbol: string): void {
    const s = this.symbols.get(symbol);
    if (s) resetSymbolData(s, this.baseTimeframe, this.vwapAnchorHourUtc);
  }

  private regimeOf(
    sym: SymbolData,
    canonical: string,
    now: number,
  ): { regime: DtmsRegime; thresholds: DtmsThresholds } {
    const hour = Math.floor(now / 3_600_000);
    if (sym.regimeM15 !== sym.features.m15Closed || sym.regimeHour !== hour) {
      sym.regimeM15 = sym.features.m15Closed;
      sym.regimeHour = hour;
      sym.regime = classifyRegime(now, sym.features.atrRatio(), sym.features.bollingerWidth(), this.params.regime);
      sym.thresholds = adaptiveThresholds(canonical, sym.regime, this.params.regime);
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
    if (age > this.params.staleBarMs)
      return {
        reason: 'stale_data',
        detail: `last bar closed ${Math.round(age / 1000)} s ago (limit ${this.params.staleBarMs / 1000} s)`,
      };
    if (sym.spreads.count >= 10 && Number.isFinite(sym.lastSpread)) {
      const median = sym.spreads.median();
      if (median > 0 && sym.lastSpread > this.params.spreadSpikeFactor * median) {
        return {
          reason: 'spread_spike',
          detail: `spread ${sym.lastSpread} > ${this.params.spreadSpikeFactor} x median ${median}`,
        };
      }
    }
    return null;
  }
}
