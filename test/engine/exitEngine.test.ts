// The engine end to end on generated bars: features built from M1 bars, every open position
// evaluated at each bar close (exit plan and DTMS), intents applied by a simulated book
// (test/support/simBook.ts) that also fills stops and targets inside bars and checks the
// money-safety invariants on every intent, over random bar paths (property), and that two runs with
// the same inputs produce identical decisions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar, Intent, Position, Side } from '../../src/domain/types.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import { ArraySink, DecisionJournal, explainDecision, type DecisionSink } from '../../src/exits/decisionRecord.ts';
import { BREAKEVEN_DONE } from '../../src/exits/exitPlan.ts';
import { generateSampleMarket, seededRandom } from '../../src/market/sampleMarket.ts';
import { SimBook, spreadOf, type ClosedTrade } from '../support/simBook.ts';

const config = configSchema.parse({});

interface RunResult {
  intents: Intent[];
  closed: ClosedTrade[];
  violations: string[];
  engine: ExitEngine;
  book: SimBook;
}

/** Runs `bars` through a fresh engine and a simulated book; opens a position every `every` bars after warm-up. */
function run<S extends DecisionSink = ArraySink>(
  symbol: string,
  bars: Bar[],
  seed: number,
  every = 240,
  warmup = 1500,
  sink: S = new ArraySink() as unknown as S,
): RunResult & { sink: S } {
  const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink });
  const inst = instrumentFromConfig(config, symbol);
  engine.addInstrument(inst);
  const book = new SimBook(engine, inst);
  const rand = seededRandom(seed);
  let n = 0;
  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i]!;
    // Fills inside the bar (stop first), the engine at the bar's close, its intents applied at the close.
    book.step(bar);
    if (i >= warmup && (i - warmup) % every === 0) {
      const side: Side = rand() < 0.5 ? 'buy' : 'sell';
      const s = side === 'buy' ? 1 : -1;
      const entry = side === 'buy' ? bar.close + spreadOf(bar) : bar.close;
      const f = engine.features(symbol);
      const dist = (Number.isFinite(f.atr) ? f.atr : entry * 0.001) * (1 + rand() * 2);
      const vol = Number((0.01 * (1 + Math.floor(rand() * 30))).toFixed(2));
      const p: Position = {
        id: `p${++n}`,
        symbol,
        side,
        volume: vol,
        entryPrice: entry,
        sl: entry - s * dist,
        tp: entry + s * dist * 2,
        openTime: bar.time + 60_000,
        comment: '',
      };
      book.open(p, bar.time + 60_000);
    }
  }
  return { intents: book.intents, closed: book.closed, violations: book.violations, engine, book, sink };
}

describe('ExitEngine on generated bars', () => {
  const market = generateSampleMarket({
    seed: 11,
    bars: 12_000,
    startPrice: 2000,
    volatility: 0.0004,
    spread: 0.3,
    digits: 3,
  }).bars;

  it('manages a book of positions: breakevens, partials and trails happen, and every intent respects the invariants', () => {
    const r = run('XAUUSDc', market, 5);
    expect(r.violations).toEqual([]);
    const kinds = new Set(r.intents.map((i) => i.rule));
    // The exit plan's three rules all act; DTMS (on by default) may act too, and nothing else does.
    for (const k of ['breakeven', 'partial', 'trail'] as const) expect(kinds.has(k), k).toBe(true);
    for (const k of kinds) expect(['breakeven', 'partial', 'trail', 'dtms']).toContain(k);
    expect(r.closed.length).toBeGreaterThan(20);
    expect(r.book.counts.refused).toBe(0);
    // DTMS defends the same book (on by default): on this path it tightens, closes part and hedges.
    expect(r.book.counts.byRule.dtms ?? 0).toBeGreaterThan(0);
    // Records explain every intent, the close of a hedge its position left behind included.
    const intentRecords = r.sink.records.filter((x) => x.outcome === 'intent');
    expect(intentRecords.map((x) => x.intentId)).toEqual(r.intents.map((i) => i.id));
    for (const rec of intentRecords.slice(0, 20)) expect(explainDecision(rec)).toMatch(/intent \(intent_sent\)/);
  });

  it('is deterministic: the same bars and positions give byte-identical decisions', () => {
    const a = run('XAUUSDc', market.slice(0, 5000), 9);
    const b = run('XAUUSDc', market.slice(0, 5000), 9);
    expect(JSON.stringify(a.intents)).toBe(JSON.stringify(b.intents));
    expect(JSON.stringify(a.sink.records)).toBe(JSON.stringify(b.sink.records));
  });

  it('a journal keeps every intent and every change of a rule outcome, queryable per position', () => {
    const journal = new DecisionJournal();
    const r = run('XAUUSDc', market.slice(0, 6000), 3, 240, 1500, new ArraySink());
    const j = run('XAUUSDc', market.slice(0, 6000), 3, 240, 1500, journal);
    expect(j.intents.length).toBe(r.intents.length);
    const first = r.intents[0]!;
    const kept = journal.forPosition(first.positionId);
    expect(kept.some((x) => x.intentId === first.id)).toBe(true);
    expect(kept.length).toBeLessThan(r.sink.records.filter((x) => x.positionId === first.positionId).length);
    expect(kept[0]!.rule).toBe('classify');
  });

  it('invariants hold over random bar paths, buys and sells, every symbol kind (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(
          { symbol: 'XAUUSDc', startPrice: 2000, volatility: 0.0005, spread: 0.3, digits: 3 },
          { symbol: 'EURUSD', startPrice: 1.1, volatility: 0.0002, spread: 0.0001, digits: 5 },
          { symbol: 'BTCUSDc', startPrice: 40000, volatility: 0.001, spread: 8, digits: 2 },
          { symbol: 'USDJPYm', startPrice: 150, volatility: 0.0002, spread: 0.01, digits: 3 },
        ),
        (seed, m) => {
          const bars = generateSampleMarket({ seed, bars: 2500, ...m, regimeMinutes: 120 }).bars;
          const r = run(m.symbol, bars, seed, 60, 400);
          expect(r.violations).toEqual([]);
          for (const id of new Set(r.intents.map((i) => i.positionId))) {
            const plan = r.engine.plan(id);
            if (plan && plan.trailMoves > 0) expect(plan.breakevenState).toBe(BREAKEVEN_DONE);
          }
        },
      ),
      {
        numRuns: 12,
        // Found by CI: a re-add sent with the position's stop as given, off the tick (the test's positions
        // are not tick-rounded; a broker's are, but the engine must not count on it).
        examples: [[999987, { symbol: 'XAUUSDc', startPrice: 2000, volatility: 0.0005, spread: 0.3, digits: 3 }]],
      },
    );
  });
});

describe('ExitEngine with the forming bar (live)', () => {
  it('evaluates positions at the forming price without committing the bar: closing it afterwards gives the same features as never seeing it forming', () => {
    const bars = generateSampleMarket({
      seed: 21,
      bars: 2200,
      startPrice: 2000,
      volatility: 0.0004,
      spread: 0.3,
      digits: 3,
    }).bars;
    const mk = () => {
      const e = new ExitEngine(config, { baseTimeframe: 'M1', sink: new ArraySink() });
      e.addInstrument(instrumentFromConfig(config, 'XAUUSDc'));
      return e;
    };
    const a = mk();
    const b = mk();
    const out: Intent[] = [];
    for (const bar of bars.slice(0, 2000)) {
      a.onBar('XAUUSDc', bar, out);
      b.onBar('XAUUSDc', bar, out);
    }
    const last = bars[1999]!;
    const entry = last.close + 0.3;
    const atr = a.features('XAUUSDc').atr;
    const pos = (): Position => ({
      id: 'live-1',
      symbol: 'XAUUSDc',
      side: 'buy',
      volume: 0.1,
      entryPrice: entry,
      sl: entry - 2 * atr,
      tp: entry + 4 * atr,
      openTime: last.time + 60_000,
      comment: '',
    });
    a.track(pos(), last.time + 60_000);
    b.track(pos(), last.time + 60_000);
    // A forming bar that jumps 2.8 ATR up (1.4R, 70% progress): breakeven (1R, or 1.33R in a quality trend) is decided intrabar on `a`.
    const next = bars[2000]!;
    const forming = { ...next, high: entry + 2.9 * atr, close: entry + 2.8 * atr };
    out.length = 0;
    a.onFormingBar('XAUUSDc', forming, next.time + 30_000, out);
    expect(out.map((i) => i.rule)).toEqual(['breakeven']);
    // Both engines then see the real closed bar: their features are identical.
    out.length = 0;
    a.onBar('XAUUSDc', next, out);
    b.onBar('XAUUSDc', next, []);
    expect(JSON.stringify(a.features('XAUUSDc'))).toBe(JSON.stringify(b.features('XAUUSDc')));
    // The breakeven intent is still in flight on `a` (no answer yet): nothing new is sent for it.
    expect(out).toEqual([]);
    expect(a.plan('live-1')!.pending?.rule).toBe('breakeven');
  });
});
