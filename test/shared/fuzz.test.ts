// The HTTP fuzz: the real service (paper account, played market) takes 10,000 hostile
// requests: every path of its OpenAPI document and the pages with hostile parameters, every method,
// malformed and oversized bodies, wrong content types, foreign Host and Origin headers, with and
// without the token. It must answer every one (no hang), never with a 5xx, and its memory must stay
// bounded. A request for a route that needs the token, sent without it, learns nothing of the route's
// schema: it is refused (401, or a refusal that comes before the route: 403, 404, 405, 413, 415, 429),
// never validated (a 400 naming a field). Seeded: the same requests every run. (It needs no shared
// data; it lives with the shared suites because it takes a while.)
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { seededRandom } from '../../src/market/sampleMarket.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import type { WardenStore } from '../../src/store/store.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';

const REQUESTS = Number(process.env.WARDEN_FUZZ_REQUESTS ?? 10_000);
const TOKEN = 'fuzz-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'warden-fuzz-'));
let service: RunningService;
let store: WardenStore;

const HOSTILE = [
  '',
  '0',
  '-1',
  '1e308',
  'NaN',
  '999999999999999999999',
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  'a'.repeat(5_000),
  '%E2%80%AE',
  '😀',
  '[]',
  '{}',
  'null',
  '100001',
  '100001%231',
];
const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'];
const BODIES = [
  '',
  '{',
  '[]',
  'null',
  '{"breakevenPct": 1e308}',
  '{"ticket": 123}',
  '{"symbol": "XAUUSDc"}',
  JSON.stringify({ a: 'x'.repeat(200_000) }),
  '{"a":'.repeat(2_000),
  '\u0000\u0001\u0002',
  'ticket=1&x=2',
];
const TYPES = [
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
];
const HOSTS = ['', 'evil.example', 'localhost', '127.0.0.1.evil.example', 'a'.repeat(300)];

interface Answer {
  status: number;
  ms: number;
  /** The body's first bytes (enough for the one error shape). */
  body: string;
}

/** What a caller without the token may be answered on a route that needs it: never a validation's 400 or 422. */
const REFUSALS = [401, 403, 404, 405, 413, 415, 429];
/** Words of a validation's answer (zod's messages as the error handler words them): none may reach a caller without the token. */
const VALIDATION_WORDS =
  /\bbody\b|querystring|\bparams\b|required property|must have|must NOT|Unrecognized key|Invalid input|expected \w+, received|Too (big|small)/i;

interface OpenApi {
  paths: Record<
    string,
    Record<string, { security?: unknown[]; parameters?: { name: string }[]; requestBody?: unknown }>
  >;
  components?: { schemas?: Record<string, unknown> };
}

/** The names an operation's request schema holds (its parameters, its body's properties, $refs followed): what a leak would name. */
function requestNames(doc: OpenApi, op: OpenApi['paths'][string][string]): string[] {
  const names = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    const o = node as Record<string, unknown>;
    if (typeof o.$ref === 'string') walk(doc.components?.schemas?.[o.$ref.split('/').pop() ?? '']);
    if (typeof o.properties === 'object' && o.properties !== null)
      for (const k of Object.keys(o.properties)) names.add(k);
    if (typeof o.name === 'string' && typeof o.in === 'string') names.add(o.name);
    for (const v of Object.values(o)) walk(v);
  };
  walk([op.parameters, op.requestBody]);
  return [...names];
}

function send(url: URL, method: string, path: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 4_096) body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body }));
      res.on('error', () => resolve({ status: -1, ms: performance.now() - t0, body }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ status: -2, ms: performance.now() - t0, body: '' });
    });
    // A connection the server closes on a hostile request is an answer too (not a 5xx, not a hang).
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, body: '' }));
    if (body !== '' && method !== 'GET' && method !== 'HEAD') req.write(body);
    req.end();
  });
}

beforeAll(async () => {
  const config = configSchema.parse({ service: { port: 0, rateLimitPerMinute: 1_000_000, market: { speed: 200 } } });
  store = openSqliteStore(join(dir, 'fuzz.db'), { now: PINNED_NOW });
  service = await startService({
    config,
    store,
    log: createLogger({ level: 'silent' }),
    clock: () => PINNED_NOW,
    version: 'test',
    token: TOKEN,
    tokenFile: join(dir, 'unused.token'),
  });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the HTTP fuzz', () => {
  it(`answers ${REQUESTS} hostile requests, none with a 5xx, none hanging, no schema leaked before the token, memory bounded`, {
    timeout: 300_000,
  }, async () => {
    const url = new URL(service.url);
    const doc = (await (await fetch(new URL('/openapi.json', url))).json()) as OpenApi;
    // The operations that need the token, as the document marks them (security: bearer), with the names
    // their schemas hold.
    const guarded = new Map<string, RegExp>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if ((op.security?.length ?? 0) === 0) continue;
        const names = requestNames(doc, op);
        guarded.set(
          `${method.toUpperCase()} ${path}`,
          names.length > 0 ? new RegExp(`\\b(${names.join('|')})\\b`) : /(?!)/,
        );
      }
    }
    expect(guarded.size, 'operations that need the token').toBeGreaterThan(5);
    const templates = [
      ...Object.keys(doc.paths),
      '/',
      '/shadow',
      '/dtms/status',
      '/dtms/trade/{ticket}',
      '/docs',
      '/metrics',
      '/api/nothing/here',
      '/assets/{ticket}',
    ];
    // Seeded: the same requests every run.
    const random = seededRandom(16);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const rssBefore = process.memoryUsage().rss;
    const answers: Answer[] = [];
    const fivexx: string[] = [];
    const hung: string[] = [];
    const leaks: string[] = [];
    let guardedWithoutToken = 0;
    let next = 0;
    // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
    const worker = async () => {
      while (next < REQUESTS) {
        next++;
        const method = pick(METHODS);
        const template = pick(templates);
        const path =
          template.replace(/\{[^}]+\}/g, () => encodeURIComponent(pick(HOSTILE))) +
          (random() < 0.3
            ? `?limit=${encodeURIComponent(pick(HOSTILE))}&before=${encodeURIComponent(pick(HOSTILE))}&after=${encodeURIComponent(pick(HOSTILE))}`
            : '');
        const headers: Record<string, string> = {};
        const type = pick(TYPES);
        if (type !== '') headers['content-type'] = type;
        if (random() < 0.5)
          headers.authorization = `Bearer ${random() < 0.7 ? TOKEN : encodeURIComponent(pick(HOSTILE))}`;
        const host = pick(HOSTS);
        if (host !== '' && random() < 0.2) headers.host = host;
        if (random() < 0.1) headers.origin = `http://${pick(HOSTS) || 'evil.example'}`;
        const a = await send(url, method, path.slice(0, 8_000), headers, random() < 0.6 ? pick(BODIES) : '');
        answers.push(a);
        if (a.status >= 500) fivexx.push(`${a.status} ${method} ${path.slice(0, 120)}`);
        if (a.status === -2) hung.push(`${method} ${path.slice(0, 120)}`);
        const names = guarded.get(`${method} ${template}`);
        if (names !== undefined && headers.authorization !== `Bearer ${TOKEN}` && a.status > 0) {
          guardedWithoutToken++;
          if (!REFUSALS.includes(a.status) || VALIDATION_WORDS.test(a.body) || names.test(a.body))
            leaks.push(`${a.status} ${method} ${path.slice(0, 120)}: ${a.body.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1_048_576;
    expect(answers).toHaveLength(REQUESTS);
    expect(fivexx).toEqual([]);
    expect(hung).toEqual([]);
    expect(guardedWithoutToken, 'requests to guarded routes without the token').toBeGreaterThan(REQUESTS / 100);
    expect(leaks).toEqual([]);
    // The fuzz reached the routes, their validation and the token check, not only the router's 404.
    const statuses = new Set(answers.map((a) => a.status));
    for (const s of [200, 400, 401, 404])
      expect(statuses, `statuses seen: ${[...statuses].sort().join(', ')}`).toContain(s);
    // The service shares this process: its memory after the hostile requests (bodies up to 200 KB).
    expect(rssGrowthMb).toBeLessThan(300);
    // And it still serves: the health report answers.
    expect([200, 503]).toContain((await fetch(new URL('/api/health', url))).status);
  });
});
