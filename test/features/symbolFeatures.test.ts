import { describe, expect, it } from 'vitest';
import type { Bar, Timeframe } from '../../src/domain/types.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { FeaturesConfig } from '../../src/config/schema.ts';
import { SymbolFeatures } from '../../src/features/symbolFeatures.ts';
import { emptyMarketFeatures } from '../../src/features/snapshot.ts';
import type { MarketFeatures } from '../../src/features/snapshot.ts';
import { DAY, HOUR, MIN, bar, mulberry32, randomWalkBars, same } from './helpers.ts';

/** The built-in defaults (M15 features, M5 volume profile of 200 bars x 20 bins, VWAP from 00:00 UTC). */
const CFG: FeaturesConfig = configSchema.parse({}).features;

const KEYS = Object.keys(emptyMarketFeatures()) as (keyof MarketFeatures)[];

function snap(sf: SymbolFeatures): MarketFeatures {
  return sf.snapshot(emptyMarketFeatures());
}

function expectSameSnapshot(a: MarketFeatures, b: MarketFeatures, where: string): void {
  for (const k of KEYS) {
    if (!same(a[k], b[k])) throw new Error(`${where}: ${k} differs: ${a[k]} vs ${b[k]}`);
  }
}

/** A bar mirrored around `pivot` (a sell-side market): prices p -> 2 * pivot - p. */
const mirror = (b: Bar, pivot: number): Bar => ({
  ...b,
  open: 2 * pivot - b.open,
  high: 2 * pivot - b.low,
  low: 2 * pivot - b.high,
  close: 2 * pivot - b.close,
});

/** Closes -> doji-like bars (open = close, +/- wick) on a fixed step. */
function barsFromCloses(closes: number[], start: number, stepMs: number, wick = 0.2): Bar[] {
  return closes.map((c, i) => bar(start + i * stepMs, c, c + wick, c - wick, c, 10, 0.02));
}

/** A structural signature of an object graph: key paths with their kinds (and typed-array lengths). */
function shape(root: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string): void => {
    if (v === null) return void out.push(`${path}:null`);
    const t = typeof v;
    if (t === 'number' || t === 'boolean' || t === 'string') return void out.push(`${path}:${t}`);
    if (v instanceof Float64Array) return void out.push(`${path}:Float64Array(${v.length})`);
    if (t !== 'object') return void out.push(`${path}:${t}`);
    if (seen.has(v)) return void out.push(`${path}:<ref>`);
    seen.add(v);
    const ctor = (v as object).constructor?.name ?? 'null-proto';
    if (Array.isArray(v)) out.push(`${path}:Array(${v.length})`);
    else out.push(`${path}:${ctor}`);
    for (const k of Object.keys(v as object)) walk((v as Record<string, unknown>)[k], `${path}.${k}`);
  };
  walk(root, '$');
  return out;
}

/** Every leaf value of an object graph, for exact state comparison (scratch/peek outputs excluded). */
function leaves(root: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, path: string): void => {
    if (v instanceof Float64Array) {
      v.forEach((x, i) => out.set(`${path}[${i}]`, x));
      return;
    }
    if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        if (k.startsWith('scratch') || k.startsWith('peek')) continue;
        walk((v as Record<string, unknown>)[k], `${path}.${k}`);
      }
      return;
    }
    out.set(path, v);
  };
  walk(root, '$');
  return out;
}

describe('SymbolFeatures: construction and warm-up', () => {
  it('effective timeframes: requests finer than the base fall back to the base', () => {
    const m1 = new SymbolFeatures(CFG, 'M15', 'M1');
    expect(m1.effective).toEqual({
      base: 'M1',
      features: 'M15',
      atr: 'M15',
      atrH1: 'H1',
      volumeProfile: 'M5',
      mtf: ['M5', 'M15', 'H1'],
    });
    const m15 = new SymbolFeatures(CFG, 'M5', 'M15');
    expect(m15.effective).toEqual({
      base: 'M15',
      features: 'M15',
      atr: 'M15',
      atrH1: 'H1',
      volumeProfile: 'M15',
      mtf: ['M15', 'H1'],
    });
    const h4 = new SymbolFeatures(CFG, 'M15', 'H4');
    expect(h4.effective).toEqual({ base: 'H4', features: 'H4', atr: 'H4', atrH1: 'H4', volumeProfile: 'H4', mtf: [] });
  });

  it('before any bar the snapshot is the empty one; after one bar only price/spread/time are known', () => {
    const sf = new SymbolFeatures(CFG);
    expect(snap(sf)).toEqual(emptyMarketFeatures());
    const b = bar(Date.UTC(2024, 0, 2, 9, 0), 10, 11, 9, 10.5, 5, 0.1);
    sf.onBar(b);
    const s = snap(sf);
    expect(s).toEqual({ ...emptyMarketFeatures(), time: b.time + MIN, price: 10.5, spread: 0.1 });
  });

  it('every field becomes known on a long random walk, and nothing is made up before', () => {
    const sf = new SymbolFeatures(CFG);
    const out = emptyMarketFeatures();
    const bars = randomWalkBars(60_000, { seed: 5, price: 1300, vol: 0.3 });
    let allKnownAt = -1;
    bars.forEach((b, i) => {
      sf.onBar(b);
      sf.snapshot(out);
      if (!(out.atr > 0)) {
        // without ATR nothing normalised by it may exist
        expect(out.ema200Atr).toBeNaN();
        expect(out.vwapAtr).toBeNaN();
        expect(out.vwapZone).toBe(-1);
        expect(out.hvnDistAtr).toBeNaN();
        expect(out.ema50Slope).toBeNaN();
      }
      const known =
        KEYS.every((k) => Number.isFinite(out[k])) &&
        out.squeeze !== -1 &&
        out.vwapZone !== -1 &&
        out.mtfAvailable === 3;
      if (known && allKnownAt < 0) allKnownAt = i;
    });
    // EMA200 on H1 needs 200 closed hours (12,000 M1 bars) before MTF can reach 3
    expect(allKnownAt).toBeGreaterThanOrEqual(200 * 60 - 1);
    expect(allKnownAt).toBeLessThan(60_000);
    expect(sf.barsSeen).toBe(60_000);
  });

  it('rejects bars that are not newer than the last one, and bad prices, without changing state', () => {
    const sf = new SymbolFeatures(CFG);
    const bars = randomWalkBars(500, { seed: 9 });
    for (const b of bars) sf.onBar(b);
    const before = snap(sf);
    expect(sf.onBar(bars[100]!)).toBe(false);
    expect(sf.onBar({ ...bars[499]!, time: bars[499]!.time + MIN, high: NaN })).toBe(false);
    expect(sf.onFormingBar(bars[499]!)).toBe(false);
    expect(sf.barsRejected).toBe(2);
    expectSameSnapshot(snap(sf), before, 'after rejects');
  });
});

describe('SymbolFeatures: the forming bar', () => {
  it('any number of onFormingBar calls then onBar(closed) gives exactly the state of onBar(closed) alone', () => {
    const bars = randomWalkBars(30_000, { seed: 21, price: 1300, vol: 0.4 });
    const rnd = mulberry32(77);
    const plain = new SymbolFeatures(CFG);
    const noisy = new SymbolFeatures(CFG);
    const outA = emptyMarketFeatures();
    const outB = emptyMarketFeatures();
    let prev = emptyMarketFeatures();
    bars.forEach((b, i) => {
      const k = Math.floor(rnd() * 4);
      for (let j = 0; j < k; j++) {
        // a partial version of the coming bar (and sometimes a wild one)
        const c = b.open + (b.close - b.open) * rnd() + (j === 2 ? (rnd() - 0.5) * 20 : 0);
        noisy.onFormingBar({
          time: b.time,
          open: b.open,
          high: Math.max(b.open, c),
          low: Math.min(b.open, c),
          close: c,
          volume: Math.floor(b.volume * rnd()),
          spread: b.spread * 2,
        });
        const f = noisy.snapshot(outB);
        // the forming bar moves price-dependent outputs only
        expect(f.price).toBe(c);
        for (const key of [
          'atr',
          'atrH1',
          'ema50Slope',
          'ema200Slope',
          'squeeze',
          'rsi',
          'adx',
          'mtfUp',
          'mtfDown',
          'mtfAvailable',
        ] as const) {
          if (!same(f[key], prev[key])) throw new Error(`bar ${i}: forming bar changed ${key}`);
        }
      }
      plain.onBar(b);
      noisy.onBar(b);
      expectSameSnapshot(plain.snapshot(outA), noisy.snapshot(outB), `bar ${i}`);
      prev = { ...outA };
    });
    // and the whole internal state is identical (scratch buffers and peek outputs excluded)
    expect(leaves(noisy)).toEqual(leaves(plain));
  });

  it('the forming bar moves price, spread, time, RMAG, VWAP distance, zone and HVN distance', () => {
    const sf = new SymbolFeatures(CFG);
    const bars = randomWalkBars(20_000, { seed: 8, price: 1300, vol: 0.4 });
    for (const b of bars) sf.onBar(b);
    const closed = snap(sf);
    const last = bars[bars.length - 1]!;
    const t = last.time + MIN;
    const up = last.close + 5 * closed.atr;
    sf.onFormingBar(bar(t, last.close, up, last.close, up, 3, 0.5));
    const f = snap(sf);
    expect(f.time).toBe(t + MIN);
    expect(f.price).toBe(up);
    expect(f.spread).toBe(0.5);
    expect(f.ema200Atr).toBeGreaterThan(closed.ema200Atr + 4);
    expect(f.vwapAtr).toBeGreaterThan(closed.vwapAtr + 4);
    expect(f.vwapZone).toBe(2);
    expect(f.hvnDistAtr).not.toBe(closed.hvnDistAtr);
    expect(f.atr).toBe(closed.atr);
    // RMAG uses the EMA200 that includes the bar in progress: (price - EMA.peek(price)) / atr
    expect(f.ema200Atr).toBeLessThan((up - (closed.price - closed.ema200Atr * closed.atr)) / closed.atr);
  });
});

describe('SymbolFeatures: squeeze', () => {
  it('-1 until 100 widths, 1 after the range contracts, 0 after it expands again', () => {
    const sf = new SymbolFeatures(CFG, 'M15', 'M15');
    const start = Date.UTC(2024, 0, 1);
    const rnd = mulberry32(3);
    const closes: number[] = [];
    for (let i = 0; i < 400; i++) {
      const amp = i < 250 ? 5 : i < 300 ? 5 - (4.5 * (i - 250)) / 50 : i < 340 ? 0.5 : 8;
      closes.push(100 + amp * Math.sin(i * 0.9) + (rnd() - 0.5) * 0.05);
    }
    const bars = barsFromCloses(closes, start, 15 * MIN);
    const squeeze: number[] = [];
    for (const b of bars) {
      sf.onBar(b);
      squeeze.push(snap(sf).squeeze);
    }
    // Bollinger(20) is ready at bar 19; 100 widths at bar 118
    expect(squeeze.slice(0, 118).every((s) => s === -1)).toBe(true);
    expect(squeeze[118]).not.toBe(-1);
    expect(squeeze.slice(290, 340).every((s) => s === 1)).toBe(true);
    expect(squeeze.slice(360).every((s) => s === 0)).toBe(true);
  });
});

describe('SymbolFeatures: multi-timeframe alignment', () => {
  // An accelerating up-trend (so the MACD histogram stays positive) on M5 bars, long enough for H1 EMA200.
  const start = Date.UTC(2024, 0, 1);
  const rnd = mulberry32(12);
  const upBars: Bar[] = [];
  for (let i = 0; i < 3000; i++) {
    const c = 1000 + 0.00005 * i * i + (rnd() - 0.5) * 0.05;
    upBars.push(bar(start + i * 5 * MIN, c, c + 0.1, c - 0.1, c, 10, 0.05));
  }

  it('a rising market aligns M5, M15 and H1 up', () => {
    const sf = new SymbolFeatures(CFG, 'M15', 'M5');
    for (const b of upBars) sf.onBar(b);
    const s = snap(sf);
    expect(s.mtfAvailable).toBe(3);
    expect(s.mtfUp).toBe(3);
    expect(s.mtfDown).toBe(0);
    expect(s.ema50Slope).toBeGreaterThan(0);
    expect(s.ema200Slope).toBeGreaterThan(0);
    expect(s.ema200Atr).toBeGreaterThan(0);
  });

  it('its sell-side mirror aligns them down', () => {
    const sf = new SymbolFeatures(CFG, 'M15', 'M5');
    for (const b of upBars) sf.onBar(mirror(b, 2000));
    const s = snap(sf);
    expect(s.mtfAvailable).toBe(3);
    expect(s.mtfDown).toBe(3);
    expect(s.mtfUp).toBe(0);
    expect(s.ema50Slope).toBeLessThan(0);
    expect(s.ema200Atr).toBeLessThan(0);
  });

  it('mirror symmetry on a random walk: every side-dependent field flips, the rest is unchanged', () => {
    const bars = randomWalkBars(40_000, { seed: 31, price: 1000, vol: 0.5 });
    const a = new SymbolFeatures(CFG);
    const b = new SymbolFeatures(CFG);
    const sa = emptyMarketFeatures();
    const sb = emptyMarketFeatures();
    const close = (x: number, y: number): boolean =>
      (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x));
    let checked = 0;
    bars.forEach((x, i) => {
      a.onBar(x);
      b.onBar(mirror(x, 1000));
      if (i % 7) return;
      a.snapshot(sa);
      b.snapshot(sb);
      const ok =
        close(sa.atr, sb.atr) &&
        close(sa.atrH1, sb.atrH1) &&
        close(sa.ema200Atr, -sb.ema200Atr) &&
        close(sa.vwapAtr, -sb.vwapAtr) &&
        sa.vwapZone === sb.vwapZone &&
        close(sa.ema50Slope, -sb.ema50Slope) &&
        close(sa.ema200Slope, -sb.ema200Slope) &&
        sa.squeeze === sb.squeeze &&
        close(sa.rsi, 100 - sb.rsi) &&
        close(sa.adx, sb.adx) &&
        sa.mtfUp === sb.mtfDown &&
        sa.mtfDown === sb.mtfUp &&
        sa.mtfAvailable === sb.mtfAvailable &&
        close(sa.hvnDistAtr, sb.hvnDistAtr) &&
        close(sa.pdh, 2000 - sb.pdl) &&
        close(sa.pdl, 2000 - sb.pdh) &&
        sa.equalHighsAbove === sb.equalLowsBelow &&
        sa.equalLowsBelow === sb.equalHighsAbove;
      if (!ok) throw new Error(`bar ${i}: mirror mismatch\n${JSON.stringify(sa)}\n${JSON.stringify(sb)}`);
      checked++;
    });
    expect(checked).toBeGreaterThan(5000);
    expect(sa.mtfAvailable).toBe(3);
  });
});

describe('SymbolFeatures: equal highs / lows', () => {
  const start = Date.UTC(2024, 0, 1);
  const ramp = (from: number, to: number, step: number): number[] => {
    const r: number[] = [];
    for (let x = from; step > 0 ? x <= to + 1e-9 : x >= to - 1e-9; x += step) r.push(Math.round(x * 100) / 100);
    return r;
  };
  function closes(peak2: number): number[] {
    const flat = Array.from({ length: 30 }, (_, i) => 95 + (i % 2) * 0.3);
    return [...flat, ...ramp(96, 105, 1), ...ramp(104, 96, -1), ...ramp(97, 104, 1), peak2, ...ramp(104, 100, -1)];
  }

  function run(cs: number[], mirrorIt: boolean): MarketFeatures[] {
    const sf = new SymbolFeatures(CFG, 'M15', 'M15');
    return barsFromCloses(cs, start, 15 * MIN).map((b) => {
      sf.onBar(mirrorIt ? mirror(b, 100) : b);
      return snap(sf);
    });
  }

  it('two swing highs above price within 0.1 ATR -> equalHighsAbove, once the second is confirmed', () => {
    const s = run(closes(105.05), false);
    const n = s.length;
    const last = s[n - 1]!;
    expect(last.price).toBe(100);
    expect(last.atr).toBeGreaterThan(0.5); // tolerance 0.1 * atr > 0.05 apart
    expect(s[n - 2]!.equalHighsAbove).toBe(0); // the second peak needs 5 bars after it
    expect(last.equalHighsAbove).toBe(1);
  });

  it('not when they are further apart than 0.1 ATR', () => {
    const s = run(closes(105.6), false);
    expect(s[s.length - 1]!.atr * 0.1).toBeLessThan(0.5);
    expect(s[s.length - 1]!.equalHighsAbove).toBe(0);
  });

  it('mirror: equal swing lows below price -> equalLowsBelow', () => {
    const s = run(closes(105.05), true);
    expect(s[s.length - 2]!.equalLowsBelow).toBe(0);
    expect(s[s.length - 1]!.equalLowsBelow).toBe(1);
    expect(run(closes(105.6), true).at(-1)!.equalLowsBelow).toBe(0);
  });
});

describe('SymbolFeatures: previous day high/low', () => {
  // H1 base bars; day d's bars have highs 100 + 10d + hour/100 and lows 90 + 10d - hour/100.
  const wed = Date.UTC(2024, 4, 8); // Wednesday
  const hourBar = (day: number, hour: number): Bar => {
    const t = wed + day * DAY + hour * HOUR;
    return bar(t, 95 + 10 * day, 100 + 10 * day + hour / 100, 90 + 10 * day - hour / 100, 95 + 10 * day, 1, 0.1);
  };

  it('skips a partial first day, carries Friday over the weekend, and switches on the first bar of a new day', () => {
    const sf = new SymbolFeatures(CFG, 'M15', 'H1');
    for (let h = 10; h < 24; h++) sf.onBar(hourBar(0, h)); // Wednesday from 10:00: partial
    sf.onBar(hourBar(1, 0)); // Thursday
    expect(snap(sf).pdh).toBeNaN();
    for (let h = 1; h < 24; h++) sf.onBar(hourBar(1, h));
    sf.onBar(hourBar(2, 0)); // Friday
    expect(snap(sf).pdh).toBe(110.23);
    expect(snap(sf).pdl).toBe(99.77);
    for (let h = 1; h <= 20; h++) sf.onBar(hourBar(2, h)); // Friday until 20:00, then the weekend
    expect(snap(sf).pdh).toBe(110.23);
    // Monday 00:00 still forming: the previous day (Friday) is already complete
    sf.onFormingBar(hourBar(5, 0));
    expect(snap(sf).pdh).toBe(120.2);
    expect(snap(sf).pdl).toBe(109.8);
    sf.onBar(hourBar(5, 0));
    expect(snap(sf).pdh).toBe(120.2);
    expect(snap(sf).pdl).toBe(109.8);
  });

  it("forex's Sunday evening reopen (22:00-24:00) is not a previous day: Monday's previous day stays Friday", () => {
    const sf = new SymbolFeatures(CFG, 'M15', 'H1');
    for (let h = 0; h < 24; h++) sf.onBar(hourBar(2, h)); // a full Friday (from 00:00)
    sf.onBar(hourBar(4, 22)); // Sunday 22:00 and 23:00
    sf.onBar(hourBar(4, 23));
    expect(snap(sf).pdh).toBe(120.23); // Friday
    sf.onBar(hourBar(5, 0)); // Monday
    expect(snap(sf).pdh).toBe(120.23);
    expect(snap(sf).pdl).toBe(109.77);
  });

  it('a first day that starts at 00:00 counts', () => {
    const sf = new SymbolFeatures(CFG, 'M15', 'H1');
    for (let h = 0; h < 24; h++) sf.onBar(hourBar(1, h));
    sf.onBar(hourBar(2, 0));
    expect(snap(sf).pdh).toBe(110.23);
  });
});

describe('SymbolFeatures: hot path holds only numbers and preallocated typed arrays', () => {
  it('the object graph has the same shape after 200k bars, forming bars and snapshots', () => {
    const sf = new SymbolFeatures(CFG);
    const before = shape(sf);
    const leavesOk = before.every((l) =>
      /:(number|boolean|string|null|<ref>|Float64Array\(\d+\)|Array\(\d+\)|[A-Z]\w*|Object)$/.test(l),
    );
    expect(leavesOk).toBe(true);
    const bars = randomWalkBars(200_000, { seed: 2 });
    const out = emptyMarketFeatures();
    for (const b of bars) {
      sf.onFormingBar(b);
      sf.snapshot(out);
      sf.onBar(b);
      sf.snapshot(out);
    }
    expect(shape(sf)).toEqual(before);
    // the only arrays are the per-timeframe list, the frozen effective-MTF list, the ATR per timeframe and
    // the trail timeframes asked for, all built once
    expect(before.filter((l) => l.includes(':Array(')).map((l) => l.split(':')[0])).toEqual([
      '$.effective.mtf',
      '$.tfs',
      '$.atrByTf',
      '$.trailTimeframes',
    ]);
  });

  it('reset() returns to the initial state', () => {
    const sf = new SymbolFeatures(CFG);
    const fresh = new SymbolFeatures(CFG);
    for (const b of randomWalkBars(5000, { seed: 4 })) sf.onBar(b);
    sf.reset();
    expect(leaves(sf)).toEqual(leaves(fresh));
  });

  it('works for every base timeframe', () => {
    const tfs: Timeframe[] = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4'];
    for (const base of tfs) {
      const sf = new SymbolFeatures(CFG, 'M15', base);
      const stepMs = { M1: MIN, M5: 5 * MIN, M15: 15 * MIN, M30: 30 * MIN, H1: HOUR, H4: 4 * HOUR }[base];
      for (const b of randomWalkBars(3000, { seed: 6, stepMs })) sf.onBar(b);
      const s = snap(sf);
      expect(s.atr).toBeGreaterThan(0);
      expect(Number.isFinite(s.rsi)).toBe(true);
    }
  });
});
