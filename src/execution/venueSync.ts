// Taking the venue's positions as they are, for a live session: each venue position is a lifetime of
// its ticket (positionLifetimes.ts), managed under the lifetime's key. Fresh SL/TP/volume for the
// managed lifetimes, a new lifetime and plan for a position seen for the first time (from its
// imported legacy rule when there is one), and lifetimes the venue no longer shows end. The intents
// the engine waits on are settled from the journal when the broker had answered, else from the
// venue's positions.
import type { Logger } from 'pino';
import type { Bar, Position } from '../domain/types.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import { planFromLegacy } from '../exits/legacyRule.ts';
import type { WardenStore } from '../store/store.ts';
import type { SessionConsole } from './consoleLines.ts';
import type { IntentHealth } from './health.ts';
import type { IntentExecutor } from './intentExecutor.ts';
import {
  END_GONE,
  endReused,
  PositionLifetimes,
  type EndedLifetime,
  type LifetimeChange,
} from './positionLifetimes.ts';
import { sessionNote } from './sessionNotes.ts';
import type { ShadowBook } from './shadowBook.ts';

/** What a sync found, when it is the start's (positions are named by their lifetime key). */
export interface SyncReport {
  /** Intents the engine was waiting on, and how each was settled. */
  settled: { intentId: string; positionId: string; outcome: 'applied' | 'rejected'; how: 'journal' | 'reconciled' }[];
  /** Positions at the broker seen for the first time (a plan created, or built from an imported legacy rule). */
  adopted: string[];
  fromLegacy: string[];
}

/** The session's parts a sync reads and acts on. */
export interface VenueSyncParts {
  engine: ExitEngine;
  store: WardenStore;
  executor: IntentExecutor;
  lines: SessionConsole;
  shadow: ShadowBook | undefined;
  log: Logger | undefined;
  clock: () => number;
  /** Where the session's own decision records go (stored with the step). */
  record: (r: DecisionRecord) => void;
  /** Refusals of the last minutes (health), added to as intents are settled rejected. */
  rejections: IntentHealth[];
  /** The latest bar stepped per symbol (how a closed position is described). */
  lastBars: ReadonlyMap<string, Bar>;
}

export class VenueSync {
  /** Some intent's outcome is still unknown (the broker could not be read): settle before deciding. */
  unsettled = false;
  /** Legacy rules turned into plans since the last save: deleted with that save. */
  readonly legacyUsed: string[] = [];
  /** Lifetimes the venue closed since the last save: handed on once that save commits. */
  readonly endedAtVenue: EndedLifetime[] = [];
  /** The template a trader named for a position being registered, while it syncs (null: none). */
  strategyAsked: { ticket: string; name: string } | null = null;
  /** Which lifetime each venue position is (made at start, from the store). */
  private lifetimes: PositionLifetimes | null = null;

  constructor(private readonly parts: VenueSyncParts) {}

  /** Reads the lifetimes from the store (at start). */
  start(): void {
    this.lifetimes = new PositionLifetimes(this.parts.store);
  }

  /** The lifetime book (made at start). */
  get book(): PositionLifetimes {
    if (this.lifetimes === null) throw new Error('AccountSession: call start() first');
    return this.lifetimes;
  }

  /** The book, or null before start. */
  get bookIfStarted(): PositionLifetimes | null {
    return this.lifetimes;
  }

  /** A lifetime change as a decision record of its position. */
  recordLifetime(c: LifetimeChange, now: number): void {
    this.parts.record(
      sessionNote(now, c.lifetime.key, c.lifetime.symbol, c.lifetime.side, c.reason, c.note, '', c.lifetime.entryPrice),
    );
  }

  /**
   * The venue's positions with each managed one under its lifetime key (`id` the key, `ticket` the
   * venue's): what the engine's reconciliation compares with. Hedges, positions of other instruments
   * and positions that are not (or no longer) a managed lifetime keep the venue's id.
   */
  asManaged(venue: readonly Position[]): Position[] {
    const engine = this.parts.engine;
    return venue.map((p) => {
      if (engine.isHedge(p.id)) return p;
      const l = this.book.of(p.id);
      return l !== undefined && engine.plan(l.key) !== undefined && this.book.isSame(l, engine.position(l.key), p)
        ? PositionLifetimes.managed(p, l.key)
        : p;
    });
  }

  /**
   * Settles the intents the engine waits on: a final answer in the journal (the broker answered; the
   * process stopped before the engine heard it) is taken as it is; otherwise (pending: perhaps never
   * sent; unknown: timed out) the broker's positions tell whether it took effect.
   */
  settleOutstanding(positions: readonly Position[], when: string, settled: SyncReport['settled']): void {
    // `positions`: the venue's, with the managed ones under their lifetime key (asManaged).
    for (const { positionId, intentId } of this.parts.engine.pendingIntents())
      this.settleOne(positionId, intentId, positions, when, settled);
    this.unsettled = false;
  }

  private settleOne(
    positionId: string,
    intentId: string,
    positions: readonly Position[],
    when: string,
    settled: SyncReport['settled'],
  ): void {
    const { engine, executor, lines } = this.parts;
    const journaled = this.parts.store.intent(intentId);
    if (journaled !== null && (journaled.status === 'applied' || journaled.status === 'rejected')) {
      const it = journaled.intent;
      const opened =
        it.kind === 'open' && journaled.status === 'applied'
          ? (positions.find((p) => p.comment === it.comment && !engine.isHedge(p.id) && engine.plan(p.id) === undefined)
              ?.id ?? '')
          : '';
      engine.resolve(positionId, intentId, journaled.status, opened, journaled.reason);
      settled.push({ intentId, positionId, outcome: journaled.status, how: 'journal' });
      lines.settledLater(it, journaled.status, 'journal', journaled.reason);
      return;
    }
    const outcome = engine.reconcile(positionId, positions)?.outcome ?? null;
    if (outcome === null) return;
    const reason =
      outcome === 'applied'
        ? `reconciled ${when}: the broker's positions show it took effect`
        : `reconciled ${when}: the broker's positions show no effect; decided afresh`;
    if (journaled !== null) {
      executor.settle(intentId, outcome, reason);
      lines.settledLater(journaled.intent, outcome, 'reconciled', reason);
      if (outcome === 'rejected')
        this.parts.rejections.push({
          id: intentId,
          positionId,
          status: 'rejected',
          at: this.parts.clock(),
          code: journaled.code,
          reason,
        });
    } else
      this.parts.log?.warn({ intent: intentId, positionId }, 'an intent the engine waited on is not in the journal');
    settled.push({ intentId, positionId, outcome, how: 'reconciled' });
  }

  /**
   * Takes the broker's positions as they are (see the top of this file); a position leaving a hedge
   * behind hands it to the engine to close. A ticket that holds another position than its lifetime's
   * ends that lifetime and starts a new one: the two never share a plan, a decision or an intent.
   * `report`: the start's (null for a step's sync).
   */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  syncWith(venue: readonly Position[], now: number, report: SyncReport | null): void {
    const { engine, lines, shadow } = this.parts;
    const managed = this.asManaged(venue);
    const present = new Set<string>();
    const fresh: Position[] = [];
    for (let i = 0; i < venue.length; i++) {
      const p = venue[i]!;
      const m = managed[i]!;
      if (engine.isHedge(p.id)) {
        present.add(p.id);
        continue;
      }
      if (engine.instrument(p.symbol) === undefined) continue; // not an instrument this session manages
      if (m !== p) {
        engine.track(m, now);
        present.add(m.id);
      } else fresh.push(p);
    }
    for (const key of engine.positionIds()) {
      if (present.has(key)) continue;
      const plan = engine.plan(key)!;
      // Its pending intent first: a close shows as the absence, a stop move did not happen.
      if (plan.pending)
        this.settleOne(key, plan.pending.id, managed, 'as the position left the venue', report?.settled ?? []);
      const last = { position: engine.position(key), hedgeId: engine.defence(key)?.tracked.hedgeId ?? null };
      engine.untrack(key);
      const reused = fresh.some((p) => p.id === plan.ticket);
      const shadowEnd = reused ? '' : (shadow?.endReason(plan.ticket) ?? '');
      if (last.position !== undefined) {
        const why = reused
          ? endReused(plan.ticket)
          : shadowEnd !== ''
            ? shadowEnd
            : report !== null
              ? 'not at the venue at start (closed while Warden was away)'
              : '';
        lines.closed(last.position, now, this.parts.lastBars.get(last.position.symbol), why);
      }
      const change = this.book.end(
        plan.ticket,
        now,
        reused ? endReused(plan.ticket) : shadowEnd !== '' ? shadowEnd : END_GONE,
      );
      if (change) this.recordLifetime(change, now);
      if (change && shadowEnd === '') this.endedAtVenue.push({ lifetime: change.lifetime, plan, ...last });
    }
    for (const p of fresh) {
      const stale = this.book.of(p.id);
      if (stale !== undefined) {
        const change = this.book.end(p.id, now, endReused(p.id));
        if (change) this.recordLifetime(change, now);
      }
      const { lifetime, changes } = this.book.begin(p, now);
      const m = PositionLifetimes.managed(p, lifetime.key);
      if (this.strategyAsked !== null && this.strategyAsked.ticket === p.id) m.strategyType = this.strategyAsked.name;
      for (const c of changes) this.recordLifetime(c, now);
      const legacy = lifetime.n <= 1 ? this.parts.store.legacyRule(p.id) : null;
      const inst = engine.instrument(p.symbol)!;
      if (legacy !== null && legacy.rule.symbol === p.symbol) {
        engine.restore(m, planFromLegacy(legacy.rule, inst, p.volume, now, lifetime.key), now);
        this.legacyUsed.push(p.id);
        report?.fromLegacy.push(lifetime.key);
      } else engine.track(m, now);
      report?.adopted.push(lifetime.key);
      const plan = engine.plan(lifetime.key);
      if (plan !== undefined)
        lines.adopted(p, lifetime.key, plan, now, legacy !== null && legacy.rule.symbol === p.symbol);
    }
    for (const h of engine.hedgeIds()) {
      if (present.has(h)) continue;
      const parent = engine.hedgedPosition(h);
      lines.hedgeClosed(h, parent === undefined ? undefined : engine.position(parent), now);
      engine.untrack(h);
    }
  }
}
