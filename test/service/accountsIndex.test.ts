// The process's accounts index through its real HTTP server (127.0.0.1, a port the system gives, fetch):
// GET /api/accounts filters by id substring (any case), state, venue and health (each comma-separated),
// all of them at once; its counts are over every account whatever the filters; times are ISO and the
// lease's remaining seconds come from the pinned clock. A bad filter is a 400 naming the parameter (no
// stack), an unknown route a 404 in the API's error shape, an unreadable store a 503. With a read token
// the data (/api/accounts, /healthz) needs it and the page stays open; the page, its script and the
// shared files are served with the dashboard's headers.
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/log.ts';
import type { AccountStatus } from '../../src/service/accountSupervisor.ts';
import {
  type AccountsAnswer,
  buildAccountsIndex,
  INDEX_ASSETS,
  type AccountsIndexOptions,
} from '../../src/service/accountsIndex.ts';

const NOW = Date.parse('2026-03-11T10:00:00Z');
const TOKEN = 'accounts-index-token-0123456789';

/** Two accounts in each state, over the three venues and every health (null: no report yet). */
const ACCOUNTS: AccountStatus[] = [
  account('eu-gold', 'here', { positions: 3, health: 'healthy', venue: 'metaapi', url: 'http://127.0.0.1:41001/' }),
  account('eu-silver', 'elsewhere', { positions: 1, health: 'degraded', venue: 'metaapi', holder: 'box-b:4242' }),
  account('EU-Index', 'free', { health: 'idle', venue: 'paper', leaseUntil: NOW - 125_000, holder: 'box-c:77' }),
  account('us-btc', 'here', { positions: 2, health: 'degraded', venue: 'ccxt', url: 'http://127.0.0.1:41002/' }),
  account('us-eth', 'failed', { health: null, venue: 'ccxt', problem: 'WARDEN_ACCOUNT_US_ETH_API_KEY is not set' }),
  account('asia-fx', 'elsewhere', { positions: 5, health: 'healthy', venue: 'paper', holder: 'box-d:9' }),
  account('paper-1', 'free', { health: null, venue: 'paper', leaseUntil: null }),
  account('paper-2', 'failed', { health: 'idle', venue: 'paper', problem: 'the broker refused the login' }),
];

function account(id: string, state: AccountStatus['state'], o: Partial<AccountStatus>): AccountStatus {
  const held = state === 'here' || state === 'elsewhere';
  return {
    account: id,
    state,
    url: state === 'elsewhere' ? `https://${o.holder?.split(':')[0] ?? 'x'}.example:8443/` : null,
    holder: held ? 'this-box:1' : null,
    leaseUntil: held ? NOW + 25_400 : null,
    positions: 0,
    health: null,
    venue: 'paper',
    problem: null,
    ...o,
  };
}

let app: FastifyInstance | undefined;
let base = '';

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(o: Partial<AccountsIndexOptions> = {}): Promise<void> {
  app = await buildAccountsIndex({
    status: () => ACCOUNTS,
    log: createLogger({ level: 'silent' }),
    version: '9.9.9-test',
    clock: () => NOW,
    ...o,
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}

const get = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);

async function list(query: string): Promise<AccountsAnswer> {
  const r = await get(`/api/accounts${query}`);
  expect(r.status, query).toBe(200);
  return (await r.json()) as AccountsAnswer;
}

const ids = (a: AccountsAnswer) => a.accounts.map((x) => x.account);
const EVERY_STATE = { here: 2, elsewhere: 2, free: 2, failed: 2, total: 8 };

describe('GET /api/accounts', () => {
  it('lists every account in the order status() gives, times as ISO, the lease counted from the pinned clock', async () => {
    await start();
    const all = await list('');
    expect(ids(all)).toEqual(ACCOUNTS.map((a) => a.account));
    expect(all.counts).toEqual(EVERY_STATE);
    expect(all.accounts[0]).toEqual({
      account: 'eu-gold',
      state: 'here',
      url: 'http://127.0.0.1:41001/',
      holder: 'this-box:1',
      leaseUntil: '2026-03-11T10:00:25.400Z',
      leaseInSec: 25,
      positions: 3,
      health: 'healthy',
      venue: 'metaapi',
      problem: null,
    });
    const lapsed = all.accounts.find((a) => a.account === 'EU-Index')!;
    expect(lapsed).toMatchObject({ leaseUntil: '2026-03-11T09:57:55.000Z', leaseInSec: -125, url: null });
    expect(all.accounts.find((a) => a.account === 'paper-1')).toMatchObject({ leaseUntil: null, leaseInSec: null });
    expect(all.accounts.find((a) => a.account === 'us-eth')).toMatchObject({
      state: 'failed',
      problem: 'WARDEN_ACCOUNT_US_ETH_API_KEY is not set',
    });
  });

  it('filters by a part of the id in any case, by state, venue and health (comma-separated), and all at once; the counts stay over all', async () => {
    await start();
    expect(ids(await list('?q=eu'))).toEqual(['eu-gold', 'eu-silver', 'EU-Index']);
    expect(ids(await list('?q=INDEX'))).toEqual(['EU-Index']);
    expect(ids(await list('?q=nothing-like-it'))).toEqual([]);
    expect(ids(await list('?state=here'))).toEqual(['eu-gold', 'us-btc']);
    expect(ids(await list('?state=failed,free'))).toEqual(['EU-Index', 'us-eth', 'paper-1', 'paper-2']);
    expect(ids(await list('?state=Here,%20elsewhere,'))).toEqual(['eu-gold', 'eu-silver', 'us-btc', 'asia-fx']);
    expect(ids(await list('?venue=ccxt'))).toEqual(['us-btc', 'us-eth']);
    expect(ids(await list('?venue=metaapi,ccxt'))).toEqual(['eu-gold', 'eu-silver', 'us-btc', 'us-eth']);
    expect(ids(await list('?health=degraded'))).toEqual(['eu-silver', 'us-btc']);
    expect(ids(await list('?health=none'))).toEqual(['us-eth', 'paper-1']);
    expect(ids(await list('?health=idle,none'))).toEqual(['EU-Index', 'us-eth', 'paper-1', 'paper-2']);
    const narrow = await list('?q=us&state=here,failed&venue=ccxt&health=degraded');
    expect(ids(narrow)).toEqual(['us-btc']);
    expect(narrow.counts).toEqual(EVERY_STATE);
    // Empty values are no filter (the page's "all").
    expect(ids(await list('?q=&state=&venue=&health='))).toHaveLength(ACCOUNTS.length);
  });

  it('answers 400 naming the parameter for a bad value, a repeated filter or an unknown parameter, never a stack', async () => {
    await start();
    const refusals: [string, RegExp][] = [
      [
        '?state=sleeping',
        /^querystring\.state: "sleeping" is not a state: one or several of here, elsewhere, free, failed/,
      ],
      ['?state=here,gone', /^querystring\.state: "gone" is not a state/],
      ['?state=here&state=free', /^querystring\.state: give the states once, comma-separated/],
      ['?venue=mt5', /^querystring\.venue: "mt5" is not a venue/],
      ['?health=ok', /^querystring\.health: "ok" is not a health/],
      [`?q=${'x'.repeat(101)}`, /^querystring\.q: at most 100 characters/],
      ['?stat=here', /^querystring: .*stat/],
    ];
    for (const [query, message] of refusals) {
      const r = await get(`/api/accounts${query}`);
      expect(r.status, query).toBe(400);
      expect(r.headers.get('content-type'), query).toMatch(/^application\/json/);
      const body = (await r.json()) as { error: string; message: string };
      expect(body.error, query).toBe('bad_request');
      expect(body.message, query).toMatch(message);
      expect(JSON.stringify(body), query).not.toMatch(/\bat .*\.ts:\d+|stack/i);
    }
  });

  it('answers 503 when the accounts cannot be read from the store, without the cause (the log has it)', async () => {
    await start({
      status: () => {
        throw new Error('connection to server at "db.internal" failed');
      },
    });
    for (const path of ['/api/accounts', '/healthz']) {
      const r = await get(path);
      expect(r.status, path).toBe(503);
      const body = (await r.json()) as { error: string; message: string };
      expect(body.error).toBe('store_unavailable');
      expect(body.message).not.toContain('db.internal');
    }
  });
});

describe('the rest of the index', () => {
  it('GET /healthz counts the accounts running here', async () => {
    await start();
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, accounts: 2, version: '9.9.9-test' });
  });

  it('answers an unknown route 404 and another method 405, in JSON', async () => {
    await start();
    const r = await get('/api/nothing');
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'not_found', message: 'no route GET /api/nothing' });
    const post = await get('/api/accounts', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { error: string }).error).toBe('method_not_allowed');
  });

  it('refuses a request naming another host (DNS rebinding) or sent by another site', async () => {
    await start();
    const { request } = await import('node:http');
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${base}/api/accounts`, { headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status({ host: 'evil.example' })).toBe(403);
    expect(await status({ origin: 'https://evil.example' })).toBe(403);
    expect(await status({})).toBe(200);
  });

  it('with a read token, the data needs it (401 without it or with another) and the page and its files stay open', async () => {
    await start({ readToken: TOKEN });
    for (const path of ['/api/accounts', '/api/accounts?state=here', '/healthz', '/api/accounts?state=bad']) {
      const none = await get(path);
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate'), path).toBe('Bearer');
      expect(((await none.json()) as { error: string }).error, path).toBe('unauthorized');
      const wrong = await get(path, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status, path).toBe(401);
      await wrong.arrayBuffer();
    }
    const ok = await get('/api/accounts?state=here', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ids((await ok.json()) as AccountsAnswer)).toEqual(['eu-gold', 'us-btc']);
    expect((await get('/healthz', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    for (const path of ['/', '/accounts', '/assets/accounts.js']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      await r.arrayBuffer();
    }
  });

  it('serves the page at / and /accounts, and its script and the shared files, with the CSP and an ETag (304 when unchanged)', async () => {
    await start();
    const routes: [string, RegExp][] = [
      ['/', /^text\/html; charset=utf-8$/],
      ['/accounts', /^text\/html; charset=utf-8$/],
      ['/assets/accounts.js', /^text\/javascript; charset=utf-8$/],
      ['/assets/common.js', /^text\/javascript; charset=utf-8$/],
      ['/assets/dashboard.css', /^text\/css; charset=utf-8$/],
      ['/assets/favicon.svg', /^image\/svg\+xml/],
    ];
    expect(routes.filter(([p]) => p.startsWith('/assets/')).map(([p]) => p.slice(8))).toEqual([...INDEX_ASSETS]);
    for (const [path, type] of routes) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toMatch(type);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:|sha256/);
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
      const etag = r.headers.get('etag')!;
      expect(etag, path).toMatch(/^"[\w-]+"$/);
      const text = await r.text();
      if (path === '/') expect(text).toContain('<script type="module" src="/assets/accounts.js"></script>');
      if (path === '/assets/accounts.js') expect(text).toContain("from './common.js'");
      expect((await get(path, { headers: { 'if-none-match': etag } })).status, path).toBe(304);
    }
    // The page's other files (the dashboards' pages) are not this server's.
    expect((await get('/assets/overview.js')).status).toBe(404);
    expect((await get('/trades')).status).toBe(404);
  });
});
