// Broker constraints every stop move must respect, shared by breakeven and trailing.
import type { Instrument, Side } from '../domain/types.ts';

/**
 * The furthest-into-profit stop the broker accepts now: a buy's SL must sit at least the stops
 * level below the bid (at least one tick when the broker reports 0), a sell's above the ask.
 */
export function stopLimit(side: Side, inst: Instrument, bid: number, ask: number): number {
  const gap = Math.max(inst.stopsLevelPoints * inst.point, inst.tickSize);
  return side === 'buy' ? bid - gap : ask + gap;
}

/** True when `sl` is on the allowed side of the stops-level limit. */
export function respectsStopsLevel(side: Side, sl: number, limit: number): boolean {
  // Half a tick of tolerance: the limit itself is not tick-rounded.
  return side === 'buy' ? sl <= limit + 1e-12 : sl >= limit - 1e-12;
}

/** MT5 freeze level: no modification while price is within the freeze distance of the current SL. */
export function frozen(inst: Instrument, price: number, currentSl: number | null): boolean {
  if (currentSl === null || inst.freezeLevelPoints <= 0) return false;
  return Math.abs(price - currentSl) <= inst.freezeLevelPoints * inst.point;
}
