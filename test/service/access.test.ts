// Who may address the service, through its real HTTP server: a foreign Host or Origin (a web page's DNS
// rebinding, another site's script) is refused with 403 naming the header; a bind beyond loopback is
// refused without a token of the trader's own and TLS or a proxy, and then every read needs the token;
// a token file others may read is made 600; the rate limit keeps the trader's token-bearing calls and
// the dashboard's pages apart from a flood of other callers, and counts unknown routes; a keep-alive
// connection carries a bounded number of requests. Limits are small and configured, and responses are
// counted: nothing waits for a time window.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { MAX_REQUESTS_PER_SOCKET } from '../../src/service/server.ts';
import { ServiceSetupError, startService, type RunningService } from '../../src/service/service.ts';
import { openSqliteStore } from '../../src/store/sqliteStore.ts';
import { wardenCli } from '../support/cliRun.ts';
import { PINNED_NOW } from '../support/liveHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-access-'));
const TOKEN = 'access-token-0123456789abcdef';
const running: { service: RunningService; close: () => void }[] = [];

afterAll(async () => {
  for (const r of running) {
    await r.service.stop();
    r.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function start(
  service: Record<string, unknown>,
  o: { token?: string; tokenFile?: string; log?: ReturnType<typeof createLogger>; maxRequestsPerSocket?: number } = {},
): Promise<RunningService> {
  const config = configSchema.parse({
    service: { port: 0, market: { speed: 400, warmupMinutes: 1500, demoPositions: 2 }, ...service },
  });
  const store = openSqliteStore(join(dir, `s-${running.length}-${Math.random().toString(36).slice(2)}.db`), {
    now: PINNED_NOW,
  });
  try {
    const s = await startService({
      config,
      store,
      log: o.log ?? createLogger({ level: 'silent' }),
      clock: () => PINNED_NOW,
      version: 'test',
      token: 'token' in o ? o.token : TOKEN,
      tokenFile: o.tokenFile ?? join(dir, 'unused.token'),
      ...(o.maxRequestsPerSocket !== undefined ? { maxRequestsPerSocket: o.maxRequestsPerSocket } : {}),
    });
    running.push({ service: s, close: () => store.close() });
    return s;
  } catch (err) {
    store.close();
    throw err;
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with the headers as given (fetch would not let a test set Host). */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const portOf = (s: RunningService) => Number(new URL(s.url).port);
const json = (a: Answer) => JSON.parse(a.body) as { error: string; message: string };

describe('Host and Origin', () => {
  let s: RunningService;
  let port: number;
  beforeAll(async () => {
    s = await start({ allowedHosts: ['warden.lan', 'box.example:9999'] });
    port = portOf(s);
  }, 60_000);

  it("a foreign Host is refused with 403 naming the header; this server's own names on its port are answered", async () => {
    const evil = await send(port, 'GET', '/api/positions', { host: `evil.example:${port}` });
    expect(evil.status).toBe(403);
    expect(json(evil)).toEqual({
      error: 'forbidden',
      message: expect.stringContaining('Host header (evil.example:') as string,
    });
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'warden.lan',
      `WARDEN.LAN:${port}`,
      'box.example:9999',
    ]) {
      expect((await send(port, 'GET', '/api/positions', { host })).status, host).toBe(200);
    }
    // Another port of this machine is another origin; a configured name:port only on that port.
    expect((await send(port, 'GET', '/api/positions', { host: `localhost:${port + 1}` })).status).toBe(403);
    expect((await send(port, 'GET', '/api/positions', { host: 'box.example:9998' })).status).toBe(403);
    // The pages and the event stream too, not only the JSON API.
    expect((await send(port, 'GET', '/', { host: 'evil.example' })).status).toBe(403);
    expect((await send(port, 'GET', '/api/events', { host: 'evil.example' })).status).toBe(403);
  });

  it("a foreign Origin is refused with 403 naming the header, even with the token; this server's own is answered", async () => {
    const host = `127.0.0.1:${port}`;
    const evil = await send(port, 'GET', '/api/positions', { host, origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(json(evil).message).toContain('Origin header (http://evil.example)');
    for (const origin of ['null', `http://localhost:${port + 1}`, `ftp://127.0.0.1:${port}`]) {
      expect((await send(port, 'GET', '/api/positions', { host, origin })).status, origin).toBe(403);
    }
    const post = await send(port, 'POST', '/api/positions/1/exits/disable', {
      host,
      origin: 'https://evil.example',
      authorization: `Bearer ${TOKEN}`,
    });
    expect(post.status).toBe(403);
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, 'https://warden.lan']) {
      expect((await send(port, 'GET', '/api/positions', { host, origin })).status, origin).toBe(200);
    }
  });

  it('the token is checked before the body: 401 before 400, 413 and 415 for a caller without it; those labelled for one with it', async () => {
    const host = `127.0.0.1:${port}`;
    const ct = { host, 'content-type': 'application/json' };
    const bad = await send(port, 'PATCH', '/api/positions/1/plan', ct, '{"partialFraction": "lots"}');
    expect(bad.status).toBe(401);
    const big = `{"x": "${'a'.repeat(70 * 1024)}"}`;
    expect((await send(port, 'PATCH', '/api/positions/1/plan', ct, big)).status).toBe(401);
    const auth = { ...ct, authorization: `Bearer ${TOKEN}` };
    expect((await send(port, 'PATCH', '/api/positions/1/plan', auth, '{"partialFraction": "lots"}')).status).toBe(400);
    const tooBig = await send(port, 'PATCH', '/api/positions/1/plan', auth, big);
    expect(tooBig.status).toBe(413);
    expect(json(tooBig).error).toBe('payload_too_large');
    const text = await send(
      port,
      'PATCH',
      '/api/positions/1/plan',
      { host, 'content-type': 'text/csv', authorization: `Bearer ${TOKEN}` },
      'a,b',
    );
    expect(text.status).toBe(415);
    expect(json(text).error).toBe('unsupported_media_type');
  });

  it("a caller without the token learns nothing of a guarded route's schema: 401 without field names, its URL included; 403 for another host", async () => {
    const host = `127.0.0.1:${port}`;
    const ct = { host, 'content-type': 'application/json' };
    // What a validation's answer would say: the body's fields, the parts of the request, zod's words.
    const schemaWords =
      /\b(ticket|symbol|reason|breakevenPct|partialPct|partialClosePct|trailingEnabled|body|params|querystring)\b|required|Unrecognized|Invalid|expected|too long|percent/i;
    const cases: [string, string, string][] = [
      ['POST', '/api/trades', '{"ticket": 5, "breakevenPct": "x"}'],
      ['POST', '/api/shadow/promote', '{"sym": ""}'],
      ['POST', '/api/positions/1/dtms/disable', '{"reason": 42, "extra": true}'],
      ['PATCH', '/api/positions/1/plan', '[]'],
      // The router reads these URLs before any route does: a parameter too long, a malformed percent-encoding.
      ['POST', `/api/positions/${'a'.repeat(200)}/exits/disable`, ''],
      ['PATCH', '/api/positions/%E0%A4%A/plan', '{}'],
    ];
    for (const [method, path, body] of cases) {
      const without: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-token' }];
      for (const auth of without) {
        const r = await send(port, method, path, { ...ct, ...auth }, body);
        expect(r.status, `${method} ${path.slice(0, 40)}`).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Bearer');
        expect(json(r).error).toBe('unauthorized');
        expect(r.body).not.toMatch(schemaWords);
      }
      // With the token the same request is validated, and the answer says what is wrong.
      const known = await send(port, method, path, { ...ct, authorization: `Bearer ${TOKEN}` }, body);
      expect(known.status, `${method} ${path.slice(0, 40)} with the token`).toBe(400);
      expect(known.body).toMatch(schemaWords);
      // Another host is refused first, whatever the URL.
      expect((await send(port, method, path, { ...ct, host: 'evil.example' }, body)).status).toBe(403);
    }
  });

  it('a known path asked with another method is 405 with Allow; /docs is served under a Content-Security-Policy', async () => {
    const host = `127.0.0.1:${port}`;
    const r = await send(port, 'DELETE', '/api/positions', { host });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
    expect(json(r)).toEqual({
      error: 'method_not_allowed',
      message: 'DELETE is not allowed on /api/positions: GET, HEAD',
    });
    expect((await send(port, 'DELETE', '/api/nowhere', { host })).status).toBe(404);
    const docs = await send(port, 'GET', '/docs/', { host });
    expect(docs.status).toBe(200);
    expect(docs.headers['content-security-policy']).toMatch(/script-src/);
  });
});

describe('binding beyond loopback', () => {
  it("is refused without a token of the trader's own, and without TLS or a proxy, naming the settings", async () => {
    const noToken = start({ host: '0.0.0.0', behindProxy: true }, { token: undefined });
    await expect(noToken).rejects.toThrow(ServiceSetupError);
    await expect(noToken).rejects.toThrow(/service\.token or WARDEN_API_TOKEN/);
    const plain = start({ host: '0.0.0.0' });
    await expect(plain).rejects.toThrow(/service\.tls: \{cert, key\}.*service\.behindProxy: true/);
    await expect(
      start({ host: '0.0.0.0', tls: { cert: join(dir, 'no.pem'), key: join(dir, 'no.key') } }),
    ).rejects.toThrow(/cannot read service\.tls\.cert/);
  });

  it('`warden serve --host 0.0.0.0` says why it does not start', async () => {
    const r = await wardenCli('serve', '--host', '0.0.0.0', '--port', '0', '--store', join(dir, 'cli.db'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0');
    expect(r.stderr).toContain('service.behindProxy');
  });

  it('behind a proxy with a token, every read needs the token', async () => {
    const s = await start({ host: '0.0.0.0', behindProxy: true });
    const port = portOf(s);
    const host = `127.0.0.1:${port}`;
    for (const path of ['/api/positions', '/api/health', '/api/events', '/metrics']) {
      const r = await send(port, 'GET', path, { host });
      expect(r.status, path).toBe(401);
    }
    expect((await send(port, 'GET', '/api/positions', { host, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await send(port, 'GET', '/metrics', { host, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  }, 60_000);
});

describe('TLS', () => {
  // openssl makes a throwaway self-signed certificate; without it there is nothing to serve HTTPS with.
  const openssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!openssl)(
    'with service.tls, the service listens beyond loopback over HTTPS',
    async () => {
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '2',
          '-subj',
          '/CN=localhost',
        ],
        { stdio: 'ignore' },
      );
      const s = await start({ host: '0.0.0.0', tls: { cert, key } });
      expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      const port = portOf(s);
      const get = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = httpsRequest(
            { host: '127.0.0.1', port, path: '/api/positions', headers, rejectUnauthorized: false },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end();
        });
      expect(await get({ origin: `https://127.0.0.1:${port}` })).toBe(401);
      expect(await get({ origin: `https://127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}` })).toBe(200);
      expect(await get({ origin: 'https://evil.example', authorization: `Bearer ${TOKEN}` })).toBe(403);
    },
    60_000,
  );
});

describe('the token file', () => {
  it('a token file others may read is made 600, with a warning', async () => {
    const file = join(dir, 'open.token');
    writeFileSync(file, 'file-token-0123456789abcdef\n');
    chmodSync(file, 0o644);
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const s = await start(
      {},
      { token: undefined, tokenFile: file, log: createLogger({ level: 'warn', destination: sink }) },
    );
    expect(s.token).toBe('file-token-0123456789abcdef');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(logged).toContain('the API token file was readable by others (mode 644): now 600');
    expect(logged).not.toContain('file-token-0123456789abcdef');
  }, 60_000);
});

describe('the rate limit', () => {
  it("a flood of anonymous callers gets 429 (unknown routes count) while the trader's token-bearing POSTs and the pages go on", async () => {
    const s = await start({ rateLimitPerMinute: 10, pagesRateLimitPerMinute: 20 });
    const port = portOf(s);
    const host = `127.0.0.1:${port}`;
    const auth = { host, authorization: `Bearer ${TOKEN}` };
    const positions = JSON.parse((await send(port, 'GET', '/api/positions', auth)).body) as { ticket: string }[];
    const ticket = positions[0]?.ticket ?? '1';
    // Ten unknown routes use up the anonymous budget: the next request of that caller is refused.
    for (let i = 0; i < 10; i++) expect((await send(port, 'GET', `/nothing-${i}`, { host })).status).toBe(404);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await send(port, 'GET', '/api/health', { host })).status);
    expect(statuses.every((c) => c === 429)).toBe(true);
    const refused = await send(port, 'GET', '/api/positions', { host });
    expect(refused.status).toBe(429);
    const body = json(refused);
    expect(body.error).toBe('rate_limited');
    expect(body.message).toMatch(/^10 requests per minute from this address without the API token; retry in \d+ s$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The trader is not locked out: every token-bearing call is answered.
    for (let i = 0; i < 15; i++) {
      const r = await send(port, 'POST', `/api/positions/${ticket}/exits/${i % 2 === 0 ? 'disable' : 'enable'}`, auth);
      expect([200, 404]).toContain(r.status);
    }
    // The dashboard's pages have a budget of their own.
    const page = { host, 'x-warden-page': '1' };
    expect((await send(port, 'GET', '/api/positions', page)).status).toBe(200);
    expect((await send(port, 'GET', '/', { host })).status).toBe(200);
    let pageRefused = 0;
    for (let i = 0; i < 25; i++) if ((await send(port, 'GET', '/api/positions', page)).status === 429) pageRefused++;
    expect(pageRefused).toBe(25 + 2 - 20);
    expect((await send(port, 'GET', '/api/positions', auth)).status).toBe(200);
  }, 60_000);
});

describe('keep-alive connections', () => {
  interface Reused {
    status: number;
    connection: string | undefined;
    /** The client's end of the connection the answer came on: one per connection. */
    localPort: number | undefined;
  }

  const getOn = (agent: Agent, port: number, path: string): Promise<Reused> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${TOKEN}` } },
        (res) => {
          const localPort = res.socket.localPort;
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, localPort }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('one connection carries a bounded number of requests: the last answer closes it, and the client goes on over a new one', async () => {
    // A small limit, so the test sends few requests; the service's default is MAX_REQUESTS_PER_SOCKET.
    const LIMIT = 5;
    expect(LIMIT).toBeLessThan(MAX_REQUESTS_PER_SOCKET);
    const s = await start({}, { maxRequestsPerSocket: LIMIT });
    const port = portOf(s);
    // One connection at a time, kept alive between requests, as a polling client or script holds it.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answers: Reused[] = [];
      for (let i = 0; i <= LIMIT; i++) answers.push(await getOn(agent, port, '/api/dtms/status'));
      expect(answers.map((a) => a.status)).toEqual(Array(LIMIT + 1).fill(200));
      // The first LIMIT answers on one connection, the last of them closing it.
      const first = answers.slice(0, LIMIT);
      expect(new Set(first.map((a) => a.localPort)).size).toBe(1);
      expect(first.map((a) => a.connection)).toEqual([...Array<string>(LIMIT - 1).fill('keep-alive'), 'close']);
      // The next request on a new connection, kept alive again.
      const after = answers[LIMIT]!;
      expect(after.localPort).not.toBe(first[0]!.localPort);
      expect(after.connection).toBe('keep-alive');
    } finally {
      agent.destroy();
    }
    // The server ends the connection itself: a client that keeps it after the LIMIT-th answer (here,
    // LIMIT requests sent at once on a bare socket) sees it closed, all LIMIT answered.
    const raw = connect(port, '127.0.0.1');
    let text = '';
    raw.setEncoding('utf8');
    raw.on('data', (c: string) => (text += c));
    const ended = new Promise<void>((resolve) => raw.on('end', resolve));
    raw.write(
      `GET /api/dtms/status HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`.repeat(
        LIMIT,
      ),
    );
    await ended;
    raw.destroy();
    expect(text.match(/HTTP\/1\.1 200 /g)).toHaveLength(LIMIT);
    expect(text.match(/\r\nconnection: close\r\n/gi)).toHaveLength(1);
  }, 60_000);
});
