// Resumable replay, in memory (the first step towards `--store`): a checkpoint taken before a bar,
// through JSON, picked up by a fresh replay of the same inputs, gives the rest of the decision lines and
// the same trades, metrics, counts and DTMS summary as the run that never stopped, broker faults included.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { fromPlainJson, toPlainJson } from '../../src/domain/plainJson.ts';
import { LineWriter } from '../../src/replay/decisionLog.ts';
import { DEFAULT_GENERATED, generateEntries } from '../../src/replay/entries.ts';
import { sampleBars } from '../../src/replay/replayInputs.ts';
import { runReplay, type ReplayCheckpoint, type ReplayInput } from '../../src/replay/replaySession.ts';

const config = defaultConfig();
/** Breakeven at the trade type's % of the way to TP and DTMS at the original bot's thresholds (no grace, one layer enough): hedges are frequent, so an orphan hedge exists to resume at. */
const hedgingConfig = configSchema.parse({
  exits: { breakeven: { atR: null }, rmag: { vwapFactor: 0.9 } },
  dtms: {
    graceMinutes: 0,
    minAdverseLayers: 1,
    scores: { warningL1: -2, healthyFromL1: 0, warningL2: -4, l1FromL2: -2, hedge: -6 },
  },
});

function input(symbol: string, faults: number, decisions: LineWriter, cfg = config): ReplayInput {
  const instrument = instrumentFromConfig(cfg, symbol);
  const data = sampleBars(instrument, 13, 16_000);
  const entries = generateEntries(data.source, 'M1', { ...DEFAULT_GENERATED, every: 70, seed: 4, side: 'random' });
  return {
    config: cfg,
    instrument,
    bars: data.source,
    timeframe: 'M1',
    entries,
    broker: { accountMode: 'hedging', ...(faults > 0 ? { faults: { rate: faults, seed: 3 } } : {}) },
    decisions,
    startingBalance: 10_000,
  };
}

const summary = (r: Awaited<ReturnType<typeof runReplay>>) =>
  JSON.stringify({
    rows: r.rows,
    metrics: r.metrics,
    equity: r.equity,
    counts: r.counts,
    dtms: r.dtms,
    bars: r.bars,
    positionBars: r.positionBars,
    rejected: r.entriesRejected,
    audit: r.broker.audit,
  });

describe('replay resumed from a checkpoint', () => {
  for (const [symbol, faults] of [
    ['XAUUSDc', 0],
    ['EURUSD', 0.2],
  ] as const) {
    it(`${symbol}${faults ? ' with 20% broker faults' : ''}: the same lines and results as the run that never stopped`, async () => {
      const whole = new LineWriter(null);
      const cps = new Map<number, string>();
      const at = [2000, 5555, 9000, 15_999];
      const full = await runReplay({
        ...input(symbol, faults, whole),
        checkpointAt: at,
        onCheckpoint: (c) => cps.set(c.next, toPlainJson(c)),
      });
      expect([...cps.keys()]).toEqual(at);
      expect(full.metrics.trades).toBeGreaterThan(50);
      expect(full.dtms.transitions).not.toEqual({});
      for (const next of at) {
        const cp = fromPlainJson(cps.get(next)!) as ReplayCheckpoint;
        const rest = new LineWriter(null);
        const resumed = await runReplay({ ...input(symbol, faults, rest), resume: cp });
        expect(whole.lines!.slice(0, cp.lines).concat(rest.lines!)).toEqual(whole.lines);
        expect(summary(resumed)).toBe(summary(full));
      }
    });
  }

  it('a run whose balance goes: resumed from a checkpoint before that, it stops at the same bar with the same lines', async () => {
    const small = (d: LineWriter): ReplayInput => ({ ...input('XAUUSDc', 0, d), startingBalance: 1000 });
    const whole = new LineWriter(null);
    let cp: ReplayCheckpoint | null = null;
    // Checkpoints every 500 bars: the run stops when the balance is gone, so the last one taken lies before that.
    const every = Array.from({ length: 31 }, (_, k) => 500 * (k + 1));
    const full = await runReplay({ ...small(whole), checkpointAt: every, onCheckpoint: (c) => (cp = c) });
    expect(full.balanceGone).not.toBeNull();
    expect(cp).not.toBeNull();
    expect(full.balanceGone!.time).toBeGreaterThan(full.trades[0]!.entryTime);
    const restored = fromPlainJson(toPlainJson(cp)) as ReplayCheckpoint;
    const rest = new LineWriter(null);
    const resumed = await runReplay({ ...small(rest), resume: restored });
    expect(whole.lines!.slice(0, restored.lines).concat(rest.lines!)).toEqual(whole.lines);
    expect(summary(resumed)).toBe(summary(full));
    expect(resumed.balanceGone).toEqual(full.balanceGone);
  });

  it('a checkpoint holds open trades, DTMS machines and the broker: picked up twice in a row it still matches', async () => {
    const whole = new LineWriter(null);
    let first: ReplayCheckpoint | null = null;
    const full = await runReplay({
      ...input('XAUUSDc', 0.1, whole),
      checkpointAt: [4000],
      onCheckpoint: (c) => (first = c),
    });
    const cp = fromPlainJson(toPlainJson(first)) as ReplayCheckpoint;
    expect(cp.open.length).toBeGreaterThan(0);
    expect(cp.engine.positions.some((p) => p.defence !== null)).toBe(true);
    // Resume, take a second checkpoint later, resume from that one.
    const mid = new LineWriter(null);
    let second: ReplayCheckpoint | null = null;
    await runReplay({
      ...input('XAUUSDc', 0.1, mid),
      resume: cp,
      checkpointAt: [11_000],
      onCheckpoint: (c) => (second = c),
    });
    const cp2 = fromPlainJson(toPlainJson(second)) as ReplayCheckpoint;
    const tail = new LineWriter(null);
    const resumed = await runReplay({ ...input('XAUUSDc', 0.1, tail), resume: cp2 });
    expect(whole.lines!.slice(0, cp2.lines).concat(tail.lines!)).toEqual(whole.lines);
    expect(summary(resumed)).toBe(summary(full));
  });
});

describe('replay checkpoints: settled trades shared, unsettled ones copied', () => {
  it('a later checkpoint holds the earlier settled trades first (the same objects), and only open or hedged trades as copies', async () => {
    const cps: ReplayCheckpoint[] = [];
    const full = await runReplay({
      ...input('XAUUSDc', 0, new LineWriter(null)),
      checkpointAt: [3000, 8000, 12_000],
      onCheckpoint: (c) => cps.push(c),
    });
    const [a, b, c] = cps as [ReplayCheckpoint, ReplayCheckpoint, ReplayCheckpoint];
    expect(a.settled.length).toBeGreaterThan(10);
    expect(b.settled.slice(0, a.settled.length)).toEqual(a.settled);
    for (let k = 0; k < b.settled.length; k++) expect(c.settled[k]!.trade).toBe(b.settled[k]!.trade);
    for (const cp of cps) {
      expect(cp.settled.length + cp.unsettled.length).toBe(cp.tradeCount);
      expect(cp.unsettled.length).toBeLessThanOrEqual(cp.open.length + cp.hedgeOf.length);
      for (const { trade } of cp.settled) expect(trade.exitReason).not.toBeNull();
    }
    // Every trade of the run, in the run's order: the settled ones are the result's own objects.
    for (const { index, trade } of c.settled) expect(full.trades[index]).toBe(trade);
  });

  // EURUSD with half of the requests failing: a hedged trade stops out and the close of its hedge is
  // refused, so at bar 9818 the hedge is still open after its trade closed (an orphan hedge).
  it('a trade whose hedge outlives it stays unsettled until the hedge closes; resumed there, the same lines and results', async () => {
    const whole = new LineWriter(null);
    const cps = new Map<number, string>();
    const at = [9818, 9900, 12000];
    const full = await runReplay({
      ...input('EURUSD', 0.5, whole, hedgingConfig),
      checkpointAt: at,
      onCheckpoint: (c) => cps.set(c.next, toPlainJson(c)),
    });
    const orphaned = fromPlainJson(cps.get(9818)!) as ReplayCheckpoint;
    const owners = orphaned.hedgeOf.map(([, id]) => id).filter((id) => !orphaned.open.includes(id));
    expect(owners.length, 'an orphan hedge at bar 9818').toBeGreaterThan(0);
    const owner = orphaned.unsettled.find((p) => p.trade.id === owners[0])!;
    expect(owner.trade.exitReason).not.toBeNull();
    expect(orphaned.settled.some((p) => p.trade.id === owners[0])).toBe(false);
    // Settled once its hedge is closed, with the hedge's close booked to it.
    const later = fromPlainJson(cps.get(12000)!) as ReplayCheckpoint;
    const settledLater = later.settled.find((p) => p.trade.id === owners[0])!;
    expect(settledLater.index).toBe(owner.index);
    expect(settledLater.trade.closes.length).toBeGreaterThan(owner.trade.closes.length);
    expect(full.trades[owner.index]).toEqual(settledLater.trade);

    for (const next of at) {
      const cp = fromPlainJson(cps.get(next)!) as ReplayCheckpoint;
      const rest = new LineWriter(null);
      const resumed = await runReplay({ ...input('EURUSD', 0.5, rest, hedgingConfig), resume: cp });
      expect(whole.lines!.slice(0, cp.lines).concat(rest.lines!)).toEqual(whole.lines);
      expect(summary(resumed)).toBe(summary(full));
    }
  });

  it('refuses a checkpoint whose trades do not fill the trade list', async () => {
    let cp: ReplayCheckpoint | null = null;
    await runReplay({
      ...input('XAUUSDc', 0, new LineWriter(null)),
      checkpointAt: [6000],
      onCheckpoint: (c) => (cp = c),
    });
    const holed = fromPlainJson(toPlainJson(cp)) as ReplayCheckpoint;
    holed.settled.splice(3, 1);
    await expect(runReplay({ ...input('XAUUSDc', 0, new LineWriter(null)), resume: holed })).rejects.toThrow(
      /the checkpoint has no trade at \d+ of its \d+/,
    );
  });
});
