// One owner per account of a PostgreSQL installation, through real `warden serve` processes on a
// schema of each test's own: a second serve on a held account is refused (exit 2, naming the holder
// and until when) while another account serves beside it, and a clean stop releases the account at
// once; with --wait-for-lease, a serve takes over from one killed (SIGKILL) once its lease lapses,
// under the next token, every intent it journals carrying that token. Then the fencing itself, in
// process: a store whose lease was taken over journals nothing and cannot renew.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LEASE_TTL_MS } from '../../src/execution/storeClaim.ts';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgresStore.ts';
import { intent, NOW, storeError } from '../store/storeFixtures.ts';
import { dropSchema, freshSchema, NO_POSTGRES, sql, urlOf } from './postgresSupport.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));
const RUNNING = 'Warden is running';
/** How long a serve may take to print that it runs (tsx compiles the source on a first start). */
const START_MS = 45_000;

/** A `warden serve` child process and what it printed. */
interface Serve {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Its lease holder's name (host:pid: bin/warden.js re-executes itself in the same process). */
  readonly holder: string;
  out(): string;
  err(): string;
  /** performance.now() when "Warden is running" reached stdout; null before. */
  runningAt(): number | null;
  /** How it ended: an exit code, or the signal that killed it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface LeaseRow {
  holder: string;
  token: number;
  acquired_at: number;
  renewed_at: number;
  expires_at: number;
  lapsed: boolean;
}

const children: Serve[] = [];
const schemas: string[] = [];
const dirs: string[] = [];

/** Kills every serve still running (even when a test failed), then drops the test's schema. */
afterEach(async () => {
  for (const s of children.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.exited;
  }
  for (const schema of schemas.splice(0)) dropSchema(schema);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newSchema(label: string): string {
  const schema = freshSchema(label);
  schemas.push(schema);
  return schema;
}

/**
 * Starts `warden serve` (port 0, JSON log) on `schema`'s installation, from the TypeScript source (src
 * changes while this runs). Its working directory is a fresh one: a shared store's made-up API token
 * goes there.
 */
function serve(schema: string, ...extra: string[]): Serve {
  const cwd = mkdtempSync(join(tmpdir(), 'warden-lease-'));
  dirs.push(cwd);
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--log', 'json', '--store', urlOf(schema), ...extra],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WARDEN_FROM_SOURCE: '1', WARDEN_API_TOKEN: '', WARDEN_STORE_URL: '' },
    },
  );
  let out = '';
  let err = '';
  let runningAt: number | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (runningAt === null && out.includes(RUNNING)) runningAt = performance.now();
  });
  child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const s: Serve = {
    child,
    pid: child.pid!,
    holder: `${hostname()}:${child.pid!}`,
    out: () => out,
    err: () => err,
    runningAt: () => runningAt,
    exited,
  };
  children.push(s);
  return s;
}

/** Polls `done` every 25 ms for at most `ms`; fails saying what was awaited (and what the processes printed). */
async function waitFor(done: () => boolean, ms: number, what: string, ...shown: Serve[]): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) {
      const printed = shown.map((s) => `--- pid ${s.pid} stdout:\n${s.out()}\n--- stderr:\n${s.err().slice(-4000)}`);
      throw new Error(`waited ${ms} ms for ${what}\n${printed.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until `s` prints that it runs (and the lines after, up to "Ctrl-C stops."), and returns its base URL. */
async function running(s: Serve, ms = START_MS): Promise<string> {
  await waitFor(
    () => (s.runningAt() !== null && s.out().includes('Ctrl-C stops.')) || s.child.exitCode !== null,
    ms,
    `pid ${s.pid} to print "${RUNNING}"`,
    s,
  );
  expect(s.out(), `pid ${s.pid} exited before running:\n${s.err()}`).toContain('Ctrl-C stops.');
  return /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(s.out())![1]!;
}

/** SIGTERM, then the exit code (a clean stop: 0 and "Warden stopped."). */
async function stop(s: Serve): Promise<number | null> {
  s.child.kill('SIGTERM');
  const { code } = await s.exited;
  return code;
}

function leaseOf(schema: string, account: string): LeaseRow {
  const row = sql<LeaseRow>(
    schema,
    `SELECT holder, token, acquired_at, renewed_at, expires_at,
       expires_at <= (extract(epoch from clock_timestamp()) * 1000)::bigint AS lapsed
     FROM leases WHERE account = $1`,
    [account],
  )[0];
  expect(row, `no lease row for account ${account}`).toBeDefined();
  return row!;
}

const maxIntentSeq = (schema: string): number =>
  sql<{ seq: number | null }>(schema, "SELECT max(seq) AS seq FROM intents WHERE account = 'default'")[0]!.seq ?? 0;

/** `text` matched literally in a RegExp (a host name may hold dots). */
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The tickets of the positions stored for account `default` (what a restart restores). */
const storedTickets = (schema: string): string[] =>
  sql<{ ticket: string }>(
    schema,
    "SELECT (position::json)->>'ticket' AS ticket FROM positions WHERE account = 'default' ORDER BY ord",
  ).map((r) => r.ticket);

/** The token step of the failover below (recorded for the known-bug check after it). */

describe.skipIf(NO_POSTGRES)('warden serve on a PostgreSQL store: one owner per account', () => {
  it('refuses a second serve on a held account (exit 2, naming the holder and until when), serves another account beside it, and a clean stop releases the account at once', async () => {
    const schema = newSchema('lease1');
    const a = serve(schema);
    await running(a);
    expect(leaseOf(schema, 'default')).toMatchObject({ holder: a.holder, token: 1, lapsed: false });

    // B on the same account: refused at once, saying who holds it and until when; it never runs.
    const b = serve(schema);
    await waitFor(() => b.child.exitCode !== null, START_MS, 'the second serve on default to exit', b);
    expect((await b.exited).code, b.err()).toBe(2);
    expect(b.err()).toContain(`held by another Warden session (${a.holder}, lease token 1) until `);
    expect(b.err()).toMatch(/ until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(b.err()).toContain('--wait-for-lease');
    expect(b.out()).not.toContain(RUNNING);
    // A keeps the account, under the same token.
    expect(leaseOf(schema, 'default')).toMatchObject({ holder: a.holder, token: 1, lapsed: false });

    // C on another account of the same installation: starts beside A, with a lease of its own.
    const c = serve(schema, '--account', 'other');
    const cUrl = await running(c);
    expect(c.out()).toContain(`account other;`);
    expect(leaseOf(schema, 'other')).toMatchObject({ holder: c.holder, token: 1, lapsed: false });
    expect((await fetch(new URL('api/positions', cUrl))).status).toBe(200);
    expect(a.child.exitCode).toBeNull();

    // Clean stops: each releases its account (lapsed at once, its token kept).
    expect(await stop(a), a.err().slice(-4000)).toBe(0);
    expect(a.out()).toContain('Warden stopped.');
    expect(leaseOf(schema, 'default')).toMatchObject({ holder: a.holder, token: 1, lapsed: true });
    expect(await stop(c), c.err().slice(-4000)).toBe(0);
    expect(leaseOf(schema, 'other')).toMatchObject({ holder: c.holder, token: 1, lapsed: true });

    // A new serve on default (without --wait-for-lease) starts at once, under the next token.
    const d = serve(schema);
    await running(d);
    expect(d.out()).not.toMatch(/^waiting:/m);
    expect(leaseOf(schema, 'default')).toMatchObject({ holder: d.holder, token: 2, lapsed: false });
    expect(await stop(d), d.err().slice(-4000)).toBe(0);
  }, 180_000);

  it('fails over: a serve waiting for the lease takes over within 30 s of the holder being killed, under a higher token, on the positions it left', async () => {
    const schema = newSchema('lease2');
    const a = serve(schema);
    await running(a);
    // A has played a while: positions are stored for the next owner to restore.
    await waitFor(() => storedTickets(schema).length > 0, 30_000, 'A to store positions', a);

    const b = serve(schema, '--wait-for-lease');
    await waitFor(() => /^waiting: /m.test(b.out()) || b.child.exitCode !== null, START_MS, 'B to wait', b);
    expect(b.out()).toMatch(
      new RegExp(
        `^waiting: .* is held by another Warden session \\(${escaped(a.holder)}, lease token 1\\) until `,
        'm',
      ),
    );
    expect(b.out()).not.toContain(RUNNING);
    const before = leaseOf(schema, 'default');
    expect(before).toMatchObject({ holder: a.holder, token: 1 });

    // A is killed: it renews no more, and B takes the account once the lease lapses.
    a.child.kill('SIGKILL');
    const killedAt = performance.now();
    expect((await a.exited).signal).toBe('SIGKILL');
    const seqAtKill = maxIntentSeq(schema);
    const left = storedTickets(schema);
    expect(left.length).toBeGreaterThan(0);

    const url = await running(b, 30_000 + 5_000);
    const seconds = (b.runningAt()! - killedAt) / 1000;
    console.log(`failover: B ran ${seconds.toFixed(1)} s after A was killed (lease TTL ${LEASE_TTL_MS / 1000} s)`);
    expect(seconds).toBeLessThan(30);

    // B's API: the positions A left, restored (one closed since by B's own market is in its lifetimes).
    const shown = ((await (await fetch(new URL('api/positions', url))).json()) as { ticket: string }[]).map(
      (p) => p.ticket,
    );
    expect(shown.filter((t) => left.includes(t)).length).toBeGreaterThan(0);
    const missing = left.filter((t) => !shown.includes(t));
    const ended = (t: string): boolean =>
      sql(schema, "SELECT 1 FROM lifetimes WHERE account = 'default' AND key = $1 AND ended_at IS NOT NULL", [`${t}#1`])
        .length > 0;
    await waitFor(() => missing.every(ended), 10_000, `positions ${missing.join(', ')} to be shown or ended`, b);

    // B runs on: it journals intents and renews its lease (the first renewal ~6.7 s after taking it).
    await waitFor(() => maxIntentSeq(schema) > seqAtKill, 30_000, 'B to journal an intent', b);
    await waitFor(
      () => leaseOf(schema, 'default').renewed_at > leaseOf(schema, 'default').acquired_at,
      20_000,
      'B to renew its lease',
      b,
    );
    const after = leaseOf(schema, 'default');
    expect(after).toMatchObject({ holder: b.holder, lapsed: false });
    // One new holder, one new token: the lease taken while waiting is the one the session claims.
    expect(after.token).toBe(before.token + 1);
    console.log(`failover: lease token ${before.token} -> ${after.token}`);
    expect(b.err()).toMatch(/"msg":"took the account lease"/);

    // No intent twice; A's under A's token, every one after the takeover under B's.
    expect(
      sql(schema, "SELECT id, count(*) FROM intents WHERE account = 'default' GROUP BY id HAVING count(*) > 1"),
    ).toEqual([]);
    const tokens = (cmp: '<=' | '>') =>
      sql<{ lease_token: number | null; n: number }>(
        schema,
        `SELECT lease_token, count(*) AS n FROM intents WHERE account = 'default' AND seq ${cmp} $1 GROUP BY lease_token`,
        [seqAtKill],
      );
    expect(tokens('>')).toEqual([{ lease_token: after.token, n: expect.any(Number) }]);
    for (const r of tokens('<=')) expect(r.lease_token).toBe(before.token);

    expect(b.child.exitCode).toBeNull();
    expect(await stop(b), b.err().slice(-4000)).toBe(0);
  }, 180_000);
});

describe.skipIf(NO_POSTGRES)('PostgreSQL account lease: fencing', () => {
  let a: PostgresStore | undefined;
  let b: PostgresStore | undefined;
  afterEach(() => {
    a?.close();
    b?.close();
    a = b = undefined;
  });

  it('a store whose lapsed lease another took journals nothing (lease_lost) and cannot renew; the new holder journals under its token', () => {
    const schema = newSchema('fence');
    a = openPostgresStore(urlOf(schema), { now: NOW, account: 'default' });
    b = openPostgresStore(urlOf(schema), { now: NOW, account: 'default' });
    const first = a.leases.acquire('a:1', LEASE_TTL_MS);
    expect(first).toMatchObject({ acquired: true, lease: { holder: 'a:1', token: 1 } });
    // While A's lease runs, B is refused, told who holds it.
    expect(b.leases.acquire('b:2', LEASE_TTL_MS)).toMatchObject({
      acquired: false,
      heldBy: { holder: 'a:1', token: 1 },
    });
    a.recordIntent(intent('before-lapse'));

    // A's lease lapses (a stalled process), and B takes the account.
    sql(schema, "UPDATE leases SET expires_at = 0 WHERE account = 'default'");
    expect(b.leases.acquire('b:2', LEASE_TTL_MS)).toMatchObject({ acquired: true, lease: { holder: 'b:2', token: 2 } });

    const lost = storeError(() => a!.recordIntent(intent('from-a')));
    expect(lost.code).toBe('lease_lost');
    expect(lost.message).toMatch(/b:2 \(lease token 2, this session's was 1\)/);
    expect(a.intent('from-a')).toBeNull();
    expect(sql(schema, "SELECT id FROM intents WHERE id = 'from-a'")).toEqual([]);

    b.recordIntent(intent('from-b'));
    expect(sql(schema, 'SELECT id, lease_token FROM intents ORDER BY seq')).toEqual([
      { id: 'before-lapse', lease_token: 1 },
      { id: 'from-b', lease_token: 2 },
    ]);

    expect(a.leases.renew(LEASE_TTL_MS)).toBeNull();
    expect(b.leases.renew(LEASE_TTL_MS)).toMatchObject({ account: 'default', holder: 'b:2', token: 2 });
    // A's close releases nothing of B's: B keeps the account and journals on.
    a.close();
    a = undefined;
    expect(leaseOf(schema, 'default')).toMatchObject({ holder: 'b:2', token: 2, lapsed: false });
    b.recordIntent(intent('from-b-2'));
    expect(b.intent('from-b-2')?.status).toBe('pending');
  });
});
