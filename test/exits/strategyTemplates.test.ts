// Strategy templates in the exit plan: a `!strategy:NAME` comment, a symbol's configured template or
// the API's strategy_type sets the plan's base (triggers, partial, trailing multiplier and timeframe,
// breakeven buffer) before the advanced adjustments; the classify record names it and where it came
// from; an unknown name leaves the defaults and says so with the known names; a template chosen for a
// plan that exists refuses to change a step already done. In the engine, a template that trails on its
// own timeframe measures the trail in that timeframe's ATR, deterministically.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar, Position } from '../../src/domain/types.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import { ArraySink } from '../../src/exits/decisionRecord.ts';
import { BREAKEVEN_DONE, PARTIAL_DONE, retemplatePlan } from '../../src/exits/exitPlan.ts';
import {
  chooseStrategy,
  lookUpStrategy,
  strategyInComment,
  TIMEFRAME_INDEX,
} from '../../src/exits/strategyTemplates.ts';
import { SymbolFeatures } from '../../src/features/symbolFeatures.ts';
import { emptyMarketFeatures } from '../../src/features/snapshot.ts';
import { generateSampleMarket } from '../../src/market/sampleMarket.ts';
import { config, ExitHarness, neutralFeatures } from '../support/exitHarness.ts';
import { SimBook, spreadOf } from '../support/simBook.ts';
import { planConfig } from '../../src/service/proposals.ts';
import { withoutStrategyToken } from '../../src/exits/strategyTemplates.ts';

const KNOWN =
  'breakout_ib_volatility_trap, trend_continuation_pullback, liquidity_sweep_reversal, order_block_rejection, mean_reversion_range_scalp, ' +
  'breaker_block, market_structure_shift, fvg_retracement, mitigation_block, inducement_reversal, premium_discount_array, session_liquidity_run, kill_zone';

/** A buy of XAUUSDc at 2000, stop 1990 (R = 10), target 2030, with `comment`. */
const gold = (comment: string, cfg = config()) =>
  new ExitHarness({ symbol: 'XAUUSDc', side: 'buy', entry: 2000, sl: 1990, tp: 2030, volume: 1, comment, config: cfg });

describe('a template named in the comment (!strategy:NAME)', () => {
  it("sets the plan's base: liquidity_sweep_reversal breaks even at 0.5 R and trails on ATR(M1); the classify record names it", () => {
    const h = gold('sweep of the Asian low !strategy:liquidity_sweep_reversal');
    const p = h.plan;
    expect([p.strategy, p.strategySource, p.breakevenR, p.trailTimeframe]).toEqual([
      'liquidity_sweep_reversal',
      'comment',
      0.5,
      'M1',
    ]);
    // What the template leaves out is the trade type's (INTRADAY by its stop / ATR(H1), not a comment keyword).
    expect([p.tradeType, p.basePartialPct, p.partialClosePct, p.trailingEnabled]).toEqual(['INTRADAY', 60, 50, true]);
    expect(p.tradeTypeReason).toMatch(/^stop .* x ATR\(H1\)/);
    expect(h.last('classify').note).toBe(
      'INTRADAY (confidence 0.7): stop 5.00 x ATR(H1) > 1; base breakeven 30% / partial 60% closing 50%; ' +
        "strategy template liquidity_sweep_reversal (comment): sets breakeven at 0.5 R, trail the symbol's multiplier x ATR(M1)",
    );
    expect(h.step(2004.9)).toEqual([]);
    const [be] = h.step(2005.1);
    expect(be?.rule).toBe('breakeven');
    expect(h.last('breakeven').trigger).toBe(0.5);
  });

  it('any case, in the middle of a comment; its name is not read as a comment keyword (…_scalp is no SCALP)', () => {
    expect(strategyInComment('fade the range !STRATEGY:Mean_Reversion_Range_Scalp, tight')).toBe(
      'Mean_Reversion_Range_Scalp',
    );
    expect(strategyInComment('no token here: strategy:kill_zone')).toBeNull();
    const h = gold('!STRATEGY:Mean_Reversion_Range_Scalp');
    expect([h.plan.strategy, h.plan.trailingEnabled, h.plan.breakevenR, h.plan.tradeType]).toEqual([
      'mean_reversion_range_scalp',
      false,
      0.5,
      'INTRADAY',
    ]);
  });

  it("a name MT5 cut at the comment's 31 characters: the one template it begins; a cut two templates begin stays unknown", () => {
    // "!strategy:" leaves 21 characters: "breakout_ib_volatilit" begins only breakout_ib_volatility_trap.
    const cut = gold('!strategy:breakout_ib_volatilit');
    expect([cut.plan.strategy, cut.plan.strategySource]).toEqual(['breakout_ib_volatility_trap', 'comment']);
    // "m" begins mean_reversion_range_scalp, market_structure_shift and mitigation_block: no choice made.
    const ambiguous = gold('!strategy:m');
    expect(ambiguous.plan.strategy).toBe('');
    expect(ambiguous.last('classify').note).toContain('strategy template "m" (comment) is unknown');
  });

  it('an unknown name: the defaults, and the classify record says the name is unknown and lists the known ones', () => {
    const h = gold('!strategy:moon_shot');
    const plain = gold('');
    expect([h.plan.strategy, h.plan.strategySource]).toEqual(['', '']);
    const fields = (x: ExitHarness) => [
      x.plan.baseBreakevenPct,
      x.plan.breakevenR,
      x.plan.basePartialPct,
      x.plan.partialClosePct,
      x.plan.trailingEnabled,
      x.plan.trailTimeframe,
    ];
    expect(fields(h)).toEqual(fields(plain));
    expect(h.last('classify').note).toBe(
      `INTRADAY (confidence 0.7): stop 5.00 x ATR(H1) > 1; base breakeven 30% / partial 60% closing 50%; strategy template "moon_shot" (comment) is unknown: managed with the defaults; known are ${KNOWN}`,
    );
    expect(plain.last('classify').note).not.toMatch(/strategy/);
  });

  it("breakout_ib_volatility_trap: partial at 75% closing 50%, and the trail is 1.5 x ATR(M5), the session's ratio applied", () => {
    const cfg = config({ exits: { trailing: { fromBreakevenStop: false, tightenPerR: 0 } } });
    const h = new ExitHarness({
      symbol: 'EURUSD',
      side: 'buy',
      entry: 1.1,
      sl: 1.099,
      tp: 1.103,
      volume: 1,
      comment: '!strategy:breakout_ib_volatility_trap',
      config: cfg,
      features: neutralFeatures({ atr: 0.0001, atrH1: 0.0002 }),
    });
    expect([
      h.plan.basePartialPct,
      h.plan.partialClosePct,
      h.plan.templateTrailingMultiplier,
      h.plan.trailTimeframe,
      h.plan.breakevenR,
    ]).toEqual([75, 50, 1.5, 'M5', 1]);
    h.ctx.atrByTimeframe[TIMEFRAME_INDEX.M5] = 0.0002;
    expect(h.step(1.1011)[0]?.rule).toBe('breakeven');
    // LONDON: EURUSD's session multiplier is its base (1.2), so the template's 1.5 holds; distance 0.0003.
    const [trail] = h.step(1.1015);
    expect(trail?.rule).toBe('trail');
    expect(trail?.newSl).toBeCloseTo(1.1012, 10);
    expect([h.last('trail').atr, h.last('trail').multiplier]).toEqual([0.0002, 1.5]);
    // ASIAN: EURUSD's 1.4 against its 1.2 scales the template's 1.5 the same way (1.75).
    h.now = Date.UTC(2024, 4, 16, 2, 0, 0);
    expect(h.step(1.1021)[0]?.newSl).toBeCloseTo(1.10175, 10);
    expect(h.last('trail').multiplier).toBeCloseTo(1.75, 10);
    // No ATR on the template's timeframe yet: the trail waits, it does not fall back to another timeframe's.
    h.ctx.atrByTimeframe[TIMEFRAME_INDEX.M5] = NaN;
    expect(h.step(1.1022)).toEqual([]);
    expect(h.last('trail').reason).toBe('atr_unavailable');
  });

  it("the advanced triggers adjust from the template's base, as from the trade type's", () => {
    const cfg = config({
      exits: { strategies: { low: { breakevenPct: 35, partialPct: 65 }, high: { breakevenPct: 45, partialPct: 75 } } },
    });
    // A quality trend in the trade's direction raises breakeven / partial to at least 40 / 70.
    const trend = neutralFeatures({ ema50Slope: 0.2, ema200Slope: 0.1, mtfUp: 0 });
    const low = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1990,
      tp: 2030,
      comment: '!strategy:low',
      config: cfg,
      features: trend,
    });
    const high = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1990,
      tp: 2030,
      comment: '!strategy:high',
      config: cfg,
      features: trend,
    });
    expect([low.plan.baseBreakevenPct, low.plan.breakevenPct, low.plan.basePartialPct, low.plan.partialPct]).toEqual([
      35, 40, 65, 70,
    ]);
    expect([
      high.plan.baseBreakevenPct,
      high.plan.breakevenPct,
      high.plan.basePartialPct,
      high.plan.partialPct,
    ]).toEqual([45, 45, 75, 75]);
    expect(low.last('triggers')).toMatchObject({
      baseBreakevenPct: 35,
      basePartialPct: 65,
      breakevenPct: 40,
      partialPct: 70,
    });
    // A percent set alone replaces the breakeven in R (exits.breakeven.atR), as a trader's percent does.
    const inR = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1990,
      tp: 2030,
      comment: '!strategy:low',
      config: config({ exits: { breakeven: { atR: 1 }, strategies: { low: { breakevenPct: 35, partialPct: 65 } } } }),
    });
    expect(inR.plan.breakevenR).toBeNaN();
    expect(
      new ExitHarness({
        symbol: 'XAUUSDc',
        side: 'buy',
        entry: 2000,
        sl: 1990,
        tp: 2030,
        config: config({ exits: { breakeven: { atR: 1 } } }),
      }).plan.breakevenR,
    ).toBe(1);
  });

  it("a template's breakeven buffer replaces the symbol's", () => {
    const cfg = config({ exits: { strategies: { wide: { bufferMultiplier: 0.8 } } } });
    const h = new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1990,
      tp: 2030,
      comment: '!strategy:wide',
      config: cfg,
    });
    h.step(2010);
    expect([h.last('breakeven').multiplier, h.position.sl]).toEqual([0.8, 1999.2]);
  });
});

describe("which template: the API, then the comment, then the symbol's entry", () => {
  const cfg = configSchema.parse({ exits: { strategyBySymbol: { DEFAULT: null, XAUUSD: 'order_block_rejection' } } });

  it('picks in that order, and none for a symbol without an entry', () => {
    const choice = (p: Pick<Position, 'comment' | 'strategyType'>, canonical = 'XAUUSD') => {
      const c = chooseStrategy(cfg.exits, p, canonical);
      return [c.name, c.source, c.unknown];
    };
    expect(choice({ comment: '!strategy:kill_zone', strategyType: 'FVG_Retracement' })).toEqual([
      'fvg_retracement',
      'api',
      '',
    ]);
    expect(choice({ comment: '!strategy:kill_zone' })).toEqual(['kill_zone', 'comment', '']);
    expect(choice({ comment: 'hello' })).toEqual(['order_block_rejection', 'config', '']);
    expect(choice({ comment: 'hello' }, 'EURUSD')).toEqual(['', '', '']);
    // An unknown name in the comment is not replaced by the symbol's template: the defaults, said out loud.
    expect(choice({ comment: '!strategy:nope' })).toEqual(['', 'comment', 'nope']);
  });

  it("a symbol's configured template makes its positions' plans, recorded as from the config", () => {
    const h = gold(
      '',
      config({ exits: { strategyBySymbol: { DEFAULT: null, XAUUSD: 'mean_reversion_range_scalp' } } }),
    );
    expect([h.plan.strategy, h.plan.strategySource, h.plan.trailingEnabled]).toEqual([
      'mean_reversion_range_scalp',
      'config',
      false,
    ]);
    expect(h.last('classify').note).toMatch(
      /; strategy template mean_reversion_range_scalp \(config\): sets breakeven at 0\.5 R, no trailing$/,
    );
    const other = new ExitHarness({
      symbol: 'EURUSD',
      side: 'buy',
      entry: 1.1,
      sl: 1.099,
      tp: 1.103,
      config: config({ exits: { strategyBySymbol: { DEFAULT: null, XAUUSD: 'mean_reversion_range_scalp' } } }),
    });
    expect(other.plan.strategy).toBe('');
  });

  it('an unknown name asked for names the known ones', () => {
    expect(lookUpStrategy(cfg.exits, 'Kill-Zone')).toMatchObject({ ok: true, name: 'kill_zone' });
    expect(lookUpStrategy(cfg.exits, 'scalper')).toEqual({
      ok: false,
      message: `unknown strategy type "scalper": known are ${KNOWN}`,
    });
  });
});

describe('a template chosen for a plan that exists', () => {
  const apply = (h: ExitHarness, name: string) => {
    const found = lookUpStrategy(h.cfg.exits, name);
    if (!found.ok) throw new Error(found.message);
    return retemplatePlan(
      h.plan,
      h.cfg.exits,
      found.name,
      found.template,
      'api',
      h.features,
      h.rules.triggers,
      h.now,
      h.ctx,
    );
  };

  it('changes the base as if the position had been registered with it, and says what changed', () => {
    const h = gold('');
    const r = apply(h, 'breakout_ib_volatility_trap');
    expect(r).toEqual({
      ok: true,
      change:
        'strategy template: none -> breakout_ib_volatility_trap (api); breakeven trigger: 30% of the way to TP -> 1 R, partial trigger: 60% -> 75% of the way to TP, ' +
        "trail multiplier: the symbol's -> 1.5, trail ATR timeframe: the symbol's -> M5",
    });
    expect([
      h.plan.strategy,
      h.plan.strategySource,
      h.plan.breakevenR,
      h.plan.basePartialPct,
      h.plan.partialPct,
    ]).toEqual(['breakout_ib_volatility_trap', 'api', 1, 75, 75]);
    expect(h.last('triggers')).toMatchObject({ reason: 'triggers_set', basePartialPct: 75 });
    // Again: nothing changes, nothing to say.
    expect(apply(h, 'breakout_ib_volatility_trap')).toEqual({ ok: true, change: '' });
  });

  it('refuses to change a step already done, and changes nothing then; trailing can still change after breakeven', () => {
    const h = gold('');
    h.plan.breakevenState = BREAKEVEN_DONE;
    const before = structuredClone(h.plan);
    expect(apply(h, 'liquidity_sweep_reversal')).toEqual({
      ok: false,
      message:
        'breakeven is already done for this position: strategy template liquidity_sweep_reversal would change its trigger or buffer',
    });
    expect(h.plan).toEqual(before);
    const cfg = config({ exits: { strategies: { calm: { trailingMultiplier: 2.5, partialClosePct: 30 } } } });
    const g = gold('', cfg);
    g.plan.breakevenState = BREAKEVEN_DONE;
    g.plan.partialState = PARTIAL_DONE;
    expect(apply(g, 'calm')).toEqual({
      ok: false,
      message: 'the partial close is already done for this position: strategy template calm would change it',
    });
    g.plan.partialState = 0;
    expect(apply(g, 'calm')).toMatchObject({
      ok: true,
      change:
        "strategy template: none -> calm (api); partial size: 50% -> 30% of the volume, trail multiplier: the symbol's -> 2.5",
    });
  });
});

describe("a what-if replay of a plan (the proposals' replays)", () => {
  const fields = (h: ExitHarness) => {
    const p = h.plan;
    return [
      p.baseBreakevenPct,
      p.breakevenR,
      p.basePartialPct,
      p.partialClosePct,
      p.trailingEnabled,
      p.templateTrailingMultiplier,
      p.templateBufferMultiplier,
      p.trailTimeframe,
    ];
  };
  const replayed = (live: ExitHarness, patch: Parameters<typeof planConfig>[2]) =>
    new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: 1990,
      tp: 2030,
      volume: 1,
      comment: withoutStrategyToken(live.position.comment),
      config: planConfig(live.cfg, live.plan, patch),
    });

  it("runs on the plan's template, however it was chosen, and a patch changes it as it would the live plan", () => {
    const bo = {
      breakevenR: 1,
      partialPct: 75,
      partialClosePct: 50,
      trailingMultiplier: 1.5,
      trailingTimeframe: 'M5',
      bufferMultiplier: 0.5,
    };
    const live = gold('!strategy:bo', config({ exits: { breakeven: { atR: 0.8 }, strategies: { bo } } }));
    expect(fields(replayed(live, {}))).toEqual(fields(live));
    const patched = replayed(live, { breakevenPct: 40 });
    expect(fields(patched)).toEqual([40, NaN, 75, 50, true, 1.5, 0.5, 'M5']);
    const plain = gold('');
    expect(fields(replayed(plain, {}))).toEqual(fields(plain));
  });
});

describe('in the engine', () => {
  const market = generateSampleMarket({
    seed: 4,
    bars: 6000,
    startPrice: 1.1,
    volatility: 0.0002,
    spread: 0.0001,
    digits: 5,
  }).bars;

  /** Opens a buy with `comment` every 240 bars after warm-up; returns the engine's records and intents. */
  function run(comment: string): { sink: ArraySink; book: SimBook } {
    const cfg = configSchema.parse({});
    const sink = new ArraySink();
    const engine = new ExitEngine(cfg, { baseTimeframe: 'M1', sink });
    const inst = instrumentFromConfig(cfg, 'EURUSD');
    engine.addInstrument(inst);
    const book = new SimBook(engine, inst);
    let n = 0;
    for (let i = 0; i < market.length; i++) {
      const bar = market[i]!;
      book.step(bar);
      if (i >= 1500 && (i - 1500) % 240 === 0) {
        const entry = bar.close + spreadOf(bar);
        const dist = engine.features('EURUSD').atr * 2;
        book.open(
          {
            id: `p${++n}`,
            symbol: 'EURUSD',
            side: 'buy',
            volume: 1,
            entryPrice: entry,
            sl: entry - dist,
            tp: entry + 2 * dist,
            openTime: bar.time + 60_000,
            comment,
          },
          bar.time + 60_000,
        );
      }
    }
    return { sink, book };
  }

  it('a template that trails on M5 measures the trail in ATR(M5), the same value the features give on M5; and twice the same run gives the same decisions', () => {
    const a = run('!strategy:trend_continuation_pullback');
    expect(a.book.violations).toEqual([]);
    const trails = a.sink.records.filter((r) => r.rule === 'trail' && r.outcome === 'intent');
    expect(trails.length).toBeGreaterThan(5);
    // ATR(M5) at each bar's close, from features made for M5.
    const m5 = new SymbolFeatures(configSchema.parse({}).features, 'M5', 'M1');
    const atrAt = new Map<number, number>();
    const f = emptyMarketFeatures();
    for (const b of market as Bar[]) {
      m5.onBar(b);
      atrAt.set(b.time + 60_000, m5.snapshot(f).atr);
    }
    for (const r of trails) expect(r.atr).toBe(atrAt.get(r.time));
    expect(
      a.sink.records
        .filter((r) => r.rule === 'classify')
        .every((r) => r.note.includes('strategy template trend_continuation_pullback (comment)')),
    ).toBe(true);
    const b = run('!strategy:trend_continuation_pullback');
    expect(JSON.stringify(b.sink.records)).toBe(JSON.stringify(a.sink.records));
    // The default plan trails in ATR(M15): other distances.
    const plain = run('').sink.records.filter((r) => r.rule === 'trail' && r.outcome === 'intent');
    expect(plain.some((r) => r.atr !== atrAt.get(r.time))).toBe(true);
  });

  it('the API path: applyStrategy puts a managed plan on a template, or says why not', () => {
    const cfg = configSchema.parse({});
    const engine = new ExitEngine(cfg, { baseTimeframe: 'M1', sink: new ArraySink() });
    engine.addInstrument(instrumentFromConfig(cfg, 'EURUSD'));
    for (const b of market.slice(0, 300)) engine.onBar('EURUSD', b, []);
    engine.track(
      {
        id: 'x1',
        symbol: 'EURUSD',
        side: 'sell',
        volume: 1,
        entryPrice: 1.1,
        sl: 1.101,
        tp: 1.098,
        openTime: market[299]!.time,
        comment: '',
      },
      market[299]!.time + 60_000,
    );
    expect(engine.applyStrategy('nope', 'kill_zone', 'api')).toEqual({
      ok: false,
      message: 'no position nope under management',
    });
    expect(engine.applyStrategy('x1', 'kill-zone-2', 'api')).toMatchObject({
      ok: false,
      message: expect.stringContaining('unknown strategy type "kill-zone-2": known are breakout_ib_volatility_trap'),
    });
    expect(engine.applyStrategy('x1', 'Mean_Reversion_Range_Scalp', 'api')).toMatchObject({
      ok: true,
      change: expect.stringContaining('-> mean_reversion_range_scalp (api)'),
    });
    expect([engine.plan('x1')?.strategy, engine.plan('x1')?.trailingEnabled]).toEqual([
      'mean_reversion_range_scalp',
      false,
    ]);
  });
});
