// What a paper request meets before the paper broker runs it, as a trade server would: the audit's
// counts, the market's hours, and the faults.
// - Market closed (a session break): every request is MARKET_CLOSED, not retryable now (the engine
//   decides afresh on a later bar, once the session opens).
// - Faults (optional). Every request draws from the seeded generator before it is validated; with
//   probability `rate` it fails as reject (REJECT, not retryable), requote (REQUOTE, retryable) or
//   timeout (TIMEOUT, outcome unknown; with probability timeoutApplied it took effect anyway, so callers
//   must reconcile from positions()). Same seed + same request sequence = same outcomes. A fault a
//   test injects (failNext) is met instead of the draw: also a rate limit (TOO_MANY_REQUESTS,
//   retryable after a second), or a timeout that did or did not take effect.
// - Request ids: a repeated id is processed like any request (a broker does not deduplicate) but is
//   counted in audit.duplicateIds when the id had already taken effect.
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';
import { FaultDraw } from './paperFaults.ts';
import type { PaperAudit, PaperFaults } from './paperTypes.ts';

export class RequestGate {
  readonly audit: PaperAudit = {
    requests: 0,
    applied: 0,
    duplicateIds: 0,
    loosened: 0,
    overClose: 0,
    faults: { reject: 0, requote: 0, timeout: 0 },
  };
  readonly faults: FaultDraw;
  /** Ids of the requests that took effect, oldest first. */
  readonly appliedIds = new Set<string>();
  marketOpen = true;

  constructor(faults: PaperFaults | undefined) {
    this.faults = new FaultDraw(faults);
  }

  /** Counts the request, draws its fault, runs it, and records its id when it took effect. */
  request(requestId: string, run: () => BrokerAnswer): BrokerAnswer {
    this.audit.requests++;
    if (this.appliedIds.has(requestId)) this.audit.duplicateIds++;
    if (!this.marketOpen)
      return {
        outcome: 'rejected',
        retryable: false,
        code: RETCODE.MARKET_CLOSED,
        reason: 'market closed: no trading until the session opens',
      };
    const forced = this.faults.nextInjected();
    if (forced === 'timeout_applied' || forced === 'timeout_lost') {
      if (forced === 'timeout_applied') this.settle(requestId, run());
      return {
        outcome: 'unknown',
        code: RETCODE.TIMEOUT,
        reason: 'request timed out (injected); reconcile from positions()',
      };
    }
    if (forced === 'rate_limit')
      return {
        outcome: 'rejected',
        retryable: true,
        code: RETCODE.TOO_MANY_REQUESTS,
        reason: 'too many requests (injected)',
        retryAfterMs: 1000,
      };
    const fault = forced ?? this.faults.draw(this.audit);
    if (fault === 'reject')
      return {
        outcome: 'rejected',
        retryable: false,
        code: RETCODE.REJECT,
        reason: 'request rejected (simulated fault)',
      };
    if (fault === 'requote')
      return { outcome: 'rejected', retryable: true, code: RETCODE.REQUOTE, reason: 'requote (simulated fault)' };
    if (fault === 'timeout') {
      // Always drawn, so the sequence of draws does not depend on the book's state.
      const tookEffect = this.faults.timeoutTookEffect();
      if (tookEffect) this.settle(requestId, run());
      return {
        outcome: 'unknown',
        code: RETCODE.TIMEOUT,
        reason: 'request timed out (simulated fault); reconcile from positions()',
      };
    }
    return this.settle(requestId, run());
  }

  /** Forgets the ids of requests but the last `keep`. */
  trimIds(keep: number): void {
    if (this.appliedIds.size <= keep) return;
    let drop = this.appliedIds.size - keep;
    for (const id of this.appliedIds) {
      if (drop-- <= 0) break;
      this.appliedIds.delete(id);
    }
  }

  private settle(requestId: string, answer: BrokerAnswer): BrokerAnswer {
    if (answer.outcome === 'applied') {
      this.audit.applied++;
      this.appliedIds.add(requestId);
    }
    return answer;
  }
}
