// Settling an intent whose answer was "unknown" (a timeout) from the broker's fresh view of the
// account: the broker has answered every earlier request, so nothing of it is still in flight, and the
// positions show whether it took effect. A stop move shows in the position's SL, a partial close in
// its volume, a close in its absence, a DTMS hedge's close in the hedge's absence, a DTMS open as a new
// position carrying the intent's comment (which names the episode).
import { ticketOf, type Position } from '../domain/types.ts';
import { reconcilePending } from '../exits/evaluateExitPlan.ts';
import type { ExitPlan, IntentOutcome } from '../exits/exitPlan.ts';

/** What reconciliation found: whether the pending intent took effect, and the ticket an open created. */
export interface Reconciled {
  outcome: IntentOutcome;
  openedId: string;
}

/** Whether the plan's pending intent shows in the broker's view, and how. */
export interface PendingEffect {
  applied: boolean;
  /** The ticket a DTMS open created ('' for none). */
  openedId: string;
  /**
   * A stop move that left the position with no stop, where it had one: a venue that moves a stop as a
   * cancel and a new order was interrupted between the two. The new stop is not there (not applied),
   * and the plan is to put the decided one back at its next evaluation.
   */
  cutShort: boolean;
}

/**
 * The effect of `plan`'s pending intent (not null) in the broker's view: `own` is the engine's last view
 * of the position, `position` the broker's now (undefined: gone), `positions` every open position on the
 * symbol; `known(id)`: a ticket the engine manages already (a position or a DTMS hedge), never a new open.
 */
export function pendingEffect(
  plan: ExitPlan,
  own: Position,
  position: Position | undefined,
  positions: readonly Position[],
  known: (id: string) => boolean,
): PendingEffect {
  const pending = plan.pending!;
  let applied = false;
  let openedId = '';
  if (pending.kind === 'open') {
    const p = positions.find((q) => q.comment === pending.comment && !known(q.id));
    if (p) {
      applied = true;
      openedId = p.id;
    }
  } else if (pending.kind === 'close') {
    // The position's own close shows as its absence (another position on its ticket is not it); a
    // hedge's close, as the hedge's ticket gone.
    applied =
      pending.targetId === ticketOf(own)
        ? position === undefined
        : !positions.some((q) => ticketOf(q) === pending.targetId);
  } else if (position) {
    applied = reconcilePending({ ...plan }, position);
  }
  const cutShort =
    !applied &&
    pending.kind === 'move_stop' &&
    pending.targetId === ticketOf(own) &&
    position !== undefined &&
    position.sl === null &&
    pending.oldSl !== null &&
    pending.oldSl !== undefined;
  return { applied, openedId, cutShort };
}
