// The sections a running session reads besides its exit decisions: how intents reach the broker
// (execution), the HTTP server with its store and played market (service), and who approves a plan
// proposal (proposals). The core never reads them: EngineConfig leaves them out.
import { z } from 'zod';
import { range } from './ranges.ts';

/** How intents reach the broker, and how a live session copes with failing market data (retries, feature circuit breakers, staleness and lag). */
export const executionSchema = z
  .strictObject({
    /** Sends of one intent at most when the broker refuses it as retryable (requote, price changed, rate limit). */
    maxSends: z.number().int().min(1).max(10).default(3),
    /** Wait before the first retry, ms; it doubles at each further one. */
    retryBaseMs: z.number().int().min(0).max(60_000).default(500),
    /** Wait before the first retry after "too many requests" when the venue gives none, ms. */
    rateLimitWaitMs: z.number().int().min(0).max(300_000).default(2_000),
    /** No wait between sends is longer than this, ms (a venue's Retry-After included). */
    retryMaxWaitMs: z.number().int().min(0).max(600_000).default(10_000),
    /** Feature failures in a row that open a symbol's circuit breaker. */
    breakerFailures: z.number().int().min(1).max(100).default(5),
    /** How long an open breaker holds the last good feature values, seconds. */
    breakerOpenSec: z.number().int().min(1).max(86_400).default(300),
    /** Health calls a feed stale when its last bar closed longer ago than this, seconds. */
    staleFeedSec: z.number().int().min(10).max(86_400).default(300),
    /** Health is degraded when the engine is further behind the market than this (a bar waiting this long to be stepped), seconds. */
    maxLagSec: z.number().int().min(1).max(3_600).default(60),
  })
  .prefault({});

/** `warden serve`: the HTTP server, the store, and the played market of the embedded default. */
export const serviceSchema = z
  .strictObject({
    /** Address to listen on: loopback unless told otherwise. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    /** Bearer token of the mutating endpoints (or WARDEN_API_TOKEN); none: one is made and written beside the store. */
    token: z.string().min(16, 'must be at least 16 characters').optional(),
    /** The store file (SQLite). */
    store: z.string().min(1).default('warden.db'),
    /** Requests per minute per client address, for callers without the token that are not the dashboard's pages. */
    rateLimitPerMinute: z.number().int().min(10).max(1_000_000).default(1200),
    /** Requests per minute per client address from the dashboard's own pages (their polling and live stream; several tabs). */
    pagesRateLimitPerMinute: z.number().int().min(10).max(1_000_000).default(6000),
    /** Requests per minute bearing the valid token: a bucket of their own, so no flood of others locks the trader out. */
    tokenRateLimitPerMinute: z
      .number()
      .int()
      .min(600, 'must be at least 600: the trader is never held below that')
      .max(1_000_000)
      .default(6000),
    /**
     * Host names (or name:port) the server answers to besides the bound address, localhost, 127.0.0.1
     * and [::1]: a request naming any other host in Host or Origin is refused (a web page's DNS rebinding).
     */
    allowedHosts: z
      .array(
        z
          .string()
          .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'a host name or address, with an optional :port'),
      )
      .max(50)
      .default([]),
    /** HTTPS: certificate and private key files (PEM). Required to bind beyond loopback unless behindProxy. */
    tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
    /** A reverse proxy in front terminates TLS: binding beyond loopback over plain HTTP is then allowed. */
    behindProxy: z.boolean().default(false),
    /** MCP for agents at /mcp (streamable HTTP; the token on every request). */
    mcp: z.boolean().default(true),
    /** The embedded default's market: generated bars per symbol, played at `speed` bars per second. */
    market: z
      .strictObject({
        symbols: z.array(z.string().min(1)).min(1).max(20).default(['XAUUSDc', 'EURUSD', 'BTCUSDc']),
        seed: z.number().int().min(0).default(1),
        speed: range(0.1, 10_000).default(20),
        /**
         * Minutes of generated history before the played market starts: two weeks, so every feature is
         * ready at the first step (EMA200 on H1 wants 200 H1 bars; the forex symbols' weekends have none).
         */
        warmupMinutes: z.number().int().min(0).max(100_000).default(20_160),
        /** Demo positions kept open per symbol (0: none). */
        demoPositions: z.number().int().min(0).max(50).default(2),
        /** Bars between two demo openings on a symbol (0: every missing one at once, a full book from the start). */
        reopenBars: z.number().int().min(0).max(10_000).default(30),
      })
      .prefault({}),
  })
  .prefault({});

/**
 * Plan proposals (an agent's, through MCP or the API): who may approve one. dashboard: only a person
 * on the position's page (an agent's approve is refused); agent: any caller with the token.
 */
export const proposalsSchema = z
  .strictObject({
    approval: z.enum(['dashboard', 'agent']).default('dashboard'),
  })
  .prefault({});
