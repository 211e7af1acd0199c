// The session's one transaction: the buffered decision records, the intents journaled as pending, every
// position whose plan, DTMS state or broker view changed, positions gone, lifetimes, the engine-wide
// state and the health report. All of it is kept, or none: when the store refuses, nothing counts as
// written (the records stay buffered, the caches unchanged) and the same call can be made again.
import type { Intent } from '../domain/types.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import type { WardenStore } from '../store/store.ts';
import type { SessionConsole } from './consoleLines.ts';
import type { IntentExecutor } from './intentExecutor.ts';
import type { SessionHealth } from './sessionHealth.ts';
import type { BufferedSink } from './sessionNotes.ts';
import type { AccountSessionOptions } from './sessionTypes.ts';
import type { ShadowBook } from './shadowBook.ts';
import type { StoredEngineState } from './storedEngineState.ts';
import type { VenueSync } from './venueSync.ts';

/** The session's parts whose state the transaction keeps. */
export interface KeptParts {
  engine: ExitEngine;
  store: WardenStore;
  executor: IntentExecutor;
  venue: VenueSync;
  lines: SessionConsole;
  shadow: ShadowBook | undefined;
  sink: BufferedSink;
  engineState: StoredEngineState;
  health: SessionHealth;
  /** What else the session's caller keeps in the transaction, and hears once it is kept. */
  wiring: Pick<AccountSessionOptions, 'alongside' | 'onDecision' | 'onLifetimeEnded'>;
}

/**
 * Keeps the session's state in one transaction, with `intents` journaled as pending (see the top of
 * this file). Throws what the store throws, having changed nothing. The records reach `onDecision` once
 * they are stored.
 */
export function keepSessionState(parts: KeptParts, intents: readonly Intent[]): void {
  const { store, sink, venue, engineState, executor, shadow, wiring } = parts;
  const records = sink.buffer.slice();
  const lifetimes = venue.book.changedRows();
  const ended = venue.endedAtVenue.slice();
  const legacy = venue.legacyUsed.slice();
  const changes = engineState.changes(parts.engine.snapshot());
  // The report of a store that is being written: its own trouble is over if this commits.
  const health = parts.health.assess(null);
  const shadowBook = shadow?.dirty === true ? shadow.snapshot() : undefined;
  try {
    store.transaction(() => {
      if (records.length > 0) store.appendDecisions(records);
      for (const it of intents) executor.journal(it);
      engineState.writePositions(store, changes);
      for (const id of legacy) store.deleteLegacyRule(id);
      for (const l of lifetimes) store.saveLifetime(l);
      wiring.alongside?.(store);
      if (shadowBook !== undefined) store.saveShadowBook(shadowBook);
      engineState.writeState(store, changes);
      store.saveHealth(health);
    });
  } catch (err) {
    executor.unjournal(intents.map((i) => i.id));
    throw err;
  }
  // Kept: the caches follow the store.
  sink.buffer.splice(0, records.length);
  venue.book.committed(lifetimes);
  venue.legacyUsed.splice(0, legacy.length);
  engineState.committed(changes);
  if (shadowBook !== undefined) shadow?.committed();
  parts.lines.stored(records, (id) => parts.engine.position(id)?.volume ?? Number.NaN);
  if (wiring.onDecision) for (const r of records) wiring.onDecision(r);
  venue.endedAtVenue.splice(0, ended.length);
  if (wiring.onLifetimeEnded) for (const e of ended) wiring.onLifetimeEnded(e);
}
