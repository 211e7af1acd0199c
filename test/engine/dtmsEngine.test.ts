// DTMS inside the engine, end to end: ExitEngine (exit plan + DTMS) on generated and crafted M1 bars,
// a simulated book (test/support/simBook.ts) that fills stops inside bars, applies every intent kind
// and checks the money-safety invariants on each, and the decision records (ArraySink) for what DTMS
// decided: transitions, the stop's hand-overs with the exit plan, the intents it sent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema, type WardenConfig } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { isTighterStop } from '../../src/domain/rounding.ts';
import type { Bar, Intent, Position, Side } from '../../src/domain/types.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import { ArraySink, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { gaussian, generateSampleMarket, seededRandom } from '../../src/market/sampleMarket.ts';
import { SimBook, spreadOf } from '../support/simBook.ts';

const config = configSchema.parse({});

const SHAPES = [
  { symbol: 'XAUUSDc', startPrice: 2000, volatility: 0.0005, spread: 0.3, digits: 3 },
  { symbol: 'EURUSD', startPrice: 1.1, volatility: 0.0002, spread: 0.0001, digits: 5 },
  { symbol: 'BTCUSDc', startPrice: 40000, volatility: 0.001, spread: 8, digits: 2 },
  { symbol: 'USDJPYm', startPrice: 150, volatility: 0.0002, spread: 0.01, digits: 3 },
] as const;
type Shape = (typeof SHAPES)[number];

interface MarketRun {
  engine: ExitEngine;
  book: SimBook;
  sink: ArraySink;
  /** Breaches found by the test's own checks of each bar's output (before the book applies it). */
  problems: string[];
}

/**
 * A generated market through a fresh engine and book: a position every `every` bars after `warmup`,
 * random side, stop 1-5 ATR, target 2x the stop, 0.02-0.31 lots. Each bar's output is checked here
 * before the book applies it: one intent per position per evaluation, a hedge no larger than the
 * position's open volume, a stop move never looser than the book's stop.
 */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
function runMarket(o: {
  shape: Shape;
  seed: number;
  bars: number;
  hedging?: boolean;
  cfg?: WardenConfig;
  every?: number;
  warmup?: number;
}): MarketRun {
  const { shape, seed } = o;
  const cfg = o.cfg ?? config;
  const every = o.every ?? 60;
  const warmup = o.warmup ?? 400;
  const bars = generateSampleMarket({
    seed,
    bars: o.bars,
    startPrice: shape.startPrice,
    volatility: shape.volatility,
    spread: shape.spread,
    digits: shape.digits,
    regimeMinutes: 120,
  }).bars;
  const sink = new ArraySink();
  const engine = new ExitEngine(cfg, { baseTimeframe: 'M1', sink });
  const inst = { ...instrumentFromConfig(cfg, shape.symbol), hedging: o.hedging ?? true };
  engine.addInstrument(inst);
  const book = new SimBook(engine, inst);
  const rand = seededRandom(seed ^ 0x5eed);
  const problems: string[] = [];
  const out: Intent[] = [];
  let n = 0;
  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i]!;
    book.fillBar(bar);
    out.length = 0;
    engine.onBar(shape.symbol, bar, out);
    const seen = new Set<string>();
    for (const it of out) {
      if (seen.has(it.positionId))
        problems.push(
          `bar ${i}: two intents for #${it.positionId} in one evaluation (${out
            .filter((x) => x.positionId === it.positionId)
            .map((x) => x.id)
            .join(', ')})`,
        );
      seen.add(it.positionId);
      const p = book.position(it.positionId);
      if (!p) continue; // an orphaned hedge's close (its position is gone); the book checks it
      if (it.action === 'open_hedge' && it.volume > p.volume + 1e-9)
        problems.push(`bar ${i}: ${it.id} hedges ${it.volume} of ${p.volume} open`);
      if (it.kind === 'move_stop' && !isTighterStop(p.side, it.newSl, p.sl))
        problems.push(`bar ${i}: ${it.id} (${it.rule}) loosens ${p.sl} -> ${it.newSl}`);
    }
    book.apply(out, bar);
    if (i >= warmup && (i - warmup) % every === 0) {
      const side: Side = rand() < 0.5 ? 'buy' : 'sell';
      const s = side === 'buy' ? 1 : -1;
      const entry = side === 'buy' ? bar.close + spreadOf(bar) : bar.close;
      const f = engine.features(shape.symbol);
      const dist = (Number.isFinite(f.atr) ? f.atr : entry * 0.001) * (1 + rand() * 4);
      const volume = Number((0.01 * (2 + Math.floor(rand() * 30))).toFixed(2));
      const now = bar.time + 60_000;
      book.open(
        {
          id: `${shape.symbol}-${++n}`,
          symbol: shape.symbol,
          side,
          volume,
          entryPrice: entry,
          sl: entry - s * dist,
          tp: entry + s * dist * 2,
          openTime: now,
          comment: '',
        },
        now,
      );
    }
  }
  return { engine, book, sink, problems };
}

/** Breakeven or trail intents sent while DTMS owned the position's stop (between stop_to_dtms and stop_to_exit_plan). */
function ownershipBreaches(records: readonly DecisionRecord[]): string[] {
  const owned = new Set<string>();
  const breaches: string[] = [];
  for (const r of records) {
    if (r.rule === 'dtms' && r.reason === 'stop_to_dtms') owned.add(r.positionId);
    else if (r.rule === 'dtms' && r.reason === 'stop_to_exit_plan') owned.delete(r.positionId);
    else if (r.outcome === 'intent' && (r.rule === 'breakeven' || r.rule === 'trail') && owned.has(r.positionId))
      breaches.push(`${r.intentId}: ${r.rule} moved the stop while DTMS owns it`);
  }
  return breaches;
}

const transitions = (records: readonly DecisionRecord[], positionId?: string) =>
  records.filter(
    (r) =>
      r.rule === 'dtms' && r.reason === 'dtms_transition' && (positionId === undefined || r.positionId === positionId),
  );

/**
 * Bars from `from` on, leg after leg: each bar drifts by `drift` (price units) plus gaussian noise,
 * its wicks half a noise beyond the body. Deterministic for a seed.
 */
function legs(
  from: Bar,
  spec: readonly { bars: number; drift: number }[],
  noise: number,
  seed: number,
  digits: number,
): Bar[] {
  const rand = seededRandom(seed);
  const scale = 10 ** digits;
  const round = (x: number) => Math.round(x * scale) / scale;
  const out: Bar[] = [];
  let t = from.time;
  let c = from.close;
  for (const leg of spec) {
    for (let i = 0; i < leg.bars; i++) {
      t += 60_000;
      const o = c;
      c = o + leg.drift + noise * gaussian(rand);
      const high = Math.max(o, c) + Math.abs(noise * gaussian(rand)) * 0.5;
      const low = Math.min(o, c) - Math.abs(noise * gaussian(rand)) * 0.5;
      out.push({
        time: t,
        open: round(o),
        high: round(high),
        low: round(low),
        close: round(c),
        volume: 60,
        spread: from.spread,
      });
    }
  }
  return out;
}

/**
 * The crafted defensive episode: 600 generated XAUUSD M1 bars of warm-up, then a buy (0.2 lots, stop
 * 12 ATR away, no target) meets a steady decline, a pause, a rally and a slow climb. DTMS walks it
 * HEALTHY -> WARNING_L1 (tighten) -> WARNING_L2 (half closed, stop taken) -> HEDGED (hedge opened, then
 * stopped out by the rally) -> RECOVERING -> HEALTHY (stop handed back), and the exit plan takes over.
 */
/** The crafted path was built for the original's thresholds, with no grace and no confluence requirement. */
const ORIGINAL_DTMS = configSchema.parse({
  dtms: {
    graceMinutes: 0,
    minAdverseLayers: 1,
    scores: { warningL1: -2, healthyFromL1: 0, warningL2: -4, l1FromL2: -2, hedge: -6 },
  },
});

function craftedEpisode(cfg: WardenConfig = ORIGINAL_DTMS): {
  engine: ExitEngine;
  book: SimBook;
  sink: ArraySink;
  states: string[];
} {
  const symbol = 'XAUUSDc';
  const warm = generateSampleMarket({
    seed: 7,
    bars: 600,
    startPrice: 2000,
    volatility: 0.0004,
    spread: 0.3,
    digits: 3,
    start: Date.UTC(2024, 0, 2, 6),
  }).bars;
  const sink = new ArraySink();
  const engine = new ExitEngine(cfg, { baseTimeframe: 'M1', sink });
  const inst = instrumentFromConfig(cfg, symbol);
  engine.addInstrument(inst);
  const book = new SimBook(engine, inst);
  for (const b of warm) book.step(b);
  const last = warm[warm.length - 1]!;
  const atr = engine.features(symbol).atr;
  const entry = last.close + spreadOf(last);
  const now = last.time + 60_000;
  const pos: Position = {
    id: 'b1',
    symbol,
    side: 'buy',
    volume: 0.2,
    entryPrice: entry,
    sl: entry - 12 * atr,
    tp: null,
    openTime: now,
    comment: '',
  };
  book.open(pos, now);
  const path = legs(
    last,
    [
      { bars: 28, drift: -0.08 * atr },
      { bars: 17, drift: 0 },
      { bars: 150, drift: 0.1 * atr },
      { bars: 300, drift: 0.03 * atr },
    ],
    0.1 * atr,
    3,
    inst.digits,
  );
  const states: string[] = [];
  for (const b of path) {
    book.step(b);
    const st = engine.defensiveState('b1')?.state ?? 'gone';
    if (states[states.length - 1] !== st) states.push(st);
  }
  return { engine, book, sink, states };
}

describe('DTMS in the engine: money safety (property)', () => {
  it('no invariant breaks over random markets, symbols, sides, hedging and netting: hedges never exceed the open volume, no stop ever loosens', () => {
    const totals = { dtms: 0, transitions: 0, hedges: 0, closeInstead: 0, runs: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(...SHAPES),
        fc.boolean(),
        fc.integer({ min: 2500, max: 4000 }),
        (seed, shape, hedging, bars) => {
          const r = runMarket({ shape, seed, bars, hedging });
          expect(r.book.violations).toEqual([]);
          expect(r.problems).toEqual([]);
          expect(r.book.counts.refused).toBe(0);
          expect(ownershipBreaches(r.sink.records)).toEqual([]);
          if (!hedging) expect(r.book.counts.hedgesOpened).toBe(0);
          totals.runs++;
          totals.dtms += r.book.counts.byRule.dtms ?? 0;
          totals.transitions += transitions(r.sink.records).length;
          totals.hedges += r.book.counts.hedgesOpened;
          totals.closeInstead += r.book.counts.byAction.close_instead_of_hedge ?? 0;
        },
      ),
      { numRuns: 12 },
    );
    // Not vacuous: DTMS acted in these runs (tens of intents and transitions per run).
    expect(totals.dtms).toBeGreaterThan(totals.runs);
    expect(totals.transitions).toBeGreaterThan(totals.runs);
  });

  it('the book catches what it is meant to catch (the checks above are not vacuous)', () => {
    const inst = instrumentFromConfig(config, 'XAUUSDc');
    const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink: new ArraySink() });
    engine.addInstrument(inst);
    const book = new SimBook(engine, inst);
    const bar: Bar = {
      time: Date.UTC(2024, 0, 3, 10),
      open: 2000,
      high: 2001,
      low: 1999,
      close: 2000,
      volume: 10,
      spread: 0.3,
    };
    book.open(
      {
        id: 'x',
        symbol: 'XAUUSDc',
        side: 'buy',
        volume: 0.1,
        entryPrice: 2000,
        sl: 1990,
        tp: null,
        openTime: bar.time,
        comment: '',
      },
      bar.time,
    );
    const base: Intent = {
      id: '',
      positionId: 'x',
      symbol: 'XAUUSDc',
      kind: 'move_stop',
      rule: 'dtms',
      episode: 1,
      newSl: NaN,
      oldSl: 1990,
      volume: NaN,
      time: bar.time,
      price: 2000,
      reason: '',
      targetId: 'x',
      side: 'buy',
      comment: '',
      action: 'tighten_stop',
    };
    book.apply([{ ...base, id: 'loosen', newSl: 1980 }], bar);
    book.apply([{ ...base, id: 'offtick', newSl: 1995.0005 }], bar);
    book.apply([{ ...base, id: 'above', newSl: 2000.5 }], bar);
    book.apply(
      [
        {
          ...base,
          id: 'big-hedge',
          kind: 'open',
          action: 'open_hedge',
          side: 'sell',
          targetId: '',
          volume: 0.2,
          newSl: 2010,
        },
      ],
      bar,
    );
    book.apply(
      [
        {
          ...base,
          id: 'same-side',
          kind: 'open',
          action: 'open_hedge',
          side: 'buy',
          targetId: '',
          volume: 0.05,
          newSl: NaN,
        },
      ],
      bar,
    );
    book.apply([{ ...base, id: 'part', kind: 'close_partial', action: 'partial_close', volume: 0.095 }], bar);
    book.apply([{ ...base, id: 'close', kind: 'close', action: 'close_instead_of_hedge', volume: 0.05 }], bar);
    book.apply([{ ...base, id: 'ghost', positionId: 'nope', targetId: 'nope' }], bar);
    book.apply(
      [{ ...base, id: 'no-hedge', kind: 'close', action: 'close_hedge', targetId: 'x.h9', volume: 0.05 }],
      bar,
    );
    book.apply([{ ...base, id: 'loosen', newSl: 1995 }], bar); // a fine stop, but an id already sent
    const ids = new Set(book.violations.map((v) => v.slice(0, v.indexOf(' '))));
    expect([...ids].sort()).toEqual(
      ['above', 'big-hedge', 'close', 'ghost', 'loosen', 'no-hedge', 'offtick', 'part', 'same-side'].sort(),
    );
    expect(book.violations.some((v) => v.includes('sent twice'))).toBe(true);
    expect(book.counts.refused).toBe(10);
    expect(book.position('x')).toMatchObject({ volume: 0.1, sl: 1990 });
  });
});

describe('DTMS in the engine: who owns the stop', () => {
  it('from stop_to_dtms to stop_to_exit_plan, breakeven and trailing stand aside (records say dtms_owns_stop); then the exit plan resumes', () => {
    const { book, sink, states } = craftedEpisode();
    expect(book.violations).toEqual([]);
    // The episode; the slow climb after it may warn again (the tick-volume order flow reads its noise).
    expect(states.slice(0, 6)).toEqual(['HEALTHY', 'WARNING_L1', 'WARNING_L2', 'HEDGED', 'RECOVERING', 'HEALTHY']);
    const recs = sink.records.filter((r) => r.positionId === 'b1');
    const toDtms = recs.findIndex((r) => r.reason === 'stop_to_dtms');
    const toPlan = recs.findIndex((r) => r.reason === 'stop_to_exit_plan');
    expect(toDtms).toBeGreaterThan(-1);
    expect(recs[toDtms]!.dtmsState).toBe('WARNING_L2');
    expect(toPlan).toBeGreaterThan(toDtms);
    expect(recs[toPlan]!.dtmsState).toBe('HEALTHY');
    const owned = recs.slice(toDtms, toPlan);
    // The exit plan's stop rules said why they waited, and sent nothing.
    expect(owned.some((r) => r.rule === 'breakeven' && r.reason === 'dtms_owns_stop')).toBe(true);
    expect(owned.some((r) => r.rule === 'trail' && r.reason === 'dtms_owns_stop')).toBe(true);
    expect(owned.filter((r) => r.outcome === 'intent' && (r.rule === 'breakeven' || r.rule === 'trail'))).toEqual([]);
    expect(ownershipBreaches(sink.records)).toEqual([]);
    // DTMS did its part meanwhile: tighten, half close, hedge.
    const dtmsActions = book.intents.filter((i) => i.rule === 'dtms').map((i) => i.action);
    expect(dtmsActions.slice(0, 3)).toEqual(['tighten_stop', 'partial_close', 'open_hedge']);
    expect(book.counts.hedgesOpened).toBe(1);
    // Handed back, the exit plan continues from DTMS's stop (never loosening it: the book checks each move).
    const after = recs.slice(toPlan);
    expect(after.some((r) => r.outcome === 'intent' && r.rule === 'breakeven')).toBe(true);
    expect(after.filter((r) => r.outcome === 'intent' && r.rule === 'trail').length).toBeGreaterThan(5);
    // Each transition record carries from, to and the score.
    for (const t of transitions(recs)) {
      expect(t.dtmsFrom).not.toBe('');
      expect(t.dtmsState).not.toBe(t.dtmsFrom);
      expect(Number.isFinite(t.score)).toBe(true);
      expect(t.note).not.toBe('');
    }
  });

  it('the same over generated markets, every position of every symbol', () => {
    let handovers = 0;
    let waits = 0;
    for (const shape of SHAPES) {
      const r = runMarket({ shape, seed: 2, bars: 4000 });
      expect(r.book.violations).toEqual([]);
      expect(ownershipBreaches(r.sink.records)).toEqual([]);
      handovers += r.sink.records.filter((x) => x.reason === 'stop_to_dtms').length;
      waits += r.sink.records.filter(
        (x) => x.reason === 'dtms_owns_stop' && (x.rule === 'breakeven' || x.rule === 'trail'),
      ).length;
    }
    expect(handovers).toBeGreaterThan(10);
    expect(waits).toBeGreaterThan(100);
  });

  // A regression test: the monitor once reset what DTMS had closed on the very transition that asks for the
  // re-add, so it was always "re_add_below_min_lot". Here DTMS closed 0.1 of 0.2 lots in WARNING_L2; the
  // recovery re-adds 0.05.
  it('a recovery back to HEALTHY re-adds half the volume DTMS closed', () => {
    const { book, sink, states } = craftedEpisode();
    expect(states.slice(4, 6)).toEqual(['RECOVERING', 'HEALTHY']);
    const skipped = sink.records.filter(
      (r) => r.positionId === 'b1' && r.reason === 'dtms_action_skipped' && r.note.startsWith('re_add'),
    );
    expect(skipped.map((r) => r.note)).toEqual([]);
    const reAdd = book.intents.find((i) => i.action === 're_add');
    expect(reAdd).toMatchObject({ kind: 'open', side: 'buy', volume: 0.05 });
    expect(book.counts.reAdds).toBe(1);
  });
});

describe('DTMS in the engine: one intent in flight per position', () => {
  it('never two intents for the same position in one bar output, whatever their rules (immediate answers)', () => {
    let bars = 0;
    let dtms = 0;
    for (const shape of SHAPES) {
      for (const hedging of [true, false]) {
        const r = runMarket({ shape, seed: 5, bars: 3000, hedging });
        expect(r.problems.filter((p) => p.includes('two intents'))).toEqual([]);
        expect(r.book.violations).toEqual([]);
        bars += 3000;
        dtms += r.book.counts.byRule.dtms ?? 0;
      }
    }
    expect(dtms).toBeGreaterThan(0);
    expect(bars).toBe(24_000);
  });

  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  it('while an intent waits for its answer (3 bars, then refused), nothing else is sent for that position: neither DTMS nor the exit plan', () => {
    const shape = SHAPES[0];
    const symbol = shape.symbol;
    const bars = generateSampleMarket({
      seed: 17,
      bars: 4000,
      startPrice: shape.startPrice,
      volatility: shape.volatility,
      spread: shape.spread,
      digits: shape.digits,
      regimeMinutes: 120,
    }).bars;
    const sink = new ArraySink();
    const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink });
    const inst = instrumentFromConfig(config, symbol);
    engine.addInstrument(inst);
    const book = new SimBook(engine, inst); // fills only: every intent is refused, late
    const rand = seededRandom(17);
    const inFlight = new Map<string, { intent: Intent; due: number }>();
    const breaches: string[] = [];
    const rules = new Map<string, number>();
    const out: Intent[] = [];
    let n = 0;
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i]!;
      book.fillBar(bar);
      for (const id of [...inFlight.keys()]) if (!book.isOpen(id)) inFlight.delete(id); // gone: its request is moot
      out.length = 0;
      engine.onBar(symbol, bar, out);
      for (const it of out) {
        rules.set(it.rule, (rules.get(it.rule) ?? 0) + 1);
        const waiting = inFlight.get(it.positionId);
        if (waiting) breaches.push(`bar ${i}: ${it.id} sent while ${waiting.intent.id} is in flight`);
        inFlight.set(it.positionId, { intent: it, due: i + 3 });
      }
      for (const [id, w] of [...inFlight]) {
        if (w.due > i) continue;
        inFlight.delete(id);
        expect(engine.resolve(id, w.intent.id, 'rejected', '', 'requote')).toBe(true);
      }
      if (i >= 400 && (i - 400) % 60 === 0) {
        const side: Side = rand() < 0.5 ? 'buy' : 'sell';
        const s = side === 'buy' ? 1 : -1;
        const entry = side === 'buy' ? bar.close + spreadOf(bar) : bar.close;
        const dist = engine.features(symbol).atr * (1 + rand() * 4);
        const now = bar.time + 60_000;
        book.open(
          {
            id: `q${++n}`,
            symbol,
            side,
            volume: 0.2,
            entryPrice: entry,
            sl: entry - s * dist,
            tp: entry + s * 2 * dist,
            openTime: now,
            comment: '',
          },
          now,
        );
      }
    }
    expect(breaches).toEqual([]);
    // Both sides competed for the positions: DTMS and the exit plan's rules all sent (and were refused).
    expect(rules.get('dtms') ?? 0).toBeGreaterThan(0);
    expect((rules.get('breakeven') ?? 0) + (rules.get('trail') ?? 0)).toBeGreaterThan(0);
    // A DTMS action refused three times is given up, and says so.
    expect(sink.records.some((r) => r.reason === 'dtms_action_abandoned')).toBe(true);
  });
});

describe('DTMS in the engine: netting accounts', () => {
  it('a netting instrument never gets an open_hedge: reaching HEDGED closes the position instead', () => {
    let hedgedTransitions = 0;
    let closes = 0;
    for (const shape of SHAPES) {
      for (const seed of [1, 2]) {
        const r = runMarket({ shape, seed, bars: 3000, hedging: false });
        expect(r.book.violations).toEqual([]);
        expect(r.book.intents.filter((i) => i.action === 'open_hedge')).toEqual([]);
        expect(
          r.sink.records.filter((x) => x.reason === 'dtms_action_skipped' && x.note.startsWith('open_hedge')),
        ).toEqual([]);
        expect(r.book.counts.hedgesOpened).toBe(0);
        const hedged = new Set(
          transitions(r.sink.records)
            .filter((t) => t.dtmsState === 'HEDGED')
            .map((t) => t.positionId),
        );
        const closedInstead = r.book.intents.filter((i) => i.action === 'close_instead_of_hedge');
        // Each position that reached HEDGED was closed whole, by DTMS, at once (answers are immediate).
        expect(new Set(closedInstead.map((i) => i.positionId))).toEqual(hedged);
        for (const c of closedInstead) expect(c).toMatchObject({ kind: 'close', rule: 'dtms', targetId: c.positionId });
        for (const id of hedged) expect(r.book.isOpen(id)).toBe(false);
        hedgedTransitions += hedged.size;
        closes += closedInstead.length;
      }
    }
    expect(hedgedTransitions).toBeGreaterThan(0);
    expect(closes).toBe(hedgedTransitions);
  });
});

describe('DTMS in the engine: disabled', () => {
  it('with dtms.enabled false: no DTMS intent, no DTMS record, no deep check; the exit plan alone manages the book', () => {
    const off = configSchema.parse({ dtms: { enabled: false } });
    for (const shape of [SHAPES[0], SHAPES[2]]) {
      const r = runMarket({ shape, seed: 3, bars: 4000, cfg: off });
      expect(r.book.violations).toEqual([]);
      expect(r.book.counts.byRule.dtms ?? 0).toBe(0);
      expect(r.book.intents.filter((i) => i.rule === 'dtms' || i.kind === 'open' || i.kind === 'close')).toEqual([]);
      expect(r.sink.records.filter((x) => x.rule === 'dtms')).toEqual([]);
      expect(r.sink.records.filter((x) => x.reason === 'dtms_owns_stop')).toEqual([]);
      expect(r.engine.deepChecks).toBe(0);
      expect(r.engine.defensiveState(`${shape.symbol}-1`)).toBeUndefined();
      expect(r.book.counts.byRule.breakeven ?? 0).toBeGreaterThan(0);
    }
  });
});
