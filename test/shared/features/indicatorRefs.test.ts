// The hand-written indicators against published reference values (../shared/data/indicator-refs,
// see its README.md): bukosabino/ta (StockCharts spreadsheets) and QuantConnect/Lean test data.
//
// Tolerances: the `cs-*` files print 6 to 15 decimals, so each comparison allows half a unit of the
// printed precision (plus float noise); the Lean files are checked with Lean's own 1e-3.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adx, Bollinger, Ema, Macd, Rsi, WilderAtr } from '../../../src/features/indicators.ts';
import { INDICATOR_REFS_DIR, readCsv, sharedDataAvailable } from '../../support/sharedData.ts';

const exists = sharedDataAvailable(INDICATOR_REFS_DIR, 'indicator reference files');
const ref = (f: string): string[][] => readCsv(path.join(INDICATOR_REFS_DIR, f)).slice(1);
const num = (s: string | undefined): number => (s === undefined || s === '' || s === 'NaN' ? NaN : Number(s));

describe.skipIf(!exists)('indicator references (../shared/data/indicator-refs)', () => {
  describe('WilderAtr', () => {
    for (const [file, period] of [
      ['cs-atr.csv', 14],
      ['cs-atr2.csv', 10],
    ] as const) {
      it(`${file}: ATR(${period}) on every row from the first value (printed to 9+ decimals: tol 1e-9)`, () => {
        const atr = new WilderAtr(period);
        let compared = 0;
        ref(file).forEach((r, i) => {
          atr.update(num(r[1]), num(r[2]), num(r[3]));
          const v = atr.value;
          const want = num(r[5]);
          if (want === 0) {
            expect(atr.ready).toBe(false); // the file writes 0 during warm-up
          } else {
            expect(i).toBeGreaterThanOrEqual(period - 1);
            expect(Math.abs(v - want)).toBeLessThan(1e-9);
            compared++;
          }
        });
        expect(compared).toBeGreaterThan(15);
      });
    }

    it('cs-atr.csv last value is 1.316482269 (README)', () => {
      const atr = new WilderAtr(14);
      for (const r of ref('cs-atr.csv')) atr.update(num(r[1]), num(r[2]), num(r[3]));
      expect(atr.value).toBeCloseTo(1.316482269, 9);
    });

    it('spy_atr_wilder.txt: Lean AverageTrueRange(14, Wilders), tolerance 1e-3 as in Lean', () => {
      const atr = new WilderAtr(14);
      let compared = 0;
      let worst = 0;
      for (const r of ref('spy_atr_wilder.txt')) {
        atr.update(num(r[2]), num(r[3]), num(r[4]));
        const v = atr.value;
        const want = num(r[5]);
        if (Number.isNaN(want)) {
          expect(atr.ready).toBe(false);
          continue;
        }
        worst = Math.max(worst, Math.abs(v - want));
        compared++;
      }
      expect(compared).toBeGreaterThan(450);
      expect(worst).toBeLessThan(1e-3);
      expect(worst).toBeLessThan(1e-5); // in fact it agrees to the 5 printed decimals
    });
  });

  describe('Ema', () => {
    it('spy_ema.csv: EMA(14) seeded with the SMA of the first 14 (NaN before), every row', () => {
      const ema = new Ema(14);
      let compared = 0;
      for (const r of ref('spy_ema.csv')) {
        ema.update(num(r[1]));
        const v = ema.value;
        const want = num(r[2]);
        if (Number.isNaN(want)) {
          expect(v).toBeNaN();
        } else {
          expect(Math.abs(v - want)).toBeLessThan(1e-9 * Math.abs(want));
          compared++;
        }
      }
      expect(compared).toBe(351);
    });

    it('cs-macd.csv: EMA12/EMA26 are seeded with the FIRST price (pandas ewm adjust=False); every row (8 decimals)', () => {
      const e12 = new Ema(12, 'first');
      const e26 = new Ema(26, 'first');
      const sma12 = new Ema(12);
      ref('cs-macd.csv').forEach((r, i) => {
        const c = num(r[1]);
        e12.update(c);
        e26.update(c);
        sma12.update(c);
        expect(Math.abs(e12.raw - num(r[2]))).toBeLessThan(1e-8);
        expect(Math.abs(e26.raw - num(r[3]))).toBeLessThan(1e-8);
        if (i >= 11) expect(Math.abs(e12.value - num(r[2]))).toBeLessThan(1e-8);
        // the SMA-seeded variant is a different series during warm-up
        if (i === 11) expect(Math.abs(sma12.value - num(r[2]))).toBeGreaterThan(1e-3);
      });
    });
  });

  describe('Macd', () => {
    it('cs-macd.csv: MACD line on every row from bar 26; signal and histogram on the last 10 rows (ta compares the last 5)', () => {
      // The file's signal column starts from an unrelated seed on row 3; ta's own tests compare the last
      // 5 rows. Our signal starts at the first MACD value (bar 26); the seeding gap decays as 0.8^n.
      const macd = new Macd(12, 26, 9);
      const rows = ref('cs-macd.csv');
      rows.forEach((r, i) => {
        macd.update(num(r[1]));
        if (i >= 25) expect(Math.abs(macd.value - num(r[4]))).toBeLessThan(1e-9);
        else expect(macd.value).toBeNaN();
        if (i >= rows.length - 10) {
          expect(Math.abs(macd.signal - num(r[5]))).toBeLessThan(1e-8);
          expect(Math.abs(macd.histogram - num(r[6]))).toBeLessThan(1e-8);
        }
      });
      expect(macd.histogram).toBeCloseTo(0.03529676833, 9);
    });
  });

  describe('Bollinger', () => {
    it('cs-bbands.csv: middle, bands and %-bandwidth (6 decimals)', () => {
      const bb = new Bollinger(20, 2);
      let compared = 0;
      for (const r of ref('cs-bbands.csv')) {
        bb.update(num(r[1]));
        if (r[2] === '') {
          expect(bb.ready).toBe(false);
          continue;
        }
        expect(Math.abs(bb.value - num(r[2]))).toBeLessThan(1e-6);
        expect(Math.abs(bb.stdDev - num(r[3]))).toBeLessThan(1e-6);
        expect(Math.abs(bb.upper - num(r[4]))).toBeLessThan(1e-6);
        expect(Math.abs(bb.lower - num(r[5]))).toBeLessThan(1e-6);
        expect(Math.abs(bb.width - (num(r[4]) - num(r[5])))).toBeLessThan(2e-6);
        expect(Math.abs(bb.bandwidth - num(r[6]))).toBeLessThan(1e-6);
        compared++;
      }
      expect(compared).toBe(23);
    });

    it('spy_bollinger_bands.txt: Lean BollingerBands(20, 2), tolerance 1e-3', () => {
      const bb = new Bollinger(20, 2);
      let compared = 0;
      for (const r of ref('spy_bollinger_bands.txt')) {
        bb.update(num(r[4]));
        if (r[5] === '') continue;
        expect(Math.abs(bb.value - num(r[5]))).toBeLessThan(1e-3);
        expect(Math.abs(bb.upper - num(r[6]))).toBeLessThan(1e-3);
        expect(Math.abs(bb.lower - num(r[7]))).toBeLessThan(1e-3);
        expect(Math.abs(bb.bandwidth - num(r[8]))).toBeLessThan(1e-3);
        compared++;
      }
      expect(compared).toBe(481);
    });
  });

  describe('Rsi', () => {
    it("cs-rsi.csv: RSI(14) with averages smoothed from 0 (ta's convention, seed 'zero'), every row with a value", () => {
      const rsi = new Rsi(14, 'zero');
      let compared = 0;
      for (const r of ref('cs-rsi.csv')) {
        rsi.update(num(r[1]));
        const want = num(r[8]);
        if (Number.isNaN(want)) {
          expect(rsi.ready).toBe(false);
          continue;
        }
        expect(Math.abs(rsi.value - want)).toBeLessThan(1e-5);
        compared++;
      }
      expect(compared).toBe(19);
    });

    it("cs-rsi.csv prices with the textbook SMA seed (our default) give StockCharts' own RSI (37.77 last)", () => {
      // The StockCharts RSI example on the same prices ends 37.30, 33.08, 37.77 (Wilder, SMA seed): the
      // 'sma' seed reproduces it; the file's column differs by ~3 points because of its zero seed.
      const rsi = new Rsi(14);
      const tail: number[] = [];
      for (const r of ref('cs-rsi.csv')) {
        rsi.update(num(r[1]));
        tail.push(rsi.value);
      }
      expect(tail.slice(-3).map((x) => Math.round(x * 100) / 100)).toEqual([37.3, 33.08, 37.77]);
    });
  });

  describe('Adx', () => {
    it('cs-adx.csv: +DI/-DI and ADX(14) on EVERY row with a value, tolerance 1e-7 (the file prints 7 decimals)', () => {
      // The README suggests comparing only the tail (as ta does). Our Wilder ADX (TR/DM from the second
      // bar, sums for the first 14, ADX seeded with the mean of the first 14 DX) reproduces the whole file
      // to its printed precision (max error 5e-8 = half a unit in the 7th decimal), so the tolerance is
      // 1e-7 on all 477 ADX rows and 490 DI rows, not just the tail.
      const adx = new Adx(14);
      let di = 0;
      let ax = 0;
      for (const r of ref('cs-adx.csv')) {
        adx.update(num(r[1]), num(r[2]), num(r[3]));
        if (r[10] !== '') {
          expect(Math.abs(adx.plusDi - num(r[10]))).toBeLessThan(1e-7);
          expect(Math.abs(adx.minusDi - num(r[11]))).toBeLessThan(1e-7);
          expect(Math.abs(adx.dx - num(r[14]))).toBeLessThan(1e-7);
          di++;
        } else {
          expect(adx.plusDi).toBeNaN();
        }
        if (r[15] !== '' && r[15] !== undefined) {
          expect(Math.abs(adx.value - num(r[15]))).toBeLessThan(1e-7);
          ax++;
        } else {
          expect(adx.value).toBeNaN();
        }
      }
      expect(di).toBe(490);
      expect(ax).toBe(477);
    });
  });
});
