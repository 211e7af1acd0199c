// Trailing gates (seed phase 2; warden.md §2). Critical: partial done or R achieved >= 0.6.
// Advisory: not in a squeeze, MTF alignment in the trade's direction >= 2, |RMAG| <= T, VWAP zone
// not outer, nearest high-volume node >= 0.3 ATR away. Advisory failures never block trailing:
// up to two keep the symbol's multiplier, three or more use the wide one (4/3 of it: 1.5 -> 2.0).
// A gate without data passes (as in the original) and is reported as "no data".
import type { Side } from '../domain/types.ts';
import { VWAP_ZONE_OUTER, type MarketFeatures } from '../features/snapshot.ts';
import type { DecisionRecord, GateValue } from './decisionRecord.ts';

export interface GateParams {
  criticalRAchieved: number;
  mtfMinAligned: number;
  rmagThreshold: number;
  hvnMinDistAtr: number;
}

const g = (ok: boolean, known: boolean): GateValue => (!known ? -1 : ok ? 1 : 0);

/** The gate fields of a DecisionRecord: gates are evaluated into a scratch of this shape, copied into a record only when one is kept. */
export type TrailingGateFields = Pick<
  DecisionRecord,
  'criticalGate' | 'trigger' | 'threshold' | 'gateVolatility' | 'mtfAligned' | 'gateMtf' | 'rmag' | 'gateRmag' | 'vwapZone' | 'gateVwap' | 'hvnDistAtr' | 'gateHvn' | 'advisoryFailures'
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
 * Fills the gate fields of `r` (a record, or the engine's gate scratch) and returns the number of advisory failures, or -1 when the
 * critical gate fails (trailing must not start / continue).
 */
export function evaluateTrailingGates(
  side: Side,
  partialDone: boolean,
  rAchieved: number,
  f: MarketFeatures,
  p: GateParams,
  r: TrailingGateFields,
): number {
  const critical = partialDone || rAchieved >= p.criticalRAchieved;
  r.criticalGate = critical ? 1 : 0;
  r.trigger = p.criticalRAchieved;
  r.threshold = p.rmagThreshold;

  r.gateVolatility = g(f.squeeze !== 1, f.squeeze !== -1);

  const aligned = side === 'buy' ? f.mtfUp : f.mtfDown;
  r.mtfAligned = f.mtfAvailable > 0 ? aligned : NaN;
  r.gateMtf = g(aligned >= p.mtfMinAligned, f.mtfAvailable >= p.mtfMinAligned);

  r.rmag = f.ema200Atr;
  r.gateRmag = g(Math.abs(f.ema200Atr) <= p.rmagThreshold, !Number.isNaN(f.ema200Atr));

  r.vwapZone = f.vwapZone;
  r.gateVwap = g(f.vwapZone !== VWAP_ZONE_OUTER, f.vwapZone >= 0);

  r.hvnDistAtr = f.hvnDistAtr;
  r.gateHvn = g(f.hvnDistAtr >= p.hvnMinDistAtr, !Number.isNaN(f.hvnDistAtr));

  const failures =
    (r.gateVolatility === 0 ? 1 : 0) +
    (r.gateMtf === 0 ? 1 : 0) +
    (r.gateRmag === 0 ? 1 : 0) +
    (r.gateVwap === 0 ? 1 : 0) +
    (r.gateHvn === 0 ? 1 : 0);
  r.advisoryFailures = failures;
  return critical ? failures : -1;
}
