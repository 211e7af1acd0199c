// DTMS's settings as the monitor reads them: check cadence, the data rails, the loss-limit rails,
// whether it may open positions, and the state machine's, actions', regime's and score's parameters.
import { DEFAULT_DEFENSIVE_PARAMS, type DefensiveParams } from './defensiveActions.ts';
import { DEFAULT_MACHINE_PARAMS, type DtmsMachineParams } from './defensiveState.ts';
import { DEFAULT_REGIME_PARAMS, type RegimeParams } from './regime.ts';
import { DEFAULT_SCORE_PARAMS, type DtmsScoreParams } from './signalScore.ts';

export interface DefensiveMonitorParams {
  deepCheckMs: number;
  fastCheckMs: number;
  hedgedFastCheckMs: number;
  /** After a deep check, an event-triggered one waits at least this long. */
  cooldownMs: number;
  /** No check on data older than this (the last bar's close is this far behind the clock). */
  staleBarMs: number;
  /** No check while the spread is above this multiple of its recent median. */
  spreadSpikeFactor: number;
  /** No new risk (hedge, re-add) past these losses, in % of the balance. */
  dailyLossLimitPct: number;
  hourlyLossLimitPct: number;
  maxConsecutiveStops: number; // no new risk after this many stops in a row; 0 = no limit
  /**
   * DTMS may open positions (a hedge, a re-add). Off: the machine asks for what a netting account
   * does in place of a hedge (close the position), and a re-add is skipped; both say why.
   */
  openPositions: boolean;
  machine: DtmsMachineParams;
  defensive: DefensiveParams;
  regime: RegimeParams;
  score: DtmsScoreParams;
}

/** Why DTMS opens nothing on this account (a hedge is closed instead, a re-add skipped). */
export const OPENING_OFF = 'opening positions is off on this account (dtms.actions.openPositions)';
/** The skip reason of a hedge or re-add with opening positions off: its code, then why. */
export const OPEN_POSITIONS_OFF = `open_positions_off: ${OPENING_OFF}`;

export const DEFAULT_MONITOR_PARAMS: DefensiveMonitorParams = {
  deepCheckMs: 900_000,
  fastCheckMs: 30_000,
  hedgedFastCheckMs: 60_000,
  cooldownMs: 600_000,
  staleBarMs: 300_000,
  spreadSpikeFactor: 2,
  dailyLossLimitPct: 2,
  hourlyLossLimitPct: 1,
  maxConsecutiveStops: 3,
  openPositions: true,
  machine: DEFAULT_MACHINE_PARAMS,
  defensive: DEFAULT_DEFENSIVE_PARAMS,
  regime: DEFAULT_REGIME_PARAMS,
  score: DEFAULT_SCORE_PARAMS,
};
