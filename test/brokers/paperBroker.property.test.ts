// Bookkeeping invariants of the paper broker over random request sequences, bars, instruments,
// account modes and fault settings: volumes never go negative or off the lot grid, no position is
// closed for more than was opened, realized profit is the sum of the deals, and the same seed and
// requests always give the same deals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BrokerAnswer } from '../../src/brokers/brokerAnswer.ts';
import { PaperBroker, type IntrabarRule, type PaperFaults } from '../../src/brokers/paperBroker.ts';
import { isStepMultiple } from '../../src/domain/rounding.ts';
import type { Instrument, Side } from '../../src/domain/types.ts';

const TF = 300_000;

const MARKETS = [
  { tickSize: 0.01, digits: 2, base: 2000 },
  { tickSize: 0.25, digits: 2, base: 18000 },
  { tickSize: 0.00001, digits: 5, base: 1.1 },
  { tickSize: 1, digits: 0, base: 60000 },
] as const;

const ticksArb = fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 300 }));

const opArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('bar' as const),
      drift: fc.integer({ min: -40, max: 40 }),
      gap: fc.integer({ min: -60, max: 60 }),
      up: fc.nat(80),
      down: fc.nat(80),
      spread: fc.constantFrom(NaN, 0, 1, 3),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('open' as const),
      side: fc.constantFrom<Side>('buy', 'sell'),
      steps: fc.integer({ min: 0, max: 12 }),
      sl: ticksArb,
      tp: ticksArb,
      offGrid: fc.boolean(),
      id: fc.nat(40),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('modify' as const),
      pick: fc.nat(),
      sl: ticksArb,
      tp: ticksArb,
      id: fc.nat(40),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('partial' as const),
      pick: fc.nat(),
      steps: fc.integer({ min: 0, max: 14 }),
      id: fc.nat(40),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), pick: fc.nat(), id: fc.nat(40) }) },
);

const scenarioArb = fc.record({
  market: fc.constantFrom(...MARKETS),
  lotStep: fc.constantFrom(0.01, 0.1, 1),
  minLotSteps: fc.integer({ min: 1, max: 4 }),
  stopsLevelPoints: fc.constantFrom(0, 5, 30),
  freezeLevelPoints: fc.constantFrom(0, 0, 3),
  contractSize: fc.constantFrom(1, 100, 100_000),
  accountMode: fc.constantFrom('hedging' as const, 'netting' as const),
  intrabar: fc.constantFrom<IntrabarRule>('stop_first', 'target_first', 'ohlc_path'),
  spreadPoints: fc.integer({ min: 0, max: 20 }),
  faults: fc.option(
    fc.record({
      rate: fc.double({ min: 0, max: 0.6, noNaN: true }),
      seed: fc.nat(),
      timeoutApplied: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { nil: undefined },
  ),
  ops: fc.array(opArb, { minLength: 1, maxLength: 80 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function instrumentOf(sc: Scenario): Instrument {
  const point = Number((10 ** -sc.market.digits).toFixed(sc.market.digits));
  return {
    symbol: 'TEST',
    canonical: 'TEST',
    tickSize: sc.market.tickSize,
    digits: sc.market.digits,
    point,
    lotStep: sc.lotStep,
    minLot: Number((sc.minLotSteps * sc.lotStep).toFixed(2)),
    maxLot: 100,
    contractSize: sc.contractSize,
    stopsLevelPoints: sc.stopsLevelPoints,
    freezeLevelPoints: sc.freezeLevelPoints,
    hedging: sc.accountMode === 'hedging',
    crypto: false,
  };
}

/** Plays the scenario: the price walks in whole ticks; each op is one request or one bar. */
function play(sc: Scenario): { broker: PaperBroker; answers: BrokerAnswer[]; volumeErrors: string[] } {
  const inst = instrumentOf(sc);
  const faults: PaperFaults | undefined = sc.faults && {
    rate: sc.faults.rate,
    seed: sc.faults.seed,
    timeoutApplied: sc.faults.timeoutApplied,
  };
  const b = new PaperBroker(inst, {
    accountMode: sc.accountMode,
    timeframeMs: TF,
    intrabar: sc.intrabar,
    spreadPoints: sc.spreadPoints,
    ...(faults ? { faults } : {}),
  });
  const tick = inst.tickSize;
  const px = (ticks: number) => Number((sc.market.base + ticks * tick).toFixed(sc.market.digits));
  let t = Date.UTC(2024, 0, 2);
  let at = 0; // price in ticks from the base
  b.setQuote(t, px(at), NaN);
  const answers: BrokerAnswer[] = [];
  const volumeErrors: string[] = [];
  const pick = (n: number): string => {
    const ps = b.positions();
    return ps.length === 0 ? '999' : ps[n % ps.length]!.id;
  };
  // A level `ticks` away from the exit-side price on the stop (or target) side; negative = wrong side.
  const level = (side: Side, kind: 'sl' | 'tp', ticks: number | null, offGrid = false): number | null => {
    if (ticks === null) return null;
    const q = b.quote();
    const away = (side === 'buy') === (kind === 'sl') ? -1 : 1;
    const ref = side === 'buy' ? q.bid : q.ask;
    const raw = ref + away * ticks * tick + (offGrid ? tick / 3 : 0);
    return offGrid ? raw : Math.round(raw / tick) * tick;
  };
  for (const op of sc.ops) {
    switch (op.kind) {
      case 'bar': {
        const open = at + op.gap;
        const close = open + op.drift;
        const high = Math.max(open, close) + op.up;
        const low = Math.min(open, close) - op.down;
        const spread = Number.isNaN(op.spread) ? NaN : op.spread * inst.point;
        t += TF;
        b.fillBar({ time: t, open: px(open), high: px(high), low: px(low), close: px(close), volume: 0, spread });
        at = close;
        b.setQuote(t + TF, px(at), spread);
        break;
      }
      case 'open':
        answers.push(
          b.open({
            requestId: `o${op.id}`,
            side: op.side,
            volume: op.steps * sc.lotStep,
            sl: level(op.side, 'sl', op.sl, op.offGrid),
            tp: level(op.side, 'tp', op.tp),
            comment: '',
          }),
        );
        break;
      case 'modify': {
        const id = pick(op.pick);
        const side = b.position(id)?.side ?? 'buy';
        answers.push(b.modifyStops(`m${op.id}`, id, level(side, 'sl', op.sl), level(side, 'tp', op.tp)));
        break;
      }
      case 'partial':
        answers.push(b.closePartial(`p${op.id}`, pick(op.pick), op.steps * sc.lotStep));
        break;
      case 'close':
        answers.push(b.close(`c${op.id}`, pick(op.pick)));
        break;
    }
    for (const p of b.positions()) {
      if (!(p.volume > 0) || !isStepMultiple(p.volume, inst.lotStep) || p.volume < inst.minLot - 1e-9)
        volumeErrors.push(`${p.id}: ${p.volume}`);
    }
  }
  return { broker: b, answers, volumeErrors };
}

describe('PaperBroker bookkeeping (property)', () => {
  it('no negative or off-grid volume; closed <= opened per position; profit = sum of deals', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { broker: b, volumeErrors } = play(sc);
        expect(volumeErrors).toEqual([]);
        const lotStep = sc.lotStep;
        const opened = new Map<string, number>();
        const closed = new Map<string, number>();
        const profit = new Map<string, number>();
        for (const d of b.deals) {
          expect(d.volume).toBeGreaterThan(0);
          expect(isStepMultiple(d.volume, lotStep)).toBe(true);
          const steps = Math.round(d.volume / lotStep);
          const m = d.reason === 'open' ? opened : closed;
          m.set(d.positionId, (m.get(d.positionId) ?? 0) + steps);
          profit.set(d.positionId, (profit.get(d.positionId) ?? 0) + d.profit);
          if (d.reason === 'open') expect(d.profit).toBe(0);
        }
        const open = new Map(b.positions().map((p) => [p.id, Math.round(p.volume / lotStep)]));
        for (const [id, o] of opened) {
          const c = closed.get(id) ?? 0;
          expect(c).toBeLessThanOrEqual(o);
          // What is still open is exactly what was opened minus what was closed.
          expect(open.get(id) ?? 0).toBe(o - c);
          expect(b.realizedProfit(id)).toBe(profit.get(id));
        }
        for (const id of closed.keys()) expect(opened.has(id)).toBe(true);
        if (sc.accountMode === 'netting') expect(b.positions().length).toBeLessThanOrEqual(1);
        expect(b.audit.applied).toBeLessThanOrEqual(b.audit.requests);
      }),
      { numRuns: 400 },
    );
  });

  it('same seed and same requests => identical answers and deals', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const a = play(sc);
        const c = play(sc);
        expect(c.answers).toEqual(a.answers);
        expect(c.broker.deals).toEqual(a.broker.deals);
        expect(c.broker.audit).toEqual(a.broker.audit);
      }),
      { numRuns: 150 },
    );
  });
});
