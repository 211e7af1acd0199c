// The checks a paper request meets before the paper broker books it (MetaTrader 5's rules; the
// broker answers a failed check with the retcode of brokerAnswer.ts it names):
// - Stops. SL and TP must be tick multiples, else INVALID_STOPS. Distances follow MT5: a buy is
//   measured from the bid (bid - SL >= stops level, TP - bid >= stops level), a sell from the ask
//   (SL - ask >= level, ask - TP >= level). Exactly the level is allowed; a level of 0 still needs the
//   stop strictly on its side of the price.
// - Freeze level. A position is frozen while its exit-side price is within freezeLevel x point of
//   its current SL or TP (MT5 wants strictly more).
// - Volumes are kept as integer counts of lot steps, so 0.1 - 0.05 never leaves 0.04999999; a volume
//   that is not a positive lot-step multiple has no count.
// - Prices within priceEps of each other are the same price (a modify to them changes nothing).
import { floorToStep, isStepMultiple } from '../domain/rounding.ts';
import type { Instrument, Side } from '../domain/types.ts';
import type { PaperPosition } from './paperTypes.ts';

export class OrderChecks {
  /** The min lot and the max lot, in lot steps. */
  readonly minSteps: number;
  readonly maxSteps: number;

  constructor(
    private readonly inst: Instrument,
    /** Price tolerance: far below a point, far above binary floating-point noise. */
    private readonly priceEps: number,
  ) {
    this.minSteps = Math.max(1, Math.ceil(inst.minLot / inst.lotStep - 1e-7));
    this.maxSteps = Math.floor(inst.maxLot / inst.lotStep + 1e-7);
  }

  /**
   * Why a stop is invalid for a position of `side` at the quote (bid, ask), or null when it is fine.
   * Buys are measured from the bid, sells from the ask (both levels trigger on the exit side).
   */
  stopError(side: Side, kind: 'sl' | 'tp', level: number | null, bid: number, ask: number): string | null {
    if (level === null) return null;
    if (!Number.isFinite(level) || !isStepMultiple(level, this.inst.tickSize))
      return `${kind} ${level} is not a multiple of the tick ${this.inst.tickSize}`;
    const buy = side === 'buy';
    const distance = kind === 'sl' ? (buy ? bid - level : level - ask) : buy ? level - bid : ask - level;
    const min = this.inst.stopsLevelPoints * this.inst.point;
    if (!(distance > this.priceEps) || distance < min - this.priceEps) {
      return `${kind} ${level} is inside the stops level (${this.inst.stopsLevelPoints} points) of the ${buy ? 'bid' : 'ask'}`;
    }
    return null;
  }

  /** Whether `p`, exiting at `exitPrice`, is within the freeze level of its SL or TP. */
  isFrozen(p: PaperPosition, exitPrice: number): boolean {
    const freeze = this.inst.freezeLevelPoints * this.inst.point;
    if (!(freeze > 0)) return false;
    return (
      (p.sl !== null && Math.abs(exitPrice - p.sl) <= freeze + this.priceEps) ||
      (p.tp !== null && Math.abs(exitPrice - p.tp) <= freeze + this.priceEps)
    );
  }

  samePrice(a: number | null, b: number | null): boolean {
    if (a === null || b === null) return a === b;
    return Math.abs(a - b) <= this.priceEps;
  }

  /** Volume as a count of lot steps, or null when it is not a positive lot-step multiple. */
  lotsOf(volume: number): number | null {
    if (!Number.isFinite(volume) || volume <= 0 || !isStepMultiple(volume, this.inst.lotStep)) return null;
    return Math.round(volume / this.inst.lotStep);
  }

  volumeOf(lots: number): number {
    return floorToStep(lots * this.inst.lotStep, this.inst.lotStep);
  }
}
