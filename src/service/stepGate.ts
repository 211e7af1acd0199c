// Holding a market loop between two steps (the API pauses it to act on a consistent book): `pause`
// resolves once the step under way is done, and no step starts until `resume`. Shared by the played
// market's loop and a real account's bar feed. And the feeds' wait between two polls, which a stop cuts
// short (Nap).
import type { Logger } from 'pino';

export class StepGate {
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;
  private idle: (() => void) | null = null;
  private busy = false;

  /** Holds after the step under way (resolves once it is done). */
  pause(): Promise<void> {
    if (this.gate === null) this.gate = new Promise((resolve) => (this.openGate = resolve));
    return new Promise((resolve) => {
      if (this.busy) this.idle = resolve;
      else resolve();
    });
  }

  resume(): void {
    this.openGate?.();
    this.gate = null;
    this.openGate = null;
  }

  /** Resolves when not held (at once if not paused). */
  passed(): Promise<void> | null {
    return this.gate;
  }

  /** Runs one step; a pause asked meanwhile resolves when it ends. */
  async step<T>(run: () => Promise<T>): Promise<T> {
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
      this.idle?.();
      this.idle = null;
    }
  }
}

/**
 * A market loop goes on after a step that failed (the session's health says so, and a step that failed
 * sent nothing it had not kept); the log says so once per kind of failure, not at every bar, and once
 * when steps succeed again. Shared by the played market's loop and a real account's bar feed.
 */
export class StepFailures {
  private last = '';

  constructor(
    private readonly log: Logger | undefined,
    /** What goes on after a failure, for the log line ('the market plays on'). */
    private readonly goesOn: string,
  ) {}

  failed(symbol: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message !== this.last) this.log?.error({ symbol, err: message }, `a step failed: ${this.goesOn}`);
    this.last = message;
  }

  succeeded(symbol: string): void {
    if (this.last !== '') this.log?.info({ symbol }, 'steps succeed again');
    this.last = '';
  }
}

/** The wait between two polls of a feed: `wake` ends it at once (a stop must not wait out the interval). */
export class Nap {
  private wakeUp: (() => void) | null = null;

  /** `sleep`: a test's own wait (then `wake` has nothing to cut short). */
  constructor(private readonly sleep?: (ms: number) => Promise<void>) {}

  for(ms: number): Promise<void> {
    if (this.sleep) return this.sleep(ms);
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}
