// A live session's store, kept working: a store that cannot be written (a full disk, a lock held by
// another program, an I/O error, a file made read-only) does not stop the session. Each write is tried
// again with backoff until the store answers; meanwhile health says why, and the step waits, so
// nothing more is decided or sent. Closing the session ends the wait: the step gives up.
import type { Logger } from 'pino';
import { describeStoreFailure, StoreError } from '../store/store.ts';

/** The store could not be written and the session was closed while it waited for it. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** Waits between tries of a store that cannot be written: doubling from the first to the last. */
const STORE_RETRY_FIRST_MS = 250;
const STORE_RETRY_MAX_MS = 15_000;

/**
 * A store that cannot be written now but may be later: a full disk, a lock held by another program,
 * an I/O error, a file made read-only (SQLite's codes, as better-sqlite3 reports them, or the store's
 * own 'io'). Anything else (a bug, a row that fails validation, a journal conflict) is not retried.
 */
export function isStoreOutage(err: unknown): boolean {
  if (err instanceof StoreError) return err.code === 'io';
  if (typeof err !== 'object' || err === null || !('code' in err) || typeof err.code !== 'string') return false;
  const code = err.code;
  return (
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_BUSY' ||
    code.startsWith('SQLITE_BUSY_') ||
    code === 'SQLITE_LOCKED' ||
    code.startsWith('SQLITE_LOCKED_') ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_CANTOPEN' ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_PROTOCOL'
  );
}

export interface StoreTrouble {
  /** The session's clock when the store first refused. */
  since: number;
  reason: string;
  attempts: number;
}

export class StoreOutage {
  /** The store cannot be written since `trouble.since`: health says so until it can (null: it can). */
  trouble: StoreTrouble | null = null;
  /** Set by interrupt(): a wait on the store gives up. */
  private closing = false;
  private wakeClosing: (() => void) | null = null;

  constructor(
    private readonly storeLocation: string,
    private readonly clock: () => number,
    private readonly log: Logger | undefined,
    /** Waits between tries; default a real timer (which interrupt() cuts short). */
    private readonly sleep: ((ms: number) => Promise<void>) | undefined,
  ) {}

  /**
   * Runs one of the session's writes, tried again with backoff while the store cannot be written.
   * After interrupt(), a refusal ends the wait: StoreUnavailableError, and what the write held was not kept.
   */
  async commit(write: () => void): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        write();
        if (this.trouble !== null) {
          const t = this.trouble;
          this.trouble = null;
          this.log?.info(
            { since: new Date(t.since).toISOString(), attempts: t.attempts },
            'the store can be written again: the session goes on',
          );
        }
        return;
      } catch (err) {
        if (!isStoreOutage(err)) throw err;
        this.note(err, attempt);
        if (this.closing)
          throw new StoreUnavailableError(
            `the store cannot be written (${describeStoreFailure(err)}) and the session is closing: the step under way is not kept`,
          );
        await this.pause(Math.min(STORE_RETRY_MAX_MS, STORE_RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 16)));
      }
    }
  }

  /** Notes a refusal of the store (the `attempt`th try of a write). */
  note(err: unknown, attempt: number): void {
    // A full disk is named as such: it is the outage a person must act on.
    const reason = describeStoreFailure(err);
    if (this.trouble === null) {
      this.trouble = { since: this.clock(), reason, attempts: attempt };
      this.log?.error(
        { store: this.storeLocation, error: reason },
        'the store cannot be written: waiting for it, nothing is sent meanwhile',
      );
    } else {
      this.trouble.reason = reason;
      this.trouble.attempts = Math.max(this.trouble.attempts + 1, attempt);
    }
  }

  /** Stops waiting: the write waiting now gives up, and none waits again. */
  interrupt(): void {
    this.closing = true;
    this.wakeClosing?.();
  }

  /** Waits `ms` before the store's next try; interrupt() cuts it short. */
  private pause(ms: number): Promise<void> {
    if (this.sleep) return this.sleep(ms);
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeClosing = done;
    });
  }
}
