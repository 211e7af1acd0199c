// Warden's HTTP server: one server, one port, relative URLs (the original's pages fetched from the
// wrong port). Every answer is JSON with a proper status: 400 with a message for a malformed request,
// 401 without the token on a mutating endpoint, 404 for an unknown ticket, 429 past the rate limit,
// 500 without internals. Requests and responses go through zod schemas, which also make /openapi.json.
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import type { AccountSession } from '../execution/accountSession.ts';
import type { HealthReport } from '../execution/health.ts';
import type { WardenStore } from '../store/store.ts';
import {
  barSchema,
  decisionSchema,
  dtmsEngineSchema,
  stopPathSchema,
  symbolParams,
  dtmsStatusSchema,
  dtmsTradeSchema,
  errorSchema,
  exitsSwitchSchema,
  healthSchema,
  limitQuery,
  positionSchema,
  ticketParams,
} from './apiSchemas.ts';
import { registerDashboard } from './dashboard.ts';
import type { EventHub } from './eventHub.ts';
import { registerPlanRoutes } from './planRoutes.ts';
import { dtmsStatusView, dtmsTradeView, positionViewOfTicket, positionViews } from './views.ts';
import { ticketOfKey } from '../domain/lifetime.ts';

export interface ServerOptions {
  session: AccountSession;
  store: WardenStore;
  /** Bearer token for the mutating endpoints. */
  token: string;
  log: Logger;
  version: string;
  /** Requests per minute per client address. */
  rateLimitPerMinute?: number;
  /** Extra lines for /metrics (the engine loop's counters). */
  metrics?: () => Record<string, number>;
  /** Live updates for /api/events (server-sent events). */
  hub?: EventHub;
  /** Recent closed bars of a symbol, oldest first (the price chart); undefined for an unknown symbol. */
  recentBars?: (symbol: string, limit: number) => { time: number; open: number; high: number; low: number; close: number }[] | undefined;
}

/** A stream whose socket buffer holds more than this is too slow: it is closed. */
const SSE_MAX_BUFFERED = 1 << 20;

const iso = (t: number): string | null => (Number.isFinite(t) ? new Date(t).toISOString() : null);
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

function decisionJson(r: DecisionRecord) {
  return {
    time: iso(r.time) ?? '',
    positionId: ticketOfKey(r.positionId),
    lifetime: r.positionId,
    symbol: r.symbol,
    rule: r.rule,
    outcome: r.outcome,
    reason: r.reason,
    intentId: r.intentId,
    oldSl: num(r.oldSl),
    newSl: num(r.newSl),
    volume: num(r.volume),
    price: num(r.price),
    dtmsState: r.dtmsState,
    score: num(r.score),
    note: r.note,
  };
}

function healthJson(h: HealthReport) {
  return {
    status: h.status,
    reasons: h.reasons,
    at: iso(h.at) ?? '',
    positions: h.positions,
    hedges: h.hedges,
    breakers: h.breakers.map((b) => ({ symbol: b.symbol, failures: b.failures, reopensAt: iso(b.reopensAt) ?? '', lastError: b.lastError })),
    feeds: h.feeds.map((f) => ({ symbol: f.symbol, lastBarAt: iso(f.lastBarAt), stale: f.stale })),
    unresolvedIntents: h.unresolvedIntents.map((i) => ({ id: i.id, positionId: i.positionId, status: i.status })),
    recentRejections: h.recentRejections.map((i) => ({ id: i.id, positionId: i.positionId, code: i.code, reason: i.reason })),
  };
}

/** Same-length digests, so the comparison takes the same time whatever the token sent. */
function tokenMatches(sent: string, expected: string): boolean {
  const a = createHash('sha256').update(sent).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export async function buildServer(o: ServerOptions) {
  const app = Fastify({ loggerInstance: o.log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 64 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err: unknown, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      const where = first?.instancePath ? `${err.validationContext ?? 'request'}${first.instancePath.replaceAll('/', '.')}` : (err.validationContext ?? 'request');
      return reply.code(400).send({ error: 'bad_request', message: `${where}: ${first?.message ?? 'invalid'}` });
    }
    const status = typeof err === 'object' && err !== null && 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const message = err instanceof Error ? err.message : 'bad request';
      return reply.code(status).send({ error: status === 429 ? 'rate_limited' : 'bad_request', message });
    }
    req.log.error({ err, url: req.url }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error (see the server log)' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  await app.register(fastifyRateLimit, {
    max: o.rateLimitPerMinute ?? 1200,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: 'rate_limited', message: `more than ${ctx.max} requests a minute; retry in ${Math.ceil(ctx.ttl / 1000)} s` }),
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Warden', description: 'Exits of open trading positions: breakeven, partial profits, ATR trailing, and DTMS defence.', version: o.version },
      servers: [],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const requireToken = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const h = req.headers.authorization ?? '';
    const sent = h.startsWith('Bearer ') ? h.slice(7).trim() : '';
    if (sent === '' || !tokenMatches(sent, o.token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: sent === '' ? 'this endpoint needs the API token: Authorization: Bearer <token>' : 'the API token is not valid' });
    }
  };
  const notFound = (reply: FastifyReply, ticket: string) => {
    reply.code(404);
    return { error: 'not_found', message: `no position ${ticket} under management` };
  };

  const api = app.withTypeProvider<ZodTypeProvider>();
  const { session, store } = o;

  api.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  api.get('/api/health', { schema: { operationId: 'getHealth', summary: 'healthy / degraded / idle with the reasons (503 when degraded)', response: { 200: healthSchema, 503: healthSchema } } }, (_req, reply) => {
    const h = session.health();
    reply.code(h.status === 'degraded' ? 503 : 200);
    return healthJson(h);
  });

  api.get('/api/positions', { schema: { operationId: 'listPositions', summary: 'open positions under management with their exit plan and DTMS state', response: { 200: z.array(positionSchema) } } }, () => positionViews(session));

  api.get(
    '/api/positions/:ticket',
    { schema: { operationId: 'getPosition', summary: 'one position with its exit plan and DTMS state', params: ticketParams, response: { 200: positionSchema, 404: errorSchema } } },
    (req, reply) => {
      const v = positionViewOfTicket(session, req.params.ticket);
      return v === null ? notFound(reply, req.params.ticket) : v;
    },
  );

  api.get(
    '/api/positions/:ticket/decisions',
    {
      schema: {
        operationId: 'positionHistory',
        summary: "a ticket's decisions, oldest first, with their reasons; each names its lifetime (a ticket the venue reused for a later position has one history per lifetime)",
        params: ticketParams,
        querystring: limitQuery,
        response: { 200: z.array(decisionSchema), 404: errorSchema },
      },
    },
    (req, reply) => {
      const t = req.params.ticket;
      // The bare ticket: the rows of a store older than lifetimes.
      const keys = [t, ...store.lifetimesOf(t).map((l) => l.key)];
      const records = store.decisionsOf(keys, req.query.limit);
      if (records.length === 0 && session.managedKey(t) === undefined) return notFound(reply, t);
      return records.map(decisionJson);
    },
  );

  api.get('/api/decisions/recent', { schema: { operationId: 'recentDecisions', summary: 'the latest decisions of every position, oldest first', querystring: limitQuery, response: { 200: z.array(decisionSchema) } } }, (req) =>
    store.recentDecisions(req.query.limit).map(decisionJson),
  );

  for (const enabled of [true, false]) {
    api.post(
      `/api/positions/:ticket/exits/${enabled ? 'enable' : 'disable'}`,
      {
        preHandler: requireToken,
        schema: {
          operationId: enabled ? 'enableExits' : 'disableExits',
          summary: enabled ? "turn a position's intelligent exits on" : "turn a position's intelligent exits off (DTMS keeps defending it)",
          security: [{ bearer: [] }],
          params: ticketParams,
          response: { 200: exitsSwitchSchema, 401: errorSchema, 404: errorSchema },
        },
      },
      async (req, reply) => {
        const t = req.params.ticket;
        const done = await session.act(() => {
          const key = session.managedKey(t);
          const plan = key === undefined ? undefined : session.engine.plan(key);
          if (!plan) return false;
          plan.enabled = enabled;
          return true;
        });
        if (!done) return notFound(reply, t);
        req.log.info({ ticket: t, enabled }, 'intelligent exits switched through the API');
        return { ticket: t, enabled };
      },
    );
  }

  registerPlanRoutes(app, { session, store, requireToken });

  api.get(
    '/api/dtms/trade/:ticket',
    { schema: { operationId: 'getDtmsTrade', summary: "a trade's DTMS state, score, warnings and actions (the seed's JSON)", params: ticketParams, response: { 200: dtmsTradeSchema, 404: errorSchema } } },
    (req, reply) => {
      const v = dtmsTradeView(session, store, req.params.ticket);
      return v === null ? notFound(reply, req.params.ticket) : v;
    },
  );

  api.get(
    '/api/positions/:ticket/stops',
    { schema: { operationId: 'stopPath', summary: "a position's stop over time: the initial stop, then every applied move", params: ticketParams, response: { 200: stopPathSchema, 404: errorSchema } } },
    (req, reply) => {
      const t = req.params.ticket;
      const key = session.managedKey(t);
      const plan = key === undefined ? undefined : session.engine.plan(key);
      const pos = key === undefined ? undefined : session.engine.position(key);
      if (key === undefined || !plan || !pos) return notFound(reply, t);
      const stops: { time: number; sl: number; by: string }[] = [];
      if (Number.isFinite(plan.initialSl)) stops.push({ time: pos.openTime, sl: plan.initialSl, by: 'initial' });
      for (const i of store.intentsFor(key)) {
        if (i.status === 'applied' && i.intent.kind === 'move_stop' && i.intent.targetId === plan.ticket) stops.push({ time: i.intent.time, sl: i.intent.newSl, by: i.intent.rule === 'dtms' ? i.intent.action : i.intent.rule });
      }
      return { ticket: t, symbol: pos.symbol, side: pos.side, entry: pos.entryPrice, openTime: pos.openTime, tp: pos.tp, stops };
    },
  );

  api.get(
    '/api/market/:symbol/bars',
    { schema: { operationId: 'recentBars', summary: 'recent closed M1 bars of a symbol, oldest first', params: symbolParams, querystring: limitQuery, response: { 200: z.array(barSchema), 404: errorSchema } } },
    (req, reply) => {
      const bars = o.recentBars?.(req.params.symbol, req.query.limit);
      if (bars === undefined) {
        reply.code(404);
        return { error: 'not_found', message: `no market data for ${req.params.symbol}` };
      }
      return bars;
    },
  );

  api.get('/api/dtms/engine', { schema: { operationId: 'getDtmsEngine', summary: "DTMS's cadence, score thresholds and safety rails, and its counters", response: { 200: dtmsEngineSchema } } }, () => {
    const d = session.engine.config.dtms;
    return {
      enabled: d.enabled,
      deepCheckSec: d.deepCheckSec,
      fastCheckSec: d.fastCheckSec,
      hedgedFastCheckSec: d.hedgedFastCheckSec,
      cooldownSec: d.cooldownSec,
      scores: { ...d.scores },
      rails: { dailyLossLimitPct: d.dailyLossLimitPct, hourlyLossLimitPct: d.hourlyLossLimitPct, maxConsecutiveStops: d.maxConsecutiveStops, spreadSpikeFactor: d.spreadSpikeFactor, staleDataSec: d.staleDataSec },
      deepChecks: session.engine.deepChecks,
      positions: session.engine.openPositions,
      hedges: session.engine.hedgeIds().length,
    };
  });

  api.get('/api/dtms/status', { schema: { operationId: 'getDtmsStatus', summary: 'DTMS over the account: positions per state, hedges, deep checks', response: { 200: dtmsStatusSchema } } }, () => dtmsStatusView(session));

  api.get('/api/dtms/actions', { schema: { operationId: 'getDtmsActions', summary: 'the latest DTMS decisions (transitions, actions, holds)', querystring: limitQuery, response: { 200: z.array(decisionSchema) } } }, (req) =>
    store
      .recentDecisions(Math.min(5000, req.query.limit * 20))
      .filter((r) => r.rule === 'dtms')
      .slice(-req.query.limit)
      .map(decisionJson),
  );

  if (o.hub) {
    const hub = o.hub;
    const streams = new Set<{ destroy(): void }>();
    app.get('/api/events', { schema: { hide: true } }, (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      streams.add(res);
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': connected\n\n');
      const unsubscribe = hub.subscribe((e) => {
        if (res.writableLength > SSE_MAX_BUFFERED) {
          res.destroy();
          return;
        }
        res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
      });
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const end = () => {
        clearInterval(keepAlive);
        unsubscribe();
        streams.delete(res);
      };
      req.raw.on('close', end);
      res.on('close', end);
    });
    app.addHook('preClose', () => {
      // Streams end with the server: a graceful stop does not wait for open pages.
      for (const r of streams) r.destroy();
    });
  }

  app.get('/metrics', { schema: { hide: true } }, (_req, reply) => {
    const h = session.health();
    const lines = [
      '# HELP warden_positions Open positions under management.',
      '# TYPE warden_positions gauge',
      `warden_positions ${h.positions}`,
      '# HELP warden_hedges Open DTMS hedges.',
      '# TYPE warden_hedges gauge',
      `warden_hedges ${h.hedges}`,
      '# HELP warden_health 1 when healthy or idle, 0 when degraded.',
      '# TYPE warden_health gauge',
      `warden_health ${h.status === 'degraded' ? 0 : 1}`,
      '# HELP warden_breakers_open Feature circuit breakers open.',
      '# TYPE warden_breakers_open gauge',
      `warden_breakers_open ${h.breakers.length}`,
      '# HELP warden_unresolved_intents Intents not settled with the broker.',
      '# TYPE warden_unresolved_intents gauge',
      `warden_unresolved_intents ${h.unresolvedIntents.length}`,
      '# HELP warden_decisions_total Decision records stored.',
      '# TYPE warden_decisions_total counter',
      `warden_decisions_total ${store.decisionCount()}`,
      '# HELP warden_dtms_deep_checks_total DTMS deep checks run.',
      '# TYPE warden_dtms_deep_checks_total counter',
      `warden_dtms_deep_checks_total ${session.engine.deepChecks}`,
    ];
    for (const [k, v] of Object.entries(o.metrics?.() ?? {})) lines.push(`# TYPE warden_${k} gauge`, `warden_${k} ${v}`);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${lines.join('\n')}\n`);
  });

  await registerDashboard(app);
  return app;
}
