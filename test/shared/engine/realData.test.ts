// The engine over real recorded M1 bars from ../shared/data: a position opened every few hours
// (alternating sides, stop ~1.5 ATR, target 2R), a simulated book (test/support/simBook.ts) that fills
// stops and targets inside bars and applies every intent kind (exit plan and DTMS: stop moves, partial
// closes, hedges and their closes, re-adds), and the money-safety invariants checked on every intent.
import { expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { instrumentFromConfig } from '../../../src/domain/instruments.ts';
import type { Position } from '../../../src/domain/types.ts';
import { ExitEngine } from '../../../src/engine/exitEngine.ts';
import { CountingSink, type DecisionRecord } from '../../../src/exits/decisionRecord.ts';
import { readUniformCsv } from '../../../src/market/uniformCsv.ts';
import { describeShared, sharedFile } from '../../support/sharedData.ts';
import { SimBook, spreadOf } from '../../support/simBook.ts';

const config = configSchema.parse({});

/** Counts records (as CountingSink) and, besides, DTMS transitions. */
class TransitionCountingSink extends CountingSink {
  transitions = 0;
  override record(r: DecisionRecord): void {
    super.record(r);
    if (r.reason === 'dtms_transition') this.transitions++;
  }
}

const FILES = [
  { file: 'xauusd_oanda_m1_2014-05.csv', symbol: 'XAUUSDc' },
  { file: 'eurusd_oanda_m1_2014-05.csv', symbol: 'EURUSD' },
  { file: 'gbpusd_fxcm_m1_2012-02.csv', symbol: 'GBPUSD' },
  { file: 'usdjpy_fxcm_m1_2013-02.csv', symbol: 'USDJPYc' },
  { file: 'btcusd_ftx_m1_2022-01.csv', symbol: 'BTCUSDc' },
];

describeShared('engine over real M1 bars', () => {
  for (const { file, symbol } of FILES) {
    // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
    it(`${symbol} (${file}): invariants hold on every intent; breakeven, trailing and DTMS happen`, () => {
      const { bars, errors } = readUniformCsv(sharedFile(file));
      expect(errors).toEqual([]);
      const sink = new TransitionCountingSink();
      const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink });
      const inst = instrumentFromConfig(config, symbol);
      engine.addInstrument(inst);
      const book = new SimBook(engine, inst);
      let n = 0;
      for (let i = 0; i < bars.length; i++) {
        const bar = bars[i]!;
        book.step(bar);
        if (i > 1500 && i % 180 === 0) {
          const f = engine.features(symbol);
          if (!(f.atr > 0)) continue;
          const side = n % 2 === 0 ? 'buy' : 'sell';
          const s = side === 'buy' ? 1 : -1;
          const entry = side === 'buy' ? bar.close + spreadOf(bar) : bar.close;
          const dist = 1.5 * f.atr;
          const p: Position = {
            id: `${symbol}-${++n}`,
            symbol,
            side,
            volume: 0.1,
            entryPrice: entry,
            sl: entry - s * dist,
            tp: entry + s * 2 * dist,
            openTime: bar.time + 60_000,
            comment: '',
          };
          book.open(p, bar.time + 60_000);
        }
      }
      const c = book.counts;
      console.info(
        `${symbol}: ${n} positions, ${c.intents} intents ${JSON.stringify(c.byRule)}, DTMS ${JSON.stringify(c.byAction)}, ${c.hedgesOpened} hedges, ${c.reAdds} re-adds, ${sink.transitions} transitions in ${engine.deepChecks} deep checks`,
      );
      expect(book.violations).toEqual([]);
      expect(c.refused).toBe(0);
      expect(n).toBeGreaterThan(30);
      expect(c.byRule.breakeven ?? 0).toBeGreaterThan(5);
      // EURUSD trails rarely: its minimum change (0.05% of price, ~7 pips) exceeds 1.2 x ATR(M15) on quiet days.
      expect(c.byRule.trail ?? 0).toBeGreaterThan(0);
      // DTMS ran its deep checks over the file and acted on what it saw.
      expect(engine.deepChecks).toBeGreaterThan(0);
      expect(sink.transitions).toBeGreaterThan(0);
      expect(c.byRule.dtms ?? 0).toBeGreaterThan(0);
      // An intent record for every intent, the closes of orphaned hedges included.
      expect(sink.intents).toBe(c.intents);
      const f = engine.features(symbol);
      for (const k of ['atr', 'ema200Atr', 'vwapAtr', 'rsi', 'adx', 'hvnDistAtr'] as const)
        expect(Number.isFinite(f[k]), k).toBe(true);
    });
  }
});
