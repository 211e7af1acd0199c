// When to send a refused request again: only when the broker says the
// same request may succeed (requote, price changed, off quotes, rate limit), a bounded number of times,
// waiting longer each time (exponential backoff), or as long as the venue asks (rate limits). Invalid
// input (stops, volume), a closed market or a frozen position are never retried: the engine decides
// afresh from the next market event.
import { RETCODE, type BrokerAnswer } from '../brokers/brokerAnswer.ts';

export interface RetryPolicy {
  /** Sends of one intent at most, the first included. */
  maxSends: number;
  /** Wait before the first retry, ms; doubles at each further retry. */
  baseDelayMs: number;
  /** Wait before the first retry after "too many requests" when the venue does not say, ms. */
  rateLimitDelayMs: number;
  /** No wait is longer than this, ms (a venue's Retry-After included). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxSends: 3,
  baseDelayMs: 500,
  rateLimitDelayMs: 2_000,
  maxDelayMs: 10_000,
};

/** The wait before sending again after `answer` to send number `sends` (1-based); null: do not send again. */
export function retryDelay(policy: RetryPolicy, answer: BrokerAnswer, sends: number): number | null {
  if (answer.outcome !== 'rejected' || !answer.retryable || sends >= policy.maxSends) return null;
  if (answer.retryAfterMs !== undefined && Number.isFinite(answer.retryAfterMs))
    return Math.min(Math.max(0, answer.retryAfterMs), policy.maxDelayMs);
  const base = answer.code === RETCODE.TOO_MANY_REQUESTS ? policy.rateLimitDelayMs : policy.baseDelayMs;
  return Math.min(base * 2 ** (sends - 1), policy.maxDelayMs);
}
