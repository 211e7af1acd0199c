// How the API's handlers answer: JSON built earlier sent as it is, a page's Link to the next one, and
// the health report in the API's shape.
import type { FastifyReply } from 'fastify';
import type { HealthReport } from '../execution/health.ts';
import type { DecisionsPage } from './journalPages.ts';
import { apiTime } from './views.ts';

/**
 * Sends JSON built earlier (the views and pages kept between changes) as it is. It skips the response
 * schema's validation and serialization, which would redo per request what was built once: the
 * schemas still describe it in /openapi.json, and the tests parse these answers with them.
 */
export function sendJson(reply: FastifyReply, json: string | Buffer): void {
  void reply.type('application/json; charset=utf-8').send(json);
}

/** A full page has a next one (RFC 8288 Link header, relative to the server): the body stays a plain JSON array. */
export function linkNext(reply: FastifyReply, path: string, query: Record<string, string | number>): void {
  const q = new URLSearchParams(Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])));
  reply.header('link', `<${path}?${q.toString()}>; rel="next"`);
}

/** A page of decisions, with the Link to the older page when it is full. */
export function sendDecisions(reply: FastifyReply, path: string, page: DecisionsPage, limit: number): void {
  if (page.count === limit && page.oldestSeq !== null) linkNext(reply, path, { before: page.oldestSeq, limit });
  sendJson(reply, page.json);
}

/** A health report as the API shows it: ISO times, lag in seconds to a tenth. */
export function healthJson(h: HealthReport) {
  return {
    status: h.status,
    reasons: h.reasons,
    at: apiTime(h.at) ?? '',
    positions: h.positions,
    hedges: h.hedges,
    breakers: h.breakers.map((b) => ({
      symbol: b.symbol,
      failures: b.failures,
      reopensAt: apiTime(b.reopensAt) ?? '',
      lastError: b.lastError,
    })),
    feeds: h.feeds.map((f) => ({ symbol: f.symbol, lastBarAt: apiTime(f.lastBarAt), stale: f.stale })),
    features: h.features.map((f) => ({
      symbol: f.symbol,
      featuresReady: f.featuresReady,
      missing: f.missing.map((m) => ({ ...m })),
    })),
    unresolvedIntents: h.unresolvedIntents.map((i) => ({ id: i.id, positionId: i.positionId, status: i.status })),
    recentRejections: h.recentRejections.map((i) => ({
      id: i.id,
      positionId: i.positionId,
      code: i.code,
      reason: i.reason,
    })),
    engine: {
      lagSeconds: Math.round(h.lag.lagMs / 100) / 10,
      barsBehind: h.lag.barsBehind,
      lastStepAt: apiTime(h.lag.lastStepAt),
    },
  };
}
