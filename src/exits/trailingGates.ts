// Trailing gates, checked only after breakeven. Critical: partial done or R achieved >= 0.6.
// Advisory: not in a squeeze, MTF alignment in the trade's direction >= 2, |RMAG| <= T, VWAP zone
// not outer, nearest high-volume node >= 0.3 ATR away. Advisory failures never block trailing:
// up to two keep the symbol's multiplier, three or more use the wide one (4/3 of it: 1.5 -> 2.0).
// A gate without data is reported as "no data"; whether it passes is `exits.noDataPasses`: true (the
// original's rule, paper and replay) lets it pass; false (a real account) does not: the trail waits
// until every switched-on gate has its data (evaluateTrailingGates returns NO_DATA). The critical
// gate never passes without data (an unknown R is not R achieved). A gate switched off in config
// passes and is reported as passed.
import type { ExitsConfig } from '../config/schema.ts';
import type { Side } from '../domain/types.ts';
import { VWAP_ZONE_OUTER, type MarketFeatures } from '../features/snapshot.ts';
import type { DecisionRecord, GateValue } from './decisionRecord.ts';

export interface GateParams {
  criticalRAchieved: number;
  mtfMinAligned: number;
  rmagThreshold: number;
  hvnMinDistAtr: number;
  /** Bitmask of GATE_BITS switched on (an off gate always passes). */
  enabled: number;
  /** A switched-on advisory gate without data passes (default true); false: the trail waits for it. */
  noDataPasses?: boolean;
}

/** evaluateTrailingGates' answer when a gate has no data and no data does not pass. */
export const NO_DATA = -2;

export const GATE_BITS = { critical: 1, volatility: 2, mtf: 4, rmag: 8, vwap: 16, hvn: 32 } as const;
export const ALL_GATES = 63;

/** The config's trailing gate settings for a symbol whose RMAG threshold is `rmagThreshold`. */
export function gateParamsFor(exits: ExitsConfig, rmagThreshold: number): GateParams {
  const t = exits.trailing;
  const on = t.gates;
  return {
    criticalRAchieved: t.criticalRAchieved,
    mtfMinAligned: t.mtfMinAligned,
    rmagThreshold,
    hvnMinDistAtr: t.hvnMinDistAtr,
    noDataPasses: exits.noDataPasses ?? true,
    enabled:
      (on.critical ? GATE_BITS.critical : 0) |
      (on.volatility ? GATE_BITS.volatility : 0) |
      (on.mtf ? GATE_BITS.mtf : 0) |
      (on.rmag ? GATE_BITS.rmag : 0) |
      (on.vwap ? GATE_BITS.vwap : 0) |
      (on.hvn ? GATE_BITS.hvn : 0),
  };
}

const g = (ok: boolean, known: boolean): GateValue => (!known ? -1 : ok ? 1 : 0);

/** The gate fields of a DecisionRecord: gates are evaluated into a scratch of this shape, copied into a record only when one is kept. */
export type TrailingGateFields = Pick<
  DecisionRecord,
  | 'criticalGate'
  | 'trigger'
  | 'threshold'
  | 'gateVolatility'
  | 'mtfAligned'
  | 'gateMtf'
  | 'rmag'
  | 'gateRmag'
  | 'vwapZone'
  | 'gateVwap'
  | 'hvnDistAtr'
  | 'gateHvn'
  | 'advisoryFailures'
>;

export function newTrailingGateFields(): TrailingGateFields {
  return {
    criticalGate: -1,
    trigger: NaN,
    threshold: NaN,
    gateVolatility: -1,
    mtfAligned: NaN,
    gateMtf: -1,
    rmag: NaN,
    gateRmag: -1,
    vwapZone: -1,
    gateVwap: -1,
    hvnDistAtr: NaN,
    gateHvn: -1,
    advisoryFailures: 0,
  };
}

export function copyTrailingGates(from: TrailingGateFields, to: DecisionRecord): void {
  to.criticalGate = from.criticalGate;
  to.trigger = from.trigger;
  to.threshold = from.threshold;
  to.gateVolatility = from.gateVolatility;
  to.mtfAligned = from.mtfAligned;
  to.gateMtf = from.gateMtf;
  to.rmag = from.rmag;
  to.gateRmag = from.gateRmag;
  to.vwapZone = from.vwapZone;
  to.gateVwap = from.gateVwap;
  to.hvnDistAtr = from.hvnDistAtr;
  to.gateHvn = from.gateHvn;
  to.advisoryFailures = from.advisoryFailures;
}

/**
 * Fills the gate fields of `r` (a record, or the engine's gate scratch) and returns the number of advisory failures, -1 when the
 * critical gate fails (trailing must not start / continue), or NO_DATA when a gate has no data and `p.noDataPasses` is false. `criticalR`: the R the critical gate asks
 * for (the config's, or less: see trailDecision).
 */
export function evaluateTrailingGates(
  side: Side,
  partialDone: boolean,
  rAchieved: number,
  criticalR: number,
  f: MarketFeatures,
  p: GateParams,
  r: TrailingGateFields,
): number {
  const on = p.enabled;
  const critical = (on & GATE_BITS.critical) === 0 || partialDone || rAchieved >= criticalR;
  r.criticalGate = critical ? 1 : 0;
  r.trigger = criticalR;
  r.threshold = p.rmagThreshold;

  r.gateVolatility = (on & GATE_BITS.volatility) === 0 ? 1 : g(f.squeeze !== 1, f.squeeze !== -1);

  const aligned = side === 'buy' ? f.mtfUp : f.mtfDown;
  r.mtfAligned = f.mtfAvailable > 0 ? aligned : NaN;
  r.gateMtf = (on & GATE_BITS.mtf) === 0 ? 1 : g(aligned >= p.mtfMinAligned, f.mtfAvailable >= p.mtfMinAligned);

  r.rmag = f.ema200Atr;
  r.gateRmag =
    (on & GATE_BITS.rmag) === 0 ? 1 : g(Math.abs(f.ema200Atr) <= p.rmagThreshold, !Number.isNaN(f.ema200Atr));

  r.vwapZone = f.vwapZone;
  r.gateVwap = (on & GATE_BITS.vwap) === 0 ? 1 : g(f.vwapZone !== VWAP_ZONE_OUTER, f.vwapZone >= 0);

  r.hvnDistAtr = f.hvnDistAtr;
  r.gateHvn = (on & GATE_BITS.hvn) === 0 ? 1 : g(f.hvnDistAtr >= p.hvnMinDistAtr, !Number.isNaN(f.hvnDistAtr));

  const failures =
    (r.gateVolatility === 0 ? 1 : 0) +
    (r.gateMtf === 0 ? 1 : 0) +
    (r.gateRmag === 0 ? 1 : 0) +
    (r.gateVwap === 0 ? 1 : 0) +
    (r.gateHvn === 0 ? 1 : 0);
  r.advisoryFailures = failures;
  if (!critical) return -1;
  if (
    p.noDataPasses === false &&
    (r.gateVolatility === -1 || r.gateMtf === -1 || r.gateRmag === -1 || r.gateVwap === -1 || r.gateHvn === -1)
  )
    return NO_DATA;
  return failures;
}
