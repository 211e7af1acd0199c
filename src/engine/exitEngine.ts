// The engine: for each market event, updates the symbol's features once, then evaluates every open
// position on that symbol: its DTMS defence first (checks due, transitions, the stop's owner), then
// its exit plan, with one intent in flight per position whoever decided it. Deterministic: the clock
// is the bar's close time; no I/O. The same engine runs live, on paper and in replay. Callers own
// execution: they send the intents, then tell the engine the outcome (`resolve`) or hand it the
// broker's fresh view of the position (`track`, `reconcile`, `untrack`).
import { gateParamsFor } from '../exits/trailingGates.ts';
import type { EngineConfig, WardenConfig } from '../config/schema.ts';
import { sessionAt } from '../domain/sessions.ts';
import { canonicalSymbol } from '../domain/symbols.ts';
import {
  TIMEFRAME_MS,
  type Bar,
  type Instrument,
  type Intent,
  type Position,
  type Timeframe,
} from '../domain/types.ts';
import type { DecisionSink } from '../exits/decisionRecord.ts';
import { newEvalContext, type EvalContext } from '../exits/evalContext.ts';
import { evaluateExitPlan } from '../exits/evaluateExitPlan.ts';
import {
  createExitPlan,
  triggerParamsFor,
  type ExitPlan,
  type IntentOutcome,
  type RegisterContext,
  type RetemplateResult,
} from '../exits/exitPlan.ts';
import type { TriggerParams } from '../exits/advancedTriggers.ts';
import { restoreStop } from '../exits/restoreStop.ts';
import { resolveSymbolParams, type ResolvedSymbolParams } from '../exits/symbolParams.ts';
import { strategyTimeframes, type StrategySource } from '../exits/strategyTemplates.ts';
import { TradeTypeClassifier } from '../exits/tradeType.ts';
import { emptyMarketFeatures, type MarketFeatures } from '../features/snapshot.ts';
import { SymbolFeatures } from '../features/symbolFeatures.ts';
import type { FeatureReadiness, TimeframeHistory } from '../features/warmUp.ts';
import { newDefence, type Defence } from '../dtms/defensiveIntents.ts';
import { DefensiveMonitor, type AccountRisk } from '../dtms/defensiveMonitor.ts';
import type { DefensiveState } from '../dtms/defensiveState.ts';
import { monitorParamsFromConfig } from '../dtms/dtmsParams.ts';
import { readAnswer, takeAnswer } from './brokerAnswers.ts';
import type { Reconciled } from './brokerView.ts';
import type { DefenceSwitch } from './defenceSwitch.ts';
import { DtmsStep } from './dtmsStep.ts';
import { restoreFromSnapshot, takeSnapshot } from './engineSnapshot.ts';
import type { EngineSnapshot, PositionSlot, SymbolState } from './engineState.ts';
import { closeOrphanHedges, HedgeBook } from './hedgeBook.ts';
import { putOnStrategy, switchDefence, triggersNow, type DefenceHands } from './traderControls.ts';

export interface ExitEngineOptions {
  /** Timeframe of the bars fed to onBar (higher timeframes are built from them). */
  baseTimeframe: Timeframe;
  sink: DecisionSink;
  /**
   * Another engine that folds the bars into the market state (features, DTMS's market layers) for this
   * one: several engines over the same bars with different exit settings (an optimizer's books) read
   * one market instead of each building its own. This engine then never folds a bar: the market engine
   * must take each bar before this one evaluates at it, and must read the market exactly as this one
   * would (the same feature settings, ATR and trail timeframes, DTMS on or off). A data boundary's reset
   * resets the shared market.
   */
  market?: ExitEngine;
}

// The engine reads only the core's sections of the config (EngineConfig); it keeps the whole config it was
// given (C), which the service's pages and API show as the session's.
export class ExitEngine<C extends EngineConfig = WardenConfig> {
  private readonly symbols = new Map<string, SymbolState>();
  private readonly slots = new Map<string, PositionSlot>();
  private readonly ctx: EvalContext;
  private readonly register: RegisterContext;
  private readonly baseMs: number;
  private readonly monitor: DefensiveMonitor | null;
  /** Each defended position's DTMS step, before its exit plan's; null when DTMS is off. */
  private readonly dtmsStep: DtmsStep | null;
  /** DTMS hedges: the position each protects, and the orphans to close. */
  private readonly hedges = new HedgeBook();
  private risk: AccountRisk = { dailyLossPct: 0, hourlyLossPct: 0, consecutiveStops: 0 };
  /** The engine's clock: the latest evaluation time. */
  private now = 0;
  /** Timeframes the strategy templates trail on: every symbol keeps an ATR for each (none: no extra work). */
  private readonly trailTimeframes: readonly Timeframe[];
  /** The engine that folds the bars for this one (see ExitEngineOptions.market); null: this one folds them. */
  private readonly market: ExitEngine | null;

  constructor(
    readonly config: C,
    private readonly options: ExitEngineOptions,
  ) {
    this.ctx = newEvalContext(config.exits, options.sink);
    this.register = {
      exits: config.exits,
      classifier: new TradeTypeClassifier(config.exits),
      sink: options.sink,
      record: this.ctx.record,
      triggerResult: this.ctx.triggerResult,
    };
    this.baseMs = TIMEFRAME_MS[options.baseTimeframe];
    this.trailTimeframes = strategyTimeframes(config.exits);
    this.monitor = config.dtms.enabled
      ? new DefensiveMonitor(
          options.baseTimeframe,
          this.baseMs,
          monitorParamsFromConfig(config.dtms),
          config.features.vwapAnchorHourUtc,
        )
      : null;
    this.dtmsStep = this.monitor !== null ? new DtmsStep(this.monitor, this.ctx) : null;
    this.market = options.market ?? null;
    if (this.market !== null) {
      const m = this.market;
      const same =
        m.options.baseTimeframe === options.baseTimeframe &&
        JSON.stringify(m.config.features) === JSON.stringify(config.features) &&
        JSON.stringify(m.trailTimeframes) === JSON.stringify(this.trailTimeframes) &&
        (m.monitor === null) === (this.monitor === null) &&
        JSON.stringify(m.config.dtms.vwapSlopeBase) === JSON.stringify(config.dtms.vwapSlopeBase);
      if (!same)
        throw new Error(
          'ExitEngine: a shared market must read the bars as this engine would (base timeframe, feature settings, trail timeframes, DTMS on or off, DTMS regime)',
        );
    }
  }

  /** Account losses for DTMS's loss-limit rails (no new hedge or re-add past them); the caller keeps them current. */
  setAccountRisk(risk: AccountRisk): void {
    this.risk = risk;
  }

  /** The losses the rails see now (a copy). */
  get accountRisk(): AccountRisk {
    return { ...this.risk };
  }

  /** Declares an instrument (broker rules). Must come before its bars and positions. */
  addInstrument(instrument: Instrument): void {
    if (this.symbols.has(instrument.symbol)) return;
    const canonical = instrument.canonical || canonicalSymbol(instrument.symbol, this.config.symbols);
    const params = resolveSymbolParams(this.config.exits, canonical);
    const m = this.market;
    if (m !== null) {
      m.addInstrument(instrument);
      const shared = m.symbol(instrument.symbol);
      if (shared.rules.params.atrTimeframe !== params.atrTimeframe)
        throw new Error(
          `ExitEngine: the shared market measures ${instrument.symbol}'s ATR on ${shared.rules.params.atrTimeframe}, this engine on ${params.atrTimeframe}`,
        );
      if (this.monitor !== null) this.monitor.shareSymbol(instrument.symbol, m.monitor!.symbolData(instrument.symbol));
    }
    this.symbols.set(instrument.symbol, {
      instrument: { ...instrument, canonical },
      features:
        m !== null
          ? m.symbol(instrument.symbol).features
          : new SymbolFeatures(
              this.config.features,
              params.atrTimeframe,
              this.options.baseTimeframe,
              this.trailTimeframes,
            ),
      snapshot: emptyMarketFeatures(),
      rules: {
        params,
        triggers: triggerParamsFor(this.config.exits, params),
        gates: gateParamsFor(this.config.exits, params.rmagThreshold),
      },
      slots: [],
      orphans: this.hedges.orphansOf(instrument.symbol),
      lastBid: NaN,
      lastAsk: NaN,
    });
  }

  /**
   * Forgets a symbol's market history (indicators, higher-timeframe bars, VWAP): for a data boundary
   * (a recorded series that jumps months ahead), where continuing the indicators would be fiction.
   */
  resetFeatures(symbol: string): void {
    const sym = this.symbol(symbol);
    sym.snapshot = emptyMarketFeatures();
    if (this.market !== null) {
      // The shared market starts afresh (every engine sharing it asks at the same boundary: a second
      // reset before the next bar leaves the same fresh state); the DTMS market layers are its object.
      this.market.resetFeatures(symbol);
      sym.features = this.market.symbol(symbol).features;
      return;
    }
    sym.features = new SymbolFeatures(
      this.config.features,
      sym.rules.params.atrTimeframe,
      this.options.baseTimeframe,
      this.trailTimeframes,
    );
    this.monitor?.resetSymbol(symbol);
  }

  private symbol(symbol: string): SymbolState {
    const s = this.symbols.get(symbol);
    if (!s) throw new Error(`unknown instrument ${symbol}: call addInstrument first`);
    return s;
  }

  /**
   * Starts managing a position, or refreshes the engine's view of it (SL, TP, volume) from the
   * broker. A new position gets its exit plan (auto-enable). Returns the plan.
   */
  track(position: Position, now: number): ExitPlan {
    const existing = this.slots.get(position.id);
    if (existing) {
      // The symbol's slot list holds the same slot object, so it sees the fresh view too.
      existing.position = position;
      this.monitor?.refresh(position);
      return existing.plan;
    }
    const sym = this.symbol(position.symbol);
    if (this.market !== null) sym.features = this.market.symbol(position.symbol).features;
    sym.features.snapshot(sym.snapshot);
    const plan = createExitPlan(position, sym.instrument, sym.rules.params, sym.snapshot, now, this.register);
    this.addSlot(sym, position, plan, now);
    return plan;
  }

  /** Registers a plan restored from storage (or imported) for a position. */
  restore(position: Position, plan: ExitPlan, now: number = this.now): void {
    this.addSlot(this.symbol(position.symbol), position, plan, now);
  }

  private addSlot(sym: SymbolState, position: Position, plan: ExitPlan, now: number): PositionSlot {
    // Auto-enable: every managed position is defended from registration, its checks scheduled from now.
    const defence = this.monitor ? newDefence(this.monitor.track(position, sym.instrument, plan.risk, now)) : null;
    const slot: PositionSlot = { position, plan, defence };
    this.slots.set(position.id, slot);
    sym.slots.push(slot);
    return slot;
  }

  /** The engine's lasting state (copies): see EngineSnapshot. */
  snapshot(): EngineSnapshot {
    return takeSnapshot(this.symbols.values(), this.hedges, this.now, this.deepChecks);
  }

  /**
   * Picks up a snapshot (after a restart): see restoreFromSnapshot. Call it after the instruments are
   * added and the bars up to the snapshot's time are fed, on an engine with no positions.
   */
  restoreSnapshot(snap: EngineSnapshot): void {
    if (this.slots.size > 0) throw new Error('restoreSnapshot: the engine already manages positions');
    this.now = snap.time;
    this.restoring += restoreFromSnapshot(snap, {
      symbol: (symbol) => this.symbol(symbol),
      addSlot: (sym, position, plan, now) => this.addSlot(sym, position, plan, now),
      monitor: this.monitor,
      hedges: this.hedges,
    });
  }

  /** Every managed position's id (DTMS hedges are not managed positions). */
  positionIds(): string[] {
    return [...this.slots.keys()];
  }

  /** Every DTMS hedge's ticket, open or left behind by its closed position. */
  hedgeIds(): string[] {
    return this.hedges.ids();
  }

  /**
   * The intents the engine waits on: each managed position's pending one, and each orphaned hedge's
   * close (under its closed position's id). What a restart settles before deciding again.
   */
  pendingIntents(): { positionId: string; intentId: string }[] {
    const out: { positionId: string; intentId: string }[] = [];
    for (const [id, slot] of this.slots)
      if (slot.plan.pending !== null) out.push({ positionId: id, intentId: slot.plan.pending.id });
    this.hedges.pendingCloses(out);
    return out;
  }

  /** True for a hedge DTMS opened (it is part of its position's defence, not a position to manage). */
  isHedge(positionId: string): boolean {
    return this.hedges.isHedge(positionId);
  }

  /** The position that `hedgeId` hedges, if it is a DTMS hedge. */
  hedgedPosition(hedgeId: string): string | undefined {
    return this.hedges.ownerOf(hedgeId);
  }

  /**
   * The position is gone at the broker: stop managing it (its DTMS machine ends there). A DTMS hedge
   * that is gone (its own stop) is forgotten by its position's defence. A position that leaves an
   * open hedge behind hands it to the engine, which closes it.
   */
  untrack(positionId: string): ExitPlan | undefined {
    const parent = this.hedges.ownerOf(positionId);
    if (parent !== undefined) {
      this.monitor?.setHedge(parent, null, 0);
      this.hedges.gone(positionId, this.slots.get(parent)?.position.symbol);
      return undefined;
    }
    const slot = this.slots.get(positionId);
    if (!slot) return undefined;
    this.slots.delete(positionId);
    const sym = this.symbols.get(slot.position.symbol);
    if (sym) {
      const i = sym.slots.indexOf(slot);
      if (i >= 0) {
        sym.slots[i] = sym.slots[sym.slots.length - 1]!;
        sym.slots.pop();
      }
    }
    if (slot.defence && this.monitor) {
      const t = slot.defence.tracked;
      // A position out of DTMS's hands leaves its hedge to the trader: it is not closed as an orphan.
      if (t.hedgeId !== null && sym && slot.defence.disabled === null)
        this.hedges.leftBehind(slot.position.symbol, t.hedgeId, positionId, slot.position.side, t.hedgeVolume);
      this.monitor.untrack(positionId, this.now);
    }
    return slot.plan;
  }

  /**
   * The broker answered an intent. Returns false when it was not the pending intent. `openedId`: the
   * ticket an open created (a DTMS hedge); `refusal`: the broker's reason, for DTMS's records.
   */
  resolve(positionId: string, intentId: string, outcome: IntentOutcome, openedId = '', refusal = ''): boolean {
    const slot = this.slots.get(positionId);
    if (!slot) return this.hedges.settleClose(positionId, intentId, outcome);
    return takeAnswer(slot, positionId, this.monitor, this.hedges, intentId, outcome, openedId, refusal);
  }

  /**
   * After an "unknown" answer (timeout): takes the broker's fresh view of the account (`positions`:
   * every open position on the symbol) and settles the pending intent of `positionId` from it: applied
   * when the positions show its effect, rejected when they do not (see readAnswer). Returns the
   * outcome and the ticket an open created, or null when nothing was pending. A position closed this
   * way is the caller's to untrack.
   */
  reconcile(positionId: string, positions: readonly Position[]): Reconciled | null {
    const slot = this.slots.get(positionId);
    if (!slot) {
      const outcome = this.hedges.reconcileClose(positionId, positions);
      return outcome === null ? null : { outcome, openedId: '' };
    }
    const known = (id: string) => this.hedges.isHedge(id) || this.slots.has(id);
    const read = readAnswer(slot, positionId, positions, this.monitor, known);
    if (read === null) return null;
    if (read.cutShort) this.restoring++;
    this.resolve(positionId, read.intentId, read.outcome, read.openedId, read.refusal);
    return { outcome: read.outcome, openedId: read.openedId };
  }

  /**
   * A managed position's defence: its machine (`tracked.state`), last score with the per-layer breakdown
   * and regime, hedge, and the actions still queued (undefined when DTMS is off or the position unknown).
   */
  defence(positionId: string): Readonly<Defence> | undefined {
    return this.slots.get(positionId)?.defence ?? undefined;
  }

  /**
   * A trader takes a position out of DTMS's hands: no check, no transition, no action for it from now
   * on (an intent already in flight is answered as usual). Its machine stays where it is, the stop
   * goes back to the exit plan, queued actions are dropped, and its hedge, if one is open, stays open
   * as it is, also when the position closes. Recorded with the trader's reason and, when given, where the
   * request came from (`source`: page, api, telegram).
   */
  disableDefence(positionId: string, reason: string, source?: string): DefenceSwitch {
    return switchDefence(this.defenceHands(), this.slots.get(positionId), positionId, false, reason, source);
  }

  /**
   * Gives a position back to DTMS: its machine picks up where it stopped, its timers and checks
   * counted from now (what happened meanwhile was not watched), the next deep check due at once.
   */
  enableDefence(positionId: string, reason: string, source?: string): DefenceSwitch {
    return switchDefence(this.defenceHands(), this.slots.get(positionId), positionId, true, reason, source);
  }

  private defenceHands(): DefenceHands {
    return {
      monitor: this.monitor,
      sink: this.options.sink,
      now: this.now,
      symbolOf: (slot) => this.symbol(slot.position.symbol),
    };
  }

  /** Puts a managed position's plan on the strategy template `name`: see putOnStrategy. */
  applyStrategy(positionId: string, name: string, source: StrategySource): RetemplateResult {
    const slot = this.slots.get(positionId);
    if (!slot) return { ok: false, message: `no position ${positionId} under management` };
    const sym = this.symbol(slot.position.symbol);
    return putOnStrategy(slot, sym, this.config.exits, name, source, this.now, this.register);
  }

  /** The DTMS state of a managed position (undefined when DTMS is off or the position unknown). */
  defensiveState(positionId: string): DefensiveState | undefined {
    return this.monitor?.state(positionId);
  }

  /** Deep checks DTMS ran so far (the benchmark's and the report's figure). */
  get deepChecks(): number {
    return this.monitor?.deepChecks ?? 0;
  }

  plan(positionId: string): ExitPlan | undefined {
    return this.slots.get(positionId)?.plan;
  }

  position(positionId: string): Position | undefined {
    return this.slots.get(positionId)?.position;
  }

  /**
   * The advanced triggers of the plan under `positionId` worked out now, as its next refresh would: see
   * triggersNow. Undefined for a position not managed.
   */
  refreshTriggers(positionId: string): { features: MarketFeatures; triggers: TriggerParams } | null | undefined {
    const slot = this.slots.get(positionId);
    if (slot === undefined) return undefined;
    return triggersNow(slot, this.symbol(slot.position.symbol), this.config.exits, this.now, this.register);
  }

  instrument(symbol: string): Instrument | undefined {
    return this.symbols.get(symbol)?.instrument;
  }

  /** The symbol's exit parameters (exits.symbolParams resolved for it). */
  exitParams(symbol: string): ResolvedSymbolParams {
    return this.symbol(symbol).rules.params;
  }

  /** The last price the symbol's positions were evaluated at (NaN before the first one). */
  quote(symbol: string): { bid: number; ask: number } {
    const sym = this.symbol(symbol);
    return { bid: sym.lastBid, ask: sym.lastAsk };
  }

  features(symbol: string): MarketFeatures {
    const sym = this.symbol(symbol);
    return sym.features.snapshot(emptyMarketFeatures());
  }

  get openPositions(): number {
    return this.slots.size;
  }

  /**
   * Seeds a symbol's features (and its DTMS market state) from closed bars per timeframe, before its
   * first bar: each higher timeframe from its own bars, then the base bars (SymbolFeatures.warmUp). No
   * position is evaluated; the symbol's quote is the last base bar's close, as onBar leaves it.
   */
  warmUp(symbol: string, history: TimeframeHistory): void {
    const sym = this.symbol(symbol);
    sym.features.warmUp(history);
    this.monitor?.warmUp(symbol, history);
    const base = history[this.options.baseTimeframe] ?? [];
    const last = base[base.length - 1];
    if (last !== undefined) {
      const spread = Number.isFinite(last.spread) && last.spread > 0 ? last.spread : 0;
      sym.lastBid = last.close;
      sym.lastAsk = last.close + spread;
      this.now = Math.max(this.now, last.time + this.baseMs);
    }
  }

  /** Which of a symbol's features (the exit rules' and, with DTMS on, its layers') have no value yet, and what they lack. */
  readiness(symbol: string): FeatureReadiness {
    const sym = this.symbol(symbol);
    const own = sym.features.readiness();
    const dtms = this.monitor?.readiness(symbol);
    const missing = dtms ? [...own.missing, ...dtms.missing] : own.missing;
    return { featuresReady: missing.length === 0, missing };
  }

  /**
   * A closed base-timeframe bar: fold it into the symbol's features, then evaluate every position on
   * the symbol at the bar's close (bid = close, ask = close + spread). Intents are appended to `out`.
   */
  onBar(symbol: string, bar: Bar, out: Intent[]): void {
    const sym = this.symbol(symbol);
    if (this.market === null) {
      sym.features.onBar(bar);
      this.monitor?.onBar(symbol, bar);
    } else sym.features = this.market.symbol(symbol).features; // another engine's boundary may have renewed it
    const spread = Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
    this.evaluateSymbol(sym, bar.time + this.baseMs, bar.close, bar.close + spread, out);
  }

  /**
   * A price update inside the forming bar (live): features see the forming bar without committing
   * it, and positions are evaluated at this quote.
   */
  onFormingBar(symbol: string, bar: Bar, now: number, out: Intent[]): void {
    const sym = this.symbol(symbol);
    sym.features.onFormingBar(bar);
    const spread = Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
    this.evaluateSymbol(sym, now, bar.close, bar.close + spread, out);
  }

  /**
   * A quote with no bar to fold in (live, while the symbol's features are held by their circuit
   * breaker): every position on the symbol is evaluated at it with the last good feature values.
   */
  onQuote(symbol: string, now: number, bid: number, ask: number, out: Intent[]): void {
    // DTMS prices what it asks for (a tightened stop, a hedge) at this quote too.
    this.monitor?.onQuote(symbol, bid, ask);
    this.evaluateSymbol(this.symbol(symbol), now, bid, ask, out);
  }

  private evaluateSymbol(sym: SymbolState, now: number, bid: number, ask: number, out: Intent[]): void {
    sym.lastBid = bid;
    sym.lastAsk = ask;
    this.now = now;
    if (sym.orphans.length > 0) closeOrphanHedges(sym.orphans, this.ctx.record, this.options.sink, now, bid, ask, out);
    const slots = sym.slots;
    if (slots.length === 0) return;
    const f = sym.features.snapshot(sym.snapshot);
    const ctx = this.ctx;
    if (this.trailTimeframes.length > 0) sym.features.atrsInto(ctx.atrByTimeframe);
    ctx.now = now;
    ctx.session = sessionAt(now);
    ctx.bid = bid;
    ctx.ask = ask;
    ctx.spread = ask - bid;
    // A stop Warden was moving went missing at the venue: it goes back before anything else (DTMS
    // included) is decided for the position (its intent is then the one in flight). A pass of its own,
    // taken only while some plan has a stop to put back, so the loop below stays as lean as it was.
    if (this.restoring > 0) this.restoreMissingStops(sym, out);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const def = slot.defence;
      if (def !== null && def.disabled === null) {
        this.dtmsStep!.run(slot.plan, slot.position, def, this.risk, out);
        ctx.dtmsOwnsStop = def.tracked.state.ownsStop;
      } else ctx.dtmsOwnsStop = false;
      evaluateExitPlan(slot.plan, slot.position, sym.instrument, sym.rules, f, ctx, out);
    }
  }

  /** Plans with a stop to put back (restoreSl), counted again at each pass: see evaluateSymbol. */
  private restoring = 0;

  private restoreMissingStops(sym: SymbolState, out: Intent[]): void {
    let left = 0;
    for (const s of this.slots.values()) {
      if (!Number.isFinite(s.plan.restoreSl)) continue;
      if (s.position.symbol === sym.instrument.symbol) restoreStop(s.plan, s.position, sym.instrument, this.ctx, out);
      if (Number.isFinite(s.plan.restoreSl)) left++;
    }
    this.restoring = left;
  }
}
