// Who may ask the server what: the host check (a request naming another host, or sent by another site's
// page, is refused 403 whatever its route), the API token (401 on a mutating endpoint, and on every read
// when bound beyond loopback), and the rate limits (429 past them), each refusal before the request is
// parsed or validated. The router's own refusals come before every hook, so they make the same checks
// first: neither a foreign page nor a caller without the token learns how a route reads its URL.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitedError } from './errorAnswers.ts';
import { HostAllowList, PAGE_HEADER, type HostPolicy } from './access.ts';

/** The header of the calls the server makes to itself (see RequestGuards.inProcessKey). */
export const IN_PROCESS_HEADER = 'x-warden-in-process';

/** What the guards are built from (the server's options). */
export interface GuardOptions {
  /** Bearer token for the mutating endpoints. */
  token: string;
  hosts?: HostPolicy;
  readsNeedToken?: boolean;
  /** Paths besides /api/ and /metrics whose reads need the token when readsNeedToken (the accounts index's /healthz). */
  guardedReads?: readonly string[];
  https?: unknown;
  rateLimitPerMinute?: number;
  pagesRateLimitPerMinute?: number;
  tokenRateLimitPerMinute?: number;
}

/** Same-length digests, so the comparison takes the same time whatever the token sent. */
function tokenMatches(sent: string, expected: string): boolean {
  const a = createHash('sha256').update(sent).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The bearer token a request carries ('' for none). */
function sentToken(req: FastifyRequest): string {
  const h = req.headers.authorization ?? '';
  return h.startsWith('Bearer ') ? h.slice(7).trim() : '';
}

/** The server's checks of who asks, built once per server. */
export class RequestGuards {
  /** A secret of this process for the calls it makes to itself (the MCP tools'): never sent anywhere. */
  readonly inProcessKey = randomBytes(24).toString('base64url');
  readonly hosts: HostAllowList;

  constructor(private readonly options: GuardOptions) {
    this.hosts = new HostAllowList(
      options.hosts ?? { boundHost: '127.0.0.1', allowedHosts: [], tls: options.https !== undefined },
    );
  }

  /** Why a request's token does not open a guarded endpoint ('' when it does). */
  tokenProblem(req: FastifyRequest): string {
    const sent = sentToken(req);
    if (sent === '') return 'this endpoint needs the API token: Authorization: Bearer <token>';
    return tokenMatches(sent, this.options.token) ? '' : 'the API token is not valid';
  }

  unauthorized(reply: FastifyReply, why: string) {
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: why });
  }

  /** Whether a request's path and method need the token: every route other than a read does, and beyond loopback the reads too. */
  guarded(method: string, path: string): boolean {
    return (method !== 'GET' && method !== 'HEAD') || (this.options.readsNeedToken === true && this.isDataRead(path));
  }

  /** The reads that carry data (the API, the metrics, and any path the server adds): beyond loopback they need the token. */
  private isDataRead(path: string): boolean {
    return path.startsWith('/api/') || path === '/metrics' || (this.options.guardedReads ?? []).includes(path);
  }

  /**
   * The router's own refusals (a malformed URL, a parameter too long), Fastify's frameworkErrors, in the
   * API's one error shape, without the URL: it is the caller's, and may be anything. They come before
   * every hook, so the refusals the hooks make come first here too: a request naming another host is
   * 403, and one for a guarded endpoint without the token is 401, so neither learns how the route reads
   * its URL.
   */
  frameworkRefusal(err: { code: string }, req: FastifyRequest, reply: FastifyReply): void {
    const why = this.hosts.refusal(
      { host: req.headers.host, origin: req.headers.origin },
      req.socket.localAddress,
      req.socket.localPort,
    );
    if (why !== '') {
      void reply.code(403).send({ error: 'forbidden', message: why });
      return;
    }
    const noToken = this.guarded(req.method, req.url.split('?')[0] ?? '') ? this.tokenProblem(req) : '';
    if (noToken !== '') {
      void this.unauthorized(reply, noToken);
      return;
    }
    void reply.code(400).send({
      error: 'bad_request',
      message:
        err.code === 'FST_ERR_BAD_URL'
          ? 'the URL is not valid (a malformed percent-encoding)'
          : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? 'a path parameter is too long'
            : 'the request is not valid',
    });
  }

  /** The onRequest hook of the routes that need the token. */
  readonly requireToken = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const why = this.tokenProblem(req);
    if (why !== '') await this.unauthorized(reply, why);
  };

  /**
   * Hooks the checks on every request, in this order: the host check, the rate limits, and (bound beyond
   * loopback) the token on every API read and the metrics.
   */
  async install(app: FastifyInstance): Promise<void> {
    const hosts = this.hosts;
    // Before anything else: a request naming another host (DNS rebinding) or sent by another site's page
    // is refused, whatever its route, so no answer of this server is ever read by such a page.
    app.addHook('onRequest', async (req, reply) => {
      // The MCP tools' own calls, made in this process (Fastify's inject: no socket to check), carry this
      // process's secret; the agent's request that made them passed this check on its way in.
      if (req.headers[IN_PROCESS_HEADER] === this.inProcessKey && req.socket.localPort === undefined) return;
      const origin = req.headers.origin;
      const why = hosts.refusal({ host: req.headers.host, origin }, req.socket.localAddress, req.socket.localPort);
      if (why !== '') await reply.code(403).send({ error: 'forbidden', message: why });
    });
    await this.installRateLimits(app);
    // Bound beyond loopback, reads are the network's too: every API request and the metrics need the
    // token. Loopback keeps reads open to the dashboard's pages; the mutating routes check it themselves.
    if (this.options.readsNeedToken === true) {
      app.addHook('onRequest', async (req, reply) => {
        if (this.isDataRead(req.url.split('?')[0] ?? '')) await this.requireToken(req, reply);
      });
    }
  }

  // Three buckets, so no caller locks out another: requests bearing the valid token (the trader's
  // calls: one bucket of their own, whatever floods the others), the dashboard's pages (their polling
  // and live stream, several tabs at once), and every other caller per address. Unknown routes count
  // too: the limit is an app-wide onRequest hook, which runs for 404s as well.
  private async installRateLimits(app: FastifyInstance): Promise<void> {
    const options = this.options;
    const limits = {
      token: options.tokenRateLimitPerMinute ?? 6000,
      pages: options.pagesRateLimitPerMinute ?? 6000,
      others: options.rateLimitPerMinute ?? 1200,
    };
    const bucketOf = (req: FastifyRequest): keyof typeof limits => {
      const sent = sentToken(req);
      if (sent !== '' && tokenMatches(sent, options.token)) return 'token';
      if (req.is404) return 'others';
      const path = req.url.split('?')[0] ?? '';
      // A page's fetches carry PAGE_HEADER; its live stream (EventSource sets no header) and the pages
      // and their files themselves are the dashboard's too.
      if (
        req.headers[PAGE_HEADER] !== undefined ||
        path === '/api/events' ||
        !(path.startsWith('/api/') || path === '/metrics' || path.startsWith('/docs') || path === '/openapi.json')
      )
        return 'pages';
      return 'others';
    };
    await app.register(fastifyRateLimit, {
      global: false,
      timeWindow: 60_000,
      keyGenerator: (req) => {
        const bucket = bucketOf(req);
        return bucket === 'token' ? 'token' : `${bucket}:${req.ip}`;
      },
      max: (_req, key) => limits[key === 'token' ? 'token' : key.startsWith('pages:') ? 'pages' : 'others'],
      errorResponseBuilder: (req, ctx) => {
        const who = {
          token: 'with the API token',
          pages: "from the dashboard's pages",
          others: 'from this address without the API token',
        }[bucketOf(req)];
        return new RateLimitedError(
          `${ctx.max} requests per minute ${who}; retry in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s`,
        );
      },
    });
    app.addHook('onRequest', app.rateLimit());
  }
}
