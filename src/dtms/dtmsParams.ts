// The config's `dtms` section (trader units: seconds, minutes, named thresholds) mapped onto the monitor's
// parameters (milliseconds, the state machine's own names). Kept apart from the schema so that the DTMS code
// does not depend on zod, and the defaults of both sides can be checked against each other in one place.
import type { DtmsConfig } from '../config/schema.ts';
import type { DefensiveMonitorParams } from './monitorParams.ts';
import { DEFAULT_MACHINE_PARAMS } from './defensiveState.ts';
import { DEFAULT_REGIME_PARAMS } from './regime.ts';
import { DEFAULT_SCORE_PARAMS } from './signalScore.ts';

const SECOND = 1000;
const MINUTE = 60_000;

/**
 * The monitor parameters for a validated `dtms` config. `machine.hedging` keeps its default: the monitor sets it per
 * instrument (hedging or netting account). Regime and score parameters other than the VWAP slope bases are not
 * configurable and keep their defaults.
 */
export function monitorParamsFromConfig(dtms: DtmsConfig): DefensiveMonitorParams {
  const { scores, actions } = dtms;
  return {
    deepCheckMs: dtms.deepCheckSec * SECOND,
    fastCheckMs: dtms.fastCheckSec * SECOND,
    hedgedFastCheckMs: dtms.hedgedFastCheckSec * SECOND,
    cooldownMs: dtms.cooldownSec * SECOND,
    staleBarMs: dtms.staleDataSec * SECOND,
    spreadSpikeFactor: dtms.spreadSpikeFactor,
    dailyLossLimitPct: dtms.dailyLossLimitPct,
    hourlyLossLimitPct: dtms.hourlyLossLimitPct,
    maxConsecutiveStops: dtms.maxConsecutiveStops,
    // null: not resolved by an account (config/accountDefaults.ts; an engine built directly, as the
    // sample session and tests do): the paper account's behaviour. The service resolves it first.
    openPositions: actions.openPositions ?? true,
    machine: {
      l1Enter: scores.warningL1,
      l1Exit: scores.healthyFromL1,
      l2Enter: scores.warningL2,
      l2Exit: scores.l1FromL2,
      hedgeEnter: scores.hedge,
      recoverScore: scores.recover,
      flatTimerMs: dtms.hedgedFlatMinutes * MINUTE,
      recoveryTimerMs: dtms.recoveryMinutes * MINUTE,
      minTimeInStateMs: dtms.minTimeInStateMinutes * MINUTE,
      hedging: DEFAULT_MACHINE_PARAMS.hedging,
      graceMs: dtms.graceMinutes * MINUTE,
      minAdverseLayers: dtms.minAdverseLayers,
    },
    defensive: {
      tightenR: actions.tightenR,
      partialClosePct: actions.partialClosePct,
      hedgeShare: actions.hedgeShare,
      hedgeStopAtr: actions.hedgeStopAtr,
      reAddShare: actions.reAddShare,
    },
    regime: { ...DEFAULT_REGIME_PARAMS, vwapSlopeBase: { ...dtms.vwapSlopeBase } },
    score: DEFAULT_SCORE_PARAMS,
  };
}

/**
 * What DTMS may do on this account, for the start line and the log: off, or the actions it may take.
 * `hedging`: some managed symbol can hold opposite positions; `byAccount`: openPositions was left to the
 * account (null in the config) before it was resolved.
 */
export function describeDtmsScope(dtms: DtmsConfig, o: { hedging: boolean; byAccount: boolean }): string {
  if (!dtms.enabled) return 'DTMS off (dtms.enabled)';
  if (dtms.actions.openPositions === false) {
    const why = o.byAccount
      ? 'on a real account unless dtms.actions.openPositions is true'
      : '(dtms.actions.openPositions)';
    return `DTMS on: tighten, partial close, close (in place of a hedge too); hedges and re-adds off ${why}`;
  }
  return o.hedging
    ? 'DTMS on: tighten, partial close, hedge, re-add, close'
    : 'DTMS on: tighten, partial close, close (in place of a hedge: netting account), re-add';
}
