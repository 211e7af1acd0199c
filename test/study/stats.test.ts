import { describe, expect, it } from 'vitest';
import {
  capture,
  meanSe,
  pairByEntry,
  pairedDelta,
  warningForecast,
  whipsaw,
  type StudyTrade,
} from '../../src/study/stats.ts';
import { affinityQueue } from '../../src/study/pool.ts';
import type { StudyJob } from '../../src/study/studyModel.ts';

const T0 = Date.UTC(2024, 0, 2, 8);
const MIN = 60_000;

/** A hand-made trade: entry n minutes after T0, 60 minutes long, with what the test needs. */
function trade(n: number, o: Partial<StudyTrade> = {}): StudyTrade {
  return {
    entryTime: T0 + n * MIN,
    side: 'buy',
    exitTime: T0 + (n + 60) * MIN,
    exitReason: 'initial_stop',
    r: -1,
    mfeR: 0.5,
    maeR: 1,
    reAdd: false,
    warningTime: null,
    warningR: null,
    ...o,
  };
}

describe('mean and standard error', () => {
  it('gives the sample standard deviation over sqrt(n)', () => {
    const m = meanSe([1, 2, 3, 4]);
    expect(m.n).toBe(4);
    expect(m.mean).toBe(2.5);
    // sd = sqrt(((1.5² + 0.5²) x 2) / 3) = sqrt(5/3); se = sd / 2
    expect(m.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
  });

  it('has no standard error below two values, and no mean without any', () => {
    expect(meanSe([0.7])).toEqual({ n: 1, mean: 0.7, se: null });
    expect(meanSe([])).toEqual({ n: 0, mean: null, se: null });
  });
});

describe('pairing by entry', () => {
  it('drops an entry one config refused, counts it, and keeps re-added trades out', () => {
    const a = [trade(0, { r: 1 }), trade(120, { r: -1 }), trade(240, { r: 2 }), trade(250, { r: 0.5, reAdd: true })];
    // The second config refused the entry at +120 (no trade for it).
    const b = [trade(0, { r: 0.5 }), trade(240, { r: 1 })];
    const p = pairByEntry([a, b]);
    expect(p.keys).toHaveLength(2);
    expect(p.paired[0]!.map((t) => t.r)).toEqual([1, 2]);
    expect(p.paired[1]!.map((t) => t.r)).toEqual([0.5, 1]);
    expect(p.dropped).toEqual([1, 0]);
    expect(p.droppedEntries).toBe(1);
    expect(p.ambiguous).toBe(0);
  });

  it('tells a buy from a sell at the same time', () => {
    const a = [trade(0, { side: 'buy' }), trade(0, { side: 'sell', r: 2 })];
    const b = [trade(0, { side: 'sell', r: 1 })];
    const p = pairByEntry([a, b]);
    expect(p.paired[0]!.map((t) => t.side)).toEqual(['sell']);
    expect(pairedDelta(p.paired[0]!, p.paired[1]!).mean).toBe(1);
  });

  it('pairs the differences per entry: mean ± sd/sqrt(n), and within noise when |mean| < se', () => {
    const cfg = [trade(0, { r: 1 }), trade(1, { r: 0 }), trade(2, { r: 2 }), trade(3, { r: -1 })];
    const base = [trade(0, { r: 0 }), trade(1, { r: 0 }), trade(2, { r: 0 }), trade(3, { r: 0 })];
    const d = pairedDelta(cfg, base);
    expect(d.n).toBe(4);
    expect(d.mean).toBe(0.5);
    expect(d.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
    expect(d.withinNoise).toBe(true);
    const clear = pairedDelta([trade(0, { r: 1 }), trade(1, { r: 1.2 }), trade(2, { r: 0.8 })], base.slice(0, 3));
    expect(clear.withinNoise).toBe(false);
  });

  it('leaves out entries without R on either side', () => {
    const d = pairedDelta([trade(0, { r: null }), trade(1, { r: 1 })], [trade(0, { r: 0 }), trade(1, { r: 0 })]);
    expect(d.n).toBe(1);
  });
});

describe('whipsaw', () => {
  it('counts trades stopped within ±0.25 R whose bracket twin took profit', () => {
    const managed = [
      trade(0, { exitReason: 'breakeven_stop', r: 0.02 }), // twin took profit: whipsaw
      trade(1, { exitReason: 'breakeven_stop', r: 0.01 }), // twin stopped: no whipsaw
      trade(2, { exitReason: 'trailing_stop', r: 0.9 }), // not near breakeven
      trade(3, { exitReason: 'dtms_stop', r: -0.25 }), // at the edge, twin took profit: whipsaw
      trade(4, { exitReason: 'take_profit', r: 0.1 }), // not a stop
    ];
    const bracket = [
      trade(0, { exitReason: 'take_profit', r: 2 }),
      trade(1, { exitReason: 'initial_stop', r: -1 }),
      trade(2, { exitReason: 'take_profit', r: 2 }),
      trade(3, { exitReason: 'take_profit', r: 2 }),
      trade(4, { exitReason: 'take_profit', r: 2 }),
    ];
    const w = whipsaw(managed, bracket);
    expect(w).toEqual({ trades: 5, nearBreakevenStops: 3, whipsaws: 2, rate: 2 / 5, ofNearBreakevenStops: 2 / 3 });
  });
});

describe("the DTMS warning's forecast", () => {
  it("is the bracket twin's R after the warning, beside the managed trade's, over warned trades", () => {
    const w = T0 + 30 * MIN;
    const managed = [
      trade(0, { warningTime: w, warningR: 0.5, r: 0.4 }),
      trade(1, { warningTime: w, warningR: -0.2, r: -0.3 }),
      trade(2, { r: 2 }), // never warned
      trade(3, { warningTime: w, warningR: 0.1, r: 0 }), // twin closed before the warning
    ];
    const bracket = [
      trade(0, { r: 2 }),
      trade(1, { r: -1 }),
      trade(2, { r: 2 }),
      trade(3, { r: -1, exitTime: w - MIN }),
    ];
    const f = warningForecast(managed, bracket);
    // Twin remaining: 2 - 0.5 = 1.5 and -1 - (-0.2) = -0.8; managed remaining: -0.1 and -0.1.
    expect(f.horizon.n).toBe(2);
    expect(f.horizon.mean).toBeCloseTo(0.35, 12);
    expect(f.horizon.se).toBeCloseTo(Math.abs(1.5 - -0.8) / 2, 12);
    expect(f.managed.mean).toBeCloseTo(-0.1, 12);
    expect(f.managed.se).toBeCloseTo(0, 12);
    expect(f.twinClosedBefore).toBe(1);
  });
});

describe('capture', () => {
  it('is Σ R / Σ MFE over trades that were ever in profit', () => {
    const ts = [trade(0, { r: 2, mfeR: 2 }), trade(1, { r: -1, mfeR: 1 }), trade(2, { r: -1, mfeR: 0 })];
    expect(capture(ts)).toBeCloseTo(1 / 3, 12);
    expect(capture([trade(0, { mfeR: 0 })])).toBeNull();
  });
});

describe('the worker queue', () => {
  it('hands every job out once, keeping each worker on one set while it has jobs', () => {
    const jobs = [0, 1, 2].flatMap((s) =>
      [0, 1, 2, 3].map((v) => ({ setIndex: s, variantIndex: v, configIndex: 0 }) as StudyJob),
    );
    const next = affinityQueue(jobs, 2);
    const got: [number, StudyJob][] = [];
    for (let i = 0; got.length < jobs.length && i < 100; i++) {
      const j = next(i % 2);
      if (j) got.push([i % 2, j]);
    }
    expect(got).toHaveLength(jobs.length);
    expect(next(0)).toBeUndefined();
    expect(new Set(got.map(([, j]) => j)).size).toBe(jobs.length);
    // The first four jobs of each worker come from one set.
    for (const w of [0, 1])
      expect(
        new Set(
          got
            .filter(([k]) => k === w)
            .slice(0, 4)
            .map(([, j]) => j.setIndex),
        ).size,
      ).toBe(1);
  });
});
