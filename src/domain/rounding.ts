// Tick and lot rounding that is always on the safe side for the position (a buy's stop rounds down,
// a sell's up; volumes round down to the lot step).
import type { Side } from './types.ts';

// Prices and volumes are converted to integer counts of ticks / steps. The epsilon absorbs binary
// floating-point noise (2370.5 / 0.001 = 2370499.9999999995) without ever crossing a real tick.
const EPS = 1e-7;

function decimalsOf(step: number): number {
  if (!(step > 0)) return 0;
  let d = 0;
  let s = step;
  while (d < 12 && Math.abs(Math.round(s) - s) > 1e-9) {
    s *= 10;
    d++;
  }
  return d;
}

/**
 * n steps as the double nearest to the decimal value n x step. When 1/step is an integer (0.001,
 * 0.05, 0.25, 1) `n / (1/step)` is exactly that (one correctly rounded division), and 20x faster than
 * formatting through toFixed, which is kept for other steps (e.g. 0.3). The engine rounds every
 * trailing candidate, so this is on the hot path.
 */
function steps(n: number, step: number): number {
  if (step >= 1 && Number.isInteger(step)) return n * step;
  const inv = 1 / step;
  const invInt = Math.round(inv);
  if (Math.abs(inv - invInt) < 1e-9 * inv) return n / invInt;
  return Number((n * step).toFixed(decimalsOf(step)));
}

export function floorToStep(value: number, step: number): number {
  return steps(Math.floor(value / step + EPS), step);
}

/** A price on the step grid moved by `n` steps (n may be negative). */
export function offsetSteps(value: number, n: number, step: number): number {
  return steps(Math.round(value / step) + n, step);
}

export function ceilToStep(value: number, step: number): number {
  return steps(Math.ceil(value / step - EPS), step);
}

export function isStepMultiple(value: number, step: number): boolean {
  const n = value / step;
  // Tolerance grows with n: 85916.68597 / 0.00001 is 8591668597.000001 in binary floating point.
  return Math.abs(n - Math.round(n)) < 1e-7 + Math.abs(n) * 1e-14;
}

/**
 * Rounds a stop price to the tick size in the direction that never brings it closer to the market:
 * a buy's stop (below price) rounds down, a sell's stop (above price) rounds up.
 */
export function roundStop(side: Side, price: number, tickSize: number): number {
  return side === 'buy' ? floorToStep(price, tickSize) : ceilToStep(price, tickSize);
}

/** Volumes to close round down to the lot step: never close more than decided. */
export function roundVolumeDown(volume: number, lotStep: number): number {
  return floorToStep(volume, lotStep);
}

/** True when `candidate` is a tighter stop than `current` for this side (null current = no stop yet). */
export function isTighterStop(side: Side, candidate: number, current: number | null): boolean {
  if (current === null) return true;
  return side === 'buy' ? candidate > current : candidate < current;
}
