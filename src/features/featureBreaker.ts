// A circuit breaker per symbol for its features: after
// `maxFailures` failures in a row (a feed that cannot deliver, a bar that fails validation, a feature
// update that throws) the symbol's features are held for `openMs`: positions are still evaluated at
// each quote, with the last good values (ATR, VWAP, structure). When the time is up, the next bar is
// tried (half-open): a success closes the breaker, a failure opens it again at once.
// Pure bookkeeping, time passed in: the live session calls it, the engine never sees it.
import type { BreakerHealth } from '../domain/health.ts';

export interface FeatureBreakerParams {
  /** Failures in a row that open the breaker (execution.breakerFailures, 5 by default). */
  maxFailures: number;
  /** How long it stays open, ms (execution.breakerOpenSec, 300 s by default). */
  openMs: number;
}

interface BreakerSlot {
  failures: number;
  /** Epoch ms it opened; NaN while closed. */
  openedAt: number;
  lastError: string;
}

export class FeatureBreakers {
  private readonly slots = new Map<string, BreakerSlot>();

  constructor(private readonly params: FeatureBreakerParams) {
    if (!(params.maxFailures >= 1) || !(params.openMs > 0))
      throw new RangeError('FeatureBreakers: maxFailures >= 1 and openMs > 0 are required');
  }

  /** May the symbol's features take a bar at `now`? False while open; true when closed or half-open. */
  allows(symbol: string, now: number): boolean {
    const s = this.slots.get(symbol);
    return s === undefined || !(now < s.openedAt + this.params.openMs);
  }

  isOpen(symbol: string, now: number): boolean {
    return !this.allows(symbol, now);
  }

  /** A good update: the count starts again. Returns true when this closed an open (half-open) breaker. */
  success(symbol: string): boolean {
    const s = this.slots.get(symbol);
    if (s === undefined) return false;
    this.slots.delete(symbol);
    return Number.isFinite(s.openedAt);
  }

  /** A failure at `now`. Returns true when it opened the breaker (the threshold reached, or a half-open try failed). */
  failure(symbol: string, now: number, error: string): boolean {
    let s = this.slots.get(symbol);
    if (s === undefined) {
      s = { failures: 0, openedAt: Number.NaN, lastError: '' };
      this.slots.set(symbol, s);
    }
    s.failures++;
    s.lastError = error;
    if (s.failures >= this.params.maxFailures) {
      s.openedAt = now;
      return true;
    }
    return false;
  }

  /** Consecutive failures so far (0 when none). */
  failures(symbol: string): number {
    return this.slots.get(symbol)?.failures ?? 0;
  }

  /** The breakers open at `now`, for health. */
  open(now: number): BreakerHealth[] {
    const out: BreakerHealth[] = [];
    for (const [symbol, s] of this.slots) {
      if (now < s.openedAt + this.params.openMs)
        out.push({
          symbol,
          failures: s.failures,
          openedAt: s.openedAt,
          reopensAt: s.openedAt + this.params.openMs,
          lastError: s.lastError,
        });
    }
    return out;
  }
}
