import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ADX, ATR, BollingerBands, EMA, MACD, RSI } from 'trading-signals';
import { Adx, Bollinger, Ema, Macd, Rsi, WilderAtr } from '../../src/features/indicators.ts';
import { mulberry32, randomWalkBars, same } from './helpers.ts';

const walk = randomWalkBars(3000, { seed: 7, price: 1300, vol: 0.8 });

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('peek() equals value after update()', () => {
  it('WilderAtr, Adx (OHLC indicators)', () => {
    const atr = new WilderAtr(14);
    const adx = new Adx(14);
    for (const b of walk) {
      const pa = atr.peek(b.high, b.low, b.close);
      const px = adx.peek(b.high, b.low, b.close);
      const ppdi = adx.peekPlusDi;
      const pmdi = adx.peekMinusDi;
      atr.update(b.high, b.low, b.close);
      adx.update(b.high, b.low, b.close);
      expect(same(pa, atr.value)).toBe(true);
      expect(same(px, adx.value)).toBe(true);
      expect(same(ppdi, adx.plusDi)).toBe(true);
      expect(same(pmdi, adx.minusDi)).toBe(true);
    }
    expect(atr.ready && adx.ready).toBe(true);
  });

  it('Ema (both seeds), Bollinger, Rsi (both seeds), Macd (close indicators)', () => {
    const inds = {
      emaSma: new Ema(20),
      emaFirst: new Ema(20, 'first'),
      boll: new Bollinger(20, 2),
      rsi: new Rsi(14),
      rsiZero: new Rsi(14, 'zero'),
      macd: new Macd(12, 26, 9),
    };
    for (const b of walk) {
      const c = b.close;
      const p1 = inds.emaSma.peek(c);
      const p2 = inds.emaFirst.peek(c);
      const p3 = inds.boll.peek(c);
      const p3w = inds.boll.peekWidth;
      const p3u = inds.boll.peekUpper;
      const p4 = inds.rsi.peek(c);
      const p5 = inds.rsiZero.peek(c);
      const p6 = inds.macd.peek(c);
      const p6h = inds.macd.peekHistogram;
      const p6s = inds.macd.peekSignal;
      inds.emaSma.update(c);
      inds.emaFirst.update(c);
      inds.boll.update(c);
      inds.rsi.update(c);
      inds.rsiZero.update(c);
      inds.macd.update(c);
      expect(same(p1, inds.emaSma.value)).toBe(true);
      expect(same(p2, inds.emaFirst.value)).toBe(true);
      // Bollinger's peek does the same arithmetic except the periodic re-centring: allow 1 ulp-ish
      if (Number.isNaN(inds.boll.value)) expect(p3).toBeNaN();
      else {
        expect(rel(p3, inds.boll.value)).toBeLessThan(1e-12);
        expect(Math.abs(p3w - inds.boll.width)).toBeLessThan(1e-9 * inds.boll.width + 1e-12);
        expect(rel(p3u, inds.boll.upper)).toBeLessThan(1e-12);
      }
      expect(same(p4, inds.rsi.value)).toBe(true);
      expect(same(p5, inds.rsiZero.value)).toBe(true);
      expect(same(p6, inds.macd.value)).toBe(true);
      expect(same(p6h, inds.macd.histogram)).toBe(true);
      expect(same(p6s, inds.macd.signal)).toBe(true);
    }
  });

  it('peek() never changes what update() produces (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 5 }), (seed, peeks) => {
        const bars = randomWalkBars(120, { seed, vol: 1 });
        const rnd = mulberry32(seed ^ 0x5bd1e995);
        const a = {
          atr: new WilderAtr(5),
          ema: new Ema(10),
          boll: new Bollinger(10),
          rsi: new Rsi(5),
          adx: new Adx(5),
          macd: new Macd(3, 8, 4),
        };
        const b = {
          atr: new WilderAtr(5),
          ema: new Ema(10),
          boll: new Bollinger(10),
          rsi: new Rsi(5),
          adx: new Adx(5),
          macd: new Macd(3, 8, 4),
        };
        for (const x of bars) {
          for (let k = 0; k < peeks; k++) {
            const c = x.close + (rnd() - 0.5) * 3;
            b.atr.peek(x.high + 1, x.low - 1, c);
            b.ema.peek(c);
            b.boll.peek(c);
            b.rsi.peek(c);
            b.adx.peek(x.high + 1, x.low - 1, c);
            b.macd.peek(c);
          }
          for (const s of [a, b]) {
            s.atr.update(x.high, x.low, x.close);
            s.ema.update(x.close);
            s.boll.update(x.close);
            s.rsi.update(x.close);
            s.adx.update(x.high, x.low, x.close);
            s.macd.update(x.close);
          }
          if (!same(a.atr.value, b.atr.value) || !same(a.ema.value, b.ema.value) || !same(a.boll.width, b.boll.width))
            return false;
          if (
            !same(a.rsi.value, b.rsi.value) ||
            !same(a.adx.value, b.adx.value) ||
            !same(a.macd.histogram, b.macd.histogram)
          )
            return false;
        }
        return true;
      }),
      { numRuns: 60 },
    );
  });
});

describe('cross-check against trading-signals 8.3.0 (oracle)', () => {
  it('WilderAtr(14) equals trading-signals ATR(14) from the first value (same TR0 and SMA seed)', () => {
    const mine = new WilderAtr(14);
    const theirs = new ATR(14);
    let compared = 0;
    for (const b of walk) {
      mine.update(b.high, b.low, b.close);
      const t = theirs.add({ high: b.high, low: b.low, close: b.close });
      expect(mine.ready).toBe(t !== null);
      if (t !== null) {
        expect(rel(mine.value, t)).toBeLessThan(1e-9);
        compared++;
      }
    }
    expect(compared).toBe(walk.length - 13);
  });

  it('Ema: seed "first" equals trading-signals EMA; seed "sma" converges to it (1e-9 after 10 x period here)', () => {
    const period = 200;
    const first = new Ema(period, 'first');
    const sma = new Ema(period);
    const theirs = new EMA(period);
    walk.forEach((b, i) => {
      first.update(b.close);
      sma.update(b.close);
      theirs.add(b.close);
      if (theirs.isStable) {
        expect(rel(first.value, theirs.getResultOrThrow())).toBeLessThan(1e-12);
        // trading-signals seeds its EMA with the first price, we (and Lean) with the SMA of the first
        // `period` values: the gap decays as (1 - 2/(period+1))^n.
        if (i >= 10 * period) expect(rel(sma.value, theirs.getResultOrThrow())).toBeLessThan(1e-9);
      } else {
        expect(first.ready).toBe(false);
      }
    });
  });

  it('Rsi(14) (Wilder, SMA seed) equals trading-signals RSI(14)', () => {
    const mine = new Rsi(14);
    const theirs = new RSI(14);
    let compared = 0;
    for (const b of walk) {
      mine.update(b.close);
      const t = theirs.add(b.close);
      expect(mine.ready).toBe(t !== null);
      if (t !== null) {
        expect(Math.abs(mine.value - t)).toBeLessThan(1e-9);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2900);
  });

  it('Bollinger(20, 2) equals trading-signals BollingerBands(20, 2)', () => {
    const mine = new Bollinger(20, 2);
    const theirs = new BollingerBands(20, 2);
    for (const b of walk) {
      mine.update(b.close);
      const t = theirs.add(b.close);
      expect(mine.ready).toBe(t !== null);
      if (t !== null) {
        expect(rel(mine.value, t.middle)).toBeLessThan(1e-12);
        expect(rel(mine.upper, t.upper)).toBeLessThan(1e-12);
        expect(rel(mine.lower, t.lower)).toBeLessThan(1e-12);
        expect(rel(mine.width, t.upper - t.lower)).toBeLessThan(1e-9);
      }
    }
  });

  it('Macd(12, 26, 9) equals trading-signals MACD(EMA12, EMA26, EMA9) once signal is defined', () => {
    const mine = new Macd(12, 26, 9);
    const theirs = new MACD(new EMA(12), new EMA(26), new EMA(9));
    let compared = 0;
    for (const b of walk) {
      mine.update(b.close);
      const t = theirs.add(b.close);
      if (mine.ready) {
        expect(t).not.toBeNull();
        expect(Math.abs(mine.value - t!.macd)).toBeLessThan(1e-9);
        expect(Math.abs(mine.signal - t!.signal)).toBeLessThan(1e-9);
        expect(Math.abs(mine.histogram - t!.histogram)).toBeLessThan(1e-9);
        compared++;
      }
    }
    expect(compared).toBe(walk.length - 33);
  });

  it('Adx(14) converges to trading-signals ADX(14) after warm-up (it starts TR/DM on the first bar)', () => {
    const mine = new Adx(14);
    const theirs = new ADX(14);
    walk.forEach((b, i) => {
      mine.update(b.high, b.low, b.close);
      const t = theirs.add({ high: b.high, low: b.low, close: b.close });
      if (i >= 1000) {
        expect(Math.abs(mine.value - t!)).toBeLessThan(1e-9);
        expect(Math.abs(mine.plusDi - theirs.pdi! * 100)).toBeLessThan(1e-9);
        expect(Math.abs(mine.minusDi - theirs.mdi! * 100)).toBeLessThan(1e-9);
      }
    });
  });
});

describe('Bollinger running sums do not drift', () => {
  const naive = (xs: Float64Array, end: number, p: number): [number, number] => {
    let s = 0;
    for (let i = end - p + 1; i <= end; i++) s += xs[i]!;
    const m = s / p;
    let v = 0;
    for (let i = end - p + 1; i <= end; i++) v += (xs[i]! - m) ** 2;
    return [m, Math.sqrt(v / p)];
  };

  for (const [label, level, step] of [
    ['XAUUSD-like (1300, steps 0.5)', 1300, 0.5],
    ['EURUSD-like (1.1, steps 1e-4)', 1.1, 1e-4],
    ['BTC-like at 1e5 with tiny steps (1e-3): sum-of-squares cancellation stress', 1e5, 1e-3],
  ] as const) {
    it(`100k bars, every value vs a naive two-pass recompute: ${label}`, () => {
      const n = 100_000;
      const rnd = mulberry32(42);
      const xs = new Float64Array(n);
      let p = level;
      for (let i = 0; i < n; i++) {
        p += (rnd() - 0.5) * 2 * step;
        xs[i] = p;
      }
      const b = new Bollinger(20, 2);
      let worstMid = 0;
      let worstSd = 0;
      // what plain running sums of x and x^2 (no shift, no recompute) would give, for contrast
      let s1 = 0;
      let s2 = 0;
      let worstPlain = 0;
      for (let i = 0; i < n; i++) {
        const x = xs[i]!;
        b.update(x);
        s1 += x;
        s2 += x * x;
        if (i >= 20) {
          s1 -= xs[i - 20]!;
          s2 -= xs[i - 20]! ** 2;
        }
        if (i >= 19) {
          const [m, sd] = naive(xs, i, 20);
          worstMid = Math.max(worstMid, Math.abs(b.value - m) / Math.abs(m));
          worstSd = Math.max(worstSd, Math.abs(b.stdDev - sd) / sd);
          worstPlain = Math.max(worstPlain, Math.abs(Math.sqrt(Math.max(0, s2 / 20 - (s1 / 20) ** 2)) - sd) / sd);
        }
      }
      expect(worstMid).toBeLessThan(1e-13);
      expect(worstSd).toBeLessThan(1e-12);
      expect(worstPlain).toBeGreaterThan(1e-7); // the guard is needed
    });
  }
});

describe('conventions and edge cases', () => {
  it('WilderAtr: TR0 = high - low, first value = mean of the first `period` TRs, then Wilder', () => {
    const a = new WilderAtr(3);
    a.update(10, 8, 9); // TR 2
    a.update(11, 9, 10); // TR max(2, 2, 0) = 2
    expect(a.value).toBeNaN();
    expect(a.peek(10.5, 10, 10.2)).toBeCloseTo((2 + 2 + 0.5) / 3, 12);
    a.update(10.5, 10, 10.2); // TR 0.5
    expect(a.value).toBeCloseTo(1.5, 12);
    a.update(13, 12, 12.5); // TR max(1, 2.8, 1.8) = 2.8
    expect(a.value).toBeCloseTo((1.5 * 2 + 2.8) / 3, 12);
  });

  it('Rsi: a flat series is 50, a rising one 100; seeds differ during warm-up', () => {
    const flat = new Rsi(5);
    const up = new Rsi(5);
    for (let i = 0; i < 10; i++) {
      flat.update(1);
      up.update(i);
    }
    expect(flat.value).toBe(50);
    expect(up.value).toBe(100);
    const s = new Rsi(3);
    const z = new Rsi(3, 'zero');
    for (const c of [1, 2, 1.5, 3]) {
      s.update(c);
      z.update(c);
    }
    // sma seed: avgGain = (1 + 0 + 1.5)/3, avgLoss = 0.5/3
    expect(s.value).toBeCloseTo(100 - 100 / (1 + 2.5 / 0.5), 12);
    expect(z.ready).toBe(true);
    expect(z.value).not.toBeCloseTo(s.value, 6);
  });

  it('Ema seed "sma": first value is the SMA', () => {
    const e = new Ema(3);
    const values = [1, 2, 6, 5].map((x) => {
      e.update(x);
      return e.value;
    });
    expect(values).toEqual([NaN, NaN, 3, 4]);
  });

  it('ready flags and NaN before ready', () => {
    const adx = new Adx(3);
    const macd = new Macd(2, 4, 3);
    for (let i = 0; i < 6; i++) {
      adx.update(10 + i, 9 + i, 9.5 + i);
      macd.update(i);
      expect(adx.ready).toBe(i >= 5);
      expect(Number.isNaN(adx.value)).toBe(i < 5);
      expect(Number.isNaN(macd.value)).toBe(i < 3);
      expect(Number.isNaN(macd.histogram)).toBe(i < 5);
    }
  });

  it('reset() returns every indicator to its initial state', () => {
    const inds = [new WilderAtr(), new Adx()];
    const closes = [new Ema(10), new Bollinger(), new Rsi(), new Macd()];
    for (const b of walk.slice(0, 200)) {
      for (const x of inds) x.update(b.high, b.low, b.close);
      for (const x of closes) x.update(b.close);
    }
    for (const x of [...inds, ...closes]) {
      x.reset();
      expect(x.ready).toBe(false);
      expect(x.value).toBeNaN();
    }
    const fresh = new Bollinger();
    const used = closes[1] as Bollinger;
    for (const b of walk.slice(0, 100)) {
      fresh.update(b.close);
      used.update(b.close);
    }
    expect(used.width).toBe(fresh.width);
  });

  it('rejects bad periods', () => {
    expect(() => new WilderAtr(0)).toThrow(RangeError);
    expect(() => new Ema(1.5)).toThrow(RangeError);
    expect(() => new Bollinger(1)).toThrow(RangeError);
    expect(() => new Macd(26, 12, 9)).toThrow(RangeError);
  });
});
