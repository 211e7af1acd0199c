// The one execution path: every intent the engine decides, live, on the demo or in replay, goes
// through here, so that none is ever applied twice and none is lost:
//   - journal first: an intent is in the journal (`pending`) before its request leaves; an id already
//     in the journal (another decision's) is never sent again;
//   - single flight: one request in flight per position; a second intent for the position waits for
//     the first one's answer;
//   - retries: only for a refusal the venue calls retryable, with backoff (retryPolicy.ts);
//   - the answer is journaled: applied, rejected, or unknown (a timeout, a dropped connection, an
//     adapter error); then the engine is told (`executeStep`): an applied or refused answer resolves
//     its pending intent, and an unknown one is reconciled from the venue's positions before anything
//     else is decided for its position.
// What differs between a live account, the demo and replay is only what is plugged in: the venue (an
// OrderGateway: a real one over the network; the paper broker, which answers at once, driven without a
// promise per request by `executeStepNow`), the journal (the store, or memory for a run that keeps
// none), the retry policy (replay sends once: a refused request is decided afresh at the next bar) and
// whether a step's intents go out together (live: one in flight per position) or one after the other
// (replay and the demo: the same order every run). Measured on a million-bar replay: a promise per
// request and a journal that kept every id made replay 10-20% slower; without them it is within the
// machine's noise (about 2%) of the code before the one path.
import type { Logger } from 'pino';
import type { BrokerAnswer } from '../brokers/brokerAnswer.ts';
import type { OrderGateway } from '../brokers/brokerPort.ts';
import type { Intent, Position } from '../domain/types.ts';
import type { Reconciled } from '../engine/brokerView.ts';
import type { IntentOutcome } from '../exits/exitPlan.ts';
import type { IntentAnswer, IntentStatus, WardenStore } from '../store/store.ts';
import { retryDelay, type RetryPolicy } from './retryPolicy.ts';

export interface ExecutionResult {
  intent: Intent;
  outcome: IntentAnswer | 'pending';
  /** The broker's last answer (null: not sent by this call, see `duplicate`). */
  answer: BrokerAnswer | null;
  /** Requests sent by this call. */
  sends: number;
  /** The id was in the journal already (another decision's): nothing was sent. */
  duplicate: boolean;
  /** The broker's code and reason, or what the journal says. */
  code: string | null;
  reason: string;
}

/** An executed intent, settled with the engine. */
export interface SettledIntent extends ExecutionResult {
  /** Applied or rejected, after reconciliation for an unknown answer; 'unknown' while the venue's positions could not be read. */
  settled: IntentOutcome | 'unknown';
  /** By the venue's answer, or by its positions after an unknown answer (or not yet). */
  how: 'answer' | 'reconciled' | 'unsettled';
  /** The ticket an open created ('' otherwise). */
  openedId: string;
}

/**
 * Where intents are journaled: the store (a live account), or memory (replay, the demo). The executor
 * reads back only an id's status and the venue's code.
 */
export type IntentJournal = Pick<WardenStore, 'recordIntent' | 'markIntent'> & {
  intent(id: string): { status: IntentStatus; code: string | null } | null;
};

/**
 * A journal in memory, for runs that keep no store: the same rules as the store's (an id journaled
 * once, a final answer never changed), so the executor behaves the same everywhere. It keeps each
 * id's status and code, not the intent (a long replay journals tens of thousands).
 */
export class MemoryJournal implements IntentJournal {
  private readonly rows = new Map<string, { status: IntentStatus; code: string | null }>();

  /**
   * `forgetSettled`: an intent applied or refused leaves the journal (replay and the demo, whose ids
   * can never come back: a ticket, a rule and an episode are never reused within a run); a run of a
   * million bars then holds only what is in flight.
   */
  constructor(private readonly options: { forgetSettled?: boolean } = {}) {}

  recordIntent(intent: Intent): void {
    if (this.rows.has(intent.id))
      throw new Error(`intent ${intent.id} is already in the journal: refusing to record it twice`);
    this.rows.set(intent.id, { status: 'pending', code: null });
  }

  markIntent(id: string, status: IntentAnswer, code: string | null): boolean {
    const row = this.rows.get(id);
    if (row === undefined) throw new Error(`intent ${id} is not in the journal: an answer for it cannot be recorded`);
    if (row.status === 'applied' || row.status === 'rejected') {
      if (row.status === status) return false;
      throw new Error(`intent ${id} is already ${row.status}: refusing to mark it ${status}`);
    }
    row.status = status;
    row.code = code;
    if (this.options.forgetSettled === true && status !== 'unknown') this.rows.delete(id);
    return true;
  }

  intent(id: string): { status: IntentStatus; code: string | null } | null {
    return this.rows.get(id) ?? null;
  }
}

/** What the executor settles answers with: the engine. */
export interface SettlingEngine {
  resolve(positionId: string, intentId: string, outcome: IntentOutcome, openedId?: string, refusal?: string): boolean;
  reconcile(positionId: string, positions: readonly Position[]): Reconciled | null;
}

/** A venue that answers at once, without I/O (the paper broker): what `executeStepNow` drives. */
export interface ImmediateVenue {
  sendNow(intent: Intent): BrokerAnswer;
  /** Its positions as the engine knows them. */
  positionsNow(): readonly Position[];
}

export interface StepOptions {
  /** The venue's positions as the engine knows them (a live session maps them to lifetime keys). Throws when unreadable. */
  readPositions: () => Promise<readonly Position[]>;
  /** Called with each intent as soon as it is settled (or left unsettled), in the intents' order. */
  onSettled?: (s: SettledIntent) => void;
}

export interface IntentExecutorOptions {
  retry: RetryPolicy;
  /** The clock for journal stamps (epoch ms). */
  clock: () => number;
  /** Waits between retries (tests pass one that only counts). */
  sleep: (ms: number) => Promise<void>;
  log?: Logger;
}

export class IntentExecutor {
  /** Journaled by this executor and not sent yet. */
  private readonly journaled = new Set<string>();
  /** The tail of each position's chain of requests. */
  private readonly flights = new Map<string, Promise<unknown>>();

  constructor(
    private readonly broker: OrderGateway,
    private readonly store: IntentJournal,
    private readonly options: IntentExecutorOptions,
  ) {}

  /**
   * Journals an intent as pending, before it is sent (call it inside the transaction that saves the
   * decision's state, so the two are kept together or not at all). Refuses an id already journaled.
   */
  journal(intent: Intent): void {
    this.store.recordIntent(intent, this.options.clock());
    this.journaled.add(intent.id);
  }

  /** Forgets that `journal` was called for these (the transaction that journaled them did not commit). */
  unjournal(ids: readonly string[]): void {
    for (const id of ids) this.journaled.delete(id);
  }

  /**
   * Sends a journaled intent (journaling it first when the caller has not), after the position's
   * previous request has its answer. Resolves with the final journal status, or 'unknown'.
   */
  execute(intent: Intent): Promise<SettledIntent> {
    const key = intent.positionId;
    const prev = this.flights.get(key) ?? Promise.resolve();
    const run = prev.then(
      () => this.run(intent),
      () => this.run(intent),
    );
    this.flights.set(key, run);
    void run.finally(() => {
      if (this.flights.get(key) === run) this.flights.delete(key);
    });
    return run;
  }

  /** Records reconciliation's verdict on an unknown (or pending) intent. */
  settle(intentId: string, outcome: 'applied' | 'rejected', reason: string): void {
    const code = this.store.intent(intentId)?.code ?? null;
    this.store.markIntent(intentId, outcome, code, reason, this.options.clock());
  }

  /**
   * Sends a step's intents and settles each with the engine (see the header). Returns them settled,
   * in the order given. An unknown answer whose venue cannot be read stays unknown in the journal
   * and the engine (how: 'unsettled'): the caller settles it when the positions can be read.
   */
  async executeStep(intents: readonly Intent[], engine: SettlingEngine, o: StepOptions): Promise<SettledIntent[]> {
    // Each result is settled in place, so `results` stays in the intents' order.
    const results = await Promise.all(intents.map((it) => this.execute(it)));
    const unknown: SettledIntent[] = [];
    for (const r of results) {
      if (r.outcome === 'unknown' || r.outcome === 'pending') unknown.push(r);
      else this.settleAnswer(r, engine);
    }
    if (unknown.length > 0) await this.reconcileUnknown(unknown, engine, o.readPositions);
    if (o.onSettled) for (const s of results) o.onSettled(s);
    return results;
  }

  /**
   * `executeStep` for a venue that answers at once (the paper broker: replay, the demo), one intent
   * at a time in the order given: the same journal, answers, settlement and reconciliation, with no
   * promise per request (a replay sends hundreds of thousands). Needs a policy that sends once.
   */
  executeStepNow(
    intents: readonly Intent[],
    engine: SettlingEngine,
    venue: ImmediateVenue,
    onSettled?: (s: SettledIntent) => void,
  ): SettledIntent[] {
    if (this.options.retry.maxSends !== 1)
      throw new Error('IntentExecutor.executeStepNow: only with a policy that sends once (no waiting between sends)');
    const out: SettledIntent[] = [];
    for (const it of intents) {
      const r = this.runNow(it, venue.sendNow);
      if (r.outcome === 'unknown') this.reconcileWith([r], engine, venue.positionsNow());
      else this.settleAnswer(r, engine);
      out.push(r);
      onSettled?.(r);
    }
    return out;
  }

  /** An applied or refused answer resolves the engine's pending intent (the result is completed in place: a replay settles hundreds of thousands). */
  private settleAnswer(r: SettledIntent, engine: SettlingEngine): SettledIntent {
    const it = r.intent;
    const a = r.answer;
    r.how = 'answer';
    if (r.outcome === 'applied') {
      r.openedId = it.kind === 'open' && a?.outcome === 'applied' ? a.positionId : '';
      r.settled = 'applied';
      engine.resolve(it.positionId, it.id, 'applied', r.openedId);
      return r;
    }
    r.settled = 'rejected';
    engine.resolve(it.positionId, it.id, 'rejected', '', r.reason);
    return r;
  }

  /** Unknown answers: the venue's positions tell whether each took effect (left unsettled when they cannot be read). */
  private async reconcileUnknown(
    unknown: readonly SettledIntent[],
    engine: SettlingEngine,
    readPositions: () => Promise<readonly Position[]>,
  ): Promise<void> {
    let positions: readonly Position[];
    try {
      positions = await readPositions();
    } catch (err) {
      this.options.log?.warn(
        { intents: unknown.map((r) => r.intent.id), error: err instanceof Error ? err.message : String(err) },
        'cannot read the positions to reconcile: the intents stay unknown until they can be read',
      );
      return;
    }
    this.reconcileWith(unknown, engine, positions);
  }

  /** Settles unknown answers from the venue's positions (completed in place). */
  private reconcileWith(
    unknown: readonly SettledIntent[],
    engine: SettlingEngine,
    positions: readonly Position[],
  ): void {
    for (const r of unknown) {
      const found = engine.reconcile(r.intent.positionId, positions);
      if (found === null) continue;
      const reason =
        found.outcome === 'applied'
          ? "reconciled: the venue's positions show it took effect"
          : "reconciled: the venue's positions show no effect; decided afresh";
      this.settle(r.intent.id, found.outcome, reason);
      r.settled = found.outcome;
      r.how = 'reconciled';
      r.openedId = found.openedId;
    }
  }

  /** Sends one intent until it has an answer (the result is settled with the engine by the caller, in place). */
  private async run(intent: Intent): Promise<SettledIntent> {
    const duplicate = this.begin(intent);
    if (duplicate !== null) return duplicate;
    for (let sends = 1; ; sends++) {
      let answer: BrokerAnswer;
      try {
        answer = await this.broker.send(intent);
      } catch (err) {
        answer = this.thrown(err);
      }
      const next = this.answered(intent, answer, sends);
      if (typeof next !== 'number') return next;
      await this.options.sleep(next);
    }
  }

  /**
   * `run` for a venue that answers at once (`sendNow`): the same journal and the same handling of the
   * answer, without a promise per request. Only with a policy that sends once (there is no waiting
   * between sends here).
   */
  private runNow(intent: Intent, sendNow: (intent: Intent) => BrokerAnswer): SettledIntent {
    const duplicate = this.begin(intent);
    if (duplicate !== null) return duplicate;
    let answer: BrokerAnswer;
    try {
      answer = sendNow(intent);
    } catch (err) {
      answer = this.thrown(err);
    }
    const next = this.answered(intent, answer, 1);
    if (typeof next === 'number')
      throw new Error('IntentExecutor: a venue answering at once is driven only with a policy that sends once');
    return next;
  }

  /** Journals the intent before its first send; another decision's row under its id: the refusal to return. */
  private begin(intent: Intent): SettledIntent | null {
    if (this.journaled.delete(intent.id)) return null;
    const prior = this.store.intent(intent.id);
    if (prior !== null) {
      // Another decision's row: this one is not sent, and the row does not settle it.
      const reason = `intent id ${intent.id} is already in the journal (${prior.status}): another decision's; not sent`;
      this.options.log?.warn({ intent: intent.id, status: prior.status }, 'intent id already in the journal: not sent');
      return {
        intent,
        outcome: 'rejected',
        answer: null,
        sends: 0,
        duplicate: true,
        code: null,
        reason,
        settled: 'unknown',
        how: 'unsettled',
        openedId: '',
      };
    }
    this.store.recordIntent(intent, this.options.clock());
    return null;
  }

  /** An adapter that threw: the request may have reached the venue, only its positions can tell. */
  private thrown(err: unknown): BrokerAnswer {
    return {
      outcome: 'unknown',
      code: 0,
      reason: `${this.broker.name}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }

  /** The venue's answer to send number `sends`, journaled: the result, or the wait before sending again. */
  private answered(intent: Intent, answer: BrokerAnswer, sends: number): SettledIntent | number {
    const code = String(answer.code);
    if (answer.outcome === 'applied') {
      const reason = sends > 1 ? `applied at send ${sends}` : 'applied';
      // The price a close, partial close or open was filled at, as the venue answered it: what Warden's
      // realized profit is counted from (a stop move's answer is the market's price, not a fill).
      const fill = intent.kind === 'move_stop' ? undefined : answer.price;
      this.store.markIntent(intent.id, 'applied', code, reason, this.options.clock(), fill);
      return {
        intent,
        outcome: 'applied',
        answer,
        sends,
        duplicate: false,
        code,
        reason,
        settled: 'unknown',
        how: 'unsettled',
        openedId: '',
      };
    }
    if (answer.outcome === 'unknown') {
      this.store.markIntent(intent.id, 'unknown', code, answer.reason, this.options.clock());
      this.options.log?.warn(
        { intent: intent.id, code: answer.code, reason: answer.reason },
        'intent outcome unknown: reconciling with the broker',
      );
      return {
        intent,
        outcome: 'unknown',
        answer,
        sends,
        duplicate: false,
        code,
        reason: answer.reason,
        settled: 'unknown',
        how: 'unsettled',
        openedId: '',
      };
    }
    const wait = retryDelay(this.options.retry, answer, sends);
    if (wait === null) {
      const reason = `${answer.reason}${answer.retryable ? ' (retryable)' : ''}${sends > 1 ? ` (after ${sends} sends)` : ''}`;
      this.store.markIntent(intent.id, 'rejected', code, reason, this.options.clock());
      return {
        intent,
        outcome: 'rejected',
        answer,
        sends,
        duplicate: false,
        code,
        reason,
        settled: 'unknown',
        how: 'unsettled',
        openedId: '',
      };
    }
    this.options.log?.info(
      { intent: intent.id, code: answer.code, reason: answer.reason, waitMs: wait, send: sends },
      'retryable refusal: sending again',
    );
    return wait;
  }
}
