// What a live session is made of, and what its start and steps report (accountSession.ts).
import type { Logger } from 'pino';
import type { OrderGateway } from '../brokers/brokerPort.ts';
import type { WardenConfig } from '../config/schema.ts';
import type { Instrument, Timeframe } from '../domain/types.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import type { WardenStore } from '../store/store.ts';
import type { SettledIntent } from './intentExecutor.ts';
import type { EndedLifetime } from './positionLifetimes.ts';
import type { ShadowBook } from './shadowBook.ts';
import type { StoreClaimant } from './storeClaim.ts';
import type { SyncReport } from './venueSync.ts';

export interface AccountSessionOptions {
  config: WardenConfig;
  /** Timeframe of the bars fed to `onBar`. */
  baseTimeframe: Timeframe;
  instruments: readonly Instrument[];
  broker: OrderGateway;
  store: WardenStore;
  /** The session's clock (epoch ms): journal stamps, breakers, feed staleness. The engine runs on the bars' time. */
  clock: () => number;
  /** The wall clock, when `clock` is a played market's time: stamps the health report (default `clock`). */
  wallClock?: () => number;
  /** Waits between retries; default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Waits between tries of a store that cannot be written; default a real timer (which close() cuts short). */
  storeSleep?: (ms: number) => Promise<void>;
  log?: Logger;
  /** Called with each decision record once it is stored (notifications, live views). */
  onDecision?: (r: DecisionRecord) => void;
  /**
   * Saves what must stay in step with the session's state, inside each of its transactions (the
   * embedded paper account, which is the venue: after a crash both restart from the same instant).
   */
  alongside?: (store: WardenStore) => void;
  /**
   * Shadow mode: the symbols it shadows are decided on and nothing is sent for them; every intent is
   * applied to this book's would-be positions instead, which the engine then sees (shadowBook.ts).
   */
  shadow?: ShadowBook;
  /** This process, to keep a second one off the store (default: the real pid and host). */
  owner?: StoreClaimant;
  /**
   * A shared store's account lease was taken over by another session (this one missed its renewals:
   * paused, cut off from the database): nothing more is journaled, so nothing more is sent. Called
   * once; the service stops then.
   */
  onLeaseLost?: (message: string) => void;
  /**
   * Called with each lifetime the venue closed, once its end is stored (a closed trade is made of it).
   * It must neither throw nor wait: the step goes on.
   */
  onLifetimeEnded?: (ended: EndedLifetime) => void;
}

/** What the start found and did. Positions are named by their lifetime key (`<ticket>#<n>`). */
export interface StartReport extends SyncReport {
  /** Positions restored from the store with their plans and DTMS state. */
  restored: number;
  /** Managed positions the broker no longer has (closed while Warden was away, or their ticket holds another position now). */
  closedWhileAway: string[];
}

/** What one market step did. */
export interface StepReport {
  /** The step's intents, settled (or left unknown while the venue could not be read). */
  intents: SettledIntent[];
  /** The symbol's features were held (breaker open, or this bar failed). */
  featuresHeld: boolean;
  /** Why this bar was refused, '' when it was taken. */
  barProblem: string;
}

/** What one quote step did. */
export interface QuoteStepReport {
  /** The step's intents, settled (or left unknown while the venue could not be read). */
  intents: SettledIntent[];
  /** The symbol's features are held by its circuit breaker: decided with the last good values. */
  featuresHeld: boolean;
  /** Why the quote was not stepped on ('' when it was): see quoteSkip. */
  skipped: string;
}

/** How far a market loop is behind: the wall-clock time its oldest waiting bar has waited, and how many wait. */
export interface EngineLag {
  lagMs: number;
  barsBehind: number;
}
