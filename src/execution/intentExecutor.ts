// Sends intents to the broker so that none is ever applied twice and none is lost (warden.md §5):
//   - journal first: an intent is in the store (`pending`) before its request leaves; an id already
//     in the journal from an earlier life is never sent again (its stored outcome is returned);
//   - single flight: one request in flight per position; a second intent for the position waits for
//     the first one's answer;
//   - retries: only for a refusal the broker calls retryable, with backoff (retryPolicy.ts);
//   - the answer is journaled: applied, rejected, or unknown (a timeout, a dropped connection, an
//     adapter error). Unknown is the caller's to reconcile from the broker's positions (`settle`).
import type { Logger } from 'pino';
import type { BrokerAnswer } from '../brokers/brokerAnswer.ts';
import type { OrderGateway } from '../brokers/brokerPort.ts';
import type { Intent } from '../domain/types.ts';
import type { IntentAnswer, WardenStore } from '../store/store.ts';
import { retryDelay, type RetryPolicy } from './retryPolicy.ts';

export interface ExecutionResult {
  intent: Intent;
  outcome: IntentAnswer | 'pending';
  /** The broker's last answer (null: not sent by this call, see `duplicate`). */
  answer: BrokerAnswer | null;
  /** Requests sent by this call. */
  sends: number;
  /** The id was in the journal already (an earlier run sent or settled it): nothing was sent. */
  duplicate: boolean;
  /** The broker's code and reason, or what the journal says. */
  code: string | null;
  reason: string;
}

export interface IntentExecutorOptions {
  retry: RetryPolicy;
  /** The wall clock for journal stamps (epoch ms). */
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
    private readonly store: WardenStore,
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

  /**
   * Sends a journaled intent (journaling it first when the caller has not), after the position's
   * previous request has its answer. Resolves with the final journal status, or 'unknown'.
   */
  execute(intent: Intent): Promise<ExecutionResult> {
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

  private async run(intent: Intent): Promise<ExecutionResult> {
    if (!this.journaled.delete(intent.id)) {
      const prior = this.store.intent(intent.id);
      if (prior !== null) {
        this.options.log?.warn({ intent: intent.id, status: prior.status }, 'intent already in the journal: not sent again');
        return { intent, outcome: prior.status, answer: null, sends: 0, duplicate: true, code: prior.code, reason: prior.reason };
      }
      this.store.recordIntent(intent, this.options.clock());
    }
    let sends = 0;
    for (;;) {
      sends++;
      let answer: BrokerAnswer;
      try {
        answer = await this.broker.send(intent);
      } catch (err) {
        // The request may have reached the venue: only its positions can tell.
        answer = { outcome: 'unknown', code: 0, reason: `${this.broker.name}: ${err instanceof Error ? err.message : String(err)}` };
      }
      const code = String(answer.code);
      if (answer.outcome === 'applied') {
        const reason = sends > 1 ? `applied at send ${sends}` : 'applied';
        this.store.markIntent(intent.id, 'applied', code, reason, this.options.clock());
        return { intent, outcome: 'applied', answer, sends, duplicate: false, code, reason };
      }
      if (answer.outcome === 'unknown') {
        this.store.markIntent(intent.id, 'unknown', code, answer.reason, this.options.clock());
        this.options.log?.warn({ intent: intent.id, code: answer.code, reason: answer.reason }, 'intent outcome unknown: reconciling with the broker');
        return { intent, outcome: 'unknown', answer, sends, duplicate: false, code, reason: answer.reason };
      }
      const wait = retryDelay(this.options.retry, answer, sends);
      if (wait === null) {
        const reason = sends > 1 ? `${answer.reason} (after ${sends} sends)` : answer.reason;
        this.store.markIntent(intent.id, 'rejected', code, reason, this.options.clock());
        return { intent, outcome: 'rejected', answer, sends, duplicate: false, code, reason };
      }
      this.options.log?.info({ intent: intent.id, code: answer.code, reason: answer.reason, waitMs: wait, send: sends }, 'retryable refusal: sending again');
      await this.options.sleep(wait);
    }
  }
}
