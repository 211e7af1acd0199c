// The broker's answer to a managed position's pending intent, taken into its exit plan and its DTMS
// defence: an answer as the broker gave it, or one read from the broker's fresh view of the account after
// an "unknown" answer (a timeout). A DTMS hedge the answer opened or closed goes into the hedge book.
import { ticketOf, type Position } from '../domain/types.ts';
import { resolveIntent, type IntentOutcome } from '../exits/exitPlan.ts';
import { resolveDefensive } from '../dtms/defensiveIntents.ts';
import type { DefensiveMonitor } from '../dtms/defensiveMonitor.ts';
import { pendingEffect } from './brokerView.ts';
import type { PositionSlot } from './engineState.ts';
import type { HedgeBook } from './hedgeBook.ts';

/**
 * Takes the broker's answer to the pending intent `intentId` of the position `positionId` (the slot's). Returns false when it was not the
 * pending intent. `openedId`: the ticket an open created (a DTMS hedge); `refusal`: the broker's reason,
 * for DTMS's records.
 */
export function takeAnswer(
  slot: PositionSlot,
  positionId: string,
  monitor: DefensiveMonitor | null,
  hedges: HedgeBook,
  intentId: string,
  outcome: IntentOutcome,
  openedId: string,
  refusal: string,
): boolean {
  const pending = slot.plan.pending;
  if (pending === null || !resolveIntent(slot.plan, intentId, outcome)) return false;
  if (pending.rule === 'dtms' && slot.defence && monitor) {
    resolveDefensive(slot.defence, monitor, pending, outcome, openedId, refusal);
    if (outcome === 'applied') {
      if (pending.action === 'open_hedge' && openedId !== '') hedges.opened(openedId, positionId);
      if (pending.kind === 'close' && pending.targetId !== ticketOf(slot.position)) hedges.closed(pending.targetId);
    }
  }
  return true;
}

/** The answer read from the broker's view: the outcome to take, and why not applied ('' when it was). */
export interface ReadAnswer {
  intentId: string;
  outcome: IntentOutcome;
  openedId: string;
  refusal: string;
  /** The stop move was cut short at the venue: the plan puts the decided stop back (restoreSl). */
  cutShort: boolean;
}

/**
 * Reads the answer to the slot's pending intent from the broker's fresh view (`positions`: every open
 * position on the symbol), refreshing the engine's view of the position first: applied when the
 * positions show its effect, rejected when they do not (see pendingEffect). Null when nothing is
 * pending. `known(id)`: a ticket the engine manages already (a position or a DTMS hedge).
 */
export function readAnswer(
  slot: PositionSlot,
  positionId: string,
  positions: readonly Position[],
  monitor: DefensiveMonitor | null,
  known: (id: string) => boolean,
): ReadAnswer | null {
  const position = positions.find((q) => q.id === positionId);
  const pending = slot.plan.pending;
  if (position) {
    slot.position = position;
    monitor?.refresh(position);
  }
  if (pending === null) return null;
  const { applied, openedId, cutShort } = pendingEffect(slot.plan, slot.position, position, positions, known);
  // The plan puts the decided stop back at its next evaluation (rule 'restore').
  if (cutShort) slot.plan.restoreSl = pending.newSl;
  const refusal = applied
    ? ''
    : cutShort
      ? 'cut short at the venue: the old stop is gone, the new one is not there'
      : 'no effect at the broker';
  return { intentId: pending.id, outcome: applied ? 'applied' : 'rejected', openedId, refusal, cutShort };
}
