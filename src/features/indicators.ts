// Hand-written streaming indicators for the features layer.
//
// Every indicator has:
//   update(...)  commit one CLOSED bar (returns nothing: read `value`; a double returned from a call V8
//                does not inline is boxed, i.e. allocated, even when the caller ignores it);
//   peek(...)    the value as if that bar were the next closed bar, WITHOUT mutating state (used for the
//                still-forming bar). Secondary outputs of a peek land in `peek*` fields (no allocation);
//   value        NaN until ready;  ready;  reset().
// No closures, arrays or objects are created in update()/peek(): state is numbers and preallocated
// Float64Array rings only.
//
// Why not trading-signals: it has no side-effect-free peek (its replace() mutates and structuredClones
// state), it allocates per update (arrays, result objects), and its ATR and Bollinger are much slower (its
// EMA is not). It is the cross-check oracle in the tests.
//
// Measured with bench/features.bench.ts (1,000,000 seeded random-walk bars; each pass a fresh indicator;
// median pass; Node 20.20.2 on the project's 2 vCPU VM, shared with other jobs; ranges over 5 runs),
// millions of bars per second:
//                      this module    trading-signals 8.3.0 add()
//   WilderAtr(14)       112 - 122        13 - 21      (6 - 9x)
//   Ema(200)            172 - 193       130 - 190     (1.0 - 1.4x: its EMA is already a tight loop)
//   Bollinger(20, 2)     56 - 105       2.4 - 4.7     (~20 - 35x: it re-averages the window per add)
//   SymbolFeatures.onBar, M1 base, full feature set: 3.2 - 4.2 M bars/s; ~19 bytes/bar of short-lived V8
//   HeapNumber boxes (doubles crossing non-inlined calls), nothing retained (see the bench).
// Speed is not why these exist (every option does millions of bars per second); peek() and the exact
// conventions below are.
//
// Conventions (each checked against the reference files in test/shared/features):
// - WilderAtr: TR0 = high - low; first ATR = mean of the first `period` TRs; then
//   ATR = (ATR * (period - 1) + TR) / period (cs-atr.csv, cs-atr2.csv, Lean spy_atr_wilder.txt).
// - Ema: seed 'sma' (default) = SMA of the first `period` values (Lean spy_ema.csv); seed 'first' =
//   the first value (pandas ewm(adjust=False), the EMA12/EMA26 of cs-macd.csv, trading-signals' EMA).
//   Both report ready after `period` inputs.
// - Macd(12, 26, 9): fast/slow EMAs seeded with the first price (as cs-macd.csv); the signal EMA starts
//   at the first MACD value that exists (bar `slow`), as the `ta` library and trading-signals do.
// - Bollinger(20, 2): SMA middle, POPULATION std-dev. O(1) running sums of (x - K) and (x - K)^2 around a
//   shift K, re-centred and recomputed from the ring every `period` updates (amortised O(1); kills both
//   float drift and the cancellation of sum-of-squares when price >> std-dev).
// - Rsi(14): Wilder. seed 'sma' (default, textbook, = trading-signals) averages the first `period`
//   changes; seed 'zero' starts both averages at 0 on the first bar (ewm from 0: the `ta` library and
//   cs-rsi.csv).
// - Adx(14): Wilder as in cs-adx.csv: TR/+DM/-DM from the second bar; sums of the first `period` values,
//   then S = S - S/period + x; DI = 100 * DM/TR; DX = 100 * |+DI - -DI| / (+DI + -DI); ADX = mean of the
//   first `period` DX, then Wilder smoothing. Ready after 2 * period bars.

/** Wilder's Average True Range. */
export class WilderAtr {
  readonly period: number;
  /** Bars committed. */
  count = 0;
  value = NaN;
  private prevClose = NaN;
  private seedSum = 0;

  constructor(period = 14) {
    if (!(period >= 1) || !Number.isInteger(period))
      throw new RangeError(`WilderAtr period must be an integer >= 1, got ${period}`);
    this.period = period;
  }

  get ready(): boolean {
    return this.count >= this.period;
  }

  /** The last committed bar's close (NaN before the first bar). */
  get lastClose(): number {
    return this.prevClose;
  }

  reset(): void {
    this.count = 0;
    this.value = NaN;
    this.prevClose = NaN;
    this.seedSum = 0;
  }

  update(high: number, low: number, close: number): void {
    const pc = this.prevClose;
    let tr = high - low;
    if (this.count > 0) {
      const a = high - pc;
      const b = pc - low;
      if (a > tr) tr = a;
      if (b > tr) tr = b;
    }
    const p = this.period;
    if (this.count < p) {
      this.seedSum += tr;
      this.count++;
      if (this.count === p) this.value = this.seedSum / p;
    } else {
      this.value = (this.value * (p - 1) + tr) / p;
      this.count++;
    }
    this.prevClose = close;
  }

  peek(high: number, low: number, _close: number): number {
    const pc = this.prevClose;
    let tr = high - low;
    if (this.count > 0) {
      const a = high - pc;
      const b = pc - low;
      if (a > tr) tr = a;
      if (b > tr) tr = b;
    }
    const p = this.period;
    if (this.count < p) return this.count + 1 === p ? (this.seedSum + tr) / p : NaN;
    return (this.value * (p - 1) + tr) / p;
  }
}

export type EmaSeed = 'sma' | 'first';

/** Exponential moving average, k = 2 / (period + 1). */
export class Ema {
  readonly period: number;
  readonly seed: EmaSeed;
  readonly k: number;
  count = 0;
  private ema = NaN;
  private seedSum = 0;

  constructor(period: number, seed: EmaSeed = 'sma') {
    if (!(period >= 1) || !Number.isInteger(period))
      throw new RangeError(`Ema period must be an integer >= 1, got ${period}`);
    this.period = period;
    this.seed = seed;
    this.k = 2 / (period + 1);
  }

  get ready(): boolean {
    return this.count >= this.period;
  }

  get value(): number {
    return this.count >= this.period ? this.ema : NaN;
  }

  /** The running EMA even before `ready` (seed 'first' only; NaN for 'sma' during warm-up). */
  get raw(): number {
    return this.ema;
  }

  reset(): void {
    this.count = 0;
    this.ema = NaN;
    this.seedSum = 0;
  }

  update(x: number): void {
    const n = this.count + 1;
    this.count = n;
    if (this.seed === 'sma') {
      if (n < this.period) {
        this.seedSum += x;
      } else if (n === this.period) {
        this.seedSum += x;
        this.ema = this.seedSum / this.period;
      } else {
        this.ema += this.k * (x - this.ema);
      }
    } else if (n === 1) {
      this.ema = x;
    } else {
      this.ema += this.k * (x - this.ema);
    }
  }

  peek(x: number): number {
    const n = this.count + 1;
    if (n < this.period) return NaN;
    if (this.seed === 'sma') {
      if (n === this.period) return (this.seedSum + x) / this.period;
      return this.ema + this.k * (x - this.ema);
    }
    if (n === 1) return x; // period 1
    return this.ema + this.k * (x - this.ema);
  }
}

/** Bollinger bands: SMA middle +/- mult * population std-dev. */
export class Bollinger {
  readonly period: number;
  readonly mult: number;
  count = 0;
  /** Middle band (SMA); NaN until ready. */
  value = NaN;
  upper = NaN;
  lower = NaN;
  /** upper - lower, in price units. */
  width = NaN;
  /** Population standard deviation. */
  stdDev = NaN;
  peekUpper = NaN;
  peekLower = NaN;
  peekWidth = NaN;
  private readonly ring: Float64Array;
  private head = 0; // index of the oldest value once full; next write position
  private shift = 0; // K
  private s1 = 0; // sum of (x - K)
  private s2 = 0; // sum of (x - K)^2
  private sinceRecompute = 0;

  constructor(period = 20, mult = 2) {
    if (!(period >= 2) || !Number.isInteger(period))
      throw new RangeError(`Bollinger period must be an integer >= 2, got ${period}`);
    this.period = period;
    this.mult = mult;
    this.ring = new Float64Array(period);
  }

  get ready(): boolean {
    return this.count >= this.period;
  }

  /** (upper - lower) / middle x 100, as StockCharts' and Lean's BandWidth. */
  get bandwidth(): number {
    return (this.width / this.value) * 100;
  }

  reset(): void {
    this.count = 0;
    this.value = this.upper = this.lower = this.width = this.stdDev = NaN;
    this.peekUpper = this.peekLower = this.peekWidth = NaN;
    this.ring.fill(0);
    this.head = 0;
    this.shift = 0;
    this.s1 = 0;
    this.s2 = 0;
    this.sinceRecompute = 0;
  }

  private recompute(): void {
    const ring = this.ring;
    const n = this.count < this.period ? this.count : this.period;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += ring[i]!;
    const k = sum / n;
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      const d = ring[i]! - k;
      a += d;
      b += d * d;
    }
    this.shift = k;
    this.s1 = a;
    this.s2 = b;
    this.sinceRecompute = 0;
  }

  update(x: number): void {
    const p = this.period;
    if (this.count === 0) this.shift = x;
    const d = x - this.shift;
    if (this.count < p) {
      this.ring[this.head] = x;
      this.s1 += d;
      this.s2 += d * d;
    } else {
      const old = this.ring[this.head]! - this.shift;
      this.ring[this.head] = x;
      this.s1 += d - old;
      this.s2 += d * d - old * old;
    }
    this.head = this.head + 1 === p ? 0 : this.head + 1;
    this.count++;
    if (++this.sinceRecompute >= p) this.recompute();
    if (this.count >= p) {
      const mean = this.s1 / p;
      let v = this.s2 / p - mean * mean;
      if (v < 0) v = 0;
      const sd = Math.sqrt(v);
      const mid = this.shift + mean;
      this.value = mid;
      this.stdDev = sd;
      this.upper = mid + this.mult * sd;
      this.lower = mid - this.mult * sd;
      this.width = this.upper - this.lower;
    }
  }

  /** Returns the middle band; upper/lower/width of the peek go to peekUpper/peekLower/peekWidth. */
  peek(x: number): number {
    const p = this.period;
    if (this.count + 1 < p) {
      this.peekUpper = this.peekLower = this.peekWidth = NaN;
      return NaN;
    }
    const shift = this.count === 0 ? x : this.shift;
    const d = x - shift;
    let s1 = this.s1 + d;
    let s2 = this.s2 + d * d;
    if (this.count >= p) {
      const old = this.ring[this.head]! - shift;
      s1 -= old;
      s2 -= old * old;
    }
    const mean = s1 / p;
    let v = s2 / p - mean * mean;
    if (v < 0) v = 0;
    const sd = Math.sqrt(v);
    const mid = shift + mean;
    this.peekUpper = mid + this.mult * sd;
    this.peekLower = mid - this.mult * sd;
    this.peekWidth = this.peekUpper - this.peekLower;
    return mid;
  }
}

export type RsiSeed = 'sma' | 'zero';

/** Wilder's RSI. */
export class Rsi {
  readonly period: number;
  readonly seed: RsiSeed;
  /** Bars committed (the first bar only sets the previous close). */
  count = 0;
  value = NaN;
  private prev = NaN;
  private avgGain = 0;
  private avgLoss = 0;

  constructor(period = 14, seed: RsiSeed = 'sma') {
    if (!(period >= 1) || !Number.isInteger(period))
      throw new RangeError(`Rsi period must be an integer >= 1, got ${period}`);
    this.period = period;
    this.seed = seed;
  }

  get ready(): boolean {
    return this.count > this.period;
  }

  reset(): void {
    this.count = 0;
    this.value = NaN;
    this.prev = NaN;
    this.avgGain = 0;
    this.avgLoss = 0;
  }

  update(close: number): void {
    const n = this.count; // changes seen so far = n - 1 (n >= 1)
    this.count = n + 1;
    if (n === 0) {
      this.prev = close;
      return;
    }
    const ch = close - this.prev;
    this.prev = close;
    const gain = ch > 0 ? ch : 0;
    const loss = ch < 0 ? -ch : 0;
    const p = this.period;
    if (this.seed === 'sma' && n <= p) {
      // accumulate sums of the first `period` changes, then turn them into averages
      this.avgGain += gain;
      this.avgLoss += loss;
      if (n === p) {
        this.avgGain /= p;
        this.avgLoss /= p;
      }
    } else {
      this.avgGain += (gain - this.avgGain) / p;
      this.avgLoss += (loss - this.avgLoss) / p;
    }
    if (n >= p) {
      const g = this.avgGain;
      const l = this.avgLoss;
      // RSI = 100 - 100 / (1 + avgGain / avgLoss); no movement at all is 50, no losses 100
      this.value = l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l);
    }
  }

  peek(close: number): number {
    const n = this.count;
    const p = this.period;
    if (n < p) return NaN;
    const ch = close - this.prev;
    const gain = ch > 0 ? ch : 0;
    const loss = ch < 0 ? -ch : 0;
    let g: number;
    let l: number;
    if (this.seed === 'sma' && n === p) {
      g = (this.avgGain + gain) / p;
      l = (this.avgLoss + loss) / p;
    } else {
      g = this.avgGain + (gain - this.avgGain) / p;
      l = this.avgLoss + (loss - this.avgLoss) / p;
    }
    return l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l);
  }
}

/** Wilder's ADX with +DI / -DI. `value` is the ADX. */
export class Adx {
  readonly period: number;
  count = 0;
  value = NaN;
  plusDi = NaN;
  minusDi = NaN;
  /** DX of the last committed bar. */
  dx = NaN;
  peekPlusDi = NaN;
  peekMinusDi = NaN;
  private prevHigh = NaN;
  private prevLow = NaN;
  private prevClose = NaN;
  private trS = 0;
  private pdmS = 0;
  private mdmS = 0;
  private dxSum = 0;
  private adx = NaN;

  constructor(period = 14) {
    if (!(period >= 1) || !Number.isInteger(period))
      throw new RangeError(`Adx period must be an integer >= 1, got ${period}`);
    this.period = period;
  }

  get ready(): boolean {
    return this.count >= 2 * this.period;
  }

  reset(): void {
    this.count = 0;
    this.value = this.plusDi = this.minusDi = this.dx = this.adx = NaN;
    this.peekPlusDi = this.peekMinusDi = NaN;
    this.prevHigh = this.prevLow = this.prevClose = NaN;
    this.trS = this.pdmS = this.mdmS = this.dxSum = 0;
  }

  // Scratch outputs of step(); plain fields so nothing is allocated.
  private scratchTr = 0;
  private scratchPdm = 0;
  private scratchMdm = 0;
  private scratchPdi = NaN;
  private scratchMdi = NaN;
  private scratchDx = NaN;
  private scratchDxSum = 0;
  private scratchAdx = NaN;

  /** Computes the state after bar number `n` (0-based count of bars before it) into the scratch fields. */
  private step(high: number, low: number, n: number): void {
    const p = this.period;
    const a = high - low;
    const b = Math.abs(high - this.prevClose);
    const c = Math.abs(low - this.prevClose);
    const tr = a > b ? (a > c ? a : c) : b > c ? b : c;
    const up = high - this.prevHigh;
    const down = this.prevLow - low;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    // n = index of this bar; changes seen including this one = n
    if (n <= p) {
      this.scratchTr = this.trS + tr;
      this.scratchPdm = this.pdmS + pdm;
      this.scratchMdm = this.mdmS + mdm;
    } else {
      this.scratchTr = this.trS - this.trS / p + tr;
      this.scratchPdm = this.pdmS - this.pdmS / p + pdm;
      this.scratchMdm = this.mdmS - this.mdmS / p + mdm;
    }
    this.scratchDxSum = this.dxSum;
    this.scratchAdx = this.adx;
    if (n < p) {
      this.scratchPdi = this.scratchMdi = this.scratchDx = NaN;
      return;
    }
    const pdi = this.scratchTr > 0 ? (100 * this.scratchPdm) / this.scratchTr : 0;
    const mdi = this.scratchTr > 0 ? (100 * this.scratchMdm) / this.scratchTr : 0;
    const sum = pdi + mdi;
    const dx = sum > 0 ? (100 * Math.abs(pdi - mdi)) / sum : 0;
    this.scratchPdi = pdi;
    this.scratchMdi = mdi;
    this.scratchDx = dx;
    // DX exists from bar index p; ADX seed = mean of DX at indices p .. 2p-1
    if (n < 2 * p - 1) {
      this.scratchDxSum = this.dxSum + dx;
    } else if (n === 2 * p - 1) {
      this.scratchAdx = (this.dxSum + dx) / p;
    } else {
      this.scratchAdx = (this.adx * (p - 1) + dx) / p;
    }
  }

  update(high: number, low: number, close: number): void {
    const n = this.count;
    if (n > 0) {
      this.step(high, low, n);
      this.trS = this.scratchTr;
      this.pdmS = this.scratchPdm;
      this.mdmS = this.scratchMdm;
      this.dxSum = this.scratchDxSum;
      this.adx = this.scratchAdx;
      this.plusDi = this.scratchPdi;
      this.minusDi = this.scratchMdi;
      this.dx = this.scratchDx;
    }
    this.prevHigh = high;
    this.prevLow = low;
    this.prevClose = close;
    this.count = n + 1;
    this.value = this.count >= 2 * this.period ? this.adx : NaN;
  }

  /** Returns the ADX; +DI/-DI of the peek go to peekPlusDi/peekMinusDi. */
  peek(high: number, low: number, _close: number): number {
    const n = this.count;
    if (n === 0) {
      this.peekPlusDi = this.peekMinusDi = NaN;
      return NaN;
    }
    this.step(high, low, n);
    this.peekPlusDi = this.scratchPdi;
    this.peekMinusDi = this.scratchMdi;
    return n + 1 >= 2 * this.period ? this.scratchAdx : NaN;
  }
}

/** MACD(fast, slow, signal). `value` is the MACD line; `histogram` = line - signal. */
export class Macd {
  readonly fast: number;
  readonly slow: number;
  readonly signalPeriod: number;
  count = 0;
  value = NaN;
  signal = NaN;
  histogram = NaN;
  peekSignal = NaN;
  peekHistogram = NaN;
  private readonly kf: number;
  private readonly ks: number;
  private readonly kg: number;
  private ef = NaN;
  private es = NaN;
  private sig = NaN;

  constructor(fast = 12, slow = 26, signal = 9) {
    if (!(fast >= 1 && slow > fast && signal >= 1))
      throw new RangeError(`Macd needs 1 <= fast < slow and signal >= 1, got ${fast}/${slow}/${signal}`);
    this.fast = fast;
    this.slow = slow;
    this.signalPeriod = signal;
    this.kf = 2 / (fast + 1);
    this.ks = 2 / (slow + 1);
    this.kg = 2 / (signal + 1);
  }

  /** Signal and histogram exist (slow + signal - 1 bars). The MACD line alone exists after `slow` bars. */
  get ready(): boolean {
    return this.count >= this.slow + this.signalPeriod - 1;
  }

  reset(): void {
    this.count = 0;
    this.value = this.signal = this.histogram = NaN;
    this.peekSignal = this.peekHistogram = NaN;
    this.ef = this.es = this.sig = NaN;
  }

  update(close: number): void {
    const n = this.count + 1;
    this.count = n;
    if (n === 1) {
      this.ef = close;
      this.es = close;
    } else {
      this.ef += this.kf * (close - this.ef);
      this.es += this.ks * (close - this.es);
    }
    if (n < this.slow) return;
    const line = this.ef - this.es;
    this.value = line;
    this.sig = n === this.slow ? line : this.sig + this.kg * (line - this.sig);
    if (n >= this.slow + this.signalPeriod - 1) {
      this.signal = this.sig;
      this.histogram = line - this.sig;
    }
  }

  /** Returns the MACD line; signal/histogram of the peek go to peekSignal/peekHistogram. */
  peek(close: number): number {
    const n = this.count + 1;
    this.peekSignal = this.peekHistogram = NaN;
    if (n < this.slow) return NaN;
    const ef = n === 1 ? close : this.ef + this.kf * (close - this.ef);
    const es = n === 1 ? close : this.es + this.ks * (close - this.es);
    const line = ef - es;
    const sig = n === this.slow ? line : this.sig + this.kg * (line - this.sig);
    if (n >= this.slow + this.signalPeriod - 1) {
      this.peekSignal = sig;
      this.peekHistogram = line - sig;
    }
    return line;
  }
}
