// Warden's HTTP server: one server, one port, relative URLs (the original's pages fetched from the
// wrong port). Every answer is JSON with a proper status: 400 with a message for a malformed request,
// 401 without the token on a mutating endpoint (before the request, its URL included, is parsed or
// validated), 403 for a request naming another host (see access.ts), 404 for an unknown ticket, 429
// past the rate limit, 500 without internals. Requests and responses go through zod schemas, which
// also make /openapi.json.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AccountSession } from '../execution/accountSession.ts';
import type { WardenStore } from '../store/store.ts';
import {
  barSchema,
  decisionSchema,
  decisionsPageQuery,
  dtmsEngineSchema,
  stopPathSchema,
  symbolParams,
  dtmsStatusSchema,
  dtmsTradeNotFoundSchema,
  dtmsTradeSchema,
  errorSchema,
  exitsSwitchSchema,
  healthSchema,
  limitQuery,
  positionNotFoundSchema,
  positionSchema,
  positionsPageQuery,
  ticketParams,
} from './apiSchemas.ts';
import { registerDashboard } from './dashboard.ts';
import type { EventHub } from './eventHub.ts';
import { registerPlanRoutes } from './planRoutes.ts';
import { registerShadowRoutes } from './shadowRoutes.ts';
import { registerAccountRoutes, type AccountRouteOptions } from './accountRoutes.ts';
import { registerProposalRoutes } from './proposalRoutes.ts';
import type { ProposalBook } from './proposals.ts';
import { registerMcpRoute } from '../mcp/mcpRoute.ts';
import { redactedConfig } from '../config/redact.ts';
import type { AccountRisk } from '../dtms/defensiveMonitor.ts';
import { closedTradePath, registerTradeRoutes } from './tradeRoutes.ts';
import { dtmsDefends, registerDtmsRoutes } from './dtmsRoutes.ts';
import { JournalPages } from './journalPages.ts';
import { LiveViews } from './views.ts';
import { healthJson, linkNext, sendDecisions, sendJson } from './apiReplies.ts';
import { answerErrors } from './errorAnswers.ts';
import { registerEventStream } from './eventStream.ts';
import { registerMetrics } from './metricsRoute.ts';
import { switchExits } from './positionActions.ts';
import { actionNotes } from './actionNotes.ts';
import { requestSource, type HostPolicy } from './access.ts';
import { IN_PROCESS_HEADER, RequestGuards } from './requestGuards.ts';

export interface ServerOptions {
  session: AccountSession;
  store: WardenStore;
  /** Bearer token for the mutating endpoints. */
  token: string;
  log: Logger;
  version: string;
  /** Requests per minute per client address, for callers without the token that are not the dashboard's pages. */
  rateLimitPerMinute?: number;
  /** Requests per minute per client address from the dashboard's pages. */
  pagesRateLimitPerMinute?: number;
  /** Requests per minute bearing the valid token (one bucket, whoever floods the others). */
  tokenRateLimitPerMinute?: number;
  /** The names the server answers to (Host and Origin); default: loopback on 127.0.0.1. */
  hosts?: HostPolicy;
  /** Every /api/ request and /metrics needs the token, reads included (bound beyond loopback). */
  readsNeedToken?: boolean;
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: { cert: Buffer; key: Buffer };
  /** Requests one keep-alive connection may carry (default MAX_REQUESTS_PER_SOCKET). */
  maxRequestsPerSocket?: number;
  /** Extra lines for /metrics (the engine loop's counters). */
  metrics?: () => Record<string, number>;
  /** Live updates for /api/events (server-sent events). */
  hub?: EventHub;
  /** Plan proposals and what-ifs (/api/proposals, /api/positions/{ticket}/what-if); absent: not served. */
  proposals?: ProposalBook;
  /** Serve MCP at /mcp (streamable HTTP, the token on every request). */
  mcp?: boolean;
  /** The account strip's figures (GET /api/account); absent: the route is not served. */
  account?: Omit<AccountRouteOptions, 'session'>;
  /** Recent closed bars of a symbol, oldest first (the price chart); undefined for an unknown symbol. */
  recentBars?: (
    symbol: string,
    limit: number,
  ) => { time: number; open: number; high: number; low: number; close: number }[] | undefined;
}

/** The rails' losses as shown: % to 2 decimals. */
function lossesNow(r: AccountRisk) {
  return {
    dailyLossPct: Math.round(r.dailyLossPct * 100) / 100,
    hourlyLossPct: Math.round(r.hourlyLossPct * 100) / 100,
    consecutiveStops: r.consecutiveStops ?? 0,
  };
}

/** The header the dashboard's pages set on their fetches: their polling is budgeted apart from other callers. */
export { PAGE_HEADER } from './access.ts';

/**
 * Requests one keep-alive connection may carry: the answer to the last says `connection: close` and
 * the server closes it; the client goes on over a new connection. A busy client cannot hold one
 * connection for ever (the idle timeout only ends quiet ones): each of its connections is made again,
 * through the host check and the limits, now and then. A thousand keeps the reconnections rare for the
 * dashboard's polling and the trader's scripts.
 */
export const MAX_REQUESTS_PER_SOCKET = 1000;

/**
 * Idle keep-alive connections are closed after 5 s, a request's headers must arrive within 10 s and the
 * whole request within 30 s (and a connection carries a bounded number of requests, MAX_REQUESTS_PER_SOCKET):
 * a client holding connections open cannot hold the server. No cap on simultaneous connections
 * (server.maxConnections): a connection over it would be refused before its request is read, so the cap
 * could not tell the trader's token-bearing call from a flood and would lock the trader out with the
 * flooder (and each dashboard tab holds its event stream open). The timeouts end idle and slow
 * connections instead. The accounts index's server keeps the same limits.
 */
export const CONNECTION_LIMITS = {
  keepAliveTimeout: 5_000,
  requestTimeout: 30_000,
  connectionTimeout: 30_000,
  http: { headersTimeout: 10_000 },
} as const;

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export async function buildServer(options: ServerOptions) {
  const guards = new RequestGuards(options);

  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Handlers log with the server's own logger: a child per request would run the secret redaction
    // over its bindings on every request (a tenth of a cached read's cost), for a request id no line
    // needs (requests are not logged; the lines that are name the ticket or the URL).
    childLoggerFactory: (logger) => logger,
    bodyLimit: 64 * 1024,
    ...(options.https ? { https: options.https } : {}),
    ...CONNECTION_LIMITS,
    maxRequestsPerSocket: options.maxRequestsPerSocket ?? MAX_REQUESTS_PER_SOCKET,
    // The router's own refusals (a malformed URL, a parameter too long), after the host and token checks.
    frameworkErrors: (err, req, reply) => guards.frameworkRefusal(err, req as FastifyRequest, reply as FastifyReply),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  answerErrors(app);

  await guards.install(app);
  const requireToken = guards.requireToken;
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Warden', description: actionNotes(options.session.engine.config).all, version: options.version },
      servers: [],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // The docs page under a Content-Security-Policy of its own (the plugin hashes its inline script and style).
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });

  const notFound = (reply: FastifyReply, ticket: string) => {
    reply.code(404);
    return { error: 'not_found', message: `no position ${ticket} under management` };
  };

  const api = app.withTypeProvider<ZodTypeProvider>();
  const { session, store } = options;
  const views = new LiveViews(session, store);
  const journal = new JournalPages(store, { head: () => views.journalHead() });

  api.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  api.get(
    '/api/health',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'healthy / degraded / idle with the reasons (503 when degraded)',
        response: { 200: healthSchema, 503: healthSchema },
      },
    },
    (_req, reply) => {
      const h = session.health();
      reply.code(h.status === 'degraded' ? 503 : 200);
      return healthJson(h);
    },
  );

  api.get(
    '/api/positions',
    {
      schema: {
        operationId: 'listPositions',
        summary:
          'open positions under management with their exit plan and DTMS state, by ticket; a full page has a Link header (rel="next") to the next one (after=<last ticket>)',
        querystring: positionsPageQuery,
        response: { 200: z.array(positionSchema) },
      },
    },
    (req, reply) => {
      const { after, limit } = req.query;
      const page = views.positionsPage(after, limit);
      if (page.count === limit && page.last !== null) linkNext(reply, '/api/positions', { after: page.last, limit });
      sendJson(reply, page.json);
    },
  );

  api.get(
    '/api/positions/:ticket',
    {
      schema: {
        operationId: 'getPosition',
        summary: 'one position with its exit plan and DTMS state (404 for a closed one names its closed trades)',
        params: ticketParams,
        response: { 200: positionSchema, 404: positionNotFoundSchema },
      },
    },
    (req, reply) => {
      const t = req.params.ticket;
      const v = views.position(t);
      // A position that closed under management: still 404 (no open position), pointing at its trades.
      if (v === null) {
        if (store.closedTradesOf(t).length === 0) return notFound(reply, t);
        reply.code(404);
        return {
          error: 'not_found',
          message: `position ${t} is closed (no longer under management): its closed trade is at ${closedTradePath(t)}`,
          closed: closedTradePath(t),
        };
      }
      sendJson(reply, v);
      return undefined;
    },
  );

  api.get(
    '/api/positions/:ticket/decisions',
    {
      schema: {
        operationId: 'positionHistory',
        summary:
          'a ticket\'s latest decisions (or those before=<seq>), oldest first, with their reasons; each names its lifetime (a ticket the venue reused for a later position has one history per lifetime); a full page has a Link header (rel="next") to the older one',
        params: ticketParams,
        querystring: decisionsPageQuery,
        response: { 200: z.array(decisionSchema), 404: errorSchema },
      },
    },
    (req, reply) => {
      const t = req.params.ticket;
      const { limit, before } = req.query;
      // The bare ticket: the rows of a store older than lifetimes.
      const ofTicket = () => ({ positionIds: [t, ...store.lifetimesOf(t).map((l) => l.key)] });
      const page = journal.page(`ticket:${t}`, ofTicket, limit, before);
      if (
        page.count === 0 &&
        session.managedKey(t) === undefined &&
        (before === undefined || journal.page(`ticket:${t}`, ofTicket, 1).count === 0)
      )
        return notFound(reply, t);
      sendDecisions(reply, `/api/positions/${encodeURIComponent(t)}/decisions`, page, limit);
      return undefined;
    },
  );

  api.get(
    '/api/decisions/recent',
    {
      schema: {
        operationId: 'recentDecisions',
        summary:
          'the latest decisions of every position (or those before=<seq>), oldest first; a full page has a Link header (rel="next") to the older one',
        querystring: decisionsPageQuery,
        response: { 200: z.array(decisionSchema) },
      },
    },
    (req, reply) =>
      sendDecisions(
        reply,
        '/api/decisions/recent',
        journal.page('all', () => null, req.query.limit, req.query.before),
        req.query.limit,
      ),
  );

  for (const enabled of [true, false]) {
    api.post(
      `/api/positions/:ticket/exits/${enabled ? 'enable' : 'disable'}`,
      {
        onRequest: requireToken,
        schema: {
          operationId: enabled ? 'enableExits' : 'disableExits',
          summary: enabled
            ? "turn a position's intelligent exits on"
            : "turn a position's intelligent exits off (DTMS keeps defending it: the answer says so; .../dtms/disable takes it out of DTMS's hands)",
          ...(enabled ? { description: actionNotes(session.engine.config).breakeven } : {}),
          security: [{ bearer: [] }],
          params: ticketParams,
          response: { 200: exitsSwitchSchema, 401: errorSchema, 404: errorSchema },
        },
      },
      async (req, reply) => {
        const t = req.params.ticket;
        const done = await switchExits(session, t, enabled, requestSource(req.headers));
        if (done === null) return notFound(reply, t);
        // Exits and DTMS are switched apart: the answer says what still acts on the position.
        const defends = dtmsDefends(session, t);
        const message = `intelligent exits ${enabled ? 'on' : 'off'}; ${defends ? (enabled ? 'DTMS defends this position too' : `DTMS still defends this position; POST /api/positions/${t}/dtms/disable to take it out of DTMS's hands`) : 'DTMS does not defend this position'}`;
        req.log.info({ ticket: t, enabled, dtmsDefends: defends }, 'intelligent exits switched through the API');
        return { ticket: t, enabled, dtmsDefends: defends, message };
      },
    );
  }

  registerPlanRoutes(app, { session, store, views, requireToken });
  registerShadowRoutes(app, { session, requireToken });
  registerDtmsRoutes(app, { session, requireToken });
  registerTradeRoutes(app, { store });
  if (options.account) registerAccountRoutes(app, { ...options.account, session });
  if (options.proposals) registerProposalRoutes(app, { book: options.proposals, requireToken });
  if (options.mcp === true)
    registerMcpRoute(app, {
      token: options.token,
      version: options.version,
      requireToken,
      inProcess: { header: IN_PROCESS_HEADER, key: guards.inProcessKey },
    });

  api.get(
    '/api/config',
    {
      onRequest: requireToken,
      schema: {
        operationId: 'getConfig',
        summary: 'the config Warden runs with, the defaults filled in, secrets hidden',
        security: [{ bearer: [] }],
        response: { 200: z.record(z.string(), z.unknown()), 401: errorSchema },
      },
    },
    () => redactedConfig(session.engine.config) as unknown as Record<string, unknown>,
  );

  api.get(
    '/api/dtms/trade/:ticket',
    {
      schema: {
        operationId: 'getDtmsTrade',
        summary: "a trade's DTMS state, score, warnings and actions (the seed's JSON)",
        params: ticketParams,
        response: { 200: dtmsTradeSchema, 404: dtmsTradeNotFoundSchema },
      },
    },
    (req, reply) => {
      const v = views.dtmsTrade(req.params.ticket);
      if (v === null) {
        const message = `no position ${req.params.ticket} under management`;
        reply.code(404);
        return {
          error: 'not_found' as const,
          message,
          success: false as const,
          summary: `Trade ${req.params.ticket} not found`,
          trade_info: null,
        };
      }
      sendJson(reply, v);
      return undefined;
    },
  );

  api.get(
    '/api/positions/:ticket/stops',
    {
      schema: {
        operationId: 'stopPath',
        summary: "a position's stop over time: the initial stop, then every applied move",
        params: ticketParams,
        response: { 200: stopPathSchema, 404: errorSchema },
      },
    },
    (req, reply) => {
      const v = views.stopPath(req.params.ticket);
      if (v === null) return notFound(reply, req.params.ticket);
      sendJson(reply, v);
      return undefined;
    },
  );

  api.get(
    '/api/market/:symbol/bars',
    {
      schema: {
        operationId: 'recentBars',
        summary: 'recent closed M1 bars of a symbol, oldest first',
        params: symbolParams,
        querystring: limitQuery,
        response: { 200: z.array(barSchema), 404: errorSchema },
      },
    },
    (req, reply) => {
      const { symbol } = req.params;
      const { limit } = req.query;
      // A bar comes with each step: the same chart is built once per step, however many pages ask.
      const json = views.memo(`bars:${symbol}:${limit}`, () => {
        const bars = options.recentBars?.(symbol, limit);
        // Bar.time stays epoch ms (the one time of the API that is not ISO): the chart library takes it so.
        return bars === undefined
          ? null
          : Buffer.from(
              JSON.stringify(
                bars.map((b) => ({ time: b.time, open: b.open, high: b.high, low: b.low, close: b.close })),
              ),
            );
      });
      if (json === null) {
        reply.code(404);
        return { error: 'not_found', message: `no market data for ${symbol}` };
      }
      sendJson(reply, json);
      return undefined;
    },
  );

  api.get(
    '/api/dtms/engine',
    {
      schema: {
        operationId: 'getDtmsEngine',
        summary: "DTMS's cadence, score thresholds and safety rails, and its counters",
        response: { 200: dtmsEngineSchema },
      },
    },
    () => {
      const d = session.engine.config.dtms;
      return {
        enabled: d.enabled,
        deepCheckSec: d.deepCheckSec,
        fastCheckSec: d.fastCheckSec,
        hedgedFastCheckSec: d.hedgedFastCheckSec,
        cooldownSec: d.cooldownSec,
        scores: { ...d.scores },
        rails: {
          dailyLossLimitPct: d.dailyLossLimitPct,
          hourlyLossLimitPct: d.hourlyLossLimitPct,
          maxConsecutiveStops: d.maxConsecutiveStops,
          spreadSpikeFactor: d.spreadSpikeFactor,
          staleDataSec: d.staleDataSec,
        },
        losses: lossesNow(session.engine.accountRisk),
        deepChecks: session.engine.deepChecks,
        positions: session.engine.openPositions,
        hedges: session.engine.hedgeIds().length,
      };
    },
  );

  api.get(
    '/api/dtms/status',
    {
      schema: {
        operationId: 'getDtmsStatus',
        summary: 'DTMS over the account: positions per state, hedges, deep checks',
        response: { 200: dtmsStatusSchema },
      },
    },
    () => views.dtmsStatus(),
  );

  api.get(
    '/api/dtms/actions',
    {
      schema: {
        operationId: 'getDtmsActions',
        summary:
          'the latest DTMS decisions (transitions, actions, holds), or those before=<seq>, oldest first; a full page has a Link header (rel="next") to the older one',
        querystring: decisionsPageQuery,
        response: { 200: z.array(decisionSchema) },
      },
    },
    (req, reply) =>
      sendDecisions(
        reply,
        '/api/dtms/actions',
        journal.page('rule:dtms', () => ({ rule: 'dtms' }), req.query.limit, req.query.before),
        req.query.limit,
      ),
  );

  if (options.hub) registerEventStream(app, options.hub);
  registerMetrics(app, {
    session,
    journalHead: () => views.journalHead(),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  await registerDashboard(app);
  return app;
}
