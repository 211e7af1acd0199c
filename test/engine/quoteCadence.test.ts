// The engine between bars: with a quote every 5 s (a real account's quote feed), DTMS's fast check runs
// at its configured interval (30 s) instead of once a bar, and the stop moves on a quote inside
// the minute. The features still change only with closed bars.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Intent, Position } from '../../src/domain/types.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import { ArraySink } from '../../src/exits/decisionRecord.ts';
import { BAR_MS, sampleBars, SYMBOL } from '../support/liveHarness.ts';

const config = configSchema.parse({});

/** An engine warmed on 600 bars with one buy opened at the last close, its stop 3 ATR below. */
function warmed() {
  const bars = sampleBars(7, 700);
  const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink: new ArraySink() });
  const inst = instrumentFromConfig(config, SYMBOL, true);
  engine.addInstrument(inst);
  const out: Intent[] = [];
  for (const b of bars.slice(0, 600)) engine.onBar(SYMBOL, b, out);
  const last = bars[599]!;
  const atr = engine.features(SYMBOL).atr;
  const position: Position = {
    id: 'p1',
    symbol: SYMBOL,
    side: 'buy',
    volume: 1,
    entryPrice: last.close,
    sl: Math.floor(last.close - 3 * atr),
    tp: Math.ceil(last.close + 6 * atr),
    openTime: last.time + BAR_MS,
    comment: '',
  };
  engine.track(position, last.time + BAR_MS);
  return { engine, bars, position, atr };
}

/** Times at which the position's DTMS fast check ran (its lastFast moved), over `minutes` bars, with quotes every `quoteMs` between them (0: none). */
function fastChecks(quoteMs: number, minutes: number): number[] {
  const { engine, bars } = warmed();
  const checks: number[] = [];
  const out: Intent[] = [];
  let seen = engine.defence('p1')!.tracked.lastFast;
  const note = () => {
    const t = engine.defence('p1')!.tracked.lastFast;
    if (t !== seen) checks.push(t);
    seen = t;
  };
  for (let i = 600; i < 600 + minutes; i++) {
    const open = bars[i]!.time;
    if (quoteMs > 0) {
      for (let t = open + quoteMs; t < open + BAR_MS; t += quoteMs) {
        const bid = bars[i - 1]!.close;
        engine.onQuote(SYMBOL, t, bid, bid + 0.3, out);
        note();
      }
    }
    engine.onBar(SYMBOL, bars[i]!, out);
    note();
  }
  return checks;
}

describe('the engine on quotes between bars', () => {
  it('runs DTMS fast checks every 30 s with a quote every 5 s; once a bar (60 s) on bars alone', () => {
    expect(config.dtms.fastCheckSec).toBe(30);
    const onQuotes = fastChecks(5_000, 10);
    const onBars = fastChecks(0, 10);
    const gaps = (ts: number[]) => ts.slice(1).map((t, k) => t - ts[k]!);
    expect(onQuotes.length).toBeGreaterThanOrEqual(19);
    expect(new Set(gaps(onQuotes))).toEqual(new Set([30_000]));
    // Half of them inside a minute: on a quote, not a bar close.
    expect(onQuotes.filter((t) => t % BAR_MS !== 0).length).toBeGreaterThanOrEqual(9);
    expect(onBars.length).toBeLessThanOrEqual(10);
    expect(new Set(gaps(onBars))).toEqual(new Set([60_000]));
  });

  it('moves the stop on a quote inside the minute (the session test follows the trail quote by quote)', () => {
    const { engine, bars, position, atr } = warmed();
    const out: Intent[] = [];
    const open = bars[600]!.time;
    // The price runs 6 ATR up within 30 s of the bar that follows the entry.
    let moved: Intent | undefined;
    for (let k = 1; k <= 6 && moved === undefined; k++) {
      const bid = position.entryPrice + k * atr;
      out.length = 0;
      engine.onQuote(SYMBOL, open + k * 5_000, bid, bid + 0.3, out);
      moved = out.find((i) => i.kind === 'move_stop');
    }
    expect(moved).toBeDefined();
    expect(moved!.time % BAR_MS).not.toBe(0);
    expect(moved!.newSl).toBeGreaterThan(position.sl!);
  });
});
