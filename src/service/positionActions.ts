// The trader's actions on one managed position, shared by the HTTP API and the Telegram commands so an
// action is the same whichever way it comes: the same checks, the same change made between two engine
// steps (AccountSession.act) and stored before the answer. An action given a `manual` mark is also
// recorded in the decision journal, naming where it came from; the HTTP routes pass none (their
// requests are logged, not journaled).
import type { DecisionReason, DecisionRecord } from '../exits/decisionRecord.ts';
import { newDecisionRecord, startRecord } from '../exits/decisionRecord.ts';
import type { AccountSession } from '../execution/accountSession.ts';

/** Who asked for a manual action: what its decision record says of it. */
export interface ManualMark {
  /** Where the request came from, e.g. 'telegram'. */
  source: string;
  /** Who within that source (a chat and a user); never a secret. */
  by: string;
  /** The record's time: the session's clock when the request came. */
  at: number;
  /** The decision journal the record is appended to. */
  journal: { appendDecision(record: DecisionRecord): void };
}

/**
 * The record of a manual action on the position under lifetime `key`, appended before the change is
 * made: a journal that cannot be written refuses the action, and nothing is changed. The journal has no
 * reason of its own for a trader's switch, so it is an 'info' record of rule 'lifetime' (as a symbol's
 * promotion from shadow is), with the action and its source spelled out in the note.
 */
function recordManual(session: AccountSession, key: string, mark: ManualMark, reason: DecisionReason, what: string): void {
  const plan = session.engine.plan(key)!;
  const pos = session.engine.position(key);
  const r = startRecord(newDecisionRecord(), mark.at, plan, 'lifetime');
  r.outcome = 'info';
  r.reason = reason;
  r.changed = true;
  if (pos !== undefined) {
    const q = session.engine.quote(pos.symbol);
    r.price = pos.side === 'buy' ? q.bid : q.ask;
    r.oldSl = pos.sl ?? Number.NaN;
    r.volume = pos.volume;
  }
  r.note = `${what} by hand; source: ${mark.source} (${mark.by})`;
  mark.journal.appendDecision(r);
}

/**
 * Turns the intelligent exits of the position managed under `ticket` on or off. Null when no position is
 * managed there; else whether this changed them (turning on exits that are on changes nothing, and
 * records nothing).
 */
export function switchExits(session: AccountSession, ticket: string, enabled: boolean, manual?: ManualMark): Promise<{ changed: boolean } | null> {
  return session.act(() => {
    const key = session.managedKey(ticket);
    const plan = key === undefined ? undefined : session.engine.plan(key);
    if (key === undefined || !plan) return null;
    const changed = plan.enabled !== enabled;
    if (changed && manual) recordManual(session, key, manual, enabled ? 'confirmed' : 'disabled', `intelligent exits turned ${enabled ? 'on' : 'off'}`);
    plan.enabled = enabled;
    return { changed };
  });
}

/**
 * Starts ATR trailing now, before breakeven, for the position managed under `ticket` (the stop still
 * only tightens, within the broker's levels). Null when done, else the refusal: 404 none managed there,
 * 409 trailing is off in the config or for this position.
 */
export function startTrailing(session: AccountSession, ticket: string, manual?: ManualMark): Promise<[404 | 409, string] | null> {
  return session.act((): [404 | 409, string] | null => {
    const key = session.managedKey(ticket);
    const plan = key === undefined ? undefined : session.engine.plan(key);
    if (key === undefined || !plan) return [404, `no position ${ticket} under management`];
    if (!session.engine.config.exits.trailing.enabled) return [409, 'trailing is disabled in the config (exits.trailing.enabled)'];
    if (!plan.trailingEnabled) return [409, 'trailing is off for this position: turn it on first (PATCH its plan with trailingEnabled: true)'];
    if (!plan.trailNow && manual) recordManual(session, key, manual, 'confirmed', 'trailing started now');
    plan.trailNow = true;
    return null;
  });
}
