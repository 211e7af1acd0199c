// Where a live session's executor writes the venue's answers. A venue the session keeps itself (the
// embedded paper account, saved by `alongside`) must never disagree with the journal after a crash.
import type { WardenStore } from '../store/store.ts';
import type { IntentJournal } from './intentExecutor.ts';

/**
 * The journal the executor answers into. With a venue the session itself keeps (`alongside`: the
 * embedded paper account), each answer is stored in one transaction with the venue's state after it:
 * a process killed between the two would otherwise restart with the journal saying "applied" and a
 * venue that never was (seen in the many-accounts soak: 5 of 4,622 intents across a SIGKILL).
 */
export function answersKeptWithVenue(
  store: WardenStore,
  alongside: ((store: WardenStore) => void) | undefined,
): IntentJournal {
  if (alongside === undefined) return store;
  return {
    recordIntent: (intent, at) => store.recordIntent(intent, at),
    intent: (id) => store.intent(id),
    markIntent: (id, status, code, reason, at, fill) =>
      store.transaction(() => {
        const changed = store.markIntent(id, status, code, reason, at, fill);
        alongside(store);
        return changed;
      }),
  };
}
