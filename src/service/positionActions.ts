// The trader's actions on one managed position, shared by the HTTP API, the pages and the Telegram
// commands so an action is the same whichever way it comes: the same checks, the same change made
// between two engine steps (AccountSession.act) and stored with its `manual` decision record, which
// says what changed, from what to what, and where the request came from.
import type { AccountSession } from '../execution/accountSession.ts';

/**
 * Where a manual action came from, as its record says it: 'page' (the dashboard), 'api' (a direct
 * call), 'telegram (chat 4242, user @trader)', 'mcp'. Never a secret.
 */
export type ManualSource = string;

/**
 * Turns the intelligent exits of the position managed under `ticket` on or off. Null when no position is
 * managed there; else whether this changed them (turning on exits that are on changes nothing, and
 * records nothing).
 */
export function switchExits(session: AccountSession, ticket: string, enabled: boolean, source: ManualSource): Promise<{ changed: boolean } | null> {
  return session.act(() => {
    const key = session.managedKey(ticket);
    const plan = key === undefined ? undefined : session.engine.plan(key);
    if (key === undefined || !plan) return null;
    const changed = plan.enabled !== enabled;
    if (changed) session.recordManual(key, `intelligent exits: ${plan.enabled ? 'on' : 'off'} -> ${enabled ? 'on' : 'off'}`, source);
    plan.enabled = enabled;
    return { changed };
  });
}

/**
 * Starts ATR trailing now, before breakeven, for the position managed under `ticket` (the stop still
 * only tightens, within the broker's levels). Null when done, else the refusal: 404 none managed there,
 * 409 trailing is off in the config or for this position.
 */
export function startTrailing(session: AccountSession, ticket: string, source: ManualSource): Promise<[404 | 409, string] | null> {
  return session.act((): [404 | 409, string] | null => {
    const key = session.managedKey(ticket);
    const plan = key === undefined ? undefined : session.engine.plan(key);
    if (key === undefined || !plan) return [404, `no position ${ticket} under management`];
    if (!session.engine.config.exits.trailing.enabled) return [409, 'trailing is disabled in the config (exits.trailing.enabled)'];
    if (!plan.trailingEnabled) return [409, 'trailing is off for this position: turn it on first (PATCH its plan with trailingEnabled: true)'];
    if (!plan.trailNow) session.recordManual(key, 'trailing: waiting for breakeven -> started now', source);
    plan.trailNow = true;
    return null;
  });
}
