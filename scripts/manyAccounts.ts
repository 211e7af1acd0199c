// `npm run soak:accounts`: many accounts across processes on one PostgreSQL installation, measured.
// ACCOUNTS paper accounts of POSITIONS positions each (demo positions on 4 played symbols), listed in
// one config, served by PROCESSES `warden serve` processes that share the list (each at most
// ceil(ACCOUNTS / (PROCESSES - 1)), so the survivors can absorb a dead process's accounts). It prints:
// the time until every account runs; over a WINDOW_S window, the bar step latency (p50 and p99 of each
// account's latest steps, from its /metrics) and the store's write rate (rows and commits per second,
// PostgreSQL's own counters for the installation's tables); then it SIGKILLs one process and times
// the failover (until each of its accounts runs under another process), and checks that no intent
// was applied twice: per account, every intent the journal says applied was applied at the paper
// venue, every request the venue applied is in the journal as applied, and the venue saw no request
// twice. Environment: WARDEN_PG_URL (default postgres://root@127.0.0.1:5432/test), SOAK_ACCOUNTS
// (100), SOAK_PROCESSES (4), SOAK_WINDOW_S (60), SOAK_SPEED (bars per second each account plays, 1).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { connectionFor, parsePostgresUrl } from '../src/store/postgresConnection.ts';

const PG = process.env.WARDEN_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';
const ACCOUNTS = Number(process.env.SOAK_ACCOUNTS ?? 100);
const PROCESSES = Number(process.env.SOAK_PROCESSES ?? 4);
const WINDOW_S = Number(process.env.SOAK_WINDOW_S ?? 60);
const SPEED = Number(process.env.SOAK_SPEED ?? 1);
const SYMBOLS = ['XAUUSDc', 'EURUSD', 'BTCUSDc', 'GBPUSD'];
const POSITIONS = 100;
const ROOT = path.resolve(import.meta.dirname, '..');
const schema = `soak_${randomBytes(3).toString('hex')}`;
const url = `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}`;
const dir = path.join(ROOT, 'out', 'soak-accounts', schema);
mkdirSync(dir, { recursive: true });

const conn = connectionFor(parsePostgresUrl(url));
const sql = <T>(text: string, params: (string | number)[] = []) => conn.rows<T>(text, params);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

const ids = Array.from({ length: ACCOUNTS }, (_, i) => `acct-${String(i + 1).padStart(3, '0')}`);
const configFile = path.join(dir, 'accounts.yaml');
writeFileSync(
  configFile,
  stringify({
    service: {
      market: {
        symbols: SYMBOLS,
        speed: SPEED,
        demoPositions: POSITIONS / SYMBOLS.length,
        // The whole book from the first bar (and each closed position replaced at once).
        reopenBars: 0,
        // A day of history: the features that need more warm up while the market plays.
        warmupMinutes: 1440,
      },
    },
    broker: { kind: 'paper', paper: { balance: 1e9 } },
    accounts: ids.map((id, i) => ({ id, market: { seed: i + 1 } })),
  }),
);

const maxPerProcess = Math.ceil(ACCOUNTS / Math.max(1, PROCESSES - 1));
const procs: ChildProcess[] = [];
function startProcess(k: number): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'warden.js'),
      'serve',
      '--config',
      configFile,
      '--store',
      url,
      '--port',
      '0',
      '--max-accounts',
      String(maxPerProcess),
      '--log',
      'json',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out: string[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b.toString()));
  const err: Buffer[] = [];
  child.stderr?.on('data', (b: Buffer) => {
    err.push(b);
    if (err.length > 2000) err.splice(0, 1000);
  });
  child.on('exit', () => writeFileSync(path.join(dir, `p${k}.log`), Buffer.concat(err)));
  return child;
}

type LeaseRow = { account: string; holder: string; token: number; live: boolean; endpoint: string | null };
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
const leases = () =>
  sql<LeaseRow>(`SELECT account, holder, token, expires_at > ${NOW_MS} AS live, endpoint FROM leases ORDER BY account`);
const liveCount = () => {
  try {
    return leases().filter((l) => l.live && l.endpoint !== null).length;
  } catch {
    return 0; // the first process has not made the installation yet
  }
};
const rssMb = (pid: number | undefined) => {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
};
/** CPU seconds a process has used (user + system), from /proc. */
const cpuSeconds = (pid: number | undefined): number => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
};
const writes = () =>
  sql<{ rows: number; commits: number }>(
    `SELECT (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = $1) AS rows,
            (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) AS commits`,
    [schema],
  )[0]!;

interface StepMetrics {
  /** Cumulative steps at or under each bound (ms; the last Infinity), since the session started. */
  buckets: Map<number, number>;
  sumMs: number;
  lag: number;
}

async function metricsOf(endpoint: string): Promise<StepMetrics | null> {
  try {
    const text = await (await fetch(new URL('metrics', endpoint))).text();
    const buckets = new Map<number, number>();
    for (const m of text.matchAll(/^warden_step_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm))
      buckets.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]) * 1000, Number(m[2]));
    const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
    return {
      buckets,
      sumMs: num(/^warden_step_seconds_sum (\S+)$/m) * 1000,
      lag: num(/^warden_engine_lag_seconds (\S+)$/m),
    };
  } catch {
    return null;
  }
}

/** Every account's step metrics, by account (those that answered). */
async function allMetrics(): Promise<Map<string, StepMetrics>> {
  const got = await Promise.all(
    leases().map(async (l) => [l.account, l.endpoint ? await metricsOf(l.endpoint) : null] as const),
  );
  return new Map(got.filter((g): g is readonly [string, StepMetrics] => g[1] !== null));
}

/** The q-quantile of the steps between two reads, pooled over accounts: the bucket bound it falls under (ms). */
function pooledQuantile(before: Map<string, StepMetrics>, after: Map<string, StepMetrics>, q: number): number {
  const pooled = new Map<number, number>();
  for (const [account, m] of after)
    for (const [le, n] of m.buckets)
      pooled.set(le, (pooled.get(le) ?? 0) + n - (before.get(account)?.buckets.get(le) ?? 0));
  const total = pooled.get(Number.POSITIVE_INFINITY) ?? 0;
  for (const le of [...pooled.keys()].sort((x, y) => x - y)) if ((pooled.get(le) ?? 0) >= q * total) return le;
  return Number.NaN;
}

async function main(): Promise<void> {
  console.log(
    `many accounts: ${ACCOUNTS} paper accounts x ${POSITIONS} positions (${SYMBOLS.length} symbols at ${SPEED} bar/s), ${PROCESSES} processes (at most ${maxPerProcess} each), node ${process.version}, schema ${schema}`,
  );
  const t0 = performance.now();
  for (let k = 0; k < PROCESSES; k++) procs.push(startProcess(k));
  for (;;) {
    await sleep(1000);
    if (liveCount() >= ACCOUNTS) break;
    if (performance.now() - t0 > 600_000)
      throw new Error(`only ${liveCount()} of ${ACCOUNTS} accounts running after 10 min`);
  }
  const startS = (performance.now() - t0) / 1000;
  const byHolder = accountsByHolder();
  console.log(
    `all ${ACCOUNTS} accounts running after ${fmt(startS)} s; per process: ${[...byHolder.values()].sort((a, b) => b - a).join(', ')}`,
  );

  await measureWindow();
  const { orphaned, seqAtKill } = await failover(byHolder);
  await sleep(15_000);
  await Promise.all(procs.filter((p) => p.exitCode === null && p.signalCode === null).map(stopProcess));
  verifyExactlyOnce(orphaned, seqAtKill);
  console.log(`logs: ${dir}`);
}

function accountsByHolder(): Map<string, number> {
  const byHolder = new Map<string, number>();
  for (const l of leases()) byHolder.set(l.holder, (byHolder.get(l.holder) ?? 0) + 1);
  return byHolder;
}

function stopProcess(p: ChildProcess): Promise<unknown> {
  const exited = new Promise((r) => p.on('exit', r));
  p.kill('SIGTERM');
  return exited;
}

/** Bar step latency (each account's /metrics) and the store's write rate over the window. */
async function measureWindow(): Promise<void> {
  const m0 = await allMetrics();
  const w0 = writes();
  const cpu0 = procs.map((p) => cpuSeconds(p.pid));
  const tw = performance.now();
  await sleep(WINDOW_S * 1000);
  const w1 = writes();
  const secs = (performance.now() - tw) / 1000;
  const cpu = procs.map((p, k) => (cpuSeconds(p.pid) - cpu0[k]!) / secs);
  const m1 = await allMetrics();
  let steps = 0;
  let stepMs = 0;
  for (const [account, m] of m1) {
    steps +=
      (m.buckets.get(Number.POSITIVE_INFINITY) ?? 0) - (m0.get(account)?.buckets.get(Number.POSITIVE_INFINITY) ?? 0);
    stepMs += m.sumMs - (m0.get(account)?.sumMs ?? 0);
  }
  const lags = [...m1.values()].map((m) => m.lag);
  const under = (q: number) => `<= ${fmt(pooledQuantile(m0, m1, q), 0)} ms`;
  console.log(
    `bar steps in the window, ${m1.size} accounts pooled: ${steps} steps (${fmt(steps / secs, 0)}/s), mean ${fmt(stepMs / steps, 2)} ms, p50 ${under(0.5)}, p99 ${under(0.99)}, p99.9 ${under(0.999)} (histogram bounds); engine lag (oldest bar waiting) at the end: median ${fmt(quantile(lags, 0.5))} s, worst ${fmt(Math.max(...lags))} s`,
  );
  console.log(
    `store writes over ${fmt(secs, 0)} s: ${fmt((w1.rows - w0.rows) / secs, 0)} rows/s (inserted, updated, deleted), ${fmt((w1.commits - w0.commits) / secs, 0)} transactions/s (reads included)`,
  );
  const held = sql<{ n: number }>('SELECT count(*) AS n FROM positions GROUP BY account').map((r) => r.n);
  console.log(
    `positions managed per account at the end of the window: median ${quantile(held, 0.5)}, fewest ${Math.min(...held)}, total ${held.reduce((a, b) => a + b, 0)}`,
  );
  console.log(
    `processes: CPU ${cpu.map((c) => `${fmt(c * 100, 0)}%`).join(', ')} of one core each over the window (the machine has ${availableParallelism()}); memory ${procs.map((p) => `${fmt(rssMb(p.pid), 0)} MB`).join(', ')} (RSS)`,
  );
}

/** SIGKILLs the process holding the most accounts and times until each of them runs elsewhere. */
async function failover(byHolder: Map<string, number>): Promise<{ orphaned: LeaseRow[]; seqAtKill: number }> {
  const victim = procs.find(
    (p) => `${hostname()}:${p.pid}` === [...byHolder.entries()].sort((a, b) => b[1] - a[1])[0]![0],
  )!;
  const victimHolder = `${hostname()}:${victim.pid}`;
  const orphaned = leases().filter((l) => l.holder === victimHolder);
  const seqAtKill = sql<{ seq: number | null }>('SELECT max(seq) AS seq FROM intents')[0]!.seq ?? 0;
  const tk = performance.now();
  victim.kill('SIGKILL');
  const resumedAt = new Map<string, number>();
  while (resumedAt.size < orphaned.length) {
    await sleep(250);
    for (const l of leases())
      if (orphaned.some((o) => o.account === l.account) && l.holder !== victimHolder && l.live && l.endpoint !== null)
        if (!resumedAt.has(l.account)) resumedAt.set(l.account, (performance.now() - tk) / 1000);
    if (performance.now() - tk > 180_000) break;
  }
  const times = [...resumedAt.values()];
  console.log(
    `failover: SIGKILL of a process holding ${orphaned.length} accounts; ${resumedAt.size} resumed elsewhere, the first after ${fmt(Math.min(...times))} s, half after ${fmt(quantile(times, 0.5))} s, all after ${fmt(Math.max(...times))} s`,
  );
  return { orphaned, seqAtKill };
}

/** No intent applied twice, across the failover: the journal and each paper venue agree. */
function verifyExactlyOnce(orphaned: LeaseRow[], seqAtKill: number): void {
  const fenced = sql<{ n: number }>(
    `SELECT count(*) AS n FROM intents i JOIN leases l ON l.account = i.account
     WHERE i.seq > $1 AND i.account = ANY(string_to_array($2, ',')) AND i.lease_token <> l.token`,
    [seqAtKill, orphaned.map((o) => o.account).join(',')],
  )[0]!.n;
  let applied = 0;
  let missingAtVenue = 0;
  let missingInJournal = 0;
  let duplicateAtVenue = 0;
  for (const id of ids) {
    const journal = sql<{ id: string; status: string }>('SELECT id, status FROM intents WHERE account = $1', [id]);
    const orphanedHere = orphaned.some((o) => o.account === id);
    const paper = sql<{ value: string }>("SELECT value FROM session_state WHERE account = $1 AND key = 'paper'", [
      id,
    ])[0];
    if (paper === undefined) continue;
    const snapshot = JSON.parse(paper.value) as {
      account: { symbols: { broker: { appliedIds: string[]; audit: { duplicateIds: number } } }[] };
    };
    const venueIds = new Set(snapshot.account.symbols.flatMap((s) => s.broker.appliedIds));
    duplicateAtVenue += snapshot.account.symbols.reduce((a, s) => a + s.broker.audit.duplicateIds, 0);
    const journaled = new Map(journal.map((j) => [j.id, j.status]));
    for (const j of journal) {
      if (j.status !== 'applied') continue;
      applied++;
      if (!venueIds.has(j.id)) {
        missingAtVenue++;
        const row = sql<Record<string, unknown>>(
          'SELECT seq, status, code, reason, lease_token, recorded_at, resolved_at, intent FROM intents WHERE account = $1 AND id = $2',
          [id, j.id],
        )[0];
        console.log(
          `  applied in the journal, not at the venue: ${id}${orphanedHere ? ' (taken over)' : ''} ${j.id} ${JSON.stringify(row)}`,
        );
      }
    }
    for (const v of venueIds) if (journaled.has(v) && journaled.get(v) !== 'applied') missingInJournal++;
  }
  console.log(
    `exactly once: ${applied} intents applied; journal says applied but the venue did not: ${missingAtVenue}; the venue applied but the journal does not say so: ${missingInJournal}; requests the venue saw twice: ${duplicateAtVenue}; intents journaled after the kill under a superseded lease token: ${fenced}`,
  );
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    try {
      if (process.env.SOAK_KEEP !== '1') sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } catch {
      // The next run uses another schema.
    }
  });
