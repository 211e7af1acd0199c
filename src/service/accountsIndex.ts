// The process's accounts index: with an `accounts:` list, `warden serve` runs each account's service
// (dashboard and API) on a port of its own, so the configured service.host/port answers with this one
// server instead: every account of the installation (here, held by another process, free, or failed
// here), filterable, each linking to its own dashboard. It only reads the supervisor's status(); it
// changes nothing, so it has no mutating route.
//
// It is guarded as the accounts' own servers are (requestGuards.ts): the host check (a page of another
// site cannot read the list through DNS rebinding), the rate limits, and, bound beyond loopback, the
// token on every data read: /api/accounts and /healthz. The page and its files hold no data and stay
// open, as the dashboard's do, so a browser can load them and the page asks for the token on its first
// 401 (common.js's getJson), as every dashboard page does.
import { randomBytes } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { HostPolicy } from './access.ts';
import type { AccountState, AccountStatus } from './accountSupervisor.ts';
import { contentSecurityPolicy, PAGES_DIR, pageHandler, readPages } from './dashboard.ts';
import { answerErrors } from './errorAnswers.ts';
import { RequestGuards } from './requestGuards.ts';
import { CONNECTION_LIMITS, MAX_REQUESTS_PER_SOCKET } from './server.ts';

export interface AccountsIndexOptions {
  status: () => AccountStatus[];
  log: Logger;
  version: string;
  /**
   * Bound beyond loopback: every data read (/api/accounts, /healthz) needs this bearer token (the page
   * and its files hold no data and stay open; the page asks for the token). Undefined: reads are open (loopback).
   */
  readToken?: string;
  https?: { cert: Buffer; key: Buffer };
  /** The names the server answers to (Host and Origin), as service.ts gives the accounts' servers; default: loopback on 127.0.0.1. */
  hosts?: HostPolicy;
  /** The wall clock, epoch ms: how long each lease still runs (leaseInSec). Default Date.now. */
  clock?: () => number;
}

/** The page's URLs (the index is the server's front page). */
export const INDEX_PAGE_ROUTES = ['/', '/accounts'] as const;
/** The files the page loads, served under /assets/ as the dashboard serves them (accounts.js imports ./common.js). */
export const INDEX_ASSETS = ['accounts.js', 'common.js', 'dashboard.css', 'favicon.svg'] as const;

const STATES = ['here', 'elsewhere', 'free', 'failed'] as const satisfies readonly AccountState[];
const VENUES = ['paper', 'ccxt', 'metaapi'] as const;
/** `none`: the account has stored no health report yet (its health is null). */
const HEALTHS = ['healthy', 'degraded', 'idle', 'none'] as const;

/**
 * A filter of several values, given once and comma-separated (`state=here,failed`): one parameter the
 * page's URL and a trader's curl both write the same way. A repeated parameter arrives as an array and
 * is refused with a message saying so, rather than silently keeping one of the values.
 */
function listFilter<T extends string>(values: readonly T[], what: string) {
  const known: readonly string[] = values;
  return z
    .string({ error: `give the ${what}s once, comma-separated (e.g. ${values.slice(0, 2).join(',')})` })
    .max(200, 'at most 200 characters')
    .transform((text, ctx): T[] => {
      const picked = [...new Set(text.split(',').map((v) => v.trim().toLowerCase()))].filter((v) => v !== '');
      const unknown = picked.filter((v) => !known.includes(v));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${unknown.map((v) => JSON.stringify(v)).join(', ')} is not a ${what}: one or several of ${values.join(', ')}, comma-separated`,
        });
        return z.NEVER;
      }
      return picked.filter((v): v is T => known.includes(v));
    })
    .optional()
    .describe(`${values.join(' | ')}; several comma-separated: any of them matches`);
}

/** GET /api/accounts's filters; all of them must match. An unknown parameter is refused (a typo must not show everything). */
export const accountsQuery = z.strictObject({
  q: z.string().max(100, 'at most 100 characters').optional().describe("a part of the account's id, any case"),
  state: listFilter(STATES, 'state'),
  venue: listFilter(VENUES, 'venue'),
  health: listFilter(HEALTHS, 'health'),
});
export type AccountsQuery = z.output<typeof accountsQuery>;

const accountJson = z.object({
  account: z.string(),
  state: z.enum(STATES),
  url: z.string().nullable().describe("its dashboard: this process's service (here) or the holder's (elsewhere)"),
  holder: z.string().nullable().describe('the lease holder (host:pid)'),
  leaseUntil: z.string().nullable().describe('ISO time the lease runs until unless renewed'),
  leaseInSec: z
    .number()
    .int()
    .nullable()
    .describe('seconds from the server clock to leaseUntil (negative: it lapsed that long ago)'),
  positions: z.number().int(),
  health: z.string().nullable().describe('healthy, degraded, idle; null before any report'),
  venue: z.string(),
  problem: z.string().nullable().describe('why it cannot run here (state failed)'),
});
export type AccountJson = z.output<typeof accountJson>;

const stateCounts = z.object({
  here: z.number().int(),
  elsewhere: z.number().int(),
  free: z.number().int(),
  failed: z.number().int(),
  total: z.number().int(),
});

export const accountsAnswer = z.object({
  accounts: z.array(accountJson).describe('the accounts the filters match, by id'),
  counts: stateCounts.describe(
    'every account of the installation per state, whatever the filters (the matches are `accounts.length`)',
  ),
});
export type AccountsAnswer = z.output<typeof accountsAnswer>;

const errorJson = z.object({ error: z.string(), message: z.string() });

function matches(a: AccountStatus, f: AccountsQuery): boolean {
  if (f.q !== undefined && f.q !== '' && !a.account.toLowerCase().includes(f.q.toLowerCase())) return false;
  if (f.state !== undefined && f.state.length > 0 && !f.state.includes(a.state)) return false;
  if (f.venue !== undefined && f.venue.length > 0 && !f.venue.some((v) => v === a.venue)) return false;
  const health = a.health ?? 'none';
  return f.health === undefined || f.health.length === 0 || f.health.some((h) => h === health);
}

/** The answer of GET /api/accounts: the matching accounts as JSON, the counts over all of them. */
export function accountsAnswerOf(all: readonly AccountStatus[], f: AccountsQuery, now: number): AccountsAnswer {
  const counts = { here: 0, elsewhere: 0, free: 0, failed: 0, total: all.length };
  for (const a of all) counts[a.state]++;
  const accounts = all
    .filter((a) => matches(a, f))
    .map((a) => ({
      account: a.account,
      state: a.state,
      url: a.url,
      holder: a.holder,
      leaseUntil: a.leaseUntil === null ? null : new Date(a.leaseUntil).toISOString(),
      leaseInSec: a.leaseUntil === null ? null : Math.round((a.leaseUntil - now) / 1000),
      positions: a.positions,
      health: a.health,
      venue: a.venue,
      problem: a.problem,
    }));
  return { accounts, counts };
}

/** The index's server, not yet listening (the caller listens on service.host/port). */
export async function buildAccountsIndex(o: AccountsIndexOptions): Promise<FastifyInstance> {
  const clock = o.clock ?? Date.now;
  const guards = new RequestGuards({
    // Without a read token nothing here needs one (the index has no mutating route): a secret nobody
    // holds keeps every caller out of the token's rate-limit bucket.
    token: o.readToken ?? randomBytes(24).toString('base64url'),
    readsNeedToken: o.readToken !== undefined,
    guardedReads: ['/healthz'],
    ...(o.hosts ? { hosts: o.hosts } : {}),
    ...(o.https ? { https: o.https } : {}),
  });
  const app = Fastify({
    loggerInstance: o.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // As the accounts' servers: handlers log with the server's logger, requests are not logged.
    childLoggerFactory: (logger) => logger,
    bodyLimit: 16 * 1024,
    ...(o.https ? { https: o.https } : {}),
    ...CONNECTION_LIMITS,
    maxRequestsPerSocket: MAX_REQUESTS_PER_SOCKET,
    frameworkErrors: (err, req, reply) => guards.frameworkRefusal(err, req as FastifyRequest, reply as FastifyReply),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  answerErrors(app);
  await guards.install(app);

  // The shared store is read on every ask (status() reads the installation's directory): when it cannot
  // be, the answer says so (503, retry later) and the server log has the cause; the page keeps polling.
  const unreadable = (reply: FastifyReply, err: unknown) => {
    o.log.error({ err }, 'the accounts index cannot read the accounts');
    reply.code(503);
    return {
      error: 'store_unavailable',
      message: "the installation's accounts cannot be read from the store now (see the server log); retry later",
    };
  };

  /** status(), or what it threw (the store's fault: a 503); only status() is caught, a fault here stays a 500. */
  const readAll = (): { all: AccountStatus[] } | { unreadable: unknown } => {
    try {
      return { all: o.status() };
    } catch (err) {
      return { unreadable: err };
    }
  };

  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/api/accounts',
    { schema: { querystring: accountsQuery, response: { 200: accountsAnswer, 503: errorJson } } },
    (req, reply) => {
      const read = readAll();
      return 'all' in read ? accountsAnswerOf(read.all, req.query, clock()) : unreadable(reply, read.unreadable);
    },
  );
  api.get('/healthz', (_req, reply) => {
    const read = readAll();
    if (!('all' in read)) return unreadable(reply, read.unreadable);
    return { ok: true, accounts: read.all.filter((a) => a.state === 'here').length, version: o.version };
  });

  registerIndexPage(app);
  return app;
}

/** The page and its files, from memory, under the dashboard's headers (CSP, ETag). */
function registerIndexPage(app: FastifyInstance): void {
  const pages = readPages();
  // No chart on this page: the policy allows nothing beyond this server.
  const serve = pageHandler(contentSecurityPolicy(null));
  const file = (name: string) => {
    const f = pages.get(name);
    if (f === undefined) throw new Error(`accounts index file ${name} is missing from ${PAGES_DIR}`);
    return f;
  };
  const page = file('accounts.html');
  for (const url of INDEX_PAGE_ROUTES) app.get(url, serve(page));
  for (const name of INDEX_ASSETS) app.get(`/assets/${name}`, serve(file(name)));
}
