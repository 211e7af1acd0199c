// Resumable replay, in memory (issue 5's first step towards `--store`): a checkpoint taken before a bar,
// through JSON, picked up by a fresh replay of the same inputs, gives the rest of the decision lines and
// the same trades, metrics, counts and DTMS summary as the run that never stopped, broker faults included.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { fromPlainJson, toPlainJson } from '../../src/domain/plainJson.ts';
import { LineWriter } from '../../src/replay/decisionLog.ts';
import { DEFAULT_GENERATED, generateEntries } from '../../src/replay/entries.ts';
import { sampleBars } from '../../src/replay/replayInputs.ts';
import { runReplay, type ReplayCheckpoint, type ReplayInput } from '../../src/replay/replaySession.ts';

const config = defaultConfig();

function input(symbol: string, faults: number, decisions: LineWriter): ReplayInput {
  const instrument = instrumentFromConfig(config, symbol);
  const data = sampleBars(instrument, 13, 16_000);
  const entries = generateEntries(data.series, 'M1', { ...DEFAULT_GENERATED, every: 70, seed: 4, side: 'random' });
  return {
    config,
    instrument,
    series: data.series,
    timeframe: 'M1',
    entries,
    broker: { accountMode: 'hedging', ...(faults > 0 ? { faults: { rate: faults, seed: 3 } } : {}) },
    decisions,
    startingBalance: 10_000,
  };
}

const summary = (r: ReturnType<typeof runReplay>) => JSON.stringify({ rows: r.rows, metrics: r.metrics, equity: r.equity, counts: r.counts, dtms: r.dtms, bars: r.bars, positionBars: r.positionBars, rejected: r.entriesRejected, audit: r.broker.audit });

describe('replay resumed from a checkpoint', () => {
  for (const [symbol, faults] of [
    ['XAUUSDc', 0],
    ['EURUSD', 0.2],
  ] as const) {
    it(`${symbol}${faults ? ' with 20% broker faults' : ''}: the same lines and results as the run that never stopped`, () => {
      const whole = new LineWriter(null);
      const cps = new Map<number, string>();
      const at = [2000, 5555, 9000, 15_999];
      const full = runReplay({ ...input(symbol, faults, whole), checkpointAt: at, onCheckpoint: (c) => cps.set(c.next, toPlainJson(c)) });
      expect([...cps.keys()]).toEqual(at);
      expect(full.metrics.trades).toBeGreaterThan(50);
      expect(full.dtms.transitions).not.toEqual({});
      for (const next of at) {
        const cp = fromPlainJson(cps.get(next)!) as ReplayCheckpoint;
        const rest = new LineWriter(null);
        const resumed = runReplay({ ...input(symbol, faults, rest), resume: cp });
        expect(whole.lines!.slice(0, cp.lines).concat(rest.lines!)).toEqual(whole.lines);
        expect(summary(resumed)).toBe(summary(full));
      }
    });
  }

  it('a checkpoint holds open trades, DTMS machines and the broker: picked up twice in a row it still matches', () => {
    const whole = new LineWriter(null);
    let first: ReplayCheckpoint | null = null;
    const full = runReplay({ ...input('XAUUSDc', 0.1, whole), checkpointAt: [4000], onCheckpoint: (c) => (first = c) });
    const cp = fromPlainJson(toPlainJson(first)) as ReplayCheckpoint;
    expect(cp.open.length).toBeGreaterThan(0);
    expect(cp.engine.positions.some((p) => p.defence !== null)).toBe(true);
    // Resume, take a second checkpoint later, resume from that one.
    const mid = new LineWriter(null);
    let second: ReplayCheckpoint | null = null;
    runReplay({ ...input('XAUUSDc', 0.1, mid), resume: cp, checkpointAt: [11_000], onCheckpoint: (c) => (second = c) });
    const cp2 = fromPlainJson(toPlainJson(second)) as ReplayCheckpoint;
    const tail = new LineWriter(null);
    const resumed = runReplay({ ...input('XAUUSDc', 0.1, tail), resume: cp2 });
    expect(whole.lines!.slice(0, cp2.lines).concat(tail.lines!)).toEqual(whole.lines);
    expect(summary(resumed)).toBe(summary(full));
  });
});
