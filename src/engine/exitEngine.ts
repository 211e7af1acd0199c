// The engine: for each market event, updates the symbol's features once, then evaluates every open
// position on that symbol. Deterministic: the clock is the bar's close time; no I/O. The same
// engine runs live, on paper and in replay. Callers own execution: they send the intents, then tell
// the engine the outcome (`resolve`) or hand it the broker's fresh view of the position (`track`).
import type { WardenConfig } from '../config/schema.ts';
import { sessionAt } from '../domain/sessions.ts';
import { canonicalSymbol } from '../domain/symbols.ts';
import { TIMEFRAME_MS, type Bar, type Instrument, type Intent, type Position, type Timeframe } from '../domain/types.ts';
import type { DecisionSink } from '../exits/decisionRecord.ts';
import { newEvalContext, type EvalContext } from '../exits/evalContext.ts';
import { evaluateExitPlan, reconcilePending, type SymbolRuleSet } from '../exits/evaluateExitPlan.ts';
import { createExitPlan, resolveIntent, triggerParamsFor, type ExitPlan, type IntentOutcome, type RegisterContext } from '../exits/exitPlan.ts';
import { resolveSymbolParams } from '../exits/symbolParams.ts';
import { TradeTypeClassifier } from '../exits/tradeType.ts';
import { emptyMarketFeatures, type MarketFeatures } from '../features/snapshot.ts';
import { SymbolFeatures } from '../features/symbolFeatures.ts';

export interface ExitEngineOptions {
  /** Timeframe of the bars fed to onBar (higher timeframes are built from them). */
  baseTimeframe: Timeframe;
  sink: DecisionSink;
}

interface PositionSlot {
  position: Position;
  plan: ExitPlan;
}

interface SymbolState {
  instrument: Instrument;
  features: SymbolFeatures;
  snapshot: MarketFeatures;
  rules: SymbolRuleSet;
  slots: PositionSlot[];
  lastBid: number;
  lastAsk: number;
}

export class ExitEngine {
  private readonly symbols = new Map<string, SymbolState>();
  private readonly slots = new Map<string, PositionSlot>();
  private readonly ctx: EvalContext;
  private readonly register: RegisterContext;
  private readonly baseMs: number;

  constructor(
    readonly config: WardenConfig,
    private readonly options: ExitEngineOptions,
  ) {
    this.ctx = newEvalContext(config.exits, options.sink);
    this.register = {
      exits: config.exits,
      classifier: new TradeTypeClassifier(config.exits),
      sink: options.sink,
      rec: this.ctx.rec,
      trig: this.ctx.trig,
    };
    this.baseMs = TIMEFRAME_MS[options.baseTimeframe];
  }

  /** Declares an instrument (broker rules). Must come before its bars and positions. */
  addInstrument(instrument: Instrument): void {
    if (this.symbols.has(instrument.symbol)) return;
    const canonical = instrument.canonical || canonicalSymbol(instrument.symbol, this.config.symbols);
    const params = resolveSymbolParams(this.config.exits, canonical);
    const t = this.config.exits.trailing;
    this.symbols.set(instrument.symbol, {
      instrument: { ...instrument, canonical },
      features: new SymbolFeatures(this.config.features, params.atrTimeframe, this.options.baseTimeframe),
      snapshot: emptyMarketFeatures(),
      rules: {
        params,
        triggers: triggerParamsFor(this.config.exits, params),
        gates: {
          criticalRAchieved: t.criticalRAchieved,
          mtfMinAligned: t.mtfMinAligned,
          rmagThreshold: params.rmagThreshold,
          hvnMinDistAtr: t.hvnMinDistAtr,
        },
      },
      slots: [],
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
    sym.features = new SymbolFeatures(this.config.features, sym.rules.params.atrTimeframe, this.options.baseTimeframe);
    sym.snapshot = emptyMarketFeatures();
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
      return existing.plan;
    }
    const sym = this.symbol(position.symbol);
    sym.features.snapshot(sym.snapshot);
    const plan = createExitPlan(position, sym.instrument, sym.rules.params, sym.snapshot, now, this.register);
    const slot = { position, plan };
    this.slots.set(position.id, slot);
    sym.slots.push(slot);
    return plan;
  }

  /** Registers a plan restored from storage (or imported) for a position. */
  restore(position: Position, plan: ExitPlan): void {
    const sym = this.symbol(position.symbol);
    const slot = { position, plan };
    this.slots.set(position.id, slot);
    sym.slots.push(slot);
  }

  /** The position is gone at the broker: stop managing it. */
  untrack(positionId: string): ExitPlan | undefined {
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
    return slot.plan;
  }

  /** The broker answered an intent. Returns false when it was not the plan's pending intent. */
  resolve(positionId: string, intentId: string, outcome: IntentOutcome): boolean {
    const slot = this.slots.get(positionId);
    return slot ? resolveIntent(slot.plan, intentId, outcome) : false;
  }

  /**
   * After an "unknown" answer (timeout): takes the broker's fresh view of the position and settles the
   * pending intent from it: applied when the position shows its effect, rejected when it does not (the
   * broker has answered every earlier request, so nothing of it is still in flight). Returns the
   * outcome, or null when the position had no pending intent.
   */
  reconcile(position: Position): IntentOutcome | null {
    const slot = this.slots.get(position.id);
    if (!slot) return null;
    slot.position = position;
    const pending = slot.plan.pending;
    if (pending === null) return null;
    if (reconcilePending(slot.plan, position)) return 'applied';
    resolveIntent(slot.plan, pending.id, 'rejected');
    return 'rejected';
  }

  plan(positionId: string): ExitPlan | undefined {
    return this.slots.get(positionId)?.plan;
  }

  position(positionId: string): Position | undefined {
    return this.slots.get(positionId)?.position;
  }

  instrument(symbol: string): Instrument | undefined {
    return this.symbols.get(symbol)?.instrument;
  }

  features(symbol: string): MarketFeatures {
    const sym = this.symbol(symbol);
    return sym.features.snapshot(emptyMarketFeatures());
  }

  get openPositions(): number {
    return this.slots.size;
  }

  /**
   * A closed base-timeframe bar: fold it into the symbol's features, then evaluate every position on
   * the symbol at the bar's close (bid = close, ask = close + spread). Intents are appended to `out`.
   */
  onBar(symbol: string, bar: Bar, out: Intent[]): void {
    const sym = this.symbol(symbol);
    sym.features.onBar(bar);
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

  private evaluateSymbol(sym: SymbolState, now: number, bid: number, ask: number, out: Intent[]): void {
    sym.lastBid = bid;
    sym.lastAsk = ask;
    const slots = sym.slots;
    if (slots.length === 0) return;
    const f = sym.features.snapshot(sym.snapshot);
    const ctx = this.ctx;
    ctx.now = now;
    ctx.session = sessionAt(now);
    ctx.bid = bid;
    ctx.ask = ask;
    ctx.spread = ask - bid;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      evaluateExitPlan(slot.plan, slot.position, sym.instrument, sym.rules, f, ctx, out);
    }
  }
}
