// The trader's documents stay true to the code: every config key of the exits and dtms sections is
// described in docs/exits.md or docs/dtms.md, and the figures of their worked examples (written in
// bold there) are computed here again with the engine's own functions at the built-in defaults.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Position } from '../../src/domain/types.ts';
import { planDefensiveAction, type DefensiveContext } from '../../src/dtms/defensiveActions.ts';
import { deepCheck, newDefensiveState, type DtmsState } from '../../src/dtms/defensiveState.ts';
import { monitorParamsFromConfig } from '../../src/dtms/dtmsParams.ts';
import { adaptiveThresholds, classifyRegime } from '../../src/dtms/regime.ts';
import {
  emptyDtmsSignals,
  newDtmsScore,
  scoreDtmsSignals,
  type DtmsScore,
  type DtmsSignals,
} from '../../src/dtms/signalScore.ts';
import { breakevenTriggerR } from '../../src/exits/breakevenStop.ts';
import type { MarketFeatures } from '../../src/features/snapshot.ts';
import { ExitHarness, neutralFeatures } from '../support/exitHarness.ts';

const doc = (name: string): string => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
const exitsDoc = doc('exits.md');
const dtmsDoc = doc('dtms.md');

// --- (a) every config key is documented ---------------------------------------------------------------

interface SchemaDef {
  type: string;
  innerType?: unknown;
  valueType?: unknown;
}
const defOf = (s: unknown): SchemaDef => (s as { def: SchemaDef }).def;
const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(s: unknown): unknown {
  let cur = s;
  while (WRAPPERS.has(defOf(cur).type)) cur = defOf(cur).innerType;
  return cur;
}

/**
 * The leaf keys under a schema, dotted. A record of objects (a table keyed by symbol, session or
 * template name) is walked with `*` for its key; a record of plain values is one key itself.
 */
function configKeys(s: unknown, path: string, out: string[] = []): string[] {
  const u = unwrap(s);
  const d = defOf(u);
  if (d.type === 'object') {
    for (const [k, v] of Object.entries((u as { shape: Record<string, unknown> }).shape))
      configKeys(v, `${path}.${k}`, out);
    return out;
  }
  if (d.type === 'record' && defOf(unwrap(d.valueType)).type === 'object')
    return configKeys(unwrap(d.valueType), `${path}.*`, out);
  out.push(path);
  return out;
}

describe('every config key of the exits and dtms sections is in the docs', () => {
  const exitsKeys = configKeys(configSchema.shape.exits, 'exits');
  const dtmsKeys = configKeys(configSchema.shape.dtms, 'dtms');

  it('the walk finds the sections (a broken walk would pass vacuously)', () => {
    expect(exitsKeys).toContain('exits.trailing.gates.hvn');
    expect(exitsKeys).toContain('exits.symbolParams.*.sessions.*.bufferMultiplier');
    expect(dtmsKeys).toContain('dtms.actions.openPositions');
    expect(exitsKeys.length).toBeGreaterThan(50);
    expect(dtmsKeys.length).toBeGreaterThan(25);
  });

  it.each(exitsKeys)('docs/exits.md names %s', (key) => {
    expect(exitsDoc).toContain(`\`${key}\``);
  });

  it.each(dtmsKeys)('docs/dtms.md names %s', (key) => {
    expect(dtmsDoc).toContain(`\`${key}\``);
  });
});

// --- (b) the worked examples' figures ------------------------------------------------------------------

/** A figure as the docs write it in a worked example: in bold. */
const bold = (text: string): string => `**${text}**`;
const price = (x: number, decimals = 2): string => bold(x.toFixed(decimals));
const lots = (x: number): string => bold(`${x.toFixed(2)} lots`);

describe('docs/exits.md: the XAUUSD buy at the defaults', () => {
  const cfg = configSchema.parse({});
  const SPREAD = 0.25;
  /** The example trade: XAUUSDc buy 0.10 at 2000.00, SL 1990.00, TP 2020.00, ATR(M15) 2.00, ATR(H1) 4.00, LONDON. */
  const trade = (
    o: {
      sl?: number;
      tp?: number;
      volume?: number;
      comment?: string;
      features?: Partial<MarketFeatures>;
      time?: number;
      config?: typeof cfg;
    } = {},
  ) =>
    new ExitHarness({
      symbol: 'XAUUSDc',
      side: 'buy',
      entry: 2000,
      sl: o.sl ?? 1990,
      tp: o.tp ?? 2020,
      volume: o.volume ?? 0.1,
      comment: o.comment ?? '',
      config: o.config ?? cfg,
      features: neutralFeatures({ atr: 2, atrH1: 4, ...o.features }),
      ...(o.time === undefined ? {} : { time: o.time }),
    });
  const ASIAN_TIME = Date.UTC(2024, 4, 16, 3, 0, 0);

  it('registration: INTRADAY from the stop / ATR(H1), its partial 60% closing 50%; a "quick scalp" comment makes it SCALP', () => {
    const h = trade();
    expect(h.plan.tradeType).toBe('INTRADAY');
    expect(exitsDoc).toContain(bold(h.plan.tradeType));
    expect(exitsDoc).toContain(bold(`${h.plan.partialPct}%`));
    expect(exitsDoc).toContain(bold(`${h.plan.partialClosePct}%`));
    const scalp = trade({ comment: 'quick scalp' });
    expect(exitsDoc).toContain(bold(scalp.plan.tradeType));
    expect([scalp.plan.partialPct, scalp.plan.partialClosePct]).toEqual([40, 70]);
  });

  it('breakeven: nothing at 2009.90, the stop to entry + spread - 0.3 ATR at 2010.00 (1 R)', () => {
    const h = trade();
    expect(h.step(2009.9, SPREAD)).toEqual([]);
    const [be] = h.step(2010, SPREAD);
    expect(be?.rule).toBe('breakeven');
    expect(exitsDoc).toContain(price(2010));
    expect(exitsDoc).toContain(price(be!.newSl));
    expect(be!.newSl).toBeCloseTo(1999.65, 9);
  });

  it('breakeven variants: ASIAN session, lock mode, no ATR, at the trade type percent', () => {
    const asian = trade({ time: ASIAN_TIME });
    expect(exitsDoc).toContain(price(asian.step(2010, SPREAD)[0]!.newSl));
    const lock = trade({ config: configSchema.parse({ exits: { breakevenMode: 'lock', lockOffsetPoints: 100 } }) });
    expect(exitsDoc).toContain(price(lock.step(2010, SPREAD)[0]!.newSl));
    const noAtr = trade({ features: { atr: NaN } });
    expect(exitsDoc).toContain(price(noAtr.step(2010, SPREAD)[0]!.newSl));
    const byPct = trade({ config: configSchema.parse({ exits: { breakeven: { atR: null } } }) });
    expect(byPct.step(2005.99, SPREAD)).toEqual([]);
    const [be] = byPct.step(2006, SPREAD);
    expect(be?.rule).toBe('breakeven');
    expect(exitsDoc).toContain(price(2006));
  });

  it('the partial closes 0.05 lots at 2012.00; a 0.01-lot position skips it', () => {
    const h = trade();
    h.step(2010, SPREAD);
    h.step(2011.99, SPREAD);
    const [partial] = h.step(2012, SPREAD);
    expect(partial?.rule).toBe('partial');
    expect(exitsDoc).toContain(price(2012));
    expect(exitsDoc).toContain(lots(partial!.volume));
    const small = trade({ volume: 0.01 });
    small.step(2010, SPREAD);
    small.step(2012, SPREAD);
    expect(exitsDoc).toContain(bold(small.last('partial').reason));
  });

  it('the trail: 3.00 behind at 2010.00, shrinking beyond 1 R, and no move below the minimum change', () => {
    const h = trade();
    h.step(2010, SPREAD); // breakeven
    const [first] = h.step(2010, SPREAD);
    expect(first?.rule).toBe('trail');
    expect(exitsDoc).toContain(price(h.last('trail').distance));
    expect(exitsDoc).toContain(price(first!.newSl));
    h.step(2012, SPREAD); // the partial
    for (const bid of [2015, 2018]) {
      const [move] = h.step(bid, SPREAD);
      expect(move?.rule).toBe('trail');
      expect(exitsDoc).toContain(price(bid));
      expect(exitsDoc).toContain(price(move!.newSl));
    }
    expect(h.step(2018.05, SPREAD)).toEqual([]);
    expect(exitsDoc).toContain(bold(h.last('trail').reason));
    expect(h.last('trail').reason).toBe('below_min_change');
  });

  it('three failed advisory gates widen the trail to 2.0 ATR; the ASIAN session trails 1.8 ATR', () => {
    const wide = trade({ features: { mtfUp: 1, squeeze: 1, hvnDistAtr: 0.1 } });
    wide.step(2010, SPREAD); // breakeven
    wide.step(2010, SPREAD); // the partial (the squeeze moved it to 50%)
    const [move] = wide.step(2010, SPREAD);
    expect(wide.last('trail').advisoryFailures).toBe(3);
    expect(exitsDoc).toContain(price(wide.last('trail').multiplier, 1));
    expect(exitsDoc).toContain(price(move!.newSl));
    const asian = trade({ time: ASIAN_TIME });
    asian.step(2010, SPREAD);
    expect(exitsDoc).toContain(price(asian.step(2010, SPREAD)[0]!.newSl));
  });

  it('fromBreakevenStop: a SCALP with a 3.00 stop trails from its breakeven stop', () => {
    const h = trade({ sl: 1997, tp: 2006, comment: 'scalp', features: { atr: 2.5 } });
    const [be] = h.step(2003, SPREAD);
    expect(be?.rule).toBe('breakeven');
    expect(exitsDoc).toContain(price(be!.newSl));
    const [partial] = h.step(2003, SPREAD);
    expect(partial?.volume).toBeCloseTo(0.07, 9);
    const [trail] = h.step(2004, SPREAD);
    expect(trail?.rule).toBe('trail');
    expect(exitsDoc).toContain(price(trail!.newSl, 3));
  });

  it('advanced triggers: RMAG stretched gives 20% / 40% and breakeven at 0.67 R; a quality trend 40% / 80%', () => {
    const h = trade({ features: { ema200Atr: 2.5 } });
    expect([h.plan.breakevenPct, h.plan.partialPct]).toEqual([20, 40]);
    expect(exitsDoc).toContain(bold(`${h.plan.partialPct}%`));
    expect(exitsDoc).toContain(bold(`${breakevenTriggerR(h.plan, h.position).toFixed(2)} R`));
    expect(h.step(2006.6, SPREAD)).toEqual([]);
    expect(h.step(2006.7, SPREAD)[0]?.newSl).toBeCloseTo(1999.65, 9);
    const [partial] = h.step(2008, SPREAD);
    expect(partial?.rule).toBe('partial');
    expect(exitsDoc).toContain(price(2008));
    const quality = trade({ features: { ema50Slope: 0.2, ema200Slope: 0.1, ema200Atr: 1 } });
    expect(quality.plan.breakevenPct).toBe(40);
    expect(exitsDoc).toContain(bold(`${quality.plan.partialPct}%`));
  });

  it('a strategy template: breakout_ib_volatility_trap partials at 75% closing 50%, trailing 1.5 x ATR(M5)', () => {
    const h = trade({ comment: '!strategy:breakout_ib_volatility_trap' });
    expect(h.plan.strategy).toBe('breakout_ib_volatility_trap');
    expect([
      h.plan.breakevenR,
      h.plan.partialClosePct,
      h.plan.trailTimeframe,
      h.plan.templateTrailingMultiplier,
    ]).toEqual([1, 50, 'M5', 1.5]);
    expect(exitsDoc).toContain(bold(`${h.plan.partialPct}%`));
  });
});

describe('docs/dtms.md: the XAUUSD buy under DTMS at the defaults', () => {
  const cfg = configSchema.parse({});
  const p = monitorParamsFromConfig(cfg.dtms);
  const machine = { ...p.machine, hedging: true };
  const OPEN = Date.UTC(2024, 4, 16, 10, 0, 0);
  const MIN = 60_000;
  const london = classifyRegime(OPEN, 1.0, 0.01, p.regime);
  const asian = classifyRegime(Date.UTC(2024, 4, 16, 3, 0, 0), 1.0, 0.01, p.regime);
  const slope = (x: number): string => bold(String(Number(x.toFixed(6))));

  /** The shared readings: price 1996, VWAP 2001, RSI 42 falling from 48, EMAs sloping apart, delta z -0.8. */
  const readings = (o: Partial<DtmsSignals> = {}): DtmsSignals =>
    Object.assign(
      emptyDtmsSignals(),
      { price: 1996, vwap: 2001, rsi: 42, rsiTwoBarsAgo: 48, ema50Slope: -0.001, ema200Slope: 0.0005, deltaZ: -0.8 },
      o,
    );
  const score = (s: DtmsSignals, regime = london): DtmsScore =>
    scoreDtmsSignals('buy', s, regime, adaptiveThresholds('XAUUSD', regime, p.regime), newDtmsScore(), p.score);

  const warning = score(readings());
  const twoLayers = score(readings({ deltaZ: NaN }));
  const l2 = score(readings({ price: 1995, m5Open: 1996.6, m5High: 1996.7, m5Low: 1994.9, m5Close: 1995 }));
  const hedge = score(
    readings({
      price: 1993,
      priorHigh: 2004,
      priorLow: 1998.5,
      m5Open: 1994.6,
      m5High: 1994.7,
      m5Low: 1992.9,
      m5Close: 1993,
    }),
  );
  const recovery = score(
    Object.assign(emptyDtmsSignals(), {
      price: 2000.5,
      swingHigh: 1999,
      swingLow: 1990,
      rsi: 55,
      rsiTwoBarsAgo: 50,
      ema50Slope: 0.001,
      ema200Slope: 0.0005,
    }),
  );

  it('the VWAP-flip slope threshold: LONDON, ASIAN, and the 1.8 x cap', () => {
    expect(dtmsDoc).toContain(slope(adaptiveThresholds('XAUUSD', london, p.regime).vwapSlope));
    expect(dtmsDoc).toContain(slope(adaptiveThresholds('XAUUSD', asian, p.regime).vwapSlope));
    const capped = classifyRegime(Date.UTC(2024, 4, 16, 3, 0, 0), 0.5, 0.002, p.regime);
    expect(capped).toEqual({ session: 'ASIAN', volatility: 'LOW', structure: 'RANGE' });
    expect(dtmsDoc).toContain(slope(adaptiveThresholds('XAUUSD', capped, p.regime).vwapSlope));
  });

  it('the scores of the examples', () => {
    expect(dtmsDoc).toContain(bold(String(warning.total)));
    expect(dtmsDoc).toContain(bold(String(warning.adverseLayers)));
    expect([twoLayers.total, twoLayers.adverseLayers]).toEqual([-6.25, 2]);
    expect(dtmsDoc).toContain(String(twoLayers.total));
    expect(dtmsDoc).toContain(bold(String(Number(score(readings(), asian).total.toFixed(6)))));
    expect(dtmsDoc).toContain(bold(String(l2.total)));
    expect(dtmsDoc).toContain(bold(String(hedge.weightedStructure)));
    expect(dtmsDoc).toContain(bold(String(hedge.total)));
    expect(dtmsDoc).toContain(bold(String(recovery.total)));
  });

  it('the states, check by check: grace, L1, L2, HEDGED, RECOVERING, HEALTHY; or CLOSED after 75 min hedged', () => {
    const walk = (checks: [minutes: number, s: DtmsScore][]) => {
      const st = newDefensiveState('7', OPEN);
      return checks.map(([m, s]) =>
        deepCheck(
          st,
          {
            score: s.total,
            vwapFlipAgainst: s.vwapFlipAgainst,
            volumeFlipAgainst: s.volumeFlipAgainst,
            structureResumed: s.structure > 0,
            adverseLayers: s.adverseLayers,
            ageMs: m * MIN,
          },
          OPEN + m * MIN,
          machine,
        ),
      );
    };
    const steps = walk([
      [15, warning],
      [30, warning],
      [45, l2],
      [60, hedge],
      [75, hedge],
      [90, recovery],
      [105, recovery],
      [120, recovery],
    ]);
    expect(steps[0]!.to).toBe('HEALTHY');
    expect(dtmsDoc).toContain(bold('HEALTHY'));
    const moves: [DtmsState, DtmsState][] = steps.filter((s) => s.from !== s.to).map((s) => [s.from, s.to]);
    expect(moves).toEqual([
      ['HEALTHY', 'WARNING_L1'],
      ['WARNING_L1', 'WARNING_L2'],
      ['WARNING_L2', 'HEDGED'],
      ['HEDGED', 'RECOVERING'],
      ['RECOVERING', 'HEALTHY'],
    ]);
    for (const [from, to] of moves) expect(dtmsDoc).toContain(bold(`${from} -> ${to}`));
    expect(steps.map((s) => s.actions.join(','))).toEqual([
      '',
      'tighten_stop',
      'partial_close,stop_to_breakeven',
      'open_hedge',
      '',
      'close_hedge',
      '',
      're_add',
    ]);

    const closed = walk([
      [15, warning],
      [30, warning],
      [45, l2],
      [60, hedge],
      [134, hedge],
      [135, hedge],
    ]);
    expect(closed.map((s) => s.to).slice(-2)).toEqual(['HEDGED', 'CLOSED']);
    expect(closed.at(-1)!.actions).toEqual(['close_all']);
    expect(dtmsDoc).toContain('12:15, after 75 minutes');

    // Two layers against the trade never warn, however long the trade has run.
    expect(walk([[30, twoLayers]])[0]!.to).toBe('HEALTHY');
  });

  it('the actions as orders: tighten, the 50% close, no stop above the bid, the hedge, the re-add', () => {
    const inst = instrumentFromConfig(cfg, 'XAUUSDc');
    expect(inst.hedging).toBe(true);
    const position: Position = {
      id: '7',
      symbol: 'XAUUSDc',
      side: 'buy',
      volume: 0.1,
      entryPrice: 2000,
      sl: 1985,
      tp: 2030,
      openTime: OPEN,
      comment: '',
    };
    const at = (bid: number, o: Partial<DefensiveContext> = {}): DefensiveContext => ({
      position,
      instrument: inst,
      bid,
      ask: bid + 0.25,
      initialRisk: 15,
      atr: 2,
      closedVolume: 0,
      hedgeId: null,
      hedgeVolume: 0,
      ...o,
    });

    const tighten = planDefensiveAction('tighten_stop', at(1996), p.defensive).orders[0];
    expect(tighten?.kind).toBe('move_stop');
    if (tighten?.kind === 'move_stop') expect(dtmsDoc).toContain(price(tighten.newSl));

    const half = planDefensiveAction('partial_close', at(1995), p.defensive).orders[0];
    if (half?.kind !== 'close_partial') throw new Error('expected a partial close');
    expect(dtmsDoc).toContain(lots(half.volume));
    const toEntry = planDefensiveAction('stop_to_breakeven', at(1995), p.defensive);
    expect(dtmsDoc).toContain(bold(toEntry.skip ?? 'an order'));

    const halved: Position = { ...position, volume: 0.05, sl: 1991.5 };
    const hedgeOrder = planDefensiveAction('open_hedge', at(1993, { position: halved }), p.defensive).orders[0];
    if (hedgeOrder?.kind !== 'open') throw new Error('expected a hedge');
    expect(hedgeOrder.side).toBe('sell');
    expect(dtmsDoc).toContain(lots(hedgeOrder.volume));
    expect(dtmsDoc).toContain(price(hedgeOrder.sl ?? NaN));

    const reAdd = planDefensiveAction('re_add', at(2001, { position: halved, closedVolume: 0.05 }), p.defensive)
      .orders[0];
    if (reAdd?.kind !== 'open') throw new Error('expected a re-add');
    expect(dtmsDoc).toContain(lots(reAdd.volume));
    expect(reAdd.sl).toBe(1991.5);
  });
});
