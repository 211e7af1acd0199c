// Tick and lot rounding that is always on the safe side for the position (warden.md §1).
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

function fix(value: number, step: number): number {
  const d = decimalsOf(step);
  return Number(value.toFixed(d));
}

export function floorToStep(value: number, step: number): number {
  return fix(Math.floor(value / step + EPS) * step, step);
}

export function ceilToStep(value: number, step: number): number {
  return fix(Math.ceil(value / step - EPS) * step, step);
}

export function isStepMultiple(value: number, step: number): boolean {
  const n = value / step;
  return Math.abs(n - Math.round(n)) < 1e-6;
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
