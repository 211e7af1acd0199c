// A seeded, generated market: M1 bid bars with trending, ranging and volatile stretches, tick
// volume and a spread. Deterministic for a given seed, so demos, tests and the benchmark are
// reproducible without any data files.
import type { Bar } from '../domain/types.ts';
import { BarSeries } from './barSeries.ts';

/** mulberry32: small, fast, good enough for simulation (not for anything secret). */
/**
 * The same generator as seededRandom, with its state readable and settable: for a component that must
 * resume its sequence after a restart (the paper broker's faults).
 */
export class SeededRng {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal from two uniforms (Box-Muller). */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export type Regime = 'trend_up' | 'trend_down' | 'range' | 'volatile';

export interface SampleMarketOptions {
  seed: number;
  bars: number;
  /** Epoch ms of the first bar's open; default Monday 2024-01-01 00:00 UTC. */
  start?: number;
  startPrice: number;
  /** Typical one-minute volatility as a fraction of price (e.g. 0.0004). */
  volatility: number;
  /** Spread in price units. */
  spread: number;
  /** Price decimals. */
  digits: number;
  /** Minutes per regime stretch (mean). */
  regimeMinutes?: number;
  /** Skip weekends (Fri 21:00 to Sun 22:00 UTC) like a forex/CFD feed; false for crypto. */
  weekends?: boolean;
}

const MINUTE = 60_000;

function inWeekendGap(t: number): boolean {
  const d = new Date(t);
  const day = d.getUTCDay();
  const h = d.getUTCHours();
  return (day === 5 && h >= 21) || day === 6 || (day === 0 && h < 22);
}

/** Generates the bars. Each regime lasts an exponential number of minutes around `regimeMinutes`. */
export function generateSampleMarket(o: SampleMarketOptions): {
  bars: Bar[];
  regimes: { start: number; regime: Regime }[];
} {
  const bars: Bar[] = [];
  const regimes = generate(o, (time, open, high, low, close, volume, spread) => {
    bars.push({ time, open, high, low, close, volume, spread });
  });
  return { bars, regimes };
}

/** The same market, stored column by column (a million bars without a million objects). */
export function generateSampleSeries(o: SampleMarketOptions): {
  series: BarSeries;
  regimes: { start: number; regime: Regime }[];
} {
  const series = new BarSeries(o.bars);
  const regimes = generate(o, (time, open, high, low, close, volume, spread) =>
    series.push(time, open, high, low, close, volume, spread),
  );
  return { series, regimes };
}

type PushBar = (
  time: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  spread: number,
) => void;

function generate(o: SampleMarketOptions, push: PushBar): { start: number; regime: Regime }[] {
  const rand = seededRandom(o.seed);
  let count = 0;
  const regimes: { start: number; regime: Regime }[] = [];
  const regimeMinutes = o.regimeMinutes ?? 600;
  const order: Regime[] = [
    'trend_up',
    'range',
    'volatile',
    'trend_down',
    'range',
    'trend_up',
    'volatile',
    'trend_down',
  ];
  let regimeIdx = Math.floor(rand() * order.length);
  let regimeLeft = 0;
  let regime: Regime = order[regimeIdx]!;
  let price = o.startPrice;
  let anchor = price;
  let t = o.start ?? Date.UTC(2024, 0, 1);
  const scale = 10 ** o.digits;
  const round = (x: number) => Math.round(x * scale) / scale;
  while (count < o.bars) {
    if (o.weekends !== false && inWeekendGap(t)) {
      t += MINUTE;
      continue;
    }
    if (regimeLeft <= 0) {
      regimeIdx = (regimeIdx + 1 + Math.floor(rand() * 3)) % order.length;
      regime = order[regimeIdx]!;
      regimeLeft = Math.max(30, Math.round(-Math.log(Math.max(rand(), 1e-9)) * regimeMinutes));
      anchor = price;
      regimes.push({ start: t, regime });
    }
    regimeLeft--;
    const vol = o.volatility * (regime === 'volatile' ? 2.5 : regime === 'range' ? 0.6 : 1);
    let drift = 0;
    if (regime === 'trend_up') drift = 0.06 * o.volatility;
    else if (regime === 'trend_down') drift = -0.06 * o.volatility;
    else if (regime === 'range') drift = (-0.02 * (price - anchor)) / price; // pull back to the range's anchor
    const open = price;
    const steps = 4;
    let high = open;
    let low = open;
    let p = open;
    for (let i = 0; i < steps; i++) {
      p *= 1 + drift / steps + (vol / Math.sqrt(steps)) * gaussian(rand);
      if (p > high) high = p;
      if (p < low) low = p;
    }
    const close = p;
    price = close;
    const volume = Math.max(1, Math.round((regime === 'volatile' ? 160 : 60) * (0.5 + rand())));
    push(t, round(open), round(high), round(low), round(close), volume, o.spread);
    count++;
    t += MINUTE;
  }
  return regimes;
}

/** Sample-market shapes per canonical symbol (price, one-minute volatility, spread, digits). */
export const SAMPLE_SHAPES: Readonly<
  Record<string, { startPrice: number; volatility: number; spread: number; digits: number; weekends: boolean }>
> = {
  XAUUSD: { startPrice: 2000, volatility: 0.0004, spread: 0.3, digits: 3, weekends: true },
  EURUSD: { startPrice: 1.1, volatility: 0.00015, spread: 0.00012, digits: 5, weekends: true },
  GBPUSD: { startPrice: 1.27, volatility: 0.00018, spread: 0.00015, digits: 5, weekends: true },
  USDJPY: { startPrice: 150, volatility: 0.00015, spread: 0.012, digits: 3, weekends: true },
  BTCUSD: { startPrice: 40000, volatility: 0.0008, spread: 8, digits: 2, weekends: false },
};
