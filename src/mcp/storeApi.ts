// `warden mcp --store FILE`: the tools over a store when no serve runs (read-only): the positions the
// session last stored with their plans, the decision journal and the proposals, read afresh on every
// call, nothing written. What needs a running session (its live views, the account, a what-if, any
// change) answers 503 saying so.
import type { WardenStore } from '../store/store.ts';
import { decisionJson } from '../service/journalPages.ts';
import { proposalJson } from '../service/proposalRoutes.ts';
import type { WardenApiCall } from './wardenMcp.ts';

const STATUSES = ['shadow', 'approved', 'rejected', 'void'] as const;

const NEEDS_SERVE = (what: string) => ({
  status: 503,
  body: {
    error: 'store_only',
    message: `${what} needs a running warden serve: this MCP server reads a store (warden mcp --store), and changes nothing`,
  },
});

/** The store's lifetimes of a ticket (a venue may reuse a ticket: every lifetime under it). */
function keysOf(store: WardenStore, ticket: string): string[] {
  return store.lifetimesOf(ticket).map((l) => l.key);
}

export function storeApi(store: WardenStore): WardenApiCall {
  return (method, path) => {
    const url = new URL(path, 'http://store');
    const limit = Math.min(500, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
    const p = url.pathname;
    if (method !== 'GET') return Promise.resolve(NEEDS_SERVE(`${method} ${p}`));
    if (p === '/api/positions') {
      const plans = new Map(store.plans().map((x) => [x.positionId, x]));
      const body = store.positions().map(({ position: pos }) => {
        const plan = plans.get(pos.id);
        return {
          ticket: pos.ticket ?? pos.id,
          lifetime: pos.id,
          symbol: pos.symbol,
          side: pos.side,
          volume: pos.volume,
          entry: pos.entryPrice,
          sl: pos.sl,
          tp: pos.tp,
          openTime: new Date(pos.openTime).toISOString(),
          exits:
            plan === undefined
              ? null
              : {
                  enabled: plan.enabled,
                  tradeType: plan.tradeType,
                  baseBreakevenPct: plan.baseBreakevenPct,
                  basePartialPct: plan.basePartialPct,
                  partialClosePct: plan.partialClosePct,
                  trailingEnabled: plan.trailingEnabled,
                  trailingActive: plan.trailingActive,
                },
          note: 'as the session last stored it (read from the store: no price, profit or DTMS view without a running serve)',
        };
      });
      return Promise.resolve({ status: 200, body });
    }
    const decisions = /^\/api\/positions\/([^/]+)\/decisions$/.exec(p);
    if (decisions) {
      const keys = keysOf(store, decodeURIComponent(decisions[1]!));
      if (keys.length === 0)
        return Promise.resolve({
          status: 404,
          body: { error: 'not_found', message: `no position ${decodeURIComponent(decisions[1]!)} in the store` },
        });
      return Promise.resolve({
        status: 200,
        body: store.decisionPage({ positionIds: keys }, { limit }).map(decisionJson),
      });
    }
    if (p === '/api/decisions/recent')
      return Promise.resolve({ status: 200, body: store.decisionPage(null, { limit }).map(decisionJson) });
    if (p === '/api/proposals') {
      const asked = url.searchParams.get('status');
      const status = STATUSES.find((s) => s === asked);
      const ticket = url.searchParams.get('ticket');
      const q = {
        limit: Math.min(200, limit),
        ...(status !== undefined ? { status } : {}),
        ...(ticket ? { ticket } : {}),
      };
      return Promise.resolve({ status: 200, body: store.proposals(q).map(proposalJson) });
    }
    const proposal = /^\/api\/proposals\/([^/]+)$/.exec(p);
    if (proposal) {
      const found = store.proposal(decodeURIComponent(proposal[1]!));
      if (found === null)
        return Promise.resolve({
          status: 404,
          body: { error: 'not_found', message: `no proposal ${decodeURIComponent(proposal[1]!)}` },
        });
      return Promise.resolve({
        status: 200,
        body: {
          proposal: proposalJson(found),
          whatIf: null,
          whatIfUnavailable: 'a what-if needs a running warden serve (its recent bars and the live plan)',
        },
      });
    }
    return Promise.resolve(NEEDS_SERVE(`GET ${p}`));
  };
}
