// A trader's hand on a position's defence: taking it out of DTMS's hands, or giving it back. Out of
// DTMS's hands, a position gets no check, no transition and no action; its machine stays where it is,
// the stop goes back to the exit plan (never loosened), queued actions are dropped (one in flight is
// still answered), and its hedge stays open as it is, also when the position closes. Given back, its
// machine picks up where it stopped, its timers counted from then and its next deep check due at once.
import { sessionAt } from '../domain/sessions.ts';
import type { Position } from '../domain/types.ts';
import { newDecisionRecord, startRecord, type DecisionRecord } from '../exits/decisionRecord.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import type { Defence } from '../dtms/defensiveIntents.ts';
import type { DefensiveMonitor } from '../dtms/defensiveMonitor.ts';
import type { DtmsActionKind } from '../dtms/defensiveState.ts';

/** The answer to taking a position out of DTMS's hands, or giving it back: the record's note, or why not. */
export type DefenceSwitch =
  | { ok: true; note: string }
  | { ok: false; problem: 'not_managed' | 'dtms_off' | 'unchanged'; message: string };

/** Takes the position's defence out of DTMS's hands at `now`; the note says what that leaves as it is. */
export function takeOutOfDtmsHands(
  def: Defence,
  plan: ExitPlan,
  position: Position,
  reason: string,
  source: string | undefined,
  now: number,
): DefenceSwitch {
  if (def.disabled !== null) {
    return {
      ok: false,
      problem: 'unchanged',
      message: `DTMS already leaves this position alone (since ${new Date(def.disabled.at).toISOString()}: ${def.disabled.reason})`,
    };
  }
  const t = def.tracked;
  const parts = [
    `taken out of DTMS's hands by hand: ${reason}`,
    `DTMS stops in ${t.state.state} (score ${Number.isFinite(t.state.score) ? t.state.score : 'n/a'}): no check, no action`,
  ];
  if (def.ownsStop) parts.push(`the exit plan takes the stop back at SL ${position.sl ?? 'none'}, never loosening it`);
  // An intent in flight stays at the head of the queue, so its answer is still taken (a hedge's ticket kept).
  const inFlight = plan.pending !== null && plan.pending.rule === 'dtms' ? plan.pending.action : '';
  const dropped = def.queue.filter((a) => a !== inFlight);
  if (dropped.length > 0) parts.push(`queued actions dropped: ${dropped.join(', ')}`);
  if (inFlight !== '') parts.push(`${inFlight} already sent is answered as usual`);
  def.queue.length = 0;
  if (inFlight !== '') def.queue.push(inFlight as DtmsActionKind);
  def.attempts = 0;
  parts.push(
    t.hedgeId !== null
      ? `its hedge #${t.hedgeId} (${t.hedgeVolume}) stays open as it is: DTMS will not close it, even when the position closes`
      : 'no hedge open',
  );
  def.disabled = { at: now, reason };
  def.ownsStop = false;
  if (source !== undefined) parts.push(`source: ${source}`);
  return { ok: true, note: parts.join('; ') };
}

/** Gives position `positionId`'s defence back to DTMS at `now` (what happened meanwhile was not watched). */
export function giveBackToDtms(
  def: Defence,
  plan: ExitPlan,
  monitor: DefensiveMonitor,
  positionId: string,
  reason: string,
  source: string | undefined,
  now: number,
): DefenceSwitch {
  if (def.disabled === null) return { ok: false, problem: 'unchanged', message: 'DTMS already defends this position' };
  const since = def.disabled.at;
  def.disabled = null;
  const inFlight = plan.pending !== null && plan.pending.rule === 'dtms';
  if (!inFlight) {
    def.queue.length = 0;
    def.attempts = 0;
  }
  monitor.resume(positionId, now);
  const t = def.tracked;
  const note =
    `given back to DTMS by hand: ${reason}; out of its hands since ${new Date(since).toISOString()}; ` +
    `picks up in ${t.state.state}, its timers restarted and its next deep check due now` +
    (t.hedgeId !== null ? `; its hedge #${t.hedgeId} (${t.hedgeVolume}) is DTMS's again` : '') +
    (source !== undefined ? `; source: ${source}` : '');
  return { ok: true, note };
}

/**
 * The record of a trader's decision about a position's defence (`note`: what the switch answered), at
 * `now` and the symbol's last quote, on a record of its own (not the evaluation's).
 */
export function defenceSwitchRecord(
  now: number,
  plan: ExitPlan,
  position: Position,
  defence: Defence | null,
  bid: number,
  ask: number,
  reason: 'dtms_disabled' | 'dtms_enabled',
  note: string,
): DecisionRecord {
  const r = startRecord(newDecisionRecord(), now, plan, 'dtms');
  r.session = sessionAt(now);
  r.price = position.side === 'buy' ? bid : ask;
  r.spread = ask - bid;
  r.outcome = 'info';
  r.reason = reason;
  r.changed = true;
  r.oldSl = position.sl ?? NaN;
  r.dtmsState = defence?.tracked.state.state ?? '';
  r.score = defence?.tracked.state.score ?? NaN;
  r.note = note;
  return r;
}
