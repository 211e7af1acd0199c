// A strategy template named through the API (strategy_type on POST /api/trades): checked against the
// configured templates before anything else happens, and applied to the position's plan between two
// engine steps, recorded as the trader's `manual` change with where the request came from.
import type { AccountSession } from '../execution/accountSession.ts';
import { lookUpStrategy } from '../exits/strategyTemplates.ts';

/** The configured template's name for what the caller sent, or the 400 answer naming the known ones. */
export function strategyAsked(
  session: AccountSession,
  asked: string,
): { ok: true; name: string } | { ok: false; error: 'unknown_strategy'; message: string } {
  const found = lookUpStrategy(session.engine.config.exits, asked);
  return found.ok ? { ok: true, name: found.name } : { ok: false, error: 'unknown_strategy', message: found.message };
}

/**
 * Puts the managed position `ticket` on template `name` (a plan made with it already is left as it is).
 * Null when done, else [status, message]: 404 not managed, 409 a step the template would change is done.
 */
export function applyStrategy(
  session: AccountSession,
  ticket: string,
  name: string,
  source: string,
): Promise<[404 | 409, string] | null> {
  return session.act(() => {
    const key = session.managedKey(ticket);
    if (key === undefined) return [404, `no position ${ticket} under management`] as [404 | 409, string];
    const r = session.engine.applyStrategy(key, name, 'api');
    if (!r.ok) return [409, r.message] as [404 | 409, string];
    if (r.change !== '') session.recordManual(key, r.change, source);
    return null;
  });
}
