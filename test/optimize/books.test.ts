// A book of the optimizer is exactly a plain replay of its config: the same trades (R, exits, times) as
// runReplayJob on the same bars and entries, for several trial configs; and the same on worker threads
// as on this one.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { seededRandom } from '../../src/market/sampleMarket.ts';
import { readSeries } from '../../src/market/barSource.ts';
import { DEFAULT_GENERATED, generateEntries } from '../../src/replay/entries.ts';
import { sampleBars } from '../../src/replay/replayInputs.ts';
import { replayInstrument } from '../../src/replay/replayInstrument.ts';
import { runReplayJob } from '../../src/replay/replayRun.ts';
import { openBookPool, sharedColumns, type BookJob, type BookSetup } from '../../src/optimize/bookPool.ts';
import { studyTrade } from '../../src/optimize/evaluate.ts';
import { sampleTrials, trialConfig } from '../../src/optimize/searchSpace.ts';

const config = defaultConfig();
const instrument = replayInstrument(config, 'XAUUSDc', true, {});
const bars = sampleBars(instrument, 5, 6000);
const series = readSeries(bars.source);
const entries = generateEntries(bars.source, 'M1', {
  ...DEFAULT_GENERATED,
  warmupBars: 300,
  every: 45,
  seed: 5,
  volume: 0.1,
});
const broker = { accountMode: 'hedging' as const, spreadPoints: 0, spreadMode: 'data' as const };
const trials = sampleTrials(3, seededRandom(2), {}, config, 'XAUUSD');
const setup: BookSetup = {
  columns: sharedColumns(series),
  length: series.length,
  instrument,
  timeframe: 'M1',
  broker,
  startingBalance: 10_000,
  maxGapMs: 96 * 3_600_000,
  doc: {},
  canonical: 'XAUUSD',
  entries,
};
const jobs: BookJob[] = [null, ...trials].map((params) => ({
  params,
  from: 0,
  to: series.length,
  entryFirst: 0,
  entryEnd: entries.length,
}));

describe('optimizer books', () => {
  it('give exactly the trades of a plain replay of each config, here and on two workers', {
    timeout: 60_000,
  }, async () => {
    const here = openBookPool(setup, 1);
    const mine = await here.run(jobs);
    await here.close();
    expect(entries.length).toBeGreaterThan(50);
    for (const [k, params] of [null, ...trials].entries()) {
      const c = params === null ? config : trialConfig({}, config, 'XAUUSD', params).config;
      const plain = await runReplayJob({
        config: c,
        instrument,
        bars: bars.source,
        timeframe: 'M1',
        data: bars.data,
        entries,
        entriesSource: 'test',
        broker,
        startingBalance: 10_000,
        outDir: null,
        version: 'test',
      });
      expect(mine[k]).toEqual(plain.result.rows.map(studyTrade));
    }
    // The trial configs differ from the baseline somewhere (the test compares different books).
    expect(mine.slice(1).some((t) => JSON.stringify(t) !== JSON.stringify(mine[0]))).toBe(true);
    const pool = openBookPool(setup, 2);
    try {
      expect(await pool.run(jobs)).toEqual(mine);
    } finally {
      await pool.close();
    }
  });
});
