// A stop move cut short at the venue (a venue that moves a stop as a cancel and a new order, the move
// interrupted between the two: the old stop gone, the new one not there) is never taken as "no stop"
// to decide from: reconciliation finds it cut short, and the stop that was decided goes back before
// anything else (DTMS included) is decided for the position; the tightest stop the venue accepts when
// the price has come within its stops level; nothing when a stop is back already.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Bar, Intent, Position } from '../../src/domain/types.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import { ArraySink } from '../../src/exits/decisionRecord.ts';
import { generateSampleMarket } from '../../src/market/sampleMarket.ts';

const config = configSchema.parse({});
const SYMBOL = 'XAUUSDc';

/** An engine warmed on generated bars, holding a buy well into profit: its first decision is a stop move. */
function setup() {
  const sink = new ArraySink();
  const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink });
  const inst = instrumentFromConfig(config, SYMBOL);
  engine.addInstrument(inst);
  const bars: Bar[] = generateSampleMarket({
    seed: 4,
    bars: 1600,
    startPrice: 2000,
    volatility: 0.0004,
    spread: 0.3,
    digits: 3,
  }).bars;
  const scratch: Intent[] = [];
  for (let i = 0; i < 1500; i++) engine.onBar(SYMBOL, bars[i]!, scratch);
  const last = bars[1499]!;
  const close = last.time + 60_000;
  const entry = Number((last.close - 12).toFixed(3));
  const position: Position = {
    id: 'T1#1',
    ticket: 'T1',
    symbol: SYMBOL,
    side: 'buy',
    volume: 1,
    entryPrice: entry,
    sl: Number((entry - 10).toFixed(2)),
    tp: Number((entry + 20).toFixed(2)),
    openTime: close - 3_600_000,
    comment: '',
  };
  engine.track(position, close);
  return { engine, sink, inst, position, close, bid: last.close };
}

/** The first stop move the engine decides for the position (at the bid, a quote at a time). */
function firstMove(s: ReturnType<typeof setup>): Intent {
  const out: Intent[] = [];
  for (let k = 1; k <= 60 && out.length === 0; k++)
    s.engine.onQuote(SYMBOL, s.close + k * 1000, s.bid, s.bid + 0.3, out);
  const it = out.find((i) => i.kind === 'move_stop');
  if (!it) throw new Error(`no stop move decided: ${JSON.stringify(out)}`);
  return it;
}

describe('a stop move cut short at the venue', () => {
  it('is not done, and the decided stop goes back first (under its own rule, restore), against no "no stop" baseline', () => {
    const s = setup();
    const move = firstMove(s);
    expect(move.oldSl).toBe(s.position.sl);
    // The venue now shows the position without any stop (the cancel went through, the new order did not).
    const found = s.engine.reconcile('T1#1', [{ ...s.position, sl: null }]);
    expect(found).toEqual({ outcome: 'rejected', openedId: '' });
    expect(s.engine.plan('T1#1')!.restoreSl).toBe(move.newSl);
    const out: Intent[] = [];
    s.engine.onQuote(SYMBOL, s.close + 120_000, s.bid, s.bid + 0.3, out);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      id: 'T1#1:restore:1',
      kind: 'move_stop',
      rule: 'restore',
      newSl: move.newSl,
      targetId: 'T1',
    });
    const record = s.sink.records.filter((r) => r.rule === 'restore' && r.outcome === 'intent').at(-1)!;
    expect(record.note).toMatch(
      /a stop move was cut short at the venue \(the old stop cancelled, the new one not placed\): the decided stop .* is put back/,
    );
    // Applied: nothing missing any more, and the plan goes on as usual.
    expect(s.engine.resolve('T1#1', 'T1#1:restore:1', 'applied')).toBe(true);
    expect(Number.isNaN(s.engine.plan('T1#1')!.restoreSl)).toBe(true);
  });

  it('the price within the stops level of the decided stop: the tightest stop the venue accepts goes back instead', () => {
    const s = setup();
    const move = firstMove(s);
    s.engine.reconcile('T1#1', [{ ...s.position, sl: null }]);
    // The price has fallen to the decided stop itself.
    const bid = move.newSl;
    const out: Intent[] = [];
    s.engine.onQuote(SYMBOL, s.close + 120_000, bid, bid + 0.3, out);
    expect(out).toHaveLength(1);
    expect(out[0]!.rule).toBe('restore');
    expect(out[0]!.newSl).toBeLessThan(move.newSl);
    expect(out[0]!.newSl).toBeLessThanOrEqual(bid - s.inst.tickSize);
  });

  it('a stop back at the venue (the trader put one): nothing to restore, recorded', () => {
    const s = setup();
    firstMove(s);
    s.engine.reconcile('T1#1', [{ ...s.position, sl: null }]);
    s.engine.track({ ...s.position, sl: s.position.sl! + 1 }, s.close + 100_000);
    const out: Intent[] = [];
    s.engine.onQuote(SYMBOL, s.close + 120_000, s.bid, s.bid + 0.3, out);
    expect(out.every((i) => i.rule !== 'restore')).toBe(true);
    expect(Number.isNaN(s.engine.plan('T1#1')!.restoreSl)).toBe(true);
    expect(s.sink.records.filter((r) => r.rule === 'restore').at(-1)).toMatchObject({
      outcome: 'done',
      reason: 'already_protected',
    });
  });

  it('a move the venue simply did not take (the old stop still there) is not cut short: decided afresh as before', () => {
    const s = setup();
    firstMove(s);
    s.engine.reconcile('T1#1', [s.position]);
    expect(Number.isNaN(s.engine.plan('T1#1')!.restoreSl)).toBe(true);
  });
});
