// Holding a market loop between two steps (the API pauses it to act on a consistent book): `pause`
// resolves once the step under way is done, and no step starts until `resume`. Shared by the played
// market's loop and a real account's bar feed.
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
