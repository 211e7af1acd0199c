// Retries after an unknown answer: an intent id this process sent before and did not see refused is
// looked up before it is sent again. Closes, partial closes and opens: the deals of the time since the
// first attempt (getDealsByTimeRange) are searched for its clientId (an open without one: its comment,
// also among the open positions); found means applied, and nothing is sent. While MetaApi still
// synchronizes the history, or when the search fails, the answer stays unknown. Stop moves are sent
// again: a modify to the same levels answers NO_CHANGES (applied). Ids sent by an earlier process are
// not looked up: the executor's journal never sends those again.
import type { z } from 'zod';
import type { Intent } from '../domain/types.ts';
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';
import { clientIdFor } from './metaApiClientIds.ts';
import { describeError } from './metaApiErrors.ts';
import type { MetaApiGateway } from './metaApiGateway.ts';
import { DEAL_PAGE, DEAL_WINDOW_MS } from './metaApiHistory.ts';
import { dealsSchema, parsed, type ParsedPosition } from './metaApiRecords.ts';

/** Ids remembered for reconciliation. */
const SENT_KEPT = 5000;

/** What was sent in this process, for reconciliation. */
export interface Sent {
  /** First attempt (epoch ms). */
  at: number;
  /** The last answer: a retry of 'unknown' or 'applied' is looked up before it is sent. */
  outcome: 'unknown' | 'applied';
}

/** The requests this process sent that may have taken effect, by intent id (the latest 5,000). */
export class SentRequests {
  private readonly sent = new Map<string, Sent>();

  get(id: string): Sent | undefined {
    return this.sent.get(id);
  }

  has(id: string): boolean {
    return this.sent.has(id);
  }

  remember(id: string, s: Sent): void {
    this.sent.delete(id);
    this.sent.set(id, s);
    if (this.sent.size > SENT_KEPT) this.sent.delete(this.sent.keys().next().value!);
  }
}

/**
 * Whether an earlier attempt of this intent, first sent at `since`, took effect: its deal (by
 * clientId; an open without one by its comment, also among the open positions `held`). Null when not
 * found: send it. `secrets` are kept out of the reasons.
 */
export async function earlierAttempt(
  gw: MetaApiGateway,
  intent: Intent,
  held: ParsedPosition[],
  targetId: string,
  since: number,
  now: () => number,
  secrets: string[],
): Promise<BrokerAnswer | null> {
  const clientId = clientIdFor(intent.id, intent.kind === 'open' ? intent.comment : '');
  const byComment = intent.kind === 'open' && clientId === undefined && intent.comment !== '';
  if (byComment) {
    const open = held.find((p) => p.symbol === intent.symbol && p.comment === intent.comment);
    if (open) return { outcome: 'applied', code: RETCODE.DONE, price: open.openPrice, positionId: open.id };
  }
  if (clientId === undefined && !byComment) return null;
  let deals: z.infer<typeof dealsSchema>;
  try {
    deals = parsed(
      dealsSchema,
      await gw.getDealsByTimeRange(new Date(since - DEAL_WINDOW_MS), new Date(now() + DEAL_WINDOW_MS), 0, DEAL_PAGE),
      'deals',
    );
  } catch (err) {
    return {
      outcome: 'unknown',
      code: RETCODE.CONNECTION,
      reason: `metaapi: an earlier attempt of ${intent.id} may have gone through, and the deals cannot be read: ${describeError(err, secrets)}`,
    };
  }
  const deal = deals.deals.find((d) =>
    clientId !== undefined
      ? d.clientId === clientId
      : d.comment === intent.comment && d.symbol === intent.symbol && d.entryType === 'DEAL_ENTRY_IN',
  );
  if (deal)
    return {
      outcome: 'applied',
      code: RETCODE.DONE,
      price: deal.price ?? Number.NaN,
      positionId: deal.positionId ?? targetId,
    };
  if (deals.synchronizing === true)
    return {
      outcome: 'unknown',
      code: RETCODE.TIMEOUT,
      reason: `metaapi: an earlier attempt of ${intent.id} may have gone through, and MetaApi is still synchronizing the deals`,
    };
  return null;
}
