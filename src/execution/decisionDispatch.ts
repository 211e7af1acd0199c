// What follows a decision, for a bar step and a quote step alike (one execution path): the intents
// decided are kept, then sent, and the broker's fresh view taken. An intent whose id the journal already
// holds is another decision's and is not sent; intents kept only after a store outage are not sent
// either (the prices they were decided on are gone): each is refused, recorded, and the engine decides
// afresh.
import type { Logger } from 'pino';
import type { Intent, Position } from '../domain/types.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import type { WardenStore } from '../store/store.ts';
import type { SessionConsole } from './consoleLines.ts';
import type { IntentHealth } from './health.ts';
import type { IntentExecutor, SettledIntent } from './intentExecutor.ts';
import { type BufferedSink, sessionNote } from './sessionNotes.ts';
import type { ShadowBook } from './shadowBook.ts';
import { applyInShadow } from './shadowSteps.ts';
import type { StoreOutage } from './storeOutage.ts';
import type { VenueSync } from './venueSync.ts';

/** Decisions kept this long after they were made (a store outage) are not sent: prices have moved on. */
const STALE_DECISION_BARS = 2;

/** The session's parts a decision goes through on its way to the broker. */
export interface DispatchParts {
  engine: ExitEngine;
  store: WardenStore;
  executor: IntentExecutor;
  venue: VenueSync;
  lines: SessionConsole;
  shadow: ShadowBook | undefined;
  sink: BufferedSink;
  log: Logger | undefined;
  /** The session's clock. */
  clock: () => number;
  baseMs: number;
  storeOutage: StoreOutage;
  /** Recent refusals (health reports them). */
  rejections: IntentHealth[];
  /** The session's transaction (AccountSession.persist): `intents` journaled as pending. */
  persist(intents: readonly Intent[]): void;
  /** The venue's positions as the session sees them (shadow mode overlays its would-be positions). */
  venuePositions(): Promise<Position[]>;
  /** The same, or null (logged) when the broker cannot be read now. */
  readPositions(): Promise<Position[] | null>;
}

/**
 * `out`, decided at `closeTime` (the market's time: a bar's close, or a quote's time), is kept, then
 * sent, and the broker's fresh view taken. Returns the intents, settled.
 */
export async function keepAndSend(parts: DispatchParts, out: Intent[], closeTime: number): Promise<SettledIntent[]> {
  const { engine, executor, venue, lines, sink, clock } = parts;
  const fresh = notInJournal(parts, out, closeTime);
  // Nothing leaves before it is kept: the decisions, the intents (pending) and their state. How long
  // that took is read on the session's clock: the market's time (a real account's wall clock; a
  // played market waits for its step, so nothing it decided goes stale).
  const shadowed =
    parts.shadow === undefined ? 0 : applyInShadow(parts.shadow, fresh, closeTime, engine, sink.buffer, lines);
  const decidedAt = clock();
  await parts.storeOutage.commit(() => parts.persist(fresh));
  const keptAfterMs = clock() - decidedAt;
  let results: SettledIntent[] = [];
  if (fresh.length > 0 && keptAfterMs > STALE_DECISION_BARS * parts.baseMs) {
    // Kept only after a store outage: the prices these were decided on are gone. Refused unsent,
    // recorded, and the engine decides afresh at the next bar.
    const why = `decided ${Math.round(keptAfterMs / 1000)} s ago, before the store could keep it (a store outage): not sent; decided afresh on fresh prices`;
    for (const it of fresh) {
      executor.settle(it.id, 'rejected', why);
      engine.resolve(it.positionId, it.id, 'rejected', '', why);
      sink.record(sessionNote(closeTime, it.positionId, it.symbol, it.side, 'stale_decision', why, it.id));
      lines.notSent(it, `NOT SENT: ${why}`);
    }
    parts.log?.warn(
      { intents: fresh.map((i) => i.id), keptAfterMs },
      'decisions kept only after a store outage: not sent, decided afresh',
    );
  } else if (fresh.length > 0) {
    results = await executor.executeStep(fresh, engine, {
      readPositions: async () => venue.asManaged(await parts.venuePositions()),
    });
    for (const r of results) {
      lines.settled(r);
      if (r.settled === 'rejected') {
        const reason = r.how === 'answer' ? r.reason : "reconciled: the venue's positions show no effect";
        parts.rejections.push({
          id: r.intent.id,
          positionId: r.intent.positionId,
          status: 'rejected',
          at: clock(),
          code: r.code,
          reason,
        });
      } else if (r.settled === 'unknown') venue.unsettled = true;
    }
  }
  // The fresh view shows the new SL and volume (and settles what the positions could not settle above).
  const after = venue.unsettled || results.length > 0 || shadowed > 0 ? await parts.readPositions() : null;
  if (after !== null) {
    if (venue.unsettled) venue.settleOutstanding(venue.asManaged(after), 'after an unknown answer', []);
    venue.syncWith(after, closeTime, null);
  }
  await parts.storeOutage.commit(() => parts.persist([]));
  lines.endStep();
  return results;
}

/**
 * The intents of `out` whose ids the journal does not hold. Intent ids carry the lifetime key, so a new
 * decision never meets an id the journal holds. One that does (a store older than lifetimes, or a
 * fault) belongs to another decision: it is neither sent nor allowed to settle this one. The engine
 * takes it as refused and decides afresh (the rule's next episode has a new id), and the conflict is
 * recorded.
 */
function notInJournal(parts: DispatchParts, out: Intent[], closeTime: number): Intent[] {
  const fresh: Intent[] = [];
  for (const it of out) {
    const prior = parts.store.intent(it.id);
    if (prior === null) {
      fresh.push(it);
      continue;
    }
    const why = `intent id ${it.id} is already in the journal (${prior.status}, journaled ${new Date(prior.recordedAt).toISOString()}): it is another decision's; not sent, decided afresh`;
    parts.engine.resolve(it.positionId, it.id, 'rejected', '', why);
    parts.sink.record(sessionNote(closeTime, it.positionId, it.symbol, it.side, 'journal_conflict', why, it.id));
    parts.log?.warn(
      { intent: it.id, status: prior.status },
      'intent id already in the journal for another decision: not sent, decided afresh',
    );
  }
  return fresh;
}
