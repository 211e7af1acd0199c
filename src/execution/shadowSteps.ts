// Shadow mode in a live session's steps: the intents of shadowed symbols are applied to the shadow
// book's would-be positions instead of being sent, and a shadowed symbol can go live without a restart.
import type { Logger } from 'pino';
import type { Intent } from '../domain/types.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import { newDecisionRecord, startRecord, type DecisionRecord } from '../exits/decisionRecord.ts';
import type { SessionConsole } from './consoleLines.ts';
import type { ShadowBook } from './shadowBook.ts';
import type { VenueSync } from './venueSync.ts';

/**
 * Applies the intents of shadowed symbols to the would-be positions, not sent. Each one's decision
 * record (among `buffered`) says so (outcome 'shadow'), and the engine takes it as done, as it would a
 * venue's "applied". They leave `intents` (nothing of them is journaled or sent). Returns how many.
 */
export function applyInShadow(
  shadow: ShadowBook,
  intents: Intent[],
  now: number,
  engine: ExitEngine,
  buffered: readonly DecisionRecord[],
  lines: SessionConsole,
): number {
  let applied = 0;
  for (let i = 0; i < intents.length; i++) {
    const it = intents[i]!;
    if (!shadow.shadows(it.symbol)) continue;
    const q = engine.quote(it.symbol);
    const opened = shadow.apply(it, now, q.bid, q.ask);
    for (const r of buffered) {
      if (r.intentId !== it.id || r.outcome !== 'intent') continue;
      r.outcome = 'shadow';
      r.reason = 'not_sent_shadow';
      r.note = `${r.note === '' ? '' : `${r.note}; `}shadow mode: not sent${opened !== '' ? ` (would-be position ${opened})` : ''}`;
    }
    engine.resolve(it.positionId, it.id, 'applied', opened);
    intents.splice(i--, 1);
    applied++;
    lines.notSent(it, `shadow, not sent: ${it.reason}`, 'info', '');
  }
  return applied;
}

/** The session's parts a promotion acts on. */
export interface PromotionParts {
  engine: ExitEngine;
  venue: VenueSync;
  /** The lifetime key managed under a venue ticket (undefined: none). */
  managedKey: (ticket: string) => string | undefined;
  record: (r: DecisionRecord) => void;
  log: Logger | undefined;
}

/**
 * `symbol` goes live at `now`: its would-be positions end (scored as they stand), and its positions
 * are managed afresh from what the venue holds: each starts a new lifetime with a plan made from the
 * venue's stop and volume (a would-be stop was never at the venue). Recorded. Returns the lifetimes
 * ended.
 */
export function promoteToLive(shadow: ShadowBook, symbol: string, now: number, parts: PromotionParts): string[] {
  const { engine, venue } = parts;
  const tickets = shadow.promote(symbol, now);
  const ended: string[] = [];
  // Would-be hedges first: their positions' defences forget them, and none is left as an orphan to close.
  for (const h of engine.hedgeIds()) {
    if (h.startsWith('shadow:') && engine.position(engine.hedgedPosition(h) ?? '')?.symbol === symbol)
      engine.untrack(h);
  }
  for (const ticket of tickets) {
    const key = parts.managedKey(ticket);
    if (key === undefined) continue;
    engine.untrack(key);
    const change = venue.book.end(
      ticket,
      now,
      'promoted from shadow to live: managed afresh from the stop and volume the venue holds',
    );
    if (change) venue.recordLifetime(change, now);
    ended.push(key);
  }
  const r = startRecord(newDecisionRecord(), now, { positionId: '', symbol, side: 'buy' }, 'lifetime');
  r.outcome = 'info';
  r.reason = 'promoted_to_live';
  r.changed = true;
  r.note = `${symbol} promoted from shadow to live: its decisions are sent from now on; ${ended.length} position(s) managed afresh from the venue's stops (${ended.join(', ') || 'none open'})`;
  parts.record(r);
  parts.log?.info({ symbol, positions: ended }, 'promoted from shadow to live');
  return ended;
}
