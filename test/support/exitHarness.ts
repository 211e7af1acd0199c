// Test harness for the pure exit decisions: one position, a hand-set feature snapshot, and a broker
// stand-in that applies intents to the position and reports the outcome back to the plan.
import { gateParamsFor } from '../../src/exits/trailingGates.ts';
import { configSchema, type WardenConfig } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Instrument, Intent, Position, Side } from '../../src/domain/types.ts';
import { ArraySink, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { newEvalContext, type EvalContext } from '../../src/exits/evalContext.ts';
import { evaluateExitPlan, type SymbolRuleSet } from '../../src/exits/evaluateExitPlan.ts';
import { createExitPlan, resolveIntent, triggerParamsFor, type ExitPlan } from '../../src/exits/exitPlan.ts';
import { resolveSymbolParams } from '../../src/exits/symbolParams.ts';
import { TradeTypeClassifier } from '../../src/exits/tradeType.ts';
import { emptyMarketFeatures, type MarketFeatures } from '../../src/features/snapshot.ts';
import { sessionAt } from '../../src/domain/sessions.ts';

/** Thursday 2024-05-16 10:00 UTC: LONDON session, not a weekend. */
export const LONDON_TIME = Date.UTC(2024, 4, 16, 10, 0, 0);

/**
 * The exit settings the worked examples are written in: breakeven at the trade type's % of the way to
 * TP (not at 1R) and the VWAP stretch at 0.9 x the RMAG threshold; `raw` goes over them (a test of today's defaults parses `{}` with configSchema itself).
 */
export const TP_PROGRESS_EXITS = { breakeven: { atR: null }, rmag: { vwapFactor: 0.9 } } as const;

export function config(raw: unknown = {}): WardenConfig {
  const r = (raw ?? {}) as { exits?: { breakeven?: object; rmag?: object } & Record<string, unknown> } & Record<
    string,
    unknown
  >;
  const exits = r.exits ?? {};
  return configSchema.parse({
    ...r,
    exits: {
      ...exits,
      breakeven: { ...TP_PROGRESS_EXITS.breakeven, ...exits.breakeven },
      rmag: { ...TP_PROGRESS_EXITS.rmag, ...exits.rmag },
    },
  });
}

/** A neutral, fully-warmed feature set: every gate passes, no trigger rule fires. */
export function neutralFeatures(overrides: Partial<MarketFeatures> = {}): MarketFeatures {
  return Object.assign(
    emptyMarketFeatures(),
    {
      time: LONDON_TIME,
      price: 0,
      spread: 0,
      atr: 1,
      atrH1: 2,
      ema200Atr: 0.5,
      vwapAtr: 0.2,
      vwapZone: 0,
      ema50Slope: 0,
      ema200Slope: 0,
      squeeze: 0,
      rsi: 50,
      adx: 25,
      mtfUp: 2,
      mtfDown: 0,
      mtfAvailable: 3,
      hvnDistAtr: 1,
      pdh: NaN,
      pdl: NaN,
      equalHighsAbove: 0,
      equalLowsBelow: 0,
    } satisfies Partial<MarketFeatures>,
    overrides,
  );
}

export interface HarnessOptions {
  symbol: string;
  side: Side;
  entry: number;
  sl: number | null;
  tp: number | null;
  volume?: number;
  comment?: string;
  features?: MarketFeatures;
  time?: number;
  config?: WardenConfig;
  instrument?: Partial<Instrument>;
}

export class ExitHarness {
  readonly cfg: WardenConfig;
  readonly inst: Instrument;
  readonly sink = new ArraySink();
  readonly ctx: EvalContext;
  readonly rules: SymbolRuleSet;
  readonly plan: ExitPlan;
  readonly position: Position;
  features: MarketFeatures;
  now: number;
  readonly sent: Intent[] = [];
  /** When false, intents stay pending (the broker has not answered). */
  autoApply = true;

  constructor(o: HarnessOptions) {
    this.cfg = o.config ?? config();
    this.inst = { ...instrumentFromConfig(this.cfg, o.symbol), ...o.instrument };
    this.ctx = newEvalContext(this.cfg.exits, this.sink);
    const params = resolveSymbolParams(this.cfg.exits, this.inst.canonical);
    this.rules = {
      params,
      triggers: triggerParamsFor(this.cfg.exits, params),
      gates: gateParamsFor(this.cfg.exits, params.rmagThreshold),
    };
    this.now = o.time ?? LONDON_TIME;
    this.features = o.features ?? neutralFeatures();
    this.position = {
      id: '1001',
      symbol: o.symbol,
      side: o.side,
      volume: o.volume ?? 0.1,
      entryPrice: o.entry,
      sl: o.sl,
      tp: o.tp,
      openTime: this.now,
      comment: o.comment ?? '',
    };
    this.plan = createExitPlan(this.position, this.inst, params, this.features, this.now, {
      exits: this.cfg.exits,
      classifier: new TradeTypeClassifier(this.cfg.exits),
      sink: this.sink,
      record: this.ctx.record,
      triggerResult: this.ctx.triggerResult,
    });
  }

  /** Evaluates at `bid` (ask = bid + spread). Applies emitted intents when autoApply. */
  step(bid: number, spread = 0, advanceMs = 60_000): Intent[] {
    this.now += advanceMs;
    const ctx = this.ctx;
    ctx.now = this.now;
    ctx.session = sessionAt(this.now);
    ctx.bid = bid;
    ctx.ask = bid + spread;
    ctx.spread = spread;
    const out: Intent[] = [];
    evaluateExitPlan(this.plan, this.position, this.inst, this.rules, this.features, ctx, out);
    for (const i of out) {
      this.sent.push(i);
      if (this.autoApply) this.apply(i);
    }
    return out;
  }

  apply(i: Intent): void {
    if (i.kind === 'move_stop') this.position.sl = i.newSl;
    else if (i.kind === 'close_partial') this.position.volume = Number((this.position.volume - i.volume).toFixed(8));
    resolveIntent(this.plan, i.id, 'applied');
  }

  records(rule?: DecisionRecord['rule']): DecisionRecord[] {
    return rule ? this.sink.records.filter((r) => r.rule === rule) : this.sink.records;
  }

  last(rule: DecisionRecord['rule']): DecisionRecord {
    const rs = this.records(rule);
    const r = rs[rs.length - 1];
    if (!r) throw new Error(`no ${rule} record`);
    return r;
  }
}
