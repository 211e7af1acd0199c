// Replays in lockstep over one shared market (what `warden optimize` runs its books with) give, for
// each config, exactly what a replay of that config alone gives: the same decision lines, trades,
// metrics, counts and DTMS summary, across a data boundary (the shared market restarts there), with
// broker faults, and when one config's account is gone part-way while the others play on.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import type { BarSeries } from '../../src/market/barSeries.ts';
import { InMemoryBars } from '../../src/market/barSource.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../../src/market/sampleMarket.ts';
import { LineWriter } from '../../src/replay/decisionLog.ts';
import { DEFAULT_GENERATED, generateEntries } from '../../src/replay/entries.ts';
import { replayInLockstep } from '../../src/replay/lockstep.ts';
import { runReplay, type ReplayInput, type ReplayResult } from '../../src/replay/replaySession.ts';

const CONFIGS = [
  configSchema.parse({}),
  configSchema.parse({ exits: { breakeven: { atR: 0.6 }, trailing: { minChangeAtr: 0.2, gates: { mtf: false } } } }),
  configSchema.parse({
    dtms: {
      graceMinutes: 0,
      minAdverseLayers: 1,
      scores: { warningL1: -2, healthyFromL1: 0, warningL2: -4, l1FromL2: -2, hedge: -6 },
    },
  }),
  configSchema.parse({ exits: { breakeven: { atR: 1.5 } }, dtms: { graceMinutes: 120, minAdverseLayers: 3 } }),
];

/** Generated XAUUSD M1 bars with a 10-day hole after bar 9,000 (a data boundary). */
function barsWithHole(): BarSeries {
  const { series } = generateSampleSeries({ seed: 21, bars: 18_000, ...SAMPLE_SHAPES.XAUUSD! });
  for (let i = 9000; i < series.length; i++) series.time[i] = series.time[i]! + 10 * 86_400_000;
  return series;
}

function inputs(series: BarSeries, balances: readonly number[], faults: number): ReplayInput[] {
  return CONFIGS.map((config, k) => {
    const instrument = instrumentFromConfig(config, 'XAUUSDc');
    const bars = new InMemoryBars(series);
    return {
      config,
      instrument,
      bars,
      timeframe: 'M1',
      entries: generateEntries(bars, 'M1', { ...DEFAULT_GENERATED, every: 45, seed: 5, side: 'random' }),
      broker: { accountMode: 'hedging', ...(faults > 0 ? { faults: { rate: faults, seed: 9 } } : {}) },
      decisions: new LineWriter(null),
      startingBalance: balances[k] ?? 10_000,
    };
  });
}

const summary = (r: ReplayResult, lines: LineWriter) =>
  JSON.stringify({
    lines: lines.lines,
    rows: r.rows,
    metrics: r.metrics,
    equity: r.equity,
    counts: r.counts,
    dtms: r.dtms,
    bars: r.bars,
    positionBars: r.positionBars,
    gone: r.balanceGone,
    gaps: r.gaps,
  });

describe('replayInLockstep', () => {
  for (const [name, balances, faults] of [
    ['four configs over one market, across a data boundary', [10_000, 10_000, 10_000, 10_000], 0],
    ['with 20% broker faults, one account gone part-way (a tiny balance)', [10_000, 40, 10_000, 10_000], 0.2],
  ] as const) {
    it(`${name}: each config's replay as if it ran alone`, async () => {
      const series = barsWithHole();
      const alone = inputs(series, balances, faults);
      const expected: string[] = [];
      for (const inp of alone) expected.push(summary(await runReplay(inp), inp.decisions));
      const together = inputs(series, balances, faults);
      const got = replayInLockstep(together).map((r, k) => summary(r, together[k]!.decisions));
      for (let k = 0; k < CONFIGS.length; k++) expect(got[k], `config ${k}`).toBe(expected[k]);
      // The case tests what it says: a boundary, trades on every config, and (second case) an account gone.
      const results = replayInLockstep(inputs(series, balances, faults));
      expect(results[0]!.counts['data.boundaries']).toBe(1);
      results.forEach((r, k) => expect(r.trades.length, `config ${k}`).toBeGreaterThan(balances[k] === 40 ? 0 : 20));
      if (balances[1] === 40) expect(results[1]!.balanceGone).not.toBeNull();
    });
  }

  it('refuses a market that reads the bars differently from the engine sharing it', () => {
    const a = configSchema.parse({});
    const b = configSchema.parse({ features: { vwapAnchorHourUtc: 7 } });
    const market = new ExitEngine(a, { baseTimeframe: 'M1', sink: { record: () => {} } });
    expect(() => new ExitEngine(b, { baseTimeframe: 'M1', sink: { record: () => {} }, market })).toThrow(
      /shared market must read the bars as this engine would/,
    );
  });
});
