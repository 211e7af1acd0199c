// A live session's health: its breakers and feeds, features still warming up, intents not settled,
// refusals of the last minutes, the store, the step that failed, the engine's lag and the quote feed's
// problems (health.ts makes the report).
import type { WardenConfig } from '../config/schema.ts';
import type { Instrument } from '../domain/types.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import type { FeatureBreakers } from '../features/featureBreaker.ts';
import type { WardenStore } from '../store/store.ts';
import { assessHealth, REJECTION_WINDOW_MS, type HealthReport, type IntentHealth } from './health.ts';
import type { EngineLag } from './sessionTypes.ts';
import { isStoreOutage, type StoreTrouble } from './storeOutage.ts';

/** The session's parts its health reads. */
export interface SessionHealthParts {
  config: WardenConfig;
  instruments: readonly Instrument[];
  engine: ExitEngine;
  breakers: FeatureBreakers;
  store: WardenStore;
  /** Close time of the last bar folded per symbol. */
  lastBarAt: ReadonlyMap<string, number>;
  clock: () => number;
  /** Stamps the report (default `clock`). */
  wallClock: (() => number) | undefined;
}

export class SessionHealth {
  /** Refusals of the last minutes. */
  readonly rejections: IntentHealth[] = [];
  /** The last step that failed (an error that is not the store's), until a step succeeds. */
  stepFailure: { at: number; message: string } | null = null;
  /** The wall clock at the end of the last completed step (NaN: none yet). */
  lastStepAt = Number.NaN;
  /** How far the market loop feeding this session is behind, when one is plugged in. */
  lagSource: (() => EngineLag) | null = null;
  /** What the quote feed finds wrong with its quotes, when one is plugged in. */
  quoteProblems: (() => string[]) | null = null;
  /** The journal's unsettled intents (the last ones read while the store cannot be read). */
  private unresolved: IntentHealth[] = [];
  private readonly staleAfterMs: number;

  constructor(private readonly parts: SessionHealthParts) {
    this.staleAfterMs = parts.config.execution.staleFeedSec * 1000;
  }

  /** The report now; `storeTrouble`: the store's outage to report (null: none, or not to be said). */
  assess(storeTrouble: StoreTrouble | null): HealthReport {
    const { config, engine, instruments } = this.parts;
    const now = this.parts.clock();
    while (this.rejections.length > 0 && this.rejections[0]!.at < now - REJECTION_WINDOW_MS) this.rejections.shift();
    const problems: string[] = [];
    if (storeTrouble !== null) {
      problems.push(
        `the store cannot be written since ${new Date(storeTrouble.since).toISOString()} (${storeTrouble.reason}; ${storeTrouble.attempts} tries): nothing is decided or sent until it can`,
      );
    }
    if (this.stepFailure !== null)
      problems.push(
        `the last step failed at ${new Date(this.stepFailure.at).toISOString()}: ${this.stepFailure.message}`,
      );
    if (this.quoteProblems !== null) problems.push(...this.quoteProblems());
    const lag = this.lagSource?.() ?? null;
    const maxLagMs = config.execution.maxLagSec * 1000;
    if (lag !== null && lag.lagMs > maxLagMs) {
      problems.push(
        `the engine is ${Math.round(lag.lagMs / 1000)} s behind the market (${lag.barsBehind} bar(s) waiting; limit ${maxLagMs / 1000} s)`,
      );
    }
    return assessHealth({
      now,
      problems,
      lag: { lagMs: lag?.lagMs ?? 0, barsBehind: lag?.barsBehind ?? 0, lastStepAt: this.lastStepAt },
      reportedAt: this.parts.wallClock?.() ?? now,
      positions: engine.openPositions,
      hedges: engine.hedgeIds().length,
      breakers: this.parts.breakers.open(now),
      feeds: instruments.map((i) => ({
        symbol: i.symbol,
        lastBarAt: this.parts.lastBarAt.get(i.symbol) ?? Number.NaN,
        crypto: i.crypto,
      })),
      staleAfterMs: this.staleAfterMs,
      features: instruments.map((i) => ({ symbol: i.symbol, ...engine.readiness(i.symbol) })),
      // Where a rule without data waits (a real account), features still warming up degrade health.
      featuresRequired: config.exits.noDataPasses === false,
      unresolvedIntents: this.unresolvedNow(),
      recentRejections: [...this.rejections],
    });
  }

  private unresolvedNow(): IntentHealth[] {
    try {
      this.unresolved = this.parts.store.unresolvedIntents().map((i) => ({
        id: i.intent.id,
        positionId: i.intent.positionId,
        status: i.status,
        at: i.recordedAt,
        code: i.code,
        reason: i.reason,
      }));
    } catch (err) {
      if (!isStoreOutage(err)) throw err;
    }
    return this.unresolved;
  }
}
