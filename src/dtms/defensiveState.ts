// The DTMS state machine of one position (HEALTHY, WARNING_L1, WARNING_L2, HEDGED, RECOVERING,
// CLOSED), deterministic and free of I/O: a deep check's score and the engine's clock in, at most one
// transition and the actions it asks for out, the position's DefensiveState updated in place. The
// original's defects fixed here: timers start and stop inside the machine and really resolve (HEDGED
// and RECOVERING are not absorbing); a minimum time in each state; the hedge trigger is "VWAP flip
// and volume flip against the trade" for buys and sells alike; each action is asked for at most once
// per defensive episode (an episode runs from leaving HEALTHY to coming back), so bouncing between
// WARNING_L1 and WARNING_L2 never repeats the 50% close.
//
// Not here (the engine's DTMS step, next): turning actions into broker intents with volumes rounded to
// the instrument, the safety rails, and the decision records of each transition and stop hand-over.

export type DtmsState = 'HEALTHY' | 'WARNING_L1' | 'WARNING_L2' | 'HEDGED' | 'RECOVERING' | 'CLOSED';

/** What entering a state asks the engine to do (each at most once per episode). */
export type DtmsActionKind =
  /** WARNING_L1: move the stop to `tightenR` x R behind price (never loosening it). */
  | 'tighten_stop'
  /** WARNING_L2: close 50% of the open volume... */
  | 'partial_close'
  /** ...and move the stop to breakeven. */
  | 'stop_to_breakeven'
  /** HEDGED on a hedging account: open the opposite side, half the open volume. */
  | 'open_hedge'
  /** HEDGED on a netting account (no hedge possible): close the position instead. */
  | 'close_instead_of_hedge'
  /** RECOVERING: close the hedge. */
  | 'close_hedge'
  /** Back to HEALTHY from RECOVERING: re-add half the volume closed defensively. */
  | 're_add'
  /** CLOSED: close the position (and the hedge, if one is open). */
  | 'close_all';

export const DTMS_ACTION_BITS: Readonly<Record<DtmsActionKind, number>> = {
  tighten_stop: 1,
  partial_close: 2,
  stop_to_breakeven: 4,
  open_hedge: 8,
  close_instead_of_hedge: 16,
  close_hedge: 32,
  re_add: 64,
  close_all: 128,
};

export interface DtmsMachineParams {
  /** Enter WARNING_L1 at score <= -5 (default), leave it back to HEALTHY at >= 0. */
  l1Enter: number;
  l1Exit: number;
  /** Enter WARNING_L2 at <= -8, back to WARNING_L1 at >= -5. */
  l2Enter: number;
  l2Exit: number;
  /** Hedge at <= -14 (or VWAP and volume both flipped against the trade). */
  hedgeEnter: number;
  /** Recovery (hedged) and a healthy finish of the recovery need >= +1. */
  recoverScore: number;
  /** Hedged this long without recovering: close everything (5 x M15). */
  flatTimerMs: number;
  /** Recovery lasts this long before it is judged (2 x M15). */
  recoveryTimerMs: number;
  /** No transition out of a state sooner than this after entering it (CLOSED excepted). */
  minTimeInStateMs: number;
  /** The account can hold opposite positions (hedging) or not (netting). */
  hedging: boolean;
  /**
   * No escalation in a trade's first this-many ms unless the score reaches the hedge threshold: a
   * fresh entry has momentum and EMA layers pointing against it by construction, and a warning then
   * forecasts nothing.
   */
  graceMs: number;
  /** Escalation (a warning, a hedge) needs at least this many layers scoring against the trade: one layer alone never warns. */
  minAdverseLayers: number;
}

export const DEFAULT_MACHINE_PARAMS: DtmsMachineParams = {
  l1Enter: -5,
  l1Exit: 0,
  l2Enter: -8,
  l2Exit: -5,
  hedgeEnter: -14,
  recoverScore: 1,
  flatTimerMs: 4_500_000,
  recoveryTimerMs: 1_800_000,
  minTimeInStateMs: 900_000,
  hedging: true,
  graceMs: 1_800_000,
  minAdverseLayers: 3,
};

/** Per-position defensive state (flat; persisted with the exit plan later). */
export interface DefensiveState {
  positionId: string;
  state: DtmsState;
  /** When the current state was entered (engine clock, ms). */
  since: number;
  /** Last deep-check score (NaN before the first). */
  score: number;
  /** Defensive episodes started (leaving HEALTHY starts one). */
  episode: number;
  /** Actions already asked for in the current episode (DTMS_ACTION_BITS). */
  actionsThisEpisode: number;
  /** Timers: start time or NaN when not running. */
  flatTimerStart: number;
  recoveryTimerStart: number;
  /**
   * DTMS owns the position's stop (one owner per stop): taken on entering WARNING_L2 or HEDGED, handed back to
   * the exit plan on returning to HEALTHY (which then continues from the current stop, never loosening it).
   */
  ownsStop: boolean;
  /** Transitions so far. */
  transitions: number;
}

export function newDefensiveState(positionId: string, now: number): DefensiveState {
  return {
    positionId,
    state: 'HEALTHY',
    since: now,
    score: NaN,
    episode: 0,
    actionsThisEpisode: 0,
    flatTimerStart: NaN,
    recoveryTimerStart: NaN,
    ownsStop: false,
    transitions: 0,
  };
}

/** One deep check's inputs beyond the clock. */
export interface DeepCheckInput {
  score: number;
  /** The VWAP flipped against the trade and order-flow volume flipped against it (the hedge confluence). */
  vwapFlipAgainst: boolean;
  volumeFlipAgainst: boolean;
  /** Structure broke in the trade's direction again (a BOS for the trade): recovery may start. */
  structureResumed: boolean;
  /** Layers scoring against the trade at this check. */
  adverseLayers: number;
  /** Time since the position opened, ms (Infinity when the venue does not say). */
  ageMs: number;
}

const NO_ACTIONS: readonly DtmsActionKind[] = Object.freeze([]);

export interface DeepCheckResult {
  from: DtmsState;
  to: DtmsState;
  /** Why the state changed; or 'no_transition' / 'minimum_time_in_state' / 'closed' when it did not. */
  reason: string;
  /** Actions to carry out now (new this episode only). */
  actions: readonly DtmsActionKind[];
}

/**
 * Applies one deep check: records the score, then makes at most one transition (the first rule that
 * holds, de-escalation before escalation) and returns the actions it asks for. Mutates `machine`.
 */
// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
export function deepCheck(
  machine: DefensiveState,
  input: DeepCheckInput,
  now: number,
  params: DtmsMachineParams = DEFAULT_MACHINE_PARAMS,
): DeepCheckResult {
  const from = machine.state;
  machine.score = input.score;
  if (from === 'CLOSED') return { from, to: from, reason: 'closed', actions: NO_ACTIONS };
  const inState = now - machine.since;
  if (inState < params.minTimeInStateMs)
    return { from, to: from, reason: 'minimum_time_in_state', actions: NO_ACTIONS };
  const score = input.score;
  // Escalation needs confluence (two layers or more against the trade), and in the grace period after
  // entry a score at the hedge threshold; de-escalation needs neither.
  const confirmed = input.adverseLayers >= params.minAdverseLayers;
  const mayEscalate = confirmed && (input.ageMs >= params.graceMs || score <= params.hedgeEnter);
  switch (from) {
    case 'HEALTHY':
      if (score <= params.l1Enter && mayEscalate)
        return enter(
          machine,
          'WARNING_L1',
          now,
          `score ${fmt(score)} <= ${params.l1Enter} (${input.adverseLayers} layers against the trade)`,
          params,
        );
      break;
    case 'WARNING_L1':
      if (score >= params.l1Exit)
        return enter(machine, 'HEALTHY', now, `score ${fmt(score)} >= ${params.l1Exit}`, params);
      if (score <= params.l2Enter && mayEscalate)
        return enter(
          machine,
          'WARNING_L2',
          now,
          `score ${fmt(score)} <= ${params.l2Enter} (${input.adverseLayers} layers against the trade)`,
          params,
        );
      break;
    case 'WARNING_L2': {
      if (score >= params.l2Exit)
        return enter(machine, 'WARNING_L1', now, `score ${fmt(score)} >= ${params.l2Exit}`, params);
      const confluence = input.vwapFlipAgainst && input.volumeFlipAgainst;
      if ((score <= params.hedgeEnter || confluence) && mayEscalate) {
        const why =
          score <= params.hedgeEnter
            ? `score ${fmt(score)} <= ${params.hedgeEnter}`
            : 'VWAP and volume flipped against the trade';
        return enter(machine, 'HEDGED', now, why, params);
      }
      break;
    }
    case 'HEDGED':
      if (input.structureResumed && score >= params.recoverScore)
        return enter(
          machine,
          'RECOVERING',
          now,
          `structure resumed in the trade's direction, score ${fmt(score)}`,
          params,
        );
      if (now - machine.flatTimerStart >= params.flatTimerMs)
        return enter(machine, 'CLOSED', now, `hedged ${params.flatTimerMs / 60_000} min without recovery`, params);
      break;
    case 'RECOVERING':
      if (now - machine.recoveryTimerStart >= params.recoveryTimerMs) {
        return score >= params.recoverScore
          ? enter(
              machine,
              'HEALTHY',
              now,
              `recovered: score ${fmt(score)} >= ${params.recoverScore} after ${params.recoveryTimerMs / 60_000} min`,
              params,
            )
          : enter(
              machine,
              'CLOSED',
              now,
              `recovery failed: score ${fmt(score)} < ${params.recoverScore} after ${params.recoveryTimerMs / 60_000} min`,
              params,
            );
      }
      break;
  }
  return { from, to: from, reason: 'no_transition', actions: NO_ACTIONS };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : 'n/a';
}

/** Moves to `to`, runs its timers and episode bookkeeping, and returns the actions not yet taken this episode. */
function enter(
  machine: DefensiveState,
  to: DtmsState,
  now: number,
  reason: string,
  params: DtmsMachineParams,
): DeepCheckResult {
  const from = machine.state;
  machine.state = to;
  machine.since = now;
  machine.transitions++;
  if (from === 'HEALTHY') {
    machine.episode++;
    machine.actionsThisEpisode = 0;
  }
  if (to === 'WARNING_L2' || to === 'HEDGED') machine.ownsStop = true;
  else if (to === 'HEALTHY' || to === 'CLOSED') machine.ownsStop = false;
  // Timers live and die with their states.
  machine.flatTimerStart = to === 'HEDGED' ? now : NaN;
  machine.recoveryTimerStart = to === 'RECOVERING' ? now : NaN;
  const wanted: DtmsActionKind[] = [];
  switch (to) {
    case 'WARNING_L1':
      if (from === 'HEALTHY') wanted.push('tighten_stop');
      break;
    case 'WARNING_L2':
      wanted.push('partial_close', 'stop_to_breakeven');
      break;
    case 'HEDGED':
      wanted.push(params.hedging ? 'open_hedge' : 'close_instead_of_hedge');
      break;
    case 'RECOVERING':
      wanted.push('close_hedge');
      break;
    case 'HEALTHY':
      if (from === 'RECOVERING') wanted.push('re_add');
      break;
    case 'CLOSED':
      wanted.push('close_all');
      break;
  }
  const actions: DtmsActionKind[] = [];
  for (const a of wanted) {
    const bit = DTMS_ACTION_BITS[a];
    if ((machine.actionsThisEpisode & bit) !== 0) continue;
    machine.actionsThisEpisode |= bit;
    actions.push(a);
  }
  // Back to HEALTHY ends the episode (the next warning starts a new one).
  if (to === 'HEALTHY') machine.actionsThisEpisode = 0;
  return { from, to, reason, actions };
}

/**
 * The position is gone at the broker (closed by its stop, its target, or by hand): the machine ends
 * there, without asking for anything.
 */
export function positionGone(machine: DefensiveState, now: number): void {
  if (machine.state === 'CLOSED') return;
  machine.state = 'CLOSED';
  machine.since = now;
  machine.transitions++;
  machine.flatTimerStart = NaN;
  machine.recoveryTimerStart = NaN;
  machine.ownsStop = false;
}
